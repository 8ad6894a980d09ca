//===- OptimizerAbi.cpp - PlanOptimizer <-> the object's constant ---------===//

#include "runtime/main/OptimizerAbi.h"

namespace dsc::runtime {

namespace {
// dsrt.h's numbering of dsrt_optimizer::kind.
constexpr OptimizerKind kKinds[] = {OptimizerKind::Adam, OptimizerKind::AdamW,
                                    OptimizerKind::Sgd, OptimizerKind::Lamb};
} // namespace

Expected<PlanOptimizer> optimizerFromAbi(const dsrt_optimizer &abi) {
  if (abi.kind < 0 || abi.kind >= static_cast<int64_t>(std::size(kKinds)))
    return Status::error("the rank program's optimizer kind " +
                         std::to_string(abi.kind) +
                         " is unknown (0 Adam, 1 AdamW, 2 SGD, 3 Lamb)");
  PlanOptimizer o;
  o.kind = kKinds[abi.kind];
  o.lr = abi.lr;
  o.beta1 = abi.beta1;
  o.beta2 = abi.beta2;
  o.eps = abi.eps;
  o.weightDecay = abi.weight_decay;
  o.adamWMode = abi.adam_w_mode != 0;
  o.biasCorrection = abi.bias_correction != 0;
  o.momentum = abi.momentum;
  o.nesterov = abi.nesterov != 0;
  o.dampening = abi.dampening;
  o.maxCoeff = abi.max_coeff;
  o.minCoeff = abi.min_coeff;
  return o;
}

dsrt_optimizer optimizerToAbi(const PlanOptimizer &o, double gradientClipping) {
  dsrt_optimizer abi{};
  for (size_t i = 0; i < std::size(kKinds); ++i)
    if (kKinds[i] == o.kind)
      abi.kind = static_cast<int64_t>(i);
  abi.lr = o.lr;
  abi.beta1 = o.beta1;
  abi.beta2 = o.beta2;
  abi.eps = o.eps;
  abi.weight_decay = o.weightDecay;
  abi.adam_w_mode = o.adamWMode;
  abi.bias_correction = o.biasCorrection;
  abi.momentum = o.momentum;
  abi.nesterov = o.nesterov;
  abi.dampening = o.dampening;
  abi.max_coeff = o.maxCoeff;
  abi.min_coeff = o.minCoeff;
  abi.gradient_clipping = gradientClipping;
  return abi;
}

} // namespace dsc::runtime
