//===- CudaOptimizer.h - The optimizer updates on a GPU ---------*- C++ -*-===//
//
// kernels/optimizer/Optimizer.h's functions on device buffers, with the same
// names, signatures and element arithmetic (OptimizerMath.h); float for the
// master weights, double for the tests. The functions that return a value
// (sums, the overflow check) synchronise the kernels' stream. Lamb's trust
// ratio and the clip coefficient are host arithmetic: use the CPU ones.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_KERNELS_CUDA_CUDAOPTIMIZER_H
#define DSC_KERNELS_CUDA_CUDAOPTIMIZER_H

#include "kernels/optimizer/Optimizer.h"

namespace dsc::kernels::cuda {

using cpu::AdamParams;
using cpu::LambNorms;
using cpu::LambParams;
using cpu::SgdParams;

#define DSC_CUDA_OPTIMIZER_DECLS(T)                                            \
  void adamStep(T *param, const T *grad, T *expAvg, T *expAvgSq, int64_t n,    \
                const AdamParams &p, int64_t step);                            \
  void sgdStep(T *param, const T *grad, T *momentumBuf, int64_t n,             \
               const SgdParams &p, int64_t step);                              \
  LambNorms lambComputeUpdate(const T *param, const T *grad, T *expAvg,        \
                              T *expAvgSq, T *update, int64_t n,               \
                              const LambParams &p, int64_t step);              \
  void lambApply(T *param, const T *update, int64_t n, double lr,              \
                 double ratio);                                                \
  double sumOfSquares(const T *x, int64_t n);                                  \
  void scale(T *x, int64_t n, T factor);                                       \
  bool hasInfOrNaN(const T *x, int64_t n);
DSC_CUDA_OPTIMIZER_DECLS(float)
DSC_CUDA_OPTIMIZER_DECLS(double)
#undef DSC_CUDA_OPTIMIZER_DECLS

} // namespace dsc::kernels::cuda

#endif // DSC_KERNELS_CUDA_CUDAOPTIMIZER_H
