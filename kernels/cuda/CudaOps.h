//===- CudaOps.h - The CUDA kernel library ----------------------*- C++ -*-===//
//
// The GPU twins of kernels/cpu/CpuKernels.h's functions, with the same
// names, signatures and semantics, on device pointers (the shapes and
// attributes stay host memory). runtime/dispatch's Run adapters call either
// library: the entry points of both backends come from one adapter each.
// Float kernels take float, double, Half and BFloat16 (computing 16-bit in
// float); each launches on the kernels' stream and returns without waiting.
// A kernel that returns int returns 0 and records a data error on the
// device (CudaKernels.h: takeDeviceKernelStatus).
//
//===----------------------------------------------------------------------===//

#ifndef DSC_KERNELS_CUDA_CUDAOPS_H
#define DSC_KERNELS_CUDA_CUDAOPS_H

#include "kernels/cpu/CpuKernels.h"

namespace dsc::kernels::cuda {

using cpu::BFloat16;
using cpu::ConvParams;
using cpu::Half;
using cpu::IgnoreIndex;
using cpu::LossReduction;
using cpu::PadMode;
using cpu::ReduceOp;
using cpu::ScatterReduction;
using cpu::Shape;

// Reductions (Reduction.cu); T also int64_t.
template <typename T>
void reduce(ReduceOp op, const T *in, Shape inShape, const int64_t *axes,
            int numAxes, T *out);

// Softmax (Softmax.cu).
template <typename T> void softmax(const T *x, Shape shape, int axis, T *y);
template <typename T> void logSoftmax(const T *x, Shape shape, int axis, T *y);
template <typename T>
void softmaxGrad(const T *y, const T *dy, Shape shape, int axis, T *dx);
template <typename T>
void logSoftmaxGrad(const T *y, const T *dy, Shape shape, int axis, T *dx);

// Layer normalisation (LayerNorm.cu).
template <typename T>
void layerNorm(const T *x, Shape xShape, const T *scale, Shape scaleShape,
               const T *bias, Shape biasShape, int axis, double epsilon, T *y,
               T *mean, T *invStdDev);
template <typename T>
void layerNormGrad(const T *x, Shape xShape, const T *scale, Shape scaleShape,
                   const T *mean, const T *invStdDev, const T *dy, int axis,
                   T *dx, T *dscale, T *dbias);

// Contractions (MatMul.cu on cuBLASLt, Conv.cu).
template <typename T>
void matmul(const T *lhs, Shape lhsShape, const T *rhs, Shape rhsShape, T *out,
            Shape outShape, bool transposeLhs = false,
            bool transposeRhs = false);
template <typename T>
void conv2d(const T *x, Shape xShape, const T *w, Shape wShape, const T *bias,
            T *y, Shape yShape, const ConvParams &params);
template <typename T>
void conv2dGradInput(const T *dy, Shape dyShape, const T *w, Shape wShape,
                     T *dx, Shape xShape, const ConvParams &params);
template <typename T>
void conv2dGradFilter(const T *x, Shape xShape, const T *dy, Shape dyShape,
                      T *dw, Shape wShape, const ConvParams &params);

// Losses (Loss.cu).
template <typename T>
int softmaxCrossEntropyLoss(const T *input, Shape inShape,
                            const int64_t *target, const T *weight,
                            LossReduction reduction, IgnoreIndex ignore,
                            T *loss, T *logProb);
template <typename T>
int softmaxCrossEntropyLossGrad(const T *logProb, Shape inShape,
                                const int64_t *target, const T *weight,
                                const T *dloss, LossReduction reduction,
                                IgnoreIndex ignore, T *dInput);
template <typename T>
int nllLoss(const T *input, Shape inShape, const int64_t *target,
            const T *weight, LossReduction reduction, IgnoreIndex ignore,
            T *loss);
template <typename T>
int nllLossGrad(const int64_t *target, const T *weight, const T *dloss,
                LossReduction reduction, IgnoreIndex ignore, T *dInput,
                Shape inShape);

// Dropout (Dropout.cu): the CPU kernel's decisions (CounterRng.h).
template <typename T>
void dropout(const T *in, int64_t numel, double ratio, int64_t seed,
             int64_t step, T *out, uint8_t *mask, int64_t elementOffset = 0);

// Data movement (DataMovement.cu); T: float, double, int64_t, uint8_t, Half,
// BFloat16 (the gradients: the float types).
template <typename T>
void transpose(const T *in, Shape inShape, const int64_t *perm, T *out);
template <typename T>
void slice(const T *in, Shape inShape, const int64_t *starts,
           const int64_t *ends, const int64_t *steps, T *out);
template <typename T>
void sliceGrad(const T *dy, const int64_t *starts, const int64_t *ends,
               const int64_t *steps, T *dIn, Shape inShape);
template <typename T>
void concat(const T *const *inputs, const Shape *inShapes, int numInputs,
            int axis, T *out);
template <typename T>
void expand(const T *in, Shape inShape, T *out, Shape outShape);
template <typename T>
int gather(const T *in, Shape inShape, const int64_t *indices,
           Shape indicesShape, int axis, T *out);
template <typename T>
int gatherGrad(const int64_t *indices, Shape indicesShape, const T *dy,
               int axis, T *dIn, Shape inShape);
template <typename T>
int gatherElements(const T *in, Shape inShape, const int64_t *indices,
                   Shape indicesShape, int axis, T *out);
template <typename T>
int gatherElementsGrad(const int64_t *indices, Shape indicesShape, const T *dy,
                       int axis, T *dIn, Shape inShape);
template <typename T>
int scatterND(const T *in, Shape inShape, const int64_t *indices,
              Shape indicesShape, const T *updates, ScatterReduction reduction,
              T *out);
template <typename T>
void pad(const T *in, Shape inShape, const int64_t *pads, PadMode mode,
         double value, T *out);
template <typename T>
void padGrad(const T *dy, const int64_t *pads, PadMode mode, T *dIn,
             Shape inShape);
/// k is a one-element device tensor (null: 0).
template <typename T>
void triluByTensor(const T *in, Shape shape, const int64_t *k, bool upper,
                   T *out);

} // namespace dsc::kernels::cuda

#endif // DSC_KERNELS_CUDA_CUDAOPS_H
