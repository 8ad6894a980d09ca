//===- LrSchedule.h - DeepSpeed learning-rate schedules --------*- C++ -*-===//
//
// DeepSpeed's four schedulers (WarmupLR, WarmupDecayLR, WarmupCosineLR,
// OneCycle) as pure functions of the number of scheduler steps taken. The
// runtime links this without LLVM, so the scheduler settings come in a plain
// ScheduleSpec; compiler/config/ScheduleSpecFromConfig.h builds one from the
// parsed ds_config.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_RUNTIME_SCHEDULE_LRSCHEDULE_H
#define DSC_RUNTIME_SCHEDULE_LRSCHEDULE_H

#include <cstdint>
#include <optional>

namespace dsc::runtime {

enum class ScheduleKind {
  /// No `scheduler` block: the optimizer lr throughout.
  Constant,
  WarmupLR,
  WarmupDecayLR,
  WarmupCosineLR,
  OneCycle,
};

enum class WarmupCurve { Log, Linear };

/// Every scheduler's parameters with DeepSpeed's defaults; only the ones of
/// `kind` are read.
struct ScheduleSpec {
  ScheduleKind kind = ScheduleKind::Constant;

  // WarmupLR, WarmupDecayLR.
  double warmupMinLr = 0.0;
  /// Absent: the optimizer lr.
  std::optional<double> warmupMaxLr;
  // WarmupLR, WarmupDecayLR, WarmupCosineLR. Values below 2 count as 2.
  int64_t warmupNumSteps = 1000;
  WarmupCurve warmupType = WarmupCurve::Log;
  // WarmupDecayLR, WarmupCosineLR (required there).
  int64_t totalNumSteps = 0;

  // WarmupCosineLR.
  double warmupMinRatio = 0.0;
  double cosMinRatio = 1e-4;

  // OneCycle.
  double cycleMinLr = 0.0;
  double cycleMaxLr = 0.0;
  int64_t cycleFirstStepSize = 2000;
  /// Absent: cycleFirstStepSize.
  std::optional<int64_t> cycleSecondStepSize;
  int64_t decayStepSize = 0;
  double decayLrRate = 0.0;
  bool cycleMomentum = true;
  double cycleMinMom = 0.8;
  double cycleMaxMom = 0.9;
  double decayMomRate = 0.0;
};

/// What the optimizer uses for one step.
struct LrState {
  double lr = 0.0;
  /// Set when the schedule drives Adam's beta1 (OneCycle, cycle_momentum);
  /// otherwise the optimizer's own beta1 stays. DeepSpeed turns momentum
  /// cycling off for optimizers without betas (SGD): ignore it there.
  std::optional<double> beta1;
  /// Set together with beta1: DeepSpeed's OneCycle writes betas =
  /// (momentum, 0.99) into the optimizer, so beta2 becomes 0.99.
  std::optional<double> beta2;
};

/// The lr (and momentum) for the optimizer step taken after `t` scheduler
/// steps (t = 0 for the first optimizer step; the scheduler does not step on
/// an fp16-overflow-skipped step). `optimizerLr` is the optimizer's
/// configured lr: the constant lr, WarmupLR's default max, and the base that
/// WarmupCosineLR's ratio multiplies. `optimizerBeta1` is unused by the
/// current schedules and kept for symmetry with the optimizer block. Negative
/// t counts as 0.
LrState lrAt(const ScheduleSpec &spec, double optimizerLr,
             double optimizerBeta1, int64_t t);

} // namespace dsc::runtime

#endif // DSC_RUNTIME_SCHEDULE_LRSCHEDULE_H
