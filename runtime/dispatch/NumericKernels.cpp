//===- NumericKernels.cpp - reductions, softmax, norms, GEMMs, losses -----===//

#include "runtime/dispatch/DispatchInternal.h"

namespace dsc::runtime::detail {
namespace {

int rankOf(const dsrt_kernel_desc &desc, int buffer) {
  return desc.buffers[buffer].rank;
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

void prepareReduce(Prepared &p, AttrReader &attrs,
                   const dsrt_kernel_desc &desc) {
  p.axes = attrs.i64s("axes");
  attrs.boolean("keepdims"); // required, but only the result's shape
  int rank = rankOf(desc, 0);
  for (size_t i = 0; i < p.axes.size() && attrs.ok(); ++i)
    if (p.axes[i] < 0 || p.axes[i] >= rank ||
        (i > 0 && p.axes[i] <= p.axes[i - 1]))
      attrs.fail("attribute 'axes' is not sorted, unique and in [0, " +
                 std::to_string(rank) + ")");
}

template <typename T> int runReduce(const Call &c) {
  k::reduce(static_cast<k::ReduceOp>(c.p.op), c.in<T>(0), c.inShape(0),
            c.p.axes.data(), static_cast<int>(c.p.axes.size()), c.out<T>(0));
  return 0;
}

//===----------------------------------------------------------------------===//
// Softmax and layer norm
//===----------------------------------------------------------------------===//

void prepareAxis(Prepared &p, AttrReader &attrs, const dsrt_kernel_desc &desc) {
  p.axis = attrs.axis("axis", rankOf(desc, 0));
}

enum SoftmaxKind { Softmax, LogSoftmax, SoftmaxGrad, LogSoftmaxGrad };

template <typename T> int runSoftmax(const Call &c) {
  int axis = static_cast<int>(c.p.axis);
  switch (c.p.op) {
  case Softmax:
    k::softmax(c.in<T>(0), c.inShape(0), axis, c.out<T>(0));
    break;
  case LogSoftmax:
    k::logSoftmax(c.in<T>(0), c.inShape(0), axis, c.out<T>(0));
    break;
  case SoftmaxGrad:
    k::softmaxGrad(c.in<T>(0), c.in<T>(1), c.inShape(0), axis, c.out<T>(0));
    break;
  case LogSoftmaxGrad:
    k::logSoftmaxGrad(c.in<T>(0), c.in<T>(1), c.inShape(0), axis, c.out<T>(0));
    break;
  }
  return 0;
}

void prepareLayerNorm(Prepared &p, AttrReader &attrs,
                      const dsrt_kernel_desc &desc) {
  p.axis = attrs.axis("axis", rankOf(desc, 0));
  p.epsilon = attrs.f64("epsilon");
}

template <typename T> int runLayerNorm(const Call &c) {
  k::layerNorm(c.in<T>(0), c.inShape(0), c.in<T>(1), c.inShape(1),
               c.optIn<T>(2), c.optInShape(2), static_cast<int>(c.p.axis),
               c.p.epsilon, c.out<T>(0), c.out<T>(1), c.out<T>(2));
  return 0;
}

template <typename T> int runLayerNormGrad(const Call &c) {
  k::layerNormGrad(c.in<T>(0), c.inShape(0), c.in<T>(1), c.inShape(1),
                   c.in<T>(2), c.in<T>(3), c.in<T>(4),
                   static_cast<int>(c.p.axis), c.out<T>(0), c.out<T>(1),
                   c.out<T>(2));
  return 0;
}

//===----------------------------------------------------------------------===//
// Contractions
//===----------------------------------------------------------------------===//

template <typename T> int runMatMul(const Call &c) {
  k::matmul(c.in<T>(0), c.inShape(0), c.in<T>(1), c.inShape(1), c.out<T>(0),
            c.outShape(0), c.p.transposeLhs, c.p.transposeRhs);
  return 0;
}

/// Optional flags; absent means false (the attributes' default).
void prepareMatMul(Prepared &p, AttrReader &attrs, const dsrt_kernel_desc &) {
  p.transposeLhs = attrs.has("transpose_lhs") && attrs.boolean("transpose_lhs");
  p.transposeRhs = attrs.has("transpose_rhs") && attrs.boolean("transpose_rhs");
}

void prepareConv(Prepared &p, AttrReader &attrs, const dsrt_kernel_desc &desc) {
  std::vector<int64_t> strides = attrs.i64s("strides", 2);
  std::vector<int64_t> pads = attrs.i64s("pads", 4);
  std::vector<int64_t> dilations = attrs.i64s("dilations", 2);
  p.conv.group = attrs.i64("group");
  if (!attrs.ok())
    return;
  for (int i = 0; i < 2; ++i) {
    p.conv.strides[i] = strides[i];
    p.conv.dilations[i] = dilations[i];
  }
  for (int i = 0; i < 4; ++i)
    p.conv.pads[i] = pads[i];
  if (p.conv.group < 1)
    attrs.fail("attribute 'group' is " + std::to_string(p.conv.group));
  for (int i = 0; i < desc.num_inputs + desc.num_outputs; ++i)
    if (rankOf(desc, i) != 4 && !(i == 2 && desc.num_inputs == 3))
      attrs.fail("buffer " + std::to_string(i) + " is not 4-D");
}

enum ConvKind { Conv, ConvGradInput, ConvGradFilter };

template <typename T> int runConv(const Call &c) {
  switch (c.p.op) {
  case Conv:
    k::conv2d(c.in<T>(0), c.inShape(0), c.in<T>(1), c.inShape(1), c.optIn<T>(2),
              c.out<T>(0), c.outShape(0), c.p.conv);
    break;
  case ConvGradInput:
    k::conv2dGradInput(c.in<T>(0), c.inShape(0), c.in<T>(1), c.inShape(1),
                       c.out<T>(0), c.outShape(0), c.p.conv);
    break;
  case ConvGradFilter:
    k::conv2dGradFilter(c.in<T>(0), c.inShape(0), c.in<T>(1), c.inShape(1),
                        c.out<T>(0), c.outShape(0), c.p.conv);
    break;
  }
  return 0;
}

//===----------------------------------------------------------------------===//
// Losses and dropout
//===----------------------------------------------------------------------===//

void prepareLoss(Prepared &p, AttrReader &attrs, const dsrt_kernel_desc &) {
  std::string reduction = attrs.str("reduction", "mean");
  if (std::optional<k::LossReduction> r = k::parseLossReduction(reduction))
    p.reduction = *r;
  else
    attrs.fail("attribute 'reduction' is '" + reduction + "', expected " +
               k::kLossReductionNames);
  if (std::optional<int64_t> ignore = attrs.optI64("ignore_index")) {
    p.ignore.enabled = true;
    p.ignore.value = *ignore;
  }
}

template <typename T> int runSoftmaxCrossEntropyLoss(const Call &c) {
  return k::softmaxCrossEntropyLoss(c.in<T>(0), c.inShape(0), c.in<int64_t>(1),
                                    c.optIn<T>(2), c.p.reduction, c.p.ignore,
                                    c.out<T>(0), c.out<T>(1));
}

template <typename T> int runSoftmaxCrossEntropyLossGrad(const Call &c) {
  return k::softmaxCrossEntropyLossGrad(
      c.in<T>(0), c.inShape(0), c.in<int64_t>(1), c.optIn<T>(3), c.in<T>(2),
      c.p.reduction, c.p.ignore, c.out<T>(0));
}

template <typename T> int runNllLoss(const Call &c) {
  return k::nllLoss(c.in<T>(0), c.inShape(0), c.in<int64_t>(1), c.optIn<T>(2),
                    c.p.reduction, c.p.ignore, c.out<T>(0));
}

template <typename T> int runNllLossGrad(const Call &c) {
  return k::nllLossGrad(c.in<int64_t>(0), c.optIn<T>(2), c.in<T>(1),
                        c.p.reduction, c.p.ignore, c.out<T>(0), c.outShape(0));
}

void prepareDropout(Prepared &p, AttrReader &attrs, const dsrt_kernel_desc &) {
  p.ratio = attrs.f64("ratio");
  p.seed = attrs.i64("seed");
  if (attrs.ok() && !(p.ratio >= 0 && p.ratio <= 1))
    attrs.fail("attribute 'ratio' = " + std::to_string(p.ratio) +
               " outside [0, 1]");
}

template <typename T> int runDropout(const Call &c) {
  k::dropout(c.in<T>(0), c.inShape(0).numel(), c.p.ratio, c.p.seed, c.step,
             c.out<T>(0), c.out<uint8_t>(1));
  return 0;
}

} // namespace

void registerNumericKernels(Registry &r) {
  static const std::pair<const char *, k::ReduceOp> reductions[] = {
      {"reduce_sum", k::ReduceOp::Sum},
      {"reduce_mean", k::ReduceOp::Mean},
      {"reduce_max", k::ReduceOp::Max}};
  forEachType(NumberTypes(), [&](auto *tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    for (auto [name, op] : reductions)
      add<T>(r, name,
             {runReduce<T>, prepareReduce, "T", "T", 1, 0, 0, int(op)});
  });
  forEachType(FloatTypes(), [&](auto *tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    add<T>(r, "softmax",
           {runSoftmax<T>, prepareAxis, "T", "T", 1, 0, 0, Softmax});
    add<T>(r, "log_softmax",
           {runSoftmax<T>, prepareAxis, "T", "T", 1, 0, 0, LogSoftmax});
    add<T>(r, "softmax_grad",
           {runSoftmax<T>, prepareAxis, "TT", "T", 2, 0, 0, SoftmaxGrad});
    add<T>(r, "log_softmax_grad",
           {runSoftmax<T>, prepareAxis, "TT", "T", 2, 0, 0, LogSoftmaxGrad});
    add<T>(r, "layer_norm",
           {runLayerNorm<T>, prepareLayerNorm, "TTT", "TTT", 2});
    add<T>(r, "layer_norm_grad",
           {runLayerNormGrad<T>, prepareAxis, "TTTTT", "TTT", 5});
    add<T>(r, "matmul", {runMatMul<T>, prepareMatMul, "TT", "T", 2});
    add<T>(r, "conv", {runConv<T>, prepareConv, "TTT", "T", 2, 0, 0, Conv});
    add<T>(r, "conv_grad_input",
           {runConv<T>, prepareConv, "TT", "T", 2, 0, 0, ConvGradInput});
    add<T>(r, "conv_grad_filter",
           {runConv<T>, prepareConv, "TT", "T", 2, 0, 0, ConvGradFilter});
    add<T>(r, "softmax_cross_entropy_loss",
           {runSoftmaxCrossEntropyLoss<T>, prepareLoss, "TIT", "TT", 2});
    add<T>(r, "softmax_cross_entropy_loss_grad",
           {runSoftmaxCrossEntropyLossGrad<T>, prepareLoss, "TITT", "T", 3});
    add<T>(r, "nll_loss", {runNllLoss<T>, prepareLoss, "TIT", "T", 2});
    add<T>(r, "nll_loss_grad", {runNllLossGrad<T>, prepareLoss, "ITT", "T", 2});
    add<T>(r, "dropout", {runDropout<T>, prepareDropout, "T", "TB", 1});
  });
}

} // namespace dsc::runtime::detail
