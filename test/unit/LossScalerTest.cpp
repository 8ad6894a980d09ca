//===- LossScalerTest.cpp - fp16 dynamic loss scaling ---------------------===//
//
// Sequences traced by hand through deepspeed.md's state machine. Iterations
// are 0-based; "stable" = iteration - last overflow - 1 (last overflow starts
// at -1), and the scale doubles when stable > 0 and stable % window == 0.
//
//===----------------------------------------------------------------------===//

#include "runtime/schedule/LossScaler.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace dsc::runtime;

namespace {

LossScalerSpec dynamicSpec(int64_t power, int64_t window, int64_t hysteresis,
                           double minScale = 1.0) {
  LossScalerSpec spec;
  spec.initialScalePower = power;
  spec.lossScaleWindow = window;
  spec.hysteresis = hysteresis;
  spec.minLossScale = minScale;
  return spec;
}

/// Feeds a sequence like "..X.X" (X = overflow) and returns the scale after
/// each step.
std::vector<double> run(LossScaler &scaler, const std::string &steps) {
  std::vector<double> scales;
  for (char c : steps) {
    LossScaleUpdate result = scaler.update(c == 'X');
    EXPECT_EQ(result.skipStep, c == 'X');
    EXPECT_FALSE(result.atMinimumError);
    scales.push_back(scaler.scale());
  }
  return scales;
}

TEST(LossScaler, Defaults) {
  LossScaler scaler;
  EXPECT_TRUE(scaler.isDynamic());
  EXPECT_EQ(scaler.scale(), 65536.0); // 2^16
  EXPECT_EQ(scaler.hysteresisLeft(), 2);
  EXPECT_EQ(scaler.iteration(), 0);
  EXPECT_EQ(scaler.lastOverflowIteration(), -1);
  ASSERT_EQ(scaler.history().size(), 1u);
  EXPECT_EQ(scaler.history()[0].iteration, 0);
  EXPECT_EQ(scaler.history()[0].scale, 65536.0);
}

TEST(LossScaler, HysteresisDelaysTheFirstHalving) {
  // hysteresis 2: the first overflow only uses up one hysteresis, the second
  // halves; hysteresis is not refilled by halving, so the third halves too.
  LossScaler scaler(dynamicSpec(4, 1000, 2));
  EXPECT_EQ(run(scaler, "X"), std::vector<double>({16}));
  EXPECT_EQ(scaler.hysteresisLeft(), 1);
  EXPECT_EQ(run(scaler, "XX"), std::vector<double>({8, 4}));
  EXPECT_EQ(scaler.hysteresisLeft(), 1);
  EXPECT_EQ(scaler.lastOverflowIteration(), 2);
  // Scale changes are reported with the first step that uses them.
  ASSERT_EQ(scaler.history().size(), 3u);
  EXPECT_EQ(scaler.history()[1].iteration, 2);
  EXPECT_EQ(scaler.history()[1].scale, 8.0);
  EXPECT_EQ(scaler.history()[2].iteration, 3);
  EXPECT_EQ(scaler.history()[2].scale, 4.0);
}

TEST(LossScaler, HysteresisOneHalvesAtOnce) {
  LossScaler scaler(dynamicSpec(4, 1000, 1));
  EXPECT_EQ(run(scaler, "X.X"), std::vector<double>({8, 8, 4}));
}

TEST(LossScaler, WindowGrowthFromStart) {
  // window 3, no overflow: stable = iteration; grows at iterations 3 and 6.
  LossScaler scaler(dynamicSpec(2, 3, 2));
  EXPECT_EQ(run(scaler, "......."),
            std::vector<double>({4, 4, 4, 8, 8, 8, 16}));
  ASSERT_EQ(scaler.history().size(), 3u);
  EXPECT_EQ(scaler.history()[1].iteration, 4);
  EXPECT_EQ(scaler.history()[2].iteration, 7);
}

TEST(LossScaler, WindowCountsFromLastOverflow) {
  // hysteresis 1, window 2. Overflow at 0 (16 -> 8). stable at iterations
  // 1, 2, 3 = 0, 1, 2: grows at 3. Overflow at 4 (16 -> 8); iterations 5, 6,
  // 7 have stable 0, 1, 2: grows at 7.
  LossScaler scaler(dynamicSpec(4, 2, 1));
  EXPECT_EQ(run(scaler, "X...X..."),
            std::vector<double>({8, 8, 8, 16, 8, 8, 8, 16}));
}

TEST(LossScaler, GrowthRefillsHysteresis) {
  // hysteresis 3, window 2: two overflows leave 1; growth at iteration 4
  // (stable 2) refills to 3, so the next overflow does not halve.
  LossScaler scaler(dynamicSpec(4, 2, 3));
  EXPECT_EQ(run(scaler, "XX"), std::vector<double>({16, 16}));
  EXPECT_EQ(scaler.hysteresisLeft(), 1);
  EXPECT_EQ(run(scaler, "..."), std::vector<double>({16, 16, 32}));
  EXPECT_EQ(scaler.hysteresisLeft(), 3);
  EXPECT_EQ(run(scaler, "X"), std::vector<double>({32}));
  EXPECT_EQ(scaler.hysteresisLeft(), 2);
}

TEST(LossScaler, NonConsecutiveHysteresisAccumulates) {
  // Without consecutive_hysteresis, overflows separated by clean steps still
  // use up the same hysteresis: the second overflow halves.
  LossScaler scaler(dynamicSpec(4, 1000, 2));
  EXPECT_EQ(run(scaler, "X..X"), std::vector<double>({16, 16, 16, 8}));
}

TEST(LossScaler, ConsecutiveHysteresisRefillsOnCleanSteps) {
  // With consecutive_hysteresis, a clean step refills the hysteresis: only
  // back-to-back overflows halve.
  LossScalerSpec spec = dynamicSpec(4, 1000, 2);
  spec.consecutiveHysteresis = true;
  LossScaler scaler(spec);
  EXPECT_EQ(run(scaler, "X.X.X"), std::vector<double>({16, 16, 16, 16, 16}));
  // A clean step refills to 2; two overflows in a row then halve.
  EXPECT_EQ(run(scaler, ".XX"), std::vector<double>({16, 16, 8}));
  EXPECT_EQ(run(scaler, "."), std::vector<double>({8}));
  EXPECT_EQ(scaler.hysteresisLeft(), 2);
}

TEST(LossScaler, MinimumScaleClampsThenErrors) {
  // 2^2 = 4, min 2, hysteresis 1: 4 -> 2, then at the minimum: error.
  LossScaler scaler(dynamicSpec(2, 1000, 1, 2.0));
  EXPECT_EQ(run(scaler, "X"), std::vector<double>({2}));
  LossScaleUpdate result = scaler.update(true);
  EXPECT_TRUE(result.skipStep);
  EXPECT_TRUE(result.atMinimumError);
  EXPECT_EQ(scaler.scale(), 2.0);
  EXPECT_EQ(scaler.iteration(), 1); // State left as it was.
  EXPECT_NE(std::string(kLossScaleAtMinimumMessage).find("already at minimum"),
            std::string::npos);
}

TEST(LossScaler, HalvingStopsAtMinimumScale) {
  // 2^2 = 4 with min 3: 4 -> max(2, 3) = 3; then 3 == min: error.
  LossScaler scaler(dynamicSpec(2, 1000, 1, 3.0));
  EXPECT_EQ(run(scaler, "X"), std::vector<double>({3}));
  EXPECT_TRUE(scaler.update(true).atMinimumError);
}

TEST(LossScaler, MinimumErrorRespectsHysteresis) {
  // Already at the minimum, but hysteresis 2 absorbs the first overflow.
  LossScaler scaler(dynamicSpec(0, 1000, 2, 1.0));
  EXPECT_EQ(scaler.scale(), 1.0);
  EXPECT_EQ(run(scaler, "X"), std::vector<double>({1}));
  EXPECT_TRUE(scaler.update(true).atMinimumError);
}

TEST(LossScaler, StaticScale) {
  LossScalerSpec spec;
  spec.staticScale = 128.0;
  LossScaler scaler(spec);
  EXPECT_FALSE(scaler.isDynamic());
  EXPECT_EQ(scaler.scale(), 128.0);
  // Overflowed steps are still skipped; the scale never moves.
  EXPECT_EQ(run(scaler, "XXXX....X"), std::vector<double>(9, 128.0));
  EXPECT_EQ(scaler.history().size(), 1u);
  EXPECT_EQ(scaler.iteration(), 9);
}

TEST(LossScaler, LongRunHistory) {
  // window 2, hysteresis 2: "X" uses a hysteresis, "...." grows at
  // iteration 3 (stable 2) and refills, "XX" halves once, then grows again
  // at iteration 9 (stable 2 after the overflow at 6).
  LossScaler scaler(dynamicSpec(3, 2, 2));
  EXPECT_EQ(run(scaler, "X....XX..."),
            std::vector<double>({8, 8, 8, 16, 16, 16, 8, 8, 8, 16}));
  const std::vector<LossScaleChange> &history = scaler.history();
  ASSERT_EQ(history.size(), 4u);
  EXPECT_EQ(history[1].iteration, 4);
  EXPECT_EQ(history[1].scale, 16.0);
  EXPECT_EQ(history[2].iteration, 7);
  EXPECT_EQ(history[2].scale, 8.0);
  EXPECT_EQ(history[3].iteration, 10);
  EXPECT_EQ(history[3].scale, 16.0);
}

} // namespace
