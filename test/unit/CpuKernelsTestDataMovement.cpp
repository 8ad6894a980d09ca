//===- CpuKernelsTestDataMovement.cpp - data movement and loss kernels ----===//
//
// Expected values were worked out by hand (the NumPy equivalent is named in a
// comment) unless a comment names the Python (math module) expression.
//
//===----------------------------------------------------------------------===//

#include "kernels/cpu/CpuKernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

using namespace dsc::kernels::cpu;

namespace {

using Dims = std::vector<int64_t>;

Shape shapeOf(const Dims &dims) {
  return Shape{dims.data(), static_cast<int>(dims.size())};
}

std::vector<double> iota(int n) {
  std::vector<double> v(n);
  for (int i = 0; i < n; ++i)
    v[i] = i;
  return v;
}

void expectNear(const std::vector<double> &actual,
                const std::vector<double> &expected, double tol = 1e-12) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i)
    EXPECT_NEAR(actual[i], expected[i], tol) << "at " << i;
}

//===----------------------------------------------------------------------===//
// Transpose, slice, concat, expand
//===----------------------------------------------------------------------===//

TEST(CpuKernelsDataMovement, Transpose) {
  Dims d{2, 3};
  std::vector<double> x = iota(6), out(6);
  int64_t swap[] = {1, 0};
  transpose(x.data(), shapeOf(d), swap, out.data());
  EXPECT_EQ(out, (std::vector<double>{0, 3, 1, 4, 2, 5}));
  // [2, 3, 2] with perm {2, 0, 1} -> [2, 2, 3]; out[k, i, j] = x[i, j, k].
  Dims d3{2, 3, 2};
  std::vector<int64_t> y(12), o(12);
  for (int i = 0; i < 12; ++i)
    y[i] = i;
  int64_t perm[] = {2, 0, 1};
  transpose(y.data(), shapeOf(d3), perm, o.data());
  EXPECT_EQ(o, (std::vector<int64_t>{0, 2, 4, 6, 8, 10, 1, 3, 5, 7, 9, 11}));
}

TEST(CpuKernelsDataMovement, TransposeLastTwoInTiles) {
  // Batched [2, 40, 35] -> [2, 35, 40], larger than one 32x32 tile.
  Dims d{2, 40, 35};
  std::vector<double> x = iota(2 * 40 * 35), out(x.size());
  int64_t perm[] = {0, 2, 1};
  transpose(x.data(), shapeOf(d), perm, out.data());
  for (int b = 0; b < 2; ++b)
    for (int i = 0; i < 40; ++i)
      for (int j = 0; j < 35; ++j)
        ASSERT_EQ(out[(b * 35 + j) * 40 + i], x[(b * 40 + i) * 35 + j]);
}

TEST(CpuKernelsDataMovement, SliceWithNegativeSteps) {
  // x = arange(8).reshape(2, 4); x[1::-1, 3:0:-2] = [[7, 5], [3, 1]].
  Dims d{2, 4};
  std::vector<double> x = iota(8), out(4);
  int64_t starts[] = {1, 3}, ends[] = {-1, 0}, steps[] = {-1, -2};
  slice(x.data(), shapeOf(d), starts, ends, steps, out.data());
  EXPECT_EQ(out, (std::vector<double>{7, 5, 3, 1}));
  // x[0:2, 1:4:2] = [[1, 3], [5, 7]].
  int64_t s2[] = {0, 1}, e2[] = {2, 4}, st2[] = {1, 2};
  slice(x.data(), shapeOf(d), s2, e2, st2, out.data());
  EXPECT_EQ(out, (std::vector<double>{1, 3, 5, 7}));
  // Full reversal of a 1-D uint8 tensor: x[4::-1].
  Dims v{5};
  std::vector<uint8_t> b{1, 2, 3, 4, 5}, rb(5);
  int64_t s3[] = {4}, e3[] = {-1}, st3[] = {-1};
  slice(b.data(), shapeOf(v), s3, e3, st3, rb.data());
  EXPECT_EQ(rb, (std::vector<uint8_t>{5, 4, 3, 2, 1}));
}

