//===- LrScheduleTest.cpp - DeepSpeed learning-rate schedules -------------===//
//
// Expected values are worked out by hand from deepspeed.md's formulas (the
// working is in the comments; ln 2 / ln 10 = 0.30102999566398114).
//
//===----------------------------------------------------------------------===//

#include "runtime/schedule/LrSchedule.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace dsc::runtime;

namespace {

constexpr double kTol = 1e-12;

double lrOf(const ScheduleSpec &spec, int64_t t, double optimizerLr = 0.1) {
  return lrAt(spec, optimizerLr, 0.9, t).lr;
}

TEST(LrSchedule, NoSchedulerIsConstant) {
  ScheduleSpec spec;
  for (int64_t t : {0, 1, 1000, 1000000}) {
    LrState state = lrAt(spec, 3e-4, 0.9, t);
    EXPECT_EQ(state.lr, 3e-4);
    EXPECT_FALSE(state.beta1.has_value());
    EXPECT_FALSE(state.beta2.has_value());
  }
}

ScheduleSpec warmupLr(WarmupCurve curve, double minLr, double maxLr,
                      int64_t n) {
  ScheduleSpec spec;
  spec.kind = ScheduleKind::WarmupLR;
  spec.warmupType = curve;
  spec.warmupMinLr = minLr;
  spec.warmupMaxLr = maxLr;
  spec.warmupNumSteps = n;
  return spec;
}

TEST(LrSchedule, WarmupLrLog) {
  // lr = 0 + 0.1 * ln(t + 1) / ln(10) while t < 10, then 0.1.
  ScheduleSpec spec = warmupLr(WarmupCurve::Log, 0.0, 0.1, 10);
  EXPECT_NEAR(lrOf(spec, 0), 0.0, kTol);                  // ln 1 = 0
  EXPECT_NEAR(lrOf(spec, 1), 0.030102999566398114, kTol); // ln 2 / ln 10
  EXPECT_NEAR(lrOf(spec, 4), 0.069897000433601880, kTol); // ln 5 / ln 10
  EXPECT_NEAR(lrOf(spec, 9), 0.1, kTol);                  // ln 10 / ln 10
  EXPECT_NEAR(lrOf(spec, 10), 0.1, kTol);                 // warmup over
  EXPECT_NEAR(lrOf(spec, 100000), 0.1, kTol);
}

TEST(LrSchedule, WarmupLrLinear) {
  // lr = 0.01 + 0.1 * t / 10 while t < 10, then 0.11.
  ScheduleSpec spec = warmupLr(WarmupCurve::Linear, 0.01, 0.11, 10);
  EXPECT_NEAR(lrOf(spec, 0), 0.01, kTol);
  EXPECT_NEAR(lrOf(spec, 5), 0.06, kTol);
  EXPECT_NEAR(lrOf(spec, 9), 0.10, kTol);
  EXPECT_NEAR(lrOf(spec, 10), 0.11, kTol);
  EXPECT_NEAR(lrOf(spec, 11), 0.11, kTol);
}

TEST(LrSchedule, WarmupLrMaxDefaultsToOptimizerLr) {
  ScheduleSpec spec = warmupLr(WarmupCurve::Linear, 0.0, 0.0, 4);
  spec.warmupMaxLr.reset();
  EXPECT_NEAR(lrOf(spec, 2, 0.002), 0.001, kTol); // 0.002 * 2 / 4
  EXPECT_NEAR(lrOf(spec, 4, 0.002), 0.002, kTol);
}

TEST(LrSchedule, WarmupStepsBelowTwoCountAsTwo) {
  // N = 1 -> 2: linear t = 1 gives half; log t = 1 gives ln 2 / ln 2 = 1.
  ScheduleSpec linear = warmupLr(WarmupCurve::Linear, 0.0, 1.0, 1);
  EXPECT_NEAR(lrOf(linear, 0), 0.0, kTol);
  EXPECT_NEAR(lrOf(linear, 1), 0.5, kTol);
  EXPECT_NEAR(lrOf(linear, 2), 1.0, kTol);
  ScheduleSpec log = warmupLr(WarmupCurve::Log, 0.0, 1.0, 0);
  EXPECT_NEAR(lrOf(log, 1), 1.0, kTol);
  EXPECT_TRUE(std::isfinite(lrOf(log, 0)));
}

TEST(LrSchedule, NegativeStepCountsAsZero) {
  ScheduleSpec spec = warmupLr(WarmupCurve::Linear, 0.01, 0.11, 10);
  EXPECT_NEAR(lrOf(spec, -5), 0.01, kTol);
}

ScheduleSpec warmupDecay(double minLr, double maxLr, int64_t n, int64_t total) {
  ScheduleSpec spec = warmupLr(WarmupCurve::Linear, minLr, maxLr, n);
  spec.kind = ScheduleKind::WarmupDecayLR;
  spec.totalNumSteps = total;
  return spec;
}

TEST(LrSchedule, WarmupDecayLr) {
  // N = 10, T = 110: warmup t / 10, then g = (110 - t) / 100.
  ScheduleSpec spec = warmupDecay(0.0, 0.1, 10, 110);
  EXPECT_NEAR(lrOf(spec, 0), 0.0, kTol);
  EXPECT_NEAR(lrOf(spec, 5), 0.05, kTol);
  EXPECT_NEAR(lrOf(spec, 9), 0.09, kTol);
  EXPECT_NEAR(lrOf(spec, 10), 0.1, kTol);  // 100 / 100
  EXPECT_NEAR(lrOf(spec, 60), 0.05, kTol); // 50 / 100
  EXPECT_NEAR(lrOf(spec, 109), 0.001, kTol);
  EXPECT_NEAR(lrOf(spec, 110), 0.0, kTol);
  EXPECT_NEAR(lrOf(spec, 200), 0.0, kTol); // max(0, -90 / 100)
}

TEST(LrSchedule, WarmupDecayLrWithMinLr) {
  // 0.01 + 0.1 * (110 - 60) / 100.
  EXPECT_NEAR(lrOf(warmupDecay(0.01, 0.11, 10, 110), 60), 0.06, kTol);
}

TEST(LrSchedule, WarmupDecayLrTotalBelowWarmup) {
  // T = 5 < N = 10: after warmup g = max(0, (5 - t) / max(1, -5)) = 0.
  ScheduleSpec spec = warmupDecay(0.0, 0.1, 10, 5);
  EXPECT_NEAR(lrOf(spec, 9), 0.09, kTol);
  EXPECT_NEAR(lrOf(spec, 10), 0.0, kTol);
}

ScheduleSpec warmupCosine(WarmupCurve curve) {
  ScheduleSpec spec;
  spec.kind = ScheduleKind::WarmupCosineLR;
  spec.warmupType = curve;
  spec.warmupNumSteps = 10;
  spec.totalNumSteps = 110;
  spec.warmupMinRatio = 0.1;
  spec.cosMinRatio = 0.01;
  return spec;
}

TEST(LrSchedule, WarmupCosineLr) {
  // Optimizer lr 0.1 times the ratio. Warmup (linear): r = 0.1 + 0.9 t / 10.
  // After: p = min(1, (t - 9) / 100), r = 0.01 + 0.99 (1 + cos(pi p)) / 2.
  ScheduleSpec spec = warmupCosine(WarmupCurve::Linear);
  EXPECT_NEAR(lrOf(spec, 0), 0.01, kTol);
  EXPECT_NEAR(lrOf(spec, 5), 0.055, kTol);
  EXPECT_NEAR(lrOf(spec, 9), 0.091, kTol);
  // p = 0.01: cos(0.01 pi) = 0.99950656036573160, r = 0.99975574738...
  EXPECT_NEAR(lrOf(spec, 10), 0.1 * (0.01 + 0.99 * 0.99975328018286580), kTol);
  EXPECT_NEAR(lrOf(spec, 59), 0.0505, kTol); // p = 0.5, cos = 0
  EXPECT_NEAR(lrOf(spec, 109), 0.001, kTol); // p = 1: r = cos_min_ratio
  EXPECT_NEAR(lrOf(spec, 500), 0.001, kTol); // p clamped to 1
}

TEST(LrSchedule, WarmupCosineLrLogWarmup) {
  // r = 0.1 + 0.9 * ln 2 / ln 10 at t = 1.
  ScheduleSpec spec = warmupCosine(WarmupCurve::Log);
  EXPECT_NEAR(lrOf(spec, 1, 1.0), 0.1 + 0.9 * 0.30102999566398114, kTol);
  EXPECT_NEAR(lrOf(spec, 0, 1.0), 0.1, kTol);
}

ScheduleSpec oneCycle() {
  ScheduleSpec spec;
  spec.kind = ScheduleKind::OneCycle;
  spec.cycleMinLr = 0.001;
  spec.cycleMaxLr = 0.01;
  spec.cycleFirstStepSize = 10;
  spec.cycleSecondStepSize = 20;
  spec.decayStepSize = 5;
  spec.decayLrRate = 0.5;
  spec.cycleMinMom = 0.85;
  spec.cycleMaxMom = 0.95;
  spec.decayMomRate = 0.1;
  return spec;
}

void expectOneCycle(const ScheduleSpec &spec, int64_t t, double lr,
                    double mom) {
  LrState state = lrAt(spec, 0.5, 0.9, t);
  EXPECT_NEAR(state.lr, lr, kTol) << "t = " << t;
  ASSERT_TRUE(state.beta1.has_value()) << "t = " << t;
  EXPECT_NEAR(*state.beta1, mom, kTol) << "t = " << t;
  ASSERT_TRUE(state.beta2.has_value());
  EXPECT_EQ(*state.beta2, 0.99);
}

TEST(LrSchedule, OneCycle) {
  // Cycle of 10 up + 20 down (step ratio 1/3); scale factor s rises 0 -> 1
  // over t = 0..10 and falls back to 0 at t = 30. lr = 0.001 + 0.009 s,
  // momentum = 0.95 - 0.1 s.
  ScheduleSpec spec = oneCycle();
  expectOneCycle(spec, 0, 0.001, 0.95);
  expectOneCycle(spec, 5, 0.0055, 0.90);  // s = 0.5
  expectOneCycle(spec, 10, 0.01, 0.85);   // s = 1 (peak)
  expectOneCycle(spec, 20, 0.0055, 0.90); // s = (2/3 - 1) / (1/3 - 1)
  expectOneCycle(spec, 30, 0.001, 0.95);  // end of the cycle
  // Decay, k = t - 30 steps after the cycle, interval k / 5:
  // lr = 0.001 / (1 + 0.5 k / 5), momentum = 0.95 (1 + 0.1 k / 5).
  expectOneCycle(spec, 31, 0.001 / 1.1, 0.95 * 1.02);
  expectOneCycle(spec, 40, 0.0005, 0.95 * 1.2);
}

TEST(LrSchedule, OneCycleSecondStepDefaultsToFirst) {
  // 10 up + 10 down: t = 15 is halfway down.
  ScheduleSpec spec = oneCycle();
  spec.cycleSecondStepSize.reset();
  expectOneCycle(spec, 15, 0.0055, 0.90);
  expectOneCycle(spec, 20, 0.001, 0.95);
}

TEST(LrSchedule, OneCycleWithoutDecayStaysAtMin) {
  ScheduleSpec spec = oneCycle();
  spec.decayStepSize = 0;
  expectOneCycle(spec, 31, 0.001, 0.95);
  expectOneCycle(spec, 1000, 0.001, 0.95);
  spec = oneCycle();
  spec.decayLrRate = 0.0;
  spec.decayMomRate = 0.0;
  expectOneCycle(spec, 40, 0.001, 0.95);
}

TEST(LrSchedule, OneCycleWithoutMomentumCycling) {
  ScheduleSpec spec = oneCycle();
  spec.cycleMomentum = false;
  LrState state = lrAt(spec, 0.5, 0.9, 5);
  EXPECT_NEAR(state.lr, 0.0055, kTol);
  EXPECT_FALSE(state.beta1.has_value());
  EXPECT_FALSE(state.beta2.has_value());
}

} // namespace
