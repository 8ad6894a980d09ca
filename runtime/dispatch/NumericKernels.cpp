//===- NumericKernels.cpp - reductions, softmax, norms, GEMMs, losses -----===//
//
// The entry points of KernelDecls.def's Numeric kernels.
//
//===----------------------------------------------------------------------===//

#include "runtime/dispatch/DispatchInternal.h"

namespace dsc::runtime::detail {
namespace {

template <typename T, typename, typename A>
int runReduce(const Call &c, const A &a) {
  k::reduce(static_cast<ReduceOp>(c.op), c.in<T>(0), c.inShape(0), a.axes.data,
            static_cast<int>(a.axes.size), c.out<T>(0));
  return 0;
}

enum class SoftmaxKind { Forward, LogForward, Backward, LogBackward };

template <typename T, typename, typename A>
int runSoftmax(const Call &c, const A &a) {
  int axis = static_cast<int>(a.axis);
  switch (static_cast<SoftmaxKind>(c.op)) {
  case SoftmaxKind::Forward:
    k::softmax(c.in<T>(0), c.inShape(0), axis, c.out<T>(0));
    break;
  case SoftmaxKind::LogForward:
    k::logSoftmax(c.in<T>(0), c.inShape(0), axis, c.out<T>(0));
    break;
  case SoftmaxKind::Backward:
    k::softmaxGrad(c.in<T>(0), c.in<T>(1), c.inShape(0), axis, c.out<T>(0));
    break;
  case SoftmaxKind::LogBackward:
    k::logSoftmaxGrad(c.in<T>(0), c.in<T>(1), c.inShape(0), axis, c.out<T>(0));
    break;
  }
  return 0;
}

template <typename T, typename, typename A>
int runLayerNorm(const Call &c, const A &a) {
  k::layerNorm(c.in<T>(0), c.inShape(0), c.in<T>(1), c.inShape(1),
               c.optIn<T>(2), c.optInShape(2), static_cast<int>(a.axis),
               a.epsilon, c.out<T>(0), c.out<T>(1), c.out<T>(2));
  return 0;
}

template <typename T, typename, typename A>
int runLayerNormGrad(const Call &c, const A &a) {
  k::layerNormGrad(c.in<T>(0), c.inShape(0), c.in<T>(1), c.inShape(1),
                   c.in<T>(2), c.in<T>(3), c.in<T>(4), static_cast<int>(a.axis),
                   c.out<T>(0), c.out<T>(1), c.out<T>(2));
  return 0;
}

template <typename T, typename, typename A>
int runMatMul(const Call &c, const A &a) {
  k::matmul(c.in<T>(0), c.inShape(0), c.in<T>(1), c.inShape(1), c.out<T>(0),
            c.outShape(0), a.transpose_lhs, a.transpose_rhs);
  return 0;
}

enum class ConvKind { Forward, GradInput, GradFilter };

template <typename A> k::ConvParams convParams(const A &a) {
  k::ConvParams params;
  for (int i = 0; i < 2; ++i) {
    params.strides[i] = a.strides.data[i];
    params.dilations[i] = a.dilations.data[i];
  }
  for (int i = 0; i < 4; ++i)
    params.pads[i] = a.pads.data[i];
  params.group = a.group;
  return params;
}

template <typename T, typename, typename A>
int runConv(const Call &c, const A &a) {
  k::ConvParams params = convParams(a);
  switch (static_cast<ConvKind>(c.op)) {
  case ConvKind::Forward:
    k::conv2d(c.in<T>(0), c.inShape(0), c.in<T>(1), c.inShape(1), c.optIn<T>(2),
              c.out<T>(0), c.outShape(0), params);
    break;
  case ConvKind::GradInput:
    k::conv2dGradInput(c.in<T>(0), c.inShape(0), c.in<T>(1), c.inShape(1),
                       c.out<T>(0), c.outShape(0), params);
    break;
  case ConvKind::GradFilter:
    k::conv2dGradFilter(c.in<T>(0), c.inShape(0), c.in<T>(1), c.inShape(1),
                        c.out<T>(0), c.outShape(0), params);
    break;
  }
  return 0;
}

template <typename A> k::IgnoreIndex ignoreIndex(const A &a) {
  k::IgnoreIndex ignore;
  if (a.ignore_index) {
    ignore.enabled = true;
    ignore.value = *a.ignore_index;
  }
  return ignore;
}

template <typename T, typename, typename A>
int runSoftmaxCrossEntropyLoss(const Call &c, const A &a) {
  return k::softmaxCrossEntropyLoss(c.in<T>(0), c.inShape(0), c.in<int64_t>(1),
                                    c.optIn<T>(2), a.reduction, ignoreIndex(a),
                                    c.out<T>(0), c.out<T>(1));
}

template <typename T, typename, typename A>
int runSoftmaxCrossEntropyLossGrad(const Call &c, const A &a) {
  return k::softmaxCrossEntropyLossGrad(
      c.in<T>(0), c.inShape(0), c.in<int64_t>(1), c.optIn<T>(3), c.in<T>(2),
      a.reduction, ignoreIndex(a), c.out<T>(0));
}

template <typename T, typename, typename A>
int runNllLoss(const Call &c, const A &a) {
  return k::nllLoss(c.in<T>(0), c.inShape(0), c.in<int64_t>(1), c.optIn<T>(2),
                    a.reduction, ignoreIndex(a), c.out<T>(0));
}

template <typename T, typename, typename A>
int runNllLossGrad(const Call &c, const A &a) {
  return k::nllLossGrad(c.in<int64_t>(0), c.optIn<T>(2), c.in<T>(1),
                        a.reduction, ignoreIndex(a), c.out<T>(0),
                        c.outShape(0));
}

template <typename T, typename, typename A>
int runDropout(const Call &c, const A &a) {
  k::dropout(c.in<T>(0), c.inShape(0).numel(), a.ratio, a.seed, c.step,
             c.out<T>(0), c.out<uint8_t>(1));
  return 0;
}

} // namespace

#define DSC_KERNEL(Group, Id, name, Types, Ins, Outs, MinInputs, Run, Sel,     \
                   Check, AttrList)                                            \
  DSC_KERNELS_OF_##Group(Id, name, Types, Run, Sel)
#define DSC_KERNELS_OF_Elementwise(...)
#define DSC_KERNELS_OF_Numeric DSC_DEFINE_ENTRIES
#define DSC_KERNELS_OF_DataMovement(...)
#include "kernels/KernelDecls.def"

} // namespace dsc::runtime::detail