TEST(CpuKernelsDataMovement, ConcatAndExpand) {
  Dims da{2, 1}, db{2, 2}, dc{2, 0};
  std::vector<float> a{1, 2}, b{3, 4, 5, 6}, out(6);
  const float *inputs[] = {a.data(), b.data(), nullptr};
  Shape shapes[] = {shapeOf(da), shapeOf(db), shapeOf(dc)};
  concat(inputs, shapes, 3, 1, out.data());
  EXPECT_EQ(out, (std::vector<float>{1, 3, 4, 2, 5, 6}));
  concat(inputs + 1, shapes + 1, 1, 0, out.data());
  EXPECT_EQ(out[3], 6);
  // [3, 1] -> [2, 3, 2]: np.broadcast_to.
  Dims in{3, 1}, o{2, 3, 2};
  std::vector<int64_t> x{1, 2, 3}, e(12);
  expand(x.data(), shapeOf(in), e.data(), shapeOf(o));
  EXPECT_EQ(e, (std::vector<int64_t>{1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3}));
}

//===----------------------------------------------------------------------===//
// Gather, gather_elements, scatter_nd
//===----------------------------------------------------------------------===//

TEST(CpuKernelsDataMovement, GatherNegativeIndices) {
  // Embedding rows {0,1}, {10,11}, {20,21}; ids [[0, -1], [1, -3]].
  Dims w{3, 2}, ids{2, 2};
  std::vector<double> table{0, 1, 10, 11, 20, 21}, out(8);
  std::vector<int64_t> idx{0, -1, 1, -3};
  ASSERT_EQ(
      gather(table.data(), shapeOf(w), idx.data(), shapeOf(ids), 0, out.data()),
      KernelOk);
  EXPECT_EQ(out, (std::vector<double>{0, 1, 20, 21, 10, 11, 0, 1}));
  // Axis 1 of arange(6).reshape(2, 3) with [2, -2]: np.take(x, [2, 1], 1).
  Dims d{2, 3}, i1{2};
  std::vector<double> x = iota(6), o(4);
  std::vector<int64_t> cols{2, -2};
  ASSERT_EQ(gather(x.data(), shapeOf(d), cols.data(), shapeOf(i1), 1, o.data()),
            KernelOk);
  EXPECT_EQ(o, (std::vector<double>{2, 1, 5, 4}));
}

TEST(CpuKernelsDataMovement, GatherOutOfRangeIsAnError) {
  Dims w{3, 2}, ids{2};
  std::vector<float> table(6), out(4);
  std::vector<int64_t> idx{1, 3};
  EXPECT_EQ(
      gather(table.data(), shapeOf(w), idx.data(), shapeOf(ids), 0, out.data()),
      KernelIndexOutOfRange);
  EXPECT_EQ(std::string(lastKernelErrorDetail()),
            "index 3 out of range [-3, 3) in gather");
  idx[1] = -4;
  EXPECT_EQ(gatherElements(table.data(), shapeOf(w), idx.data(), shapeOf(ids),
                           0, out.data()),
            KernelIndexOutOfRange);
  std::vector<float> grad(6);
  EXPECT_EQ(gatherGrad(idx.data(), shapeOf(ids), out.data(), 0, grad.data(),
                       shapeOf(w)),
            KernelIndexOutOfRange);
}

TEST(CpuKernelsDataMovement, GatherElements) {
  // np.take_along_axis(arange(6).reshape(2, 3), [[2, 0], [-1, 1]], 1).
  Dims d{2, 3}, i{2, 2}, i0{1, 3};
  std::vector<double> x = iota(6), out(4);
  std::vector<int64_t> idx{2, 0, -1, 1};
  ASSERT_EQ(gatherElements(x.data(), shapeOf(d), idx.data(), shapeOf(i), 1,
                           out.data()),
            KernelOk);
  EXPECT_EQ(out, (std::vector<double>{2, 0, 5, 4}));
  // Axis 0 with [[1, 0, 1]]: x[1, 0], x[0, 1], x[1, 2].
  std::vector<int64_t> rows{1, 0, 1};
  out.resize(3);
  ASSERT_EQ(gatherElements(x.data(), shapeOf(d), rows.data(), shapeOf(i0), 0,
                           out.data()),
            KernelOk);
  EXPECT_EQ(out, (std::vector<double>{3, 1, 5}));
}

