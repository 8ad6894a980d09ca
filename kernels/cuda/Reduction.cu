//===- Reduction.cu - reduce_sum, reduce_mean, reduce_max on a GPU --------===//
//
// One block per result element walks the reduced axes; floats add in
// double, as the CPU kernel does, so long sums agree to the rounding of the
// result. Max propagates NaN.
//
//===----------------------------------------------------------------------===//

#include "kernels/cuda/CudaLaunch.cuh"
#include "kernels/cuda/CudaOps.h"

#include <cfloat>
#include <climits>

namespace dsc::kernels::cuda {
namespace {

template <typename V> __device__ V lowest() {
  if constexpr (std::is_integral_v<V>)
    return LLONG_MIN;
  else
    return -INFINITY;
}

struct MaxOp {
  template <typename V> __device__ V operator()(V acc, V v) const {
    if constexpr (std::is_floating_point_v<V>)
      return (v > acc || isnan(v)) ? v : acc;
    else
      return v > acc ? v : acc;
  }
};

/// Result element blockIdx.x: its input offset from `kept`, the reduced
/// elements from `reduced` (count of them).
template <typename T>
__global__ void reduceKernel(ReduceOp op, const T *in, AxisMap kept,
                             AxisMap reduced, int64_t count, T *out) {
  using W = Wide<Acc<T>>;
  __shared__ W shared[32];
  const T *base = in + kept.offsetOf(blockIdx.x);
  if (op == ReduceOp::Max) {
    W m = lowest<W>();
    for (int64_t r = threadIdx.x; r < count; r += blockDim.x)
      m = MaxOp()(m, W(load(base[reduced.offsetOf(r)])));
    m = blockReduce(m, MaxOp(), shared);
    if (threadIdx.x == 0)
      out[blockIdx.x] = store<T>(static_cast<Acc<T>>(m));
    return;
  }
  W sum = 0;
  for (int64_t r = threadIdx.x; r < count; r += blockDim.x)
    sum += W(load(base[reduced.offsetOf(r)]));
  sum = blockReduce(sum, SumOp(), shared);
  if (threadIdx.x != 0)
    return;
  if (op == ReduceOp::Mean) {
    if constexpr (std::is_integral_v<W>)
      sum = count == 0 ? W(0) : sum / count;
    else
      sum = sum / static_cast<double>(count);
  }
  out[blockIdx.x] = store<T>(static_cast<Acc<T>>(sum));
}

} // namespace

template <typename T>
void reduce(ReduceOp op, const T *in, Shape inShape, const int64_t *axes,
            int numAxes, T *out) {
  if (inShape.rank > kMaxRank) {
    unsupported("reduce: more than 8 axes");
    return;
  }
  bool isReduced[kMaxRank] = {};
  for (int i = 0; i < numAxes; ++i)
    isReduced[axes[i]] = true;
  int64_t strides[kMaxRank];
  rowMajorStrides(inShape, strides);
  AxisMap kept, reduced;
  for (int d = 0; d < inShape.rank; ++d)
    (isReduced[d] ? reduced : kept).push(inShape.dims[d], strides[d]);
  const int64_t results = kept.numel(), count = reduced.numel();
  if (results == 0)
    return;
  if (results > INT_MAX) {
    unsupported("reduce: more than 2^31 results");
    return;
  }
  reduceKernel<<<static_cast<unsigned>(results), kThreads, 0, stream()>>>(
      op, in, kept, reduced, count, out);
  launched();
}

#define DSC_REDUCE(T)                                                          \
  template void reduce<T>(ReduceOp, const T *, Shape, const int64_t *, int,    \
                          T *);
DSC_REDUCE(float)
DSC_REDUCE(double)
DSC_REDUCE(int64_t)
DSC_REDUCE(Half)
DSC_REDUCE(BFloat16)
#undef DSC_REDUCE

} // namespace dsc::kernels::cuda
