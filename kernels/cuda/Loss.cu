//===- Loss.cu - softmax cross-entropy and NLL losses on a GPU ------------===//
//
// kernels/cpu/Loss.cpp's losses: input [N, C, d1...] seen as N x C x D,
// sample s = n * D + d. The reduction over samples runs in one block, in
// double, as the CPU sums them; the gradients are one thread per input
// element. A target outside [0, C) that is not ignored is recorded on the
// device (KernelTargetOutOfRange) and its sample counts as ignored.
//
//===----------------------------------------------------------------------===//

#include "kernels/cuda/CudaLaunch.cuh"
#include "kernels/cuda/CudaOps.h"

namespace dsc::kernels::cuda {
namespace {

constexpr int kReduceThreads = 1024;

struct Layout {
  int64_t n, c, d;
  __host__ __device__ int64_t samples() const { return n * d; }
  __host__ __device__ int64_t at(int64_t s, int64_t cls) const {
    return ((s / d) * c + cls) * d + s % d;
  }
};

Layout layoutOf(Shape in) {
  Layout l{in.dims[0], in.dims[1], 1};
  for (int i = 2; i < in.rank; ++i)
    l.d *= in.dims[i];
  return l;
}

/// Sample s's weight: 0 when ignored (or its target is out of range,
/// which is recorded), else weight[t] (1 without weights).
template <typename T>
__device__ double sampleWeight(const Layout &l, const int64_t *target,
                               const T *weight, IgnoreIndex ignore, int64_t s,
                               int *status) {
  int64_t t = target[s];
  if (ignore.enabled && t == ignore.value)
    return 0.0;
  if (t < 0 || t >= l.c) {
    recordStatus(status, k::KernelTargetOutOfRange);
    return 0.0;
  }
  return weight ? double(load(weight[t])) : 1.0;
}

/// loss from the per-sample -logp[target] * w (one block).
template <typename T>
__global__ void nllReduceKernel(const T *logp, Layout l, const int64_t *target,
                                const T *weight, LossReduction reduction,
                                IgnoreIndex ignore, T *loss, int *status) {
  __shared__ double shared[32];
  double sum = 0, total = 0;
  for (int64_t s = threadIdx.x; s < l.samples(); s += blockDim.x) {
    double w = sampleWeight(l, target, weight, ignore, s, status);
    double v = w == 0.0 ? 0.0 : -double(load(logp[l.at(s, target[s])])) * w;
    if (reduction == LossReduction::None)
      loss[s] = store<T>(v);
    sum += v;
    total += w;
  }
  sum = blockReduce(sum, SumOp(), shared);
  total = blockReduce(total, SumOp(), shared);
  if (threadIdx.x != 0)
    return;
  if (reduction == LossReduction::Sum)
    *loss = store<T>(sum);
  else if (reduction == LossReduction::Mean)
    *loss = store<T>(sum / total);
}

/// The samples' total weight into *total (one block); checks the targets.
template <typename T>
__global__ void totalWeightKernel(Layout l, const int64_t *target,
                                  const T *weight, IgnoreIndex ignore,
                                  double *total, int *status) {
  __shared__ double shared[32];
  double sum = 0;
  for (int64_t s = threadIdx.x; s < l.samples(); s += blockDim.x)
    sum += sampleWeight(l, target, weight, ignore, s, status);
  sum = blockReduce(sum, SumOp(), shared);
  if (threadIdx.x == 0)
    *total = sum;
}

/// d loss / d (sample s's loss), times its weight (the CPU's scales[s]).
template <typename T>
__device__ double sampleScale(const Layout &l, const int64_t *target,
                              const T *weight, const T *dloss,
                              LossReduction reduction, IgnoreIndex ignore,
                              double total, int64_t s) {
  int64_t t = target[s];
  if ((ignore.enabled && t == ignore.value) || t < 0 || t >= l.c)
    return 0.0;
  double w = weight ? double(load(weight[t])) : 1.0;
  if (w == 0.0)
    return 0.0;
  if (reduction == LossReduction::None)
    return w * double(load(dloss[s]));
  if (reduction == LossReduction::Sum)
    return w * double(load(dloss[0]));
  return w * (double(load(dloss[0])) / total);
}

/// Element i of d_input: softmax cross-entropy's scale * (exp(logp) -
/// onehot), or NLL's -scale at the target.
template <typename T>
__global__ void lossGradKernel(int64_t count, bool softmax, const T *logp,
                               Layout l, const int64_t *target, const T *weight,
                               const T *dloss, LossReduction reduction,
                               IgnoreIndex ignore, const double *total,
                               T *dInput) {
  int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (i >= count)
    return;
  using A = Acc<T>;
  const int64_t d = i % l.d, cls = (i / l.d) % l.c, n = i / (l.d * l.c);
  const int64_t s = n * l.d + d;
  double scale =
      sampleScale(l, target, weight, dloss, reduction, ignore, *total, s);
  const bool atTarget = cls == target[s];
  if (!softmax) {
    dInput[i] = store<T>(atTarget && scale != 0.0 ? A(-scale) : A(0));
    return;
  }
  A sc = static_cast<A>(scale);
  A v = sc == A(0) ? A(0) : sc * A(exp(load(logp[i])));
  if (atTarget && sc != A(0))
    v = v - sc;
  dInput[i] = store<T>(v);
}

template <typename T>
void reduceNll(const T *logp, Shape inShape, const int64_t *target,
               const T *weight, LossReduction reduction, IgnoreIndex ignore,
               T *loss) {
  nllReduceKernel<<<1, kReduceThreads, 0, stream()>>>(
      logp, layoutOf(inShape), target, weight, reduction, ignore, loss,
      statusWord());
  launched();
}

template <typename T>
void lossGrad(bool softmax, const T *logp, Shape inShape, const int64_t *target,
              const T *weight, const T *dloss, LossReduction reduction,
              IgnoreIndex ignore, T *dInput) {
  Layout l = layoutOf(inShape);
  double *total = static_cast<double *>(scratch(sizeof(double)));
  if (!total) {
    unsupported("loss gradient: no device memory for the total weight");
    return;
  }
  totalWeightKernel<<<1, kReduceThreads, 0, stream()>>>(
      l, target, weight, ignore, total, statusWord());
  launchOver(lossGradKernel<T>, inShape.numel(), softmax, logp, l, target,
             weight, dloss, reduction, ignore, total, dInput);
  releaseScratch(total);
}

} // namespace

template <typename T>
int softmaxCrossEntropyLoss(const T *input, Shape inShape,
                            const int64_t *target, const T *weight,
                            LossReduction reduction, IgnoreIndex ignore,
                            T *loss, T *logProb) {
  T *owned = nullptr;
  if (!logProb) {
    owned = static_cast<T *>(scratch(inShape.numel() * sizeof(T)));
    if (!owned)
      return unsupported("softmax_cross_entropy_loss: no device memory");
    logProb = owned;
  }
  cuda::logSoftmax(input, inShape, 1, logProb);
  reduceNll(logProb, inShape, target, weight, reduction, ignore, loss);
  releaseScratch(owned);
  return 0;
}

template <typename T>
int softmaxCrossEntropyLossGrad(const T *logProb, Shape inShape,
                                const int64_t *target, const T *weight,
                                const T *dloss, LossReduction reduction,
                                IgnoreIndex ignore, T *dInput) {
  lossGrad(true, logProb, inShape, target, weight, dloss, reduction, ignore,
           dInput);
  return 0;
}

template <typename T>
int nllLoss(const T *input, Shape inShape, const int64_t *target,
            const T *weight, LossReduction reduction, IgnoreIndex ignore,
            T *loss) {
  reduceNll(input, inShape, target, weight, reduction, ignore, loss);
  return 0;
}

template <typename T>
int nllLossGrad(const int64_t *target, const T *weight, const T *dloss,
                LossReduction reduction, IgnoreIndex ignore, T *dInput,
                Shape inShape) {
  lossGrad<T>(false, nullptr, inShape, target, weight, dloss, reduction, ignore,
              dInput);
  return 0;
}

#define DSC_LOSS(T)                                                            \
  template int softmaxCrossEntropyLoss<T>(const T *, Shape, const int64_t *,   \
                                          const T *, LossReduction,            \
                                          IgnoreIndex, T *, T *);              \
  template int softmaxCrossEntropyLossGrad<T>(                                 \
      const T *, Shape, const int64_t *, const T *, const T *, LossReduction,  \
      IgnoreIndex, T *);                                                       \
  template int nllLoss<T>(const T *, Shape, const int64_t *, const T *,        \
                          LossReduction, IgnoreIndex, T *);                    \
  template int nllLossGrad<T>(const int64_t *, const T *, const T *,           \
                              LossReduction, IgnoreIndex, T *, Shape);
DSC_LOSS(float)
DSC_LOSS(double)
DSC_LOSS(Half)
DSC_LOSS(BFloat16)
#undef DSC_LOSS

} // namespace dsc::kernels::cuda