TEST(CpuKernelsDataMovement, ScatterNDReductions) {
  // Indices [[0], [2], [0]] into {1, 2, 3, 4}; updates apply in order.
  Dims d{4}, i{3, 1}, u{3};
  std::vector<double> x{1, 2, 3, 4}, upd{10, 20, 30}, out(4);
  std::vector<int64_t> idx{0, 2, 0};
  auto run = [&](ScatterReduction r, const std::vector<double> &updates) {
    EXPECT_EQ(scatterND(x.data(), shapeOf(d), idx.data(), shapeOf(i),
                        updates.data(), r, out.data()),
              KernelOk);
    return out;
  };
  EXPECT_EQ(run(ScatterReduction::None, upd),
            (std::vector<double>{30, 2, 20, 4}));
  EXPECT_EQ(run(ScatterReduction::Add, upd),
            (std::vector<double>{41, 2, 23, 4}));
  EXPECT_EQ(run(ScatterReduction::Mul, upd),
            (std::vector<double>{300, 2, 60, 4}));
  std::vector<double> mixed{10, 20, -5};
  EXPECT_EQ(run(ScatterReduction::Max, mixed),
            (std::vector<double>{10, 2, 20, 4}));
  EXPECT_EQ(run(ScatterReduction::Min, mixed),
            (std::vector<double>{-5, 2, 3, 4}));
}

TEST(CpuKernelsDataMovement, ScatterNDSlicesInPlaceAndErrors) {
  // Row updates of a [2, 2] tensor at [[-1]] then [[0]], in place.
  Dims d{2, 2}, i{2, 1}, u{2, 2};
  std::vector<int64_t> x{0, 0, 0, 0}, upd{5, 6, 7, 8};
  std::vector<int64_t> idx{-1, 0};
  ASSERT_EQ(scatterND(x.data(), shapeOf(d), idx.data(), shapeOf(i), upd.data(),
                      ScatterReduction::None, x.data()),
            KernelOk);
  EXPECT_EQ(x, (std::vector<int64_t>{7, 8, 5, 6}));
  idx[1] = 2;
  std::vector<int64_t> out(4, -1);
  EXPECT_EQ(scatterND(x.data(), shapeOf(d), idx.data(), shapeOf(i), upd.data(),
                      ScatterReduction::Add, out.data()),
            KernelIndexOutOfRange);
  EXPECT_EQ(out, std::vector<int64_t>(4, -1)); // untouched on failure
}

//===----------------------------------------------------------------------===//
// Pad, trilu
//===----------------------------------------------------------------------===//

TEST(CpuKernelsDataMovement, PadEveryMode) {
  // np.pad([1, 2, 3], 2, mode) for constant/reflect/edge/wrap.
  Dims d{3};
  std::vector<double> x{1, 2, 3}, out(7);
  int64_t pads[] = {2, 2};
  pad(x.data(), shapeOf(d), pads, PadMode::Constant, 0.0, out.data());
  EXPECT_EQ(out, (std::vector<double>{0, 0, 1, 2, 3, 0, 0}));
  pad(x.data(), shapeOf(d), pads, PadMode::Reflect, 0.0, out.data());
  EXPECT_EQ(out, (std::vector<double>{3, 2, 1, 2, 3, 2, 1}));
  pad(x.data(), shapeOf(d), pads, PadMode::Edge, 0.0, out.data());
  EXPECT_EQ(out, (std::vector<double>{1, 1, 1, 2, 3, 3, 3}));
  pad(x.data(), shapeOf(d), pads, PadMode::Wrap, 0.0, out.data());
  EXPECT_EQ(out, (std::vector<double>{2, 3, 1, 2, 3, 1, 2}));
}

TEST(CpuKernelsDataMovement, PadTwoDimensionalAndCropping) {
  // [[1, 2], [3, 4]] with one row before and one column after, value 9.
  Dims d{2, 2};
  std::vector<float> x{1, 2, 3, 4}, out(9);
  int64_t pads[] = {1, 0, 0, 1};
  pad(x.data(), shapeOf(d), pads, PadMode::Constant, 9.0, out.data());
  EXPECT_EQ(out, (std::vector<float>{9, 9, 9, 1, 2, 9, 3, 4, 9}));
  // Reflect on both axes: np.pad(x, ((1, 0), (0, 1)), 'reflect').
  pad(x.data(), shapeOf(d), pads, PadMode::Reflect, 0.0, out.data());
  EXPECT_EQ(out, (std::vector<float>{3, 4, 3, 1, 2, 1, 3, 4, 3}));
  // A negative amount crops: drop the first element, edge-pad one after.
  Dims v{4};
  std::vector<int64_t> y{1, 2, 3, 4}, o(4);
  int64_t crop[] = {-1, 1};
  pad(y.data(), shapeOf(v), crop, PadMode::Edge, 0.0, o.data());
  EXPECT_EQ(o, (std::vector<int64_t>{2, 3, 4, 4}));
}

