//===- Reduction.cpp - reduce_sum, reduce_mean, reduce_max ----------------===//

#include "kernels/cpu/Indexing.h"

#include <cmath>
#include <limits>
#include <type_traits>

namespace dsc::kernels::cpu {

using detail::dimsOf;
using detail::forEachRow;
using detail::stridesOf;

namespace {

/// Strides of the result over the input's index space: 0 on reduced axes.
std::vector<int64_t> resultStrides(Shape in, const std::vector<bool> &reduced) {
  std::vector<int64_t> strides(in.rank, 0);
  int64_t stride = 1;
  for (int i = in.rank - 1; i >= 0; --i) {
    if (reduced[i])
      continue;
    strides[i] = stride;
    stride *= in.dims[i];
  }
  return strides;
}

template <typename T, typename Acc>
void sumInto(const T *in, Shape inShape, const std::vector<int64_t> &outStrides,
             Acc *acc) {
  forEachRow<2>(dimsOf(inShape), {stridesOf(inShape), outStrides},
                [&](const std::array<int64_t, 2> &off, int64_t n,
                    const std::array<int64_t, 2> &st) {
                  const T *p = in + off[0];
                  Acc *a = acc + off[1];
                  if (st[1] == 0) {
                    Acc s = 0;
                    for (int64_t i = 0; i < n; ++i)
                      s += p[i * st[0]];
                    *a += s;
                  } else {
                    for (int64_t i = 0; i < n; ++i)
                      a[i * st[1]] += p[i * st[0]];
                  }
                });
}

template <typename T>
void maxInto(const T *in, Shape inShape, const std::vector<int64_t> &outStrides,
             T *out) {
  auto combine = [](T acc, T v) {
    if constexpr (std::is_floating_point_v<T>)
      return (v > acc || std::isnan(v)) ? v : acc;
    else
      return v > acc ? v : acc;
  };
  forEachRow<2>(dimsOf(inShape), {stridesOf(inShape), outStrides},
                [&](const std::array<int64_t, 2> &off, int64_t n,
                    const std::array<int64_t, 2> &st) {
                  const T *p = in + off[0];
                  T *o = out + off[1];
                  if (st[1] == 0) {
                    T m = *o;
                    for (int64_t i = 0; i < n; ++i)
                      m = combine(m, p[i * st[0]]);
                    *o = m;
                  } else {
                    for (int64_t i = 0; i < n; ++i)
                      o[i * st[1]] = combine(o[i * st[1]], p[i * st[0]]);
                  }
                });
}

} // namespace

template <typename T>
void reduce(ReduceOp op, const T *in, Shape inShape, const int64_t *axes,
            int numAxes, T *out) {
  std::vector<bool> reduced(inShape.rank, false);
  int64_t count = 1;
  for (int i = 0; i < numAxes; ++i) {
    reduced[axes[i]] = true;
    count *= inShape.dims[axes[i]];
  }
  int64_t outNumel = 1;
  for (int i = 0; i < inShape.rank; ++i)
    if (!reduced[i])
      outNumel *= inShape.dims[i];
  std::vector<int64_t> outStrides = resultStrides(inShape, reduced);

  if (op == ReduceOp::Max) {
    T init = std::is_floating_point_v<T> ? -std::numeric_limits<T>::infinity()
                                         : std::numeric_limits<T>::lowest();
    for (int64_t i = 0; i < outNumel; ++i)
      out[i] = init;
    maxInto(in, inShape, outStrides, out);
    return;
  }
  // Floats accumulate in double so long reductions keep their precision.
  using Acc = std::conditional_t<std::is_floating_point_v<T>, double, T>;
  std::vector<Acc> acc(outNumel, Acc(0));
  sumInto(in, inShape, outStrides, acc.data());
  if (op == ReduceOp::Sum) {
    for (int64_t i = 0; i < outNumel; ++i)
      out[i] = static_cast<T>(acc[i]);
    return;
  }
  for (int64_t i = 0; i < outNumel; ++i) {
    if constexpr (std::is_floating_point_v<T>)
      out[i] = static_cast<T>(acc[i] / static_cast<double>(count));
    else
      out[i] = count == 0 ? T(0) : static_cast<T>(acc[i] / count);
  }
}

template void reduce<float>(ReduceOp, const float *, Shape, const int64_t *,
                            int, float *);
template void reduce<double>(ReduceOp, const double *, Shape, const int64_t *,
                             int, double *);
template void reduce<int64_t>(ReduceOp, const int64_t *, Shape, const int64_t *,
                              int, int64_t *);

} // namespace dsc::kernels::cpu
