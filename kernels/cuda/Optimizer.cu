//===- Optimizer.cu - The optimizer updates on a GPU ----------------------===//
//
// kernels/optimizer/Optimizer.h's updates on device buffers, each element
// through OptimizerMath.h, the arithmetic the CPU loops use. The sums
// (sums of squares, Lamb's norms) are deterministic: fixed per-block partial
// sums in double, added in block order by one block, so a run repeats bit
// for bit. They return to the host, so they synchronise the kernels'
// stream; the element updates do not.
//
//===----------------------------------------------------------------------===//

#include "kernels/cuda/CudaLaunch.cuh"
#include "kernels/cuda/CudaOptimizer.h"
#include "kernels/optimizer/OptimizerMath.h"

#include <algorithm>

namespace dsc::kernels::cuda {
namespace {

using namespace optimizer_math;

/// Partial sums: this many blocks, each striding over the elements.
constexpr int kPartialBlocks = 256;

template <typename T>
__global__ void adamKernel(int64_t n, AdamCoefficients<T> c, T *param,
                           const T *grad, T *expAvg, T *expAvgSq) {
  int64_t i = threadIndex();
  if (i < n)
    adamElement(c, param[i], grad[i], expAvg[i], expAvgSq[i]);
}

template <typename T>
__global__ void sgdKernel(int64_t n, SgdCoefficients<T> c, T *param,
                          const T *grad, T *momentumBuf) {
  int64_t i = threadIndex();
  if (i < n)
    sgdElement(c, param[i], grad[i], momentumBuf ? &momentumBuf[i] : nullptr);
}

/// Lamb's first half; the norms' partial sums per block (two per block).
template <typename T>
__global__ void lambKernel(int64_t n, LambCoefficients<T> c, const T *param,
                           const T *grad, T *expAvg, T *expAvgSq, T *update,
                           double *partials) {
  __shared__ double shared[32];
  double xx = 0, uu = 0;
  for (int64_t i = threadIndex(); i < n; i += int64_t(gridDim.x) * blockDim.x) {
    const T x = param[i];
    const T u = lambElement(c, x, grad[i], expAvg[i], expAvgSq[i]);
    update[i] = u;
    xx += static_cast<double>(x) * static_cast<double>(x);
    uu += static_cast<double>(u) * static_cast<double>(u);
  }
  xx = blockReduce(xx, SumOp(), shared);
  uu = blockReduce(uu, SumOp(), shared);
  if (threadIdx.x == 0) {
    partials[2 * blockIdx.x] = xx;
    partials[2 * blockIdx.x + 1] = uu;
  }
}

template <typename T>
__global__ void squaresKernel(int64_t n, const T *x, double *partials) {
  __shared__ double shared[32];
  double sum = 0;
  for (int64_t i = threadIndex(); i < n; i += int64_t(gridDim.x) * blockDim.x) {
    const double v = static_cast<double>(x[i]);
    sum += v * v;
  }
  sum = blockReduce(sum, SumOp(), shared);
  if (threadIdx.x == 0)
    partials[blockIdx.x] = sum;
}

/// Adds `count` interleaved sums of `blocks` partials each, in block order.
__global__ void addPartialsKernel(const double *partials, int blocks, int count,
                                  double *sums) {
  if (threadIdx.x >= count)
    return;
  double sum = 0;
  for (int b = 0; b < blocks; ++b)
    sum += partials[b * count + threadIdx.x];
  sums[threadIdx.x] = sum;
}

template <typename T>
__global__ void lambApplyKernel(int64_t n, T negStep, T *param,
                                const T *update) {
  int64_t i = threadIndex();
  if (i < n)
    param[i] = param[i] + negStep * update[i];
}

template <typename T> __global__ void scaleKernel(int64_t n, T factor, T *x) {
  int64_t i = threadIndex();
  if (i < n)
    x[i] = x[i] * factor;
}

template <typename T>
__global__ void nonFiniteKernel(int64_t n, const T *x, int *found) {
  int64_t i = threadIndex();
  if (i < n && !isfinite(x[i]))
    *found = 1;
}

unsigned partialBlocks(int64_t n) {
  return static_cast<unsigned>(
      std::max<int64_t>(1, std::min<int64_t>(kPartialBlocks, blocksFor(n))));
}

/// Runs `launch(partials)` (which writes `count` partial sums per block of
/// `blocks`), adds them and returns them to `out`; false when scratch
/// memory runs out.
template <typename Launch>
bool sums(unsigned blocks, int count, double *out, Launch launch) {
  double *partials =
      static_cast<double *>(scratch(sizeof(double) * (blocks * count + count)));
  if (!partials) {
    unsupported("optimizer: no device memory for partial sums");
    return false;
  }
  double *total = partials + blocks * count;
  launch(partials);
  addPartialsKernel<<<1, 32, 0, stream()>>>(partials, static_cast<int>(blocks),
                                            count, total);
  cudaMemcpyAsync(out, total, sizeof(double) * count, cudaMemcpyDeviceToHost,
                  stream());
  releaseScratch(partials);
  cudaStreamSynchronize(stream());
  return launched() == 0;
}

template <typename T>
void adamStepImpl(T *param, const T *grad, T *expAvg, T *expAvgSq, int64_t n,
                  const AdamParams &p, int64_t step) {
  launchOver(adamKernel<T>, n, adamCoefficients<T>(p, step), param, grad,
             expAvg, expAvgSq);
}

template <typename T>
void sgdStepImpl(T *param, const T *grad, T *momentumBuf, int64_t n,
                 const SgdParams &p, int64_t step) {
  launchOver(sgdKernel<T>, n, sgdCoefficients<T>(p, step), param, grad,
             momentumBuf);
}

template <typename T>
LambNorms lambComputeUpdateImpl(const T *param, const T *grad, T *expAvg,
                                T *expAvgSq, T *update, int64_t n,
                                const LambParams &p, int64_t step) {
  double out[2] = {0, 0};
  const unsigned blocks = partialBlocks(n);
  sums(blocks, 2, out, [&](double *partials) {
    lambKernel<<<blocks, kThreads, 0, stream()>>>(
        n, lambCoefficients<T>(p, step), param, grad, expAvg, expAvgSq, update,
        partials);
  });
  LambNorms norms;
  norms.paramNormSq = out[0];
  norms.updateNormSq = out[1];
  return norms;
}

template <typename T> double sumOfSquaresImpl(const T *x, int64_t n) {
  double out = 0;
  const unsigned blocks = partialBlocks(n);
  sums(blocks, 1, &out, [&](double *partials) {
    squaresKernel<<<blocks, kThreads, 0, stream()>>>(n, x, partials);
  });
  return out;
}

template <typename T> bool hasInfOrNaNImpl(const T *x, int64_t n) {
  int *found = static_cast<int *>(scratch(sizeof(int)));
  if (!found) {
    unsupported("optimizer: no device memory for the overflow check");
    return true;
  }
  int result = 0;
  cudaMemsetAsync(found, 0, sizeof(int), stream());
  launchOver(nonFiniteKernel<T>, n, x, found);
  cudaMemcpyAsync(&result, found, sizeof(int), cudaMemcpyDeviceToHost,
                  stream());
  releaseScratch(found);
  cudaStreamSynchronize(stream());
  return result != 0;
}

} // namespace

#define DSC_CUDA_OPTIMIZER(T)                                                  \
  void adamStep(T *param, const T *grad, T *expAvg, T *expAvgSq, int64_t n,    \
                const AdamParams &p, int64_t step) {                           \
    adamStepImpl(param, grad, expAvg, expAvgSq, n, p, step);                   \
  }                                                                            \
  void sgdStep(T *param, const T *grad, T *momentumBuf, int64_t n,             \
               const SgdParams &p, int64_t step) {                             \
    sgdStepImpl(param, grad, momentumBuf, n, p, step);                         \
  }                                                                            \
  LambNorms lambComputeUpdate(const T *param, const T *grad, T *expAvg,        \
                              T *expAvgSq, T *update, int64_t n,               \
                              const LambParams &p, int64_t step) {             \
    return lambComputeUpdateImpl(param, grad, expAvg, expAvgSq, update, n, p,  \
                                 step);                                        \
  }                                                                            \
  void lambApply(T *param, const T *update, int64_t n, double lr,              \
                 double ratio) {                                               \
    launchOver(lambApplyKernel<T>, n, static_cast<T>(-(lr * ratio)), param,    \
               update);                                                        \
  }                                                                            \
  double sumOfSquares(const T *x, int64_t n) {                                 \
    return sumOfSquaresImpl(x, n);                                             \
  }                                                                            \
  void scale(T *x, int64_t n, T factor) {                                      \
    launchOver(scaleKernel<T>, n, factor, x);                                  \
  }                                                                            \
  bool hasInfOrNaN(const T *x, int64_t n) { return hasInfOrNaNImpl(x, n); }
DSC_CUDA_OPTIMIZER(float)
DSC_CUDA_OPTIMIZER(double)
#undef DSC_CUDA_OPTIMIZER

} // namespace dsc::kernels::cuda