TEST(CpuKernelsDataMovement, TriluWithNegativeK) {
  // np.triu / np.tril of arange(1, 10).reshape(3, 3).
  Dims d{3, 3};
  std::vector<double> x{1, 2, 3, 4, 5, 6, 7, 8, 9}, out(9);
  trilu(x.data(), shapeOf(d), 0, true, out.data());
  EXPECT_EQ(out, (std::vector<double>{1, 2, 3, 0, 5, 6, 0, 0, 9}));
  trilu(x.data(), shapeOf(d), -1, true, out.data());
  EXPECT_EQ(out, (std::vector<double>{1, 2, 3, 4, 5, 6, 0, 8, 9}));
  trilu(x.data(), shapeOf(d), -1, false, out.data());
  EXPECT_EQ(out, (std::vector<double>{0, 0, 0, 4, 0, 0, 7, 8, 0}));
  trilu(x.data(), shapeOf(d), 1, false, out.data());
  EXPECT_EQ(out, (std::vector<double>{1, 2, 0, 4, 5, 6, 7, 8, 9}));
  // Batched [2, 2, 3] booleans, upper with k = 1.
  Dims b{2, 2, 3};
  std::vector<uint8_t> ones(12, 1), bo(12);
  trilu(ones.data(), shapeOf(b), 1, true, bo.data());
  EXPECT_EQ(bo, (std::vector<uint8_t>{0, 1, 1, 0, 0, 1, 0, 1, 1, 0, 0, 1}));
}

//===----------------------------------------------------------------------===//
// Losses
//===----------------------------------------------------------------------===//

// Logits [[1, 2, 3], [1, 1, 1]], targets {2, 0}. Per-sample losses
// -log_softmax: 0.4076059644443803 and log(3) = 1.0986122886681098
// (Python math).
const double kLoss0 = 0.4076059644443803, kLoss1 = 1.0986122886681098;

struct LossCase {
  LossReduction reduction;
  bool weighted;
  IgnoreIndex ignore;
  std::vector<double> expected;
};

TEST(CpuKernelsLoss, SoftmaxCrossEntropyEveryReduction) {
  Dims d{2, 3};
  std::vector<double> logits{1, 2, 3, 1, 1, 1}, weight{1, 2, 3};
  std::vector<int64_t> target{2, 0};
  IgnoreIndex none, zero{true, 0};
  std::vector<LossCase> cases = {
      {LossReduction::None, false, none, {kLoss0, kLoss1}},
      {LossReduction::Sum, false, none, {kLoss0 + kLoss1}},
      {LossReduction::Mean, false, none, {(kLoss0 + kLoss1) / 2}},
      // Weights 3 (class 2) and 1 (class 0); mean divides by 4.
      {LossReduction::None, true, none, {3 * kLoss0, kLoss1}},
      {LossReduction::Sum, true, none, {3 * kLoss0 + kLoss1}},
      {LossReduction::Mean, true, none, {(3 * kLoss0 + kLoss1) / 4}},
      // Ignoring class 0 drops sample 1; mean divides by the rest's weight.
      {LossReduction::None, false, zero, {kLoss0, 0}},
      {LossReduction::Sum, false, zero, {kLoss0}},
      {LossReduction::Mean, false, zero, {kLoss0}},
      {LossReduction::None, true, zero, {3 * kLoss0, 0}},
      {LossReduction::Sum, true, zero, {3 * kLoss0}},
      {LossReduction::Mean, true, zero, {kLoss0}},
  };
  for (const LossCase &c : cases) {
    std::vector<double> loss(c.expected.size()), logProb(6);
    ASSERT_EQ(softmaxCrossEntropyLoss(logits.data(), shapeOf(d), target.data(),
                                      c.weighted ? weight.data() : nullptr,
                                      c.reduction, c.ignore, loss.data(),
                                      logProb.data()),
              KernelOk);
    expectNear(loss, c.expected);
    EXPECT_NEAR(logProb[2], -kLoss0, 1e-12);
    EXPECT_NEAR(logProb[3], -kLoss1, 1e-12);
  }
}

