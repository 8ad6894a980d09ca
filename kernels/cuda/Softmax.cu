//===- Softmax.cu - softmax, log_softmax and their gradients on a GPU -----===//
//
// One block per lane along the axis. The lane's max and sums are the CPU
// kernel's (kernels/cpu/Softmax.cpp): sums in double, each element computed
// in Acc<T> from them.
//
//===----------------------------------------------------------------------===//

#include "kernels/cuda/CudaLaunch.cuh"
#include "kernels/cuda/CudaOps.h"

#include <climits>

namespace dsc::kernels::cuda {
namespace {

enum class Kind { Softmax, LogSoftmax, SoftmaxGrad, LogSoftmaxGrad };

struct LaneMaxOp {
  // The CPU's max: a NaN does not win.
  template <typename V> __device__ V operator()(V a, V b) const {
    return b > a ? b : a;
  }
};

/// Lane blockIdx.x: elements offset + i * stride for i < length.
template <typename T>
__global__ void softmaxKernel(Kind kind, const T *a, const T *b, T *out,
                              int64_t length, int64_t inner) {
  using A = Acc<T>;
  __shared__ double sharedSum[32];
  __shared__ A sharedMax[32];
  const int64_t lane = blockIdx.x;
  const int64_t offset = (lane / inner) * length * inner + lane % inner;
  const int64_t stride = inner;
  auto at = [&](const T *p, int64_t i) { return load(p[offset + i * stride]); };
  if (kind == Kind::Softmax || kind == Kind::LogSoftmax) {
    // a = x.
    A m = at(a, 0);
    for (int64_t i = threadIdx.x; i < length; i += blockDim.x)
      m = LaneMaxOp()(m, at(a, i));
    m = blockReduce(m, LaneMaxOp(), sharedMax);
    double sum = 0;
    for (int64_t i = threadIdx.x; i < length; i += blockDim.x)
      sum += static_cast<double>(A(exp(at(a, i) - m)));
    sum = blockReduce(sum, SumOp(), sharedSum);
    if (kind == Kind::Softmax) {
      A inv = static_cast<A>(1.0 / sum);
      for (int64_t i = threadIdx.x; i < length; i += blockDim.x)
        out[offset + i * stride] = store<T>(A(exp(at(a, i) - m)) * inv);
    } else {
      A logSum = static_cast<A>(log(sum));
      for (int64_t i = threadIdx.x; i < length; i += blockDim.x)
        out[offset + i * stride] = store<T>((at(a, i) - m) - logSum);
    }
    return;
  }
  // a = y, b = dy.
  double sum = 0;
  for (int64_t i = threadIdx.x; i < length; i += blockDim.x)
    sum += kind == Kind::SoftmaxGrad
               ? static_cast<double>(at(b, i)) * static_cast<double>(at(a, i))
               : static_cast<double>(at(b, i));
  sum = blockReduce(sum, SumOp(), sharedSum);
  A s = static_cast<A>(sum);
  for (int64_t i = threadIdx.x; i < length; i += blockDim.x) {
    A y = at(a, i), dy = at(b, i);
    out[offset + i * stride] =
        store<T>(kind == Kind::SoftmaxGrad ? y * (dy - s) : dy - A(exp(y)) * s);
  }
}

template <typename T>
void launchLanes(Kind kind, const T *a, const T *b, Shape shape, int axis,
                 T *out) {
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d)
    outer *= shape.dims[d];
  for (int d = axis + 1; d < shape.rank; ++d)
    inner *= shape.dims[d];
  const int64_t length = shape.dims[axis], lanes = outer * inner;
  if (length == 0 || lanes == 0)
    return;
  if (lanes > INT_MAX) {
    unsupported("softmax: more than 2^31 lanes");
    return;
  }
  softmaxKernel<<<static_cast<unsigned>(lanes), kThreads, 0, stream()>>>(
      kind, a, b, out, length, inner);
  launched();
}

} // namespace

template <typename T> void softmax(const T *x, Shape shape, int axis, T *y) {
  launchLanes<T>(Kind::Softmax, x, nullptr, shape, axis, y);
}

template <typename T> void logSoftmax(const T *x, Shape shape, int axis, T *y) {
  launchLanes<T>(Kind::LogSoftmax, x, nullptr, shape, axis, y);
}

template <typename T>
void softmaxGrad(const T *y, const T *dy, Shape shape, int axis, T *dx) {
  launchLanes(Kind::SoftmaxGrad, y, dy, shape, axis, dx);
}

template <typename T>
void logSoftmaxGrad(const T *y, const T *dy, Shape shape, int axis, T *dx) {
  launchLanes(Kind::LogSoftmaxGrad, y, dy, shape, axis, dx);
}

#define DSC_SOFTMAX(T)                                                         \
  template void softmax<T>(const T *, Shape, int, T *);                        \
  template void logSoftmax<T>(const T *, Shape, int, T *);                     \
  template void softmaxGrad<T>(const T *, const T *, Shape, int, T *);         \
  template void logSoftmaxGrad<T>(const T *, const T *, Shape, int, T *);
DSC_SOFTMAX(float)
DSC_SOFTMAX(double)
DSC_SOFTMAX(Half)
DSC_SOFTMAX(BFloat16)
#undef DSC_SOFTMAX

} // namespace dsc::kernels::cuda
