//===- ParamInitTest.cpp - Initial params drawn from a seed ---------------===//
//
// runtime/io/ParamInit: an initializer's distribution, its metadata text,
// and the draws: the moments they should have, any range drawn alone equal
// to the same range of the whole, one stream per (seed, name), and the same
// numbers from release to release (a run's initial weights are its seed's).
//
//===----------------------------------------------------------------------===//

#include "runtime/io/ParamInit.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

using namespace dsc::runtime;

namespace {

TEST(ParamInit, OneValuedInitializersStayThatValue) {
  std::vector<float> ones(5, 1.0f);
  ParamInit init = paramInitOf(ones.data(), 5);
  EXPECT_TRUE(init.constant);
  EXPECT_EQ(init.value, 1.0);
  EXPECT_EQ(formatParamInit(init), "constant 1");
  std::vector<float> drawn(5, 9.0f);
  drawParam(3, "ln.weight", init, 0, 5, drawn.data());
  EXPECT_EQ(drawn, ones);
  // -0 and 0 are different values: not one-valued.
  std::vector<float> zeros = {0.0f, -0.0f};
  EXPECT_FALSE(paramInitOf(zeros.data(), 2).constant);
}

TEST(ParamInit, OthersByTheirMeanAndDeviation) {
  std::vector<float> v = {1, 2, 3, 4};
  ParamInit init = paramInitOf(v.data(), 4);
  EXPECT_FALSE(init.constant);
  EXPECT_EQ(init.mean, 2.5);
  EXPECT_EQ(init.std, std::sqrt(1.25)); // population deviation
}

TEST(ParamInit, MetadataRoundTripsExactly) {
  std::vector<float> v = {0.1f, -0.3f, 0.7f};
  ParamInit init = paramInitOf(v.data(), 3);
  std::map<std::string, std::string> meta = {
      {"dsc.init.w", formatParamInit(init)}};
  Expected<ParamInit> back = paramInitFrom(meta, "w");
  ASSERT_TRUE(back) << back.message();
  EXPECT_EQ(back->mean, init.mean);
  EXPECT_EQ(back->std, init.std);
  EXPECT_FALSE(back->constant);
  meta["dsc.init.c"] = "constant -0.5";
  ASSERT_TRUE(paramInitFrom(meta, "c"));
  EXPECT_EQ(paramInitFrom(meta, "c")->value, -0.5);
}

TEST(ParamInit, MissingOrMalformedNamesTheParam) {
  std::map<std::string, std::string> meta = {
      {"dsc.init.a", "normal 0"},    {"dsc.init.b", "uniform 0 1"},
      {"dsc.init.c", "normal 0 -1"}, {"dsc.init.d", "normal 0 nan"},
      {"dsc.init.e", "constant"},    {"dsc.init.f", "normal 0 1x"}};
  for (const char *p : {"a", "b", "c", "d", "e", "f"}) {
    Expected<ParamInit> got = paramInitFrom(meta, p);
    ASSERT_FALSE(got) << p;
    EXPECT_EQ(got.message(), "param '" + std::string(p) +
                                 "' has a malformed initial distribution '" +
                                 meta["dsc.init." + std::string(p)] + "'");
  }
  EXPECT_EQ(paramInitFrom(meta, "w").message(),
            "no initial distribution for param 'w' (a weights file of an "
            "older ds-compile?)");
}

ParamInit normal(double mean, double std) {
  ParamInit init;
  init.mean = mean;
  init.std = std;
  return init;
}

TEST(ParamInit, DrawsHaveTheMoments) {
  const int64_t n = 200000;
  std::vector<float> x(n);
  drawParam(1, "w", normal(0.5, 0.02), 0, n, x.data());
  double sum = 0, squares = 0;
  for (float v : x)
    sum += v;
  double mean = sum / n;
  for (float v : x)
    squares += (v - mean) * (v - mean);
  double std = std::sqrt(squares / n);
  // Within 5 standard errors of the mean and of the sample deviation.
  EXPECT_NEAR(mean, 0.5, 5 * 0.02 / std::sqrt(n));
  EXPECT_NEAR(std, 0.02, 5 * 0.02 / std::sqrt(2.0 * n));
  // Normal, not uniform: 95.45% within 2 deviations (uniform: 100%).
  int64_t inside = 0;
  for (float v : x)
    inside += std::fabs(v - 0.5) < 0.04;
  EXPECT_NEAR(static_cast<double>(inside) / n, 0.9545, 0.003);
}

TEST(ParamInit, AnyRangeDrawnAloneIsTheWholesRange) {
  const int64_t n = 1000;
  std::vector<float> whole(n), pieces(n);
  drawParam(42, "h.0.attn.weight", normal(0, 1), 0, n, whole.data());
  drawParam(42, "h.0.attn.weight", normal(0, 1), 0, 333, pieces.data());
  drawParam(42, "h.0.attn.weight", normal(0, 1), 333, 1, pieces.data() + 333);
  drawParam(42, "h.0.attn.weight", normal(0, 1), 334, n - 334,
            pieces.data() + 334);
  EXPECT_EQ(whole, pieces);
}

TEST(ParamInit, OneStreamPerSeedAndName) {
  const int64_t n = 64;
  std::vector<float> a(n), b(n), c(n);
  drawParam(1, "w", normal(0, 1), 0, n, a.data());
  drawParam(2, "w", normal(0, 1), 0, n, b.data());
  drawParam(1, "v", normal(0, 1), 0, n, c.data());
  for (int64_t i = 0; i < n; ++i) {
    EXPECT_NE(a[i], b[i]) << i;
    EXPECT_NE(a[i], c[i]) << i;
  }
}

TEST(ParamInit, TheSameNumbersEveryRelease) {
  // Changing the generator changes every run's initial weights: these
  // values are the first draws of seed 7 for "w" (normal(0, 1)).
  std::vector<float> x(3);
  drawParam(7, "w", normal(0, 1), 0, 3, x.data());
  EXPECT_EQ(x,
            (std::vector<float>{-0.127108619f, 0.521745682f, 0.00944332685f}));
}

} // namespace