TEST(CpuKernelsLoss, SoftmaxCrossEntropySpatial) {
  // Input [1, 2, 2]: class logits (0, 1) and (1, 0) at the two positions,
  // both targets class 1: log(1 + e^-1) and log(1 + e) (Python math).
  Dims d{1, 2, 2};
  std::vector<float> logits{0, 1, 1, 0}, loss(2);
  std::vector<int64_t> target{1, 1};
  ASSERT_EQ(softmaxCrossEntropyLoss(logits.data(), shapeOf(d), target.data(),
                                    static_cast<const float *>(nullptr),
                                    LossReduction::None, IgnoreIndex{},
                                    loss.data(), static_cast<float *>(nullptr)),
            KernelOk);
  EXPECT_NEAR(loss[0], 0.31326168751822286, 1e-6);
  EXPECT_NEAR(loss[1], 1.3132616875182228, 1e-6);
}

TEST(CpuKernelsLoss, NllEveryReduction) {
  // -input[target]: targets {1, 2} of [[-1, -2, -3], [-4, -5, -6]] give 2, 6;
  // weights {1, 2, 3} give 4 and 18 over total weight 5.
  Dims d{2, 3};
  std::vector<double> input{-1, -2, -3, -4, -5, -6}, weight{1, 2, 3};
  std::vector<int64_t> target{1, 2};
  IgnoreIndex none, two{true, 2};
  std::vector<LossCase> cases = {
      {LossReduction::None, false, none, {2, 6}},
      {LossReduction::Sum, false, none, {8}},
      {LossReduction::Mean, false, none, {4}},
      {LossReduction::None, true, none, {4, 18}},
      {LossReduction::Sum, true, none, {22}},
      {LossReduction::Mean, true, none, {4.4}},
      {LossReduction::None, false, two, {2, 0}},
      {LossReduction::Sum, false, two, {2}},
      {LossReduction::Mean, false, two, {2}},
      {LossReduction::None, true, two, {4, 0}},
      {LossReduction::Sum, true, two, {4}},
      {LossReduction::Mean, true, two, {2}},
  };
  for (const LossCase &c : cases) {
    std::vector<double> loss(c.expected.size());
    ASSERT_EQ(nllLoss(input.data(), shapeOf(d), target.data(),
                      c.weighted ? weight.data() : nullptr, c.reduction,
                      c.ignore, loss.data()),
              KernelOk);
    expectNear(loss, c.expected);
  }
}

TEST(CpuKernelsLoss, BadTargetIsAnError) {
  Dims d{2, 3};
  std::vector<double> input(6, 0.0), loss(1), grad(6);
  std::vector<int64_t> target{1, 3};
  EXPECT_EQ(nllLoss(input.data(), shapeOf(d), target.data(),
                    static_cast<const double *>(nullptr), LossReduction::Mean,
                    IgnoreIndex{}, loss.data()),
            KernelTargetOutOfRange);
  EXPECT_EQ(std::string(lastKernelErrorDetail()),
            "target 3 out of range [0, 3) in nll_loss");
  target[1] = -1; // negative targets do not count from the end
  EXPECT_EQ(softmaxCrossEntropyLoss(
                input.data(), shapeOf(d), target.data(),
                static_cast<const double *>(nullptr), LossReduction::Sum,
                IgnoreIndex{}, loss.data(), static_cast<double *>(nullptr)),
            KernelTargetOutOfRange);
  double one = 1;
  EXPECT_EQ(nllLossGrad(target.data(), static_cast<const double *>(nullptr),
                        &one, LossReduction::Sum, IgnoreIndex{}, grad.data(),
                        shapeOf(d)),
            KernelTargetOutOfRange);
  // The same value as the ignore_index is fine.
  target[1] = -100;
  EXPECT_EQ(nllLoss(input.data(), shapeOf(d), target.data(),
                    static_cast<const double *>(nullptr), LossReduction::Mean,
                    IgnoreIndex{true, -100}, loss.data()),
            KernelOk);
}

} // namespace
