//===- ScheduleAbi.cpp - ScheduleSpec <-> the object's constant -----------===//

#include "runtime/schedule/ScheduleAbi.h"

namespace dsc::runtime {

dsrt_lr_schedule scheduleToAbi(const ScheduleSpec &spec) {
  dsrt_lr_schedule abi{};
  abi.kind = static_cast<int64_t>(spec.kind);
  abi.warmup_min_lr = spec.warmupMinLr;
  abi.has_warmup_max_lr = spec.warmupMaxLr.has_value();
  abi.warmup_max_lr = spec.warmupMaxLr.value_or(0.0);
  abi.warmup_num_steps = spec.warmupNumSteps;
  abi.warmup_type = spec.warmupType == WarmupCurve::Linear ? 1 : 0;
  abi.total_num_steps = spec.totalNumSteps;
  abi.warmup_min_ratio = spec.warmupMinRatio;
  abi.cos_min_ratio = spec.cosMinRatio;
  abi.cycle_min_lr = spec.cycleMinLr;
  abi.cycle_max_lr = spec.cycleMaxLr;
  abi.cycle_first_step_size = spec.cycleFirstStepSize;
  abi.has_cycle_second_step_size = spec.cycleSecondStepSize.has_value();
  abi.cycle_second_step_size = spec.cycleSecondStepSize.value_or(0);
  abi.decay_step_size = spec.decayStepSize;
  abi.decay_lr_rate = spec.decayLrRate;
  abi.cycle_momentum = spec.cycleMomentum;
  abi.cycle_min_mom = spec.cycleMinMom;
  abi.cycle_max_mom = spec.cycleMaxMom;
  abi.decay_mom_rate = spec.decayMomRate;
  return abi;
}

ScheduleSpec scheduleFromAbi(const dsrt_lr_schedule &abi) {
  ScheduleSpec spec;
  switch (abi.kind) {
  case static_cast<int64_t>(ScheduleKind::WarmupLR):
    spec.kind = ScheduleKind::WarmupLR;
    break;
  case static_cast<int64_t>(ScheduleKind::WarmupDecayLR):
    spec.kind = ScheduleKind::WarmupDecayLR;
    break;
  case static_cast<int64_t>(ScheduleKind::WarmupCosineLR):
    spec.kind = ScheduleKind::WarmupCosineLR;
    break;
  case static_cast<int64_t>(ScheduleKind::OneCycle):
    spec.kind = ScheduleKind::OneCycle;
    break;
  default:
    spec.kind = ScheduleKind::Constant;
    break;
  }
  spec.warmupMinLr = abi.warmup_min_lr;
  if (abi.has_warmup_max_lr)
    spec.warmupMaxLr = abi.warmup_max_lr;
  spec.warmupNumSteps = abi.warmup_num_steps;
  spec.warmupType =
      abi.warmup_type == 1 ? WarmupCurve::Linear : WarmupCurve::Log;
  spec.totalNumSteps = abi.total_num_steps;
  spec.warmupMinRatio = abi.warmup_min_ratio;
  spec.cosMinRatio = abi.cos_min_ratio;
  spec.cycleMinLr = abi.cycle_min_lr;
  spec.cycleMaxLr = abi.cycle_max_lr;
  spec.cycleFirstStepSize = abi.cycle_first_step_size;
  if (abi.has_cycle_second_step_size)
    spec.cycleSecondStepSize = abi.cycle_second_step_size;
  spec.decayStepSize = abi.decay_step_size;
  spec.decayLrRate = abi.decay_lr_rate;
  spec.cycleMomentum = abi.cycle_momentum != 0;
  spec.cycleMinMom = abi.cycle_min_mom;
  spec.cycleMaxMom = abi.cycle_max_mom;
  spec.decayMomRate = abi.decay_mom_rate;
  return spec;
}

} // namespace dsc::runtime
