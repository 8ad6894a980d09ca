//===- LrSchedule.cpp - DeepSpeed learning-rate schedules -----------------===//
//
// Formulas from deepspeed.md ("Scheduler") and deepspeed/runtime/
// lr_schedules.py. Where the two differ, deepspeed.md wins:
//  - WarmupCosineLR clamps the cosine progress to 1 (DeepSpeed's code lets the
//    cosine come back up past total_num_steps) and divides by
//    max(1, T - N).
//  - DeepSpeed's WarmupLR applies the formula for t - 1 at the t-th scheduler
//    step (it steps after the optimizer and initialises to the min lr); here
//    step t uses the formula at t, as deepspeed.md writes it.
//  - OneCycle's momentum at t = 0 is cycle_max_mom (opposite to the lr at its
//    minimum); DeepSpeed's constructor sets cycle_min_mom for the very first
//    step only.
//
//===----------------------------------------------------------------------===//

#include "runtime/schedule/LrSchedule.h"

#include <algorithm>
#include <cmath>

namespace dsc::runtime {
namespace {

constexpr double kPi = 3.14159265358979323846;

int64_t warmupSteps(const ScheduleSpec &spec) {
  return std::max<int64_t>(2, spec.warmupNumSteps);
}

/// WarmupLR's gamma while t < N: ln(t + 1) / ln(N) or t / N.
double warmupGamma(const ScheduleSpec &spec, int64_t t) {
  const int64_t n = warmupSteps(spec);
  if (spec.warmupType == WarmupCurve::Log)
    return (1.0 / std::log(static_cast<double>(n))) *
           std::log(static_cast<double>(t + 1));
  return static_cast<double>(t) / static_cast<double>(n);
}

double warmupLr(const ScheduleSpec &spec, double optimizerLr, int64_t t) {
  const double minLr = spec.warmupMinLr;
  const double maxLr = spec.warmupMaxLr.value_or(optimizerLr);
  const int64_t n = warmupSteps(spec);
  double gamma = 1.0;
  if (t < n) {
    gamma = warmupGamma(spec, t);
  } else if (spec.kind == ScheduleKind::WarmupDecayLR) {
    const double total = static_cast<double>(spec.totalNumSteps);
    gamma = std::max(0.0, (total - static_cast<double>(t)) /
                              std::max(1.0, total - static_cast<double>(n)));
  }
  return minLr + (maxLr - minLr) * gamma;
}

double warmupCosineRatio(const ScheduleSpec &spec, int64_t t) {
  const int64_t n = warmupSteps(spec);
  if (t < n) {
    const double gamma = warmupGamma(spec, t);
    return spec.warmupMinRatio + gamma * (1.0 - spec.warmupMinRatio);
  }
  const double progress = std::min(
      1.0, static_cast<double>(t - n + 1) /
               std::max(1.0, static_cast<double>(spec.totalNumSteps - n)));
  const double cosine = (1.0 + std::cos(kPi * progress)) / 2.0;
  return std::max(0.0, spec.cosMinRatio + (1.0 - spec.cosMinRatio) * cosine);
}

LrState oneCycle(const ScheduleSpec &spec, int64_t t) {
  const double first = static_cast<double>(spec.cycleFirstStepSize);
  const double second = static_cast<double>(
      spec.cycleSecondStepSize.value_or(spec.cycleFirstStepSize));
  const double totalSize = first + second;
  const double stepRatio = first / totalSize;
  const double tD = static_cast<double>(t);

  LrState state;
  if (tD <= totalSize) {
    // Triangular cycle: up over the first step size, down over the second.
    const double cycle = std::floor(1.0 + tD / totalSize);
    const double x = 1.0 + tD / totalSize - cycle;
    const double scaleFactor =
        x <= stepRatio ? x / stepRatio : (x - 1.0) / (stepRatio - 1.0);
    state.lr =
        spec.cycleMinLr + (spec.cycleMaxLr - spec.cycleMinLr) * scaleFactor;
    if (spec.cycleMomentum)
      state.beta1 = spec.cycleMaxMom -
                    (spec.cycleMaxMom - spec.cycleMinMom) * scaleFactor;
  } else {
    // Post-cycle decay, k steps after the cycle ended.
    const double k = tD - totalSize;
    const bool noDecayInterval = spec.decayStepSize == 0;
    const double interval =
        noDecayInterval ? 0.0 : k / static_cast<double>(spec.decayStepSize);
    state.lr = (noDecayInterval || spec.decayLrRate == 0.0)
                   ? spec.cycleMinLr
                   : spec.cycleMinLr / (1.0 + spec.decayLrRate * interval);
    if (spec.cycleMomentum)
      state.beta1 =
          (noDecayInterval || spec.decayMomRate == 0.0)
              ? spec.cycleMaxMom
              : spec.cycleMaxMom * (1.0 + spec.decayMomRate * interval);
  }
  if (state.beta1)
    state.beta2 = 0.99;
  return state;
}

} // namespace

LrState lrAt(const ScheduleSpec &spec, double optimizerLr,
             double optimizerBeta1, int64_t t) {
  (void)optimizerBeta1;
  t = std::max<int64_t>(0, t);
  LrState state;
  switch (spec.kind) {
  case ScheduleKind::Constant:
    state.lr = optimizerLr;
    break;
  case ScheduleKind::WarmupLR:
  case ScheduleKind::WarmupDecayLR:
    state.lr = warmupLr(spec, optimizerLr, t);
    break;
  case ScheduleKind::WarmupCosineLR:
    state.lr = optimizerLr * warmupCosineRatio(spec, t);
    break;
  case ScheduleKind::OneCycle:
    state = oneCycle(spec, t);
    break;
  }
  return state;
}

} // namespace dsc::runtime
