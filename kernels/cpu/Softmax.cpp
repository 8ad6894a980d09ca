//===- Softmax.cpp - softmax and log_softmax over an axis -----------------===//

#include "kernels/cpu/Indexing.h"

#include <cmath>

namespace dsc::kernels::cpu {

using detail::product;

namespace {

/// Calls lane(offset, stride, length) for every 1-D lane along `axis`.
template <typename Lane> void forEachLane(Shape shape, int axis, Lane lane) {
  int64_t outer = product(shape, 0, axis);
  int64_t length = shape.dims[axis];
  int64_t inner = product(shape, axis + 1, shape.rank);
  if (length == 0)
    return;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < inner; ++j)
      lane(o * length * inner + j, inner, length);
}

template <typename T> T laneMax(const T *x, int64_t stride, int64_t n) {
  T m = x[0];
  for (int64_t i = 1; i < n; ++i)
    m = x[i * stride] > m ? x[i * stride] : m;
  return m;
}

} // namespace

template <typename T> void softmax(const T *x, Shape shape, int axis, T *y) {
  forEachLane(shape, axis, [&](int64_t off, int64_t stride, int64_t n) {
    const T *xl = x + off;
    T *yl = y + off;
    T m = laneMax(xl, stride, n);
    double sum = 0;
    for (int64_t i = 0; i < n; ++i) {
      T e = std::exp(xl[i * stride] - m);
      yl[i * stride] = e;
      sum += e;
    }
    T inv = static_cast<T>(1.0 / sum);
    for (int64_t i = 0; i < n; ++i)
      yl[i * stride] *= inv;
  });
}

template <typename T> void logSoftmax(const T *x, Shape shape, int axis, T *y) {
  forEachLane(shape, axis, [&](int64_t off, int64_t stride, int64_t n) {
    const T *xl = x + off;
    T *yl = y + off;
    T m = laneMax(xl, stride, n);
    double sum = 0;
    for (int64_t i = 0; i < n; ++i)
      sum += std::exp(xl[i * stride] - m);
    // (x - m) first: m + log(sum) rounded to T loses the low bits for large
    // inputs (one float step near 1e4 is 1e-3).
    T logSum = static_cast<T>(std::log(sum));
    for (int64_t i = 0; i < n; ++i)
      yl[i * stride] = (xl[i * stride] - m) - logSum;
  });
}

template <typename T>
void softmaxGrad(const T *y, const T *dy, Shape shape, int axis, T *dx) {
  // dx = y * (dy - sum(dy * y, axis)).
  forEachLane(shape, axis, [&](int64_t off, int64_t stride, int64_t n) {
    double dot = 0;
    for (int64_t i = 0; i < n; ++i)
      dot += double(dy[off + i * stride]) * y[off + i * stride];
    T d = static_cast<T>(dot);
    for (int64_t i = 0; i < n; ++i) {
      int64_t k = off + i * stride;
      dx[k] = y[k] * (dy[k] - d);
    }
  });
}

template <typename T>
void logSoftmaxGrad(const T *y, const T *dy, Shape shape, int axis, T *dx) {
  // dx = dy - exp(y) * sum(dy, axis).
  forEachLane(shape, axis, [&](int64_t off, int64_t stride, int64_t n) {
    double sum = 0;
    for (int64_t i = 0; i < n; ++i)
      sum += dy[off + i * stride];
    T s = static_cast<T>(sum);
    for (int64_t i = 0; i < n; ++i) {
      int64_t k = off + i * stride;
      dx[k] = dy[k] - std::exp(y[k]) * s;
    }
  });
}

#define DSC_SOFTMAX(T)                                                         \
  template void softmax<T>(const T *, Shape, int, T *);                        \
  template void logSoftmax<T>(const T *, Shape, int, T *);                     \
  template void softmaxGrad<T>(const T *, const T *, Shape, int, T *);         \
  template void logSoftmaxGrad<T>(const T *, const T *, Shape, int, T *);
DSC_SOFTMAX(float)
DSC_SOFTMAX(double)
#undef DSC_SOFTMAX

} // namespace dsc::kernels::cpu
