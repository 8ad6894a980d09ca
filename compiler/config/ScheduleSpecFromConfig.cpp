//===- ScheduleSpecFromConfig.cpp - Runtime schedule specs from a config --===//

#include "compiler/config/ScheduleSpecFromConfig.h"

namespace dsc::config {

runtime::ScheduleSpec scheduleSpecFrom(const DsConfig &config) {
  runtime::ScheduleSpec spec;
  if (!config.scheduler)
    return spec;
  const SchedulerConfig &s = *config.scheduler;
  switch (s.type) {
  case SchedulerType::WarmupLR:
    spec.kind = runtime::ScheduleKind::WarmupLR;
    break;
  case SchedulerType::WarmupDecayLR:
    spec.kind = runtime::ScheduleKind::WarmupDecayLR;
    break;
  case SchedulerType::WarmupCosineLR:
    spec.kind = runtime::ScheduleKind::WarmupCosineLR;
    break;
  case SchedulerType::OneCycle:
    spec.kind = runtime::ScheduleKind::OneCycle;
    break;
  }
  spec.warmupMinLr = s.warmupMinLr.value;
  // DeepSpeed's defaults that depend on other values are resolved here, so
  // the object's constant is complete: warmup_max_lr is the optimizer's lr.
  spec.warmupMaxLr = s.warmupMaxLr.value;
  if (!spec.warmupMaxLr && config.optimizer)
    spec.warmupMaxLr = config.optimizer->lr.value;
  spec.warmupNumSteps = s.warmupNumSteps.value;
  spec.warmupType = s.warmupType == WarmupType::Linear
                        ? runtime::WarmupCurve::Linear
                        : runtime::WarmupCurve::Log;
  spec.totalNumSteps = s.totalNumSteps.value.value_or(0);
  spec.warmupMinRatio = s.warmupMinRatio;
  spec.cosMinRatio = s.cosMinRatio;
  spec.cycleMinLr = s.cycleMinLr.value_or(0.0);
  spec.cycleMaxLr = s.cycleMaxLr.value_or(0.0);
  spec.cycleFirstStepSize = s.cycleFirstStepSize;
  spec.cycleSecondStepSize =
      s.cycleSecondStepSize.value_or(s.cycleFirstStepSize);
  spec.decayStepSize = s.decayStepSize;
  spec.decayLrRate = s.decayLrRate;
  spec.cycleMomentum = s.cycleMomentum;
  spec.cycleMinMom = s.cycleMinMom;
  spec.cycleMaxMom = s.cycleMaxMom;
  spec.decayMomRate = s.decayMomRate;
  return spec;
}

runtime::LossScalerSpec lossScalerSpecFrom(const DsConfig &config) {
  runtime::LossScalerSpec spec;
  const FP16Config &fp16 = config.fp16;
  if (!fp16.enabled.value) {
    spec.staticScale = 1.0;
    return spec;
  }
  spec.staticScale = fp16.lossScale > 0.0 ? fp16.lossScale : 0.0;
  spec.initialScalePower = fp16.initialScalePower;
  spec.lossScaleWindow = fp16.lossScaleWindow;
  spec.hysteresis = fp16.hysteresis;
  spec.consecutiveHysteresis = fp16.consecutiveHysteresis;
  spec.minLossScale = fp16.minLossScale;
  return spec;
}

} // namespace dsc::config
