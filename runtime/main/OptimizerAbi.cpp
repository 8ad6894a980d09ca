//===- OptimizerAbi.cpp - the object's optimizer constant ---------------===//

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
  if (abi.loss_scaling) {
    LossScalerSpec s;
    s.staticScale = abi.static_loss_scale;
    s.initialScalePower = abi.initial_scale_power;
    s.lossScaleWindow = abi.loss_scale_window;
    s.hysteresis = abi.hysteresis;
    s.consecutiveHysteresis = abi.consecutive_hysteresis != 0;
    s.minLossScale = abi.min_loss_scale;
    o.lossScaling = s;
  }
  return o;
}

} // namespace dsc::runtime
