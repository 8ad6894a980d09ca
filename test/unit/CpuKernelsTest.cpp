//===- CpuKernelsTest.cpp - forward CPU kernels on hand-checked cases -----===//
//
// Elementwise, reductions, softmax, layer norm, matmul, conv and dropout.
// Expected values were worked out by hand unless a comment names the Python
// (math module) expression that produced them.
//
//===----------------------------------------------------------------------===//

#include "kernels/cpu/CpuKernels.h"
#include "kernels/cpu/BlasCore.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

using namespace dsc::kernels::cpu;

namespace {

using Dims = std::vector<int64_t>;

Shape shapeOf(const Dims &dims) {
  return Shape{dims.data(), static_cast<int>(dims.size())};
}

template <typename T>
void expectNear(const std::vector<T> &actual, const std::vector<T> &expected,
                double tol = 1e-6) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i)
    EXPECT_NEAR(actual[i], expected[i], tol) << "at " << i;
}

const double kNaN = std::numeric_limits<double>::quiet_NaN();

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

TEST(CpuKernelsElementwise, BinaryBroadcastsTrailingAxis) {
  Dims a{2, 3}, b{3};
  std::vector<float> x{1, 2, 3, 4, 5, 6}, y{10, 20, 30}, out(6);
  binary(BinaryOp::Add, x.data(), shapeOf(a), y.data(), shapeOf(b), out.data(),
         shapeOf(a));
  EXPECT_EQ(out, (std::vector<float>{11, 22, 33, 14, 25, 36}));
}

TEST(CpuKernelsElementwise, BinaryBroadcastsBothOperands) {
  Dims a{2, 1}, b{1, 3}, o{2, 3};
  std::vector<double> x{1, 2}, y{10, 20, 30}, out(6);
  binary(BinaryOp::Mul, x.data(), shapeOf(a), y.data(), shapeOf(b), out.data(),
         shapeOf(o));
  EXPECT_EQ(out, (std::vector<double>{10, 20, 30, 20, 40, 60}));
  // rhs [2, 1] against lhs [2, 3]: a column broadcast along the last axis.
  Dims c{2, 3};
  std::vector<double> z{1, 2, 3, 4, 5, 6};
  binary(BinaryOp::Sub, z.data(), shapeOf(c), x.data(), shapeOf(a), out.data(),
         shapeOf(c));
  EXPECT_EQ(out, (std::vector<double>{0, 1, 2, 2, 3, 4}));
}

TEST(CpuKernelsElementwise, BinaryWithScalarAndRankThree) {
  Dims a{2, 2, 2}, s{};
  std::vector<float> x{1, 2, 3, 4, 5, 6, 7, 8}, two{2}, out(8);
  binary(BinaryOp::Div, x.data(), shapeOf(a), two.data(), shapeOf(s),
         out.data(), shapeOf(a));
  EXPECT_EQ(out, (std::vector<float>{0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4}));
  binary(BinaryOp::Pow, two.data(), shapeOf(s), x.data(), shapeOf(a),
         out.data(), shapeOf(a));
  EXPECT_EQ(out, (std::vector<float>{2, 4, 8, 16, 32, 64, 128, 256}));
  // Middle-axis broadcast: [2, 1, 2] against [2, 2, 2].
  Dims m{2, 1, 2};
  std::vector<float> y{10, 20, 30, 40};
  binary(BinaryOp::Add, x.data(), shapeOf(a), y.data(), shapeOf(m), out.data(),
         shapeOf(a));
  EXPECT_EQ(out, (std::vector<float>{11, 22, 13, 24, 35, 46, 37, 48}));
}

TEST(CpuKernelsElementwise, IntegerDivisionPowAndMinMax) {
  Dims d{4};
  std::vector<int64_t> a{7, -7, 5, 2}, b{2, 2, 0, 10}, out(4);
  binary(BinaryOp::Div, a.data(), shapeOf(d), b.data(), shapeOf(d), out.data(),
         shapeOf(d));
  // Truncation toward zero; division by zero gives 0 instead of trapping.
  EXPECT_EQ(out, (std::vector<int64_t>{3, -3, 0, 0}));
  binary(BinaryOp::Pow, a.data(), shapeOf(d), b.data(), shapeOf(d), out.data(),
         shapeOf(d));
  EXPECT_EQ(out, (std::vector<int64_t>{49, 49, 1, 1024}));
  binary(BinaryOp::Min, a.data(), shapeOf(d), b.data(), shapeOf(d), out.data(),
         shapeOf(d));
  EXPECT_EQ(out, (std::vector<int64_t>{2, -7, 0, 2}));
}

TEST(CpuKernelsElementwise, MinMaxPropagateNaN) {
  Dims d{3};
  std::vector<double> a{1, kNaN, 3}, b{kNaN, 2, 1}, out(3);
  binary(BinaryOp::Max, a.data(), shapeOf(d), b.data(), shapeOf(d), out.data(),
         shapeOf(d));
  EXPECT_TRUE(std::isnan(out[0]));
  EXPECT_TRUE(std::isnan(out[1]));
  EXPECT_EQ(out[2], 3);
  binary(BinaryOp::Min, a.data(), shapeOf(d), b.data(), shapeOf(d), out.data(),
         shapeOf(d));
  EXPECT_TRUE(std::isnan(out[0]));
  EXPECT_TRUE(std::isnan(out[1]));
  EXPECT_EQ(out[2], 1);
}

TEST(CpuKernelsElementwise, CompareBroadcasts) {
  Dims a{2, 2}, s{};
  std::vector<float> x{1, 2, 3, kNaN}, two{2};
  std::vector<uint8_t> out(4);
  compare(CompareOp::Less, x.data(), shapeOf(a), two.data(), shapeOf(s),
          out.data(), shapeOf(a));
  EXPECT_EQ(out, (std::vector<uint8_t>{1, 0, 0, 0}));
  compare(CompareOp::GreaterEqual, x.data(), shapeOf(a), two.data(), shapeOf(s),
          out.data(), shapeOf(a));
  EXPECT_EQ(out, (std::vector<uint8_t>{0, 1, 1, 0}));
  compare(CompareOp::Equal, x.data(), shapeOf(a), two.data(), shapeOf(s),
          out.data(), shapeOf(a));
  EXPECT_EQ(out, (std::vector<uint8_t>{0, 1, 0, 0}));
  std::vector<int64_t> i{1, 5}, j{3};
  Dims d2{2}, d1{1};
  compare(CompareOp::Greater, i.data(), shapeOf(d2), j.data(), shapeOf(d1),
          out.data(), shapeOf(d2));
  EXPECT_EQ(out[0], 0);
  EXPECT_EQ(out[1], 1);
  compare(CompareOp::LessEqual, i.data(), shapeOf(d2), j.data(), shapeOf(d1),
          out.data(), shapeOf(d2));
  EXPECT_EQ(out[0], 1);
  EXPECT_EQ(out[1], 0);
}

TEST(CpuKernelsElementwise, WhereBroadcastsAllThree) {
  Dims c{2, 1}, l{3}, r{}, o{2, 3};
  std::vector<uint8_t> cond{1, 0};
  std::vector<float> lhs{1, 2, 3}, rhs{9}, out(6);
  where(cond.data(), shapeOf(c), lhs.data(), shapeOf(l), rhs.data(), shapeOf(r),
        out.data(), shapeOf(o));
  EXPECT_EQ(out, (std::vector<float>{1, 2, 3, 9, 9, 9}));
  std::vector<int64_t> li{1, 2, 3}, ri{-1}, oi(6);
  where(cond.data(), shapeOf(c), li.data(), shapeOf(l), ri.data(), shapeOf(r),
        oi.data(), shapeOf(o));
  EXPECT_EQ(oi, (std::vector<int64_t>{1, 2, 3, -1, -1, -1}));
}

TEST(CpuKernelsElementwise, Unary) {
  std::vector<double> x{0, 1, 4}, out(3);
  unary(UnaryOp::Sqrt, x.data(), out.data(), 3);
  expectNear(out, {0, 1, 2});
  unary(UnaryOp::Sigmoid, x.data(), out.data(), 3);
  // 1 / (1 + exp(-1)), 1 / (1 + exp(-4)) from Python.
  expectNear(out, {0.5, 0.7310585786300049, 0.9820137900379085}, 1e-12);
  unary(UnaryOp::Erf, x.data(), out.data(), 3);
  // math.erf(1), math.erf(4).
  expectNear(out, {0, 0.8427007929497149, 0.9999999845827421}, 1e-12);
  unary(UnaryOp::Reciprocal, x.data() + 1, out.data(), 2);
  EXPECT_EQ(out[0], 1);
  EXPECT_EQ(out[1], 0.25);
  std::vector<float> y{-2, 0.5f, kNaN}, fo(3);
  unary(UnaryOp::Relu, y.data(), fo.data(), 3);
  EXPECT_EQ(fo[0], 0);
  EXPECT_EQ(fo[1], 0.5f);
  EXPECT_TRUE(std::isnan(fo[2]));
  unary(UnaryOp::Sigmoid, y.data(), fo.data(), 1);
  EXPECT_NEAR(fo[0], 0.11920292202211755, 1e-7); // 1 / (1 + exp(2))
  std::vector<int64_t> i{-3, 0, 5}, io(3);
  unary(UnaryOp::Abs, i.data(), io.data(), 3);
  EXPECT_EQ(io, (std::vector<int64_t>{3, 0, 5}));
  unary(UnaryOp::Neg, i.data(), io.data(), 3);
  EXPECT_EQ(io, (std::vector<int64_t>{3, 0, -5}));
  unary(UnaryOp::Relu, i.data(), io.data(), 3);
  EXPECT_EQ(io, (std::vector<int64_t>{0, 0, 5}));
}

TEST(CpuKernelsElementwise, GeluExactAndTanh) {
  std::vector<double> x{1, -1, -0.5}, out(3);
  gelu(x.data(), out.data(), 3, false);
  // x * 0.5 * (1 + math.erf(x / math.sqrt(2))).
  expectNear(out,
             {0.8413447460685429, -0.15865525393145707, -0.15426876936299344},
             1e-12);
  gelu(x.data(), out.data(), 3, true);
  // 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))) in Python.
  EXPECT_NEAR(out[0], 0.8411919906082768, 1e-12);
  EXPECT_NEAR(out[2], -0.15428599017485606, 1e-12);
}

TEST(CpuKernelsElementwise, CastAndIsNaN) {
  std::vector<float> f{2.7f, -2.7f, 0.0f, 0.5f};
  std::vector<int64_t> i(4);
  cast(f.data(), i.data(), 4);
  EXPECT_EQ(i, (std::vector<int64_t>{2, -2, 0, 0}));
  std::vector<uint8_t> b(4);
  cast(f.data(), b.data(), 4);
  EXPECT_EQ(b, (std::vector<uint8_t>{1, 1, 0, 1}));
  std::vector<double> d(4);
  cast(b.data(), d.data(), 4);
  EXPECT_EQ(d, (std::vector<double>{1, 1, 0, 1}));
  std::vector<double> tenth{0.1};
  float narrowed;
  cast(tenth.data(), &narrowed, 1);
  EXPECT_EQ(narrowed, 0.1f);
  std::vector<int64_t> big{3, -4};
  std::vector<float> back(2);
  cast(big.data(), back.data(), 2);
  EXPECT_EQ(back, (std::vector<float>{3, -4}));
  std::vector<double> n{1, kNaN};
  isNan(n.data(), b.data(), 2);
  EXPECT_EQ(b[0], 0);
  EXPECT_EQ(b[1], 1);
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

TEST(CpuKernelsReduction, SumMeanMaxOverAxes) {
  Dims d{2, 3, 2};
  std::vector<double> x(12);
  for (int i = 0; i < 12; ++i)
    x[i] = i;
  std::vector<double> out(12);
  int64_t middle[] = {1};
  reduce(ReduceOp::Sum, x.data(), shapeOf(d), middle, 1, out.data());
  out.resize(4);
  EXPECT_EQ(out, (std::vector<double>{6, 9, 24, 27}));
  out.resize(3);
  int64_t outer[] = {0, 2};
  reduce(ReduceOp::Mean, x.data(), shapeOf(d), outer, 2, out.data());
  EXPECT_EQ(out, (std::vector<double>{3.5, 5.5, 7.5}));
  out.resize(6);
  int64_t last[] = {2};
  reduce(ReduceOp::Max, x.data(), shapeOf(d), last, 1, out.data());
  EXPECT_EQ(out, (std::vector<double>{1, 3, 5, 7, 9, 11}));
  int64_t all[] = {0, 1, 2};
  reduce(ReduceOp::Sum, x.data(), shapeOf(d), all, 3, out.data());
  EXPECT_EQ(out[0], 66);
  out.resize(12);
  reduce(ReduceOp::Sum, x.data(), shapeOf(d), nullptr, 0, out.data());
  EXPECT_EQ(out, x);
}

TEST(CpuKernelsReduction, FloatAndIntegerAndNaN) {
  Dims d{2, 3};
  std::vector<float> x{1, kNaN, 3, -1, -2, -3}, out(2);
  int64_t last[] = {1};
  reduce(ReduceOp::Max, x.data(), shapeOf(d), last, 1, out.data());
  EXPECT_TRUE(std::isnan(out[0]));
  EXPECT_EQ(out[1], -1);
  std::vector<int64_t> i{1, 2, 4, 5, 6, 7}, io(3);
  int64_t first[] = {0};
  reduce(ReduceOp::Mean, i.data(), shapeOf(d), first, 1, io.data());
  EXPECT_EQ(io, (std::vector<int64_t>{3, 4, 5}));
}

//===----------------------------------------------------------------------===//
// Softmax and layer norm
//===----------------------------------------------------------------------===//

TEST(CpuKernelsSoftmax, LastAxisAndStability) {
  Dims d{2, 3};
  std::vector<double> x{1, 2, 3, 1000, 1000, 1000}, y(6);
  softmax(x.data(), shapeOf(d), 1, y.data());
  // exp(i) / sum(exp(j)) in Python.
  expectNear(y,
             {0.09003057317038046, 0.24472847105479767, 0.6652409557748219,
              1.0 / 3, 1.0 / 3, 1.0 / 3},
             1e-12);
  logSoftmax(x.data(), shapeOf(d), 1, y.data());
  expectNear(y,
             {-2.40760596444438, -1.4076059644443801, -0.4076059644443803,
              -1.0986122886681098, -1.0986122886681098, -1.0986122886681098},
             1e-12);
}

TEST(CpuKernelsSoftmax, LogSoftmaxOfLargeFloatInputs) {
  // ONNX test_logsoftmax_large_number: log_softmax([0, 1, 2, 3]) shifted by
  // 1e4 must keep float32 precision (x - max first, then log(sum)).
  Dims d{1, 4};
  std::vector<float> x{10000, 10001, 10002, 10003}, y(4);
  logSoftmax(x.data(), shapeOf(d), 1, y.data());
  std::vector<float> expected{-3.4401897f, -2.4401897f, -1.4401897f,
                              -0.4401897f};
  for (int i = 0; i < 4; ++i)
    EXPECT_NEAR(y[i], expected[i], 1e-6) << "element " << i;
}

TEST(CpuKernelsSoftmax, InnerAxis) {
  // Softmax over axis 0 of [3, 2]: columns {1, 2, 3} and {0, 0, 0}.
  Dims d{3, 2};
  std::vector<float> x{1, 0, 2, 0, 3, 0}, y(6);
  softmax(x.data(), shapeOf(d), 0, y.data());
  expectNear(
      y, {0.09003057f, 1.f / 3, 0.24472847f, 1.f / 3, 0.66524096f, 1.f / 3});
}

TEST(CpuKernelsLayerNorm, RowsWithScaleAndBias) {
  // Row {1, 2, 3}: mean 2, var 2/3, inv std sqrt(1.5); row {2, 4, 6}: mean 4,
  // var 8/3, inv std 1/sqrt(8/3). Both normalise to {-1.2247, 0, 1.2247}.
  Dims d{2, 3}, p{3}, stats{2, 1};
  std::vector<double> x{1, 2, 3, 2, 4, 6}, scale{1, 1, 2}, bias{0, 1, 0};
  std::vector<double> y(6), mean(2), rstd(2);
  layerNorm(x.data(), shapeOf(d), scale.data(), shapeOf(p), bias.data(),
            shapeOf(p), 1, 0.0, y.data(), mean.data(), rstd.data());
  double r = 1.224744871391589; // math.sqrt(1.5)
  expectNear(y, {-r, 1, 2 * r, -r, 1, 2 * r}, 1e-12);
  expectNear(mean, {2, 4}, 1e-12);
  expectNear(rstd, {r, 0.6123724356957945}, 1e-12);
}

TEST(CpuKernelsLayerNorm, BroadcastScaleWithoutBias) {
  // Normalised axes [2, 2]; scale [1] = 2 broadcasts; no bias; eps 1e-5
  // over var 1.25 of {1, 2, 3, 4}.
  Dims d{1, 2, 2}, p{1};
  std::vector<float> x{1, 2, 3, 4}, scale{2}, y(4), mean(1), rstd(1);
  layerNorm(x.data(), shapeOf(d), scale.data(), shapeOf(p),
            static_cast<const float *>(nullptr), Shape{}, 1, 1e-5, y.data(),
            mean.data(), rstd.data());
  float r = static_cast<float>(1 / std::sqrt(1.25 + 1e-5));
  expectNear(y, {-1.5f * r * 2, -0.5f * r * 2, 0.5f * r * 2, 1.5f * r * 2},
             1e-5);
  EXPECT_FLOAT_EQ(mean[0], 2.5f);
}

//===----------------------------------------------------------------------===//
// MatMul
//===----------------------------------------------------------------------===//

TEST(CpuKernelsMatMul, MatrixAndVectors) {
  Dims a{2, 3}, b{3, 2}, o{2, 2}, v{3}, r2{2}, scalar{};
  std::vector<float> x{1, 2, 3, 4, 5, 6}, y{7, 8, 9, 10, 11, 12}, out(4);
  matmul(x.data(), shapeOf(a), y.data(), shapeOf(b), out.data(), shapeOf(o));
  EXPECT_EQ(out, (std::vector<float>{58, 64, 139, 154}));
  std::vector<float> vec{1, 2, 3};
  out.assign(2, 0);
  matmul(vec.data(), shapeOf(v), y.data(), shapeOf(b), out.data(), shapeOf(r2));
  EXPECT_EQ(out, (std::vector<float>{58, 64}));
  matmul(x.data(), shapeOf(a), vec.data(), shapeOf(v), out.data(), shapeOf(r2));
  EXPECT_EQ(out, (std::vector<float>{14, 32}));
  matmul(vec.data(), shapeOf(v), vec.data(), shapeOf(v), out.data(),
         shapeOf(scalar));
  EXPECT_EQ(out[0], 14);
}

/// out[b..., i, j] = sum_k lhs[b..., i, k] rhs[b..., k, j] by direct loops
/// for lhs [2, 1, M, K] and rhs [3, K, N].
std::vector<double> referenceBatchMatMul(const std::vector<double> &lhs,
                                         const std::vector<double> &rhs, int m,
                                         int k, int n) {
  std::vector<double> out(2 * 3 * m * n, 0);
  for (int b0 = 0; b0 < 2; ++b0)
    for (int b1 = 0; b1 < 3; ++b1)
      for (int i = 0; i < m; ++i)
        for (int j = 0; j < n; ++j) {
          double s = 0;
          for (int t = 0; t < k; ++t)
            s += lhs[(b0 * m + i) * k + t] * rhs[(b1 * k + t) * n + j];
          out[((b0 * 3 + b1) * m + i) * n + j] = s;
        }
  return out;
}

TEST(CpuKernelsMatMul, BroadcastBatchAxes) {
  const int m = 2, k = 3, n = 4;
  Dims a{2, 1, m, k}, b{3, k, n}, o{2, 3, m, n};
  std::vector<double> x(2 * m * k), y(3 * k * n), out(2 * 3 * m * n);
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = double(i % 7) - 3;
  for (size_t i = 0; i < y.size(); ++i)
    y[i] = double(i % 5) * 0.5;
  matmul(x.data(), shapeOf(a), y.data(), shapeOf(b), out.data(), shapeOf(o));
  expectNear(out, referenceBatchMatMul(x, y, m, k, n), 1e-12);
  // Batched lhs against a single matrix folds into one GEMM.
  Dims a3{2, m, k}, b2{k, n}, o3{2, m, n};
  std::vector<double> folded(2 * m * n);
  matmul(x.data(), shapeOf(a3), y.data(), shapeOf(b2), folded.data(),
         shapeOf(o3));
  std::vector<double> expected(2 * m * n);
  for (int bt = 0; bt < 2; ++bt)
    for (int i = 0; i < m; ++i)
      for (int j = 0; j < n; ++j)
        for (int t = 0; t < k; ++t)
          expected[(bt * m + i) * n + j] +=
              x[(bt * m + i) * k + t] * y[t * n + j];
  expectNear(folded, expected, 1e-12);
}

//===----------------------------------------------------------------------===//
// Conv
//===----------------------------------------------------------------------===//

TEST(CpuKernelsConv, HandCheckedStridePadDilation) {
  // x = 1..9 as 3x3, w = [[1, 0], [0, 1]]: each output is a diagonal pair.
  Dims xd{1, 1, 3, 3}, wd{1, 1, 2, 2};
  std::vector<float> x{1, 2, 3, 4, 5, 6, 7, 8, 9}, w{1, 0, 0, 1}, bias{1};
  ConvParams plain;
  Dims y1{1, 1, 2, 2};
  std::vector<float> out(4);
  conv2d(x.data(), shapeOf(xd), w.data(), shapeOf(wd), bias.data(), out.data(),
         shapeOf(y1), plain);
  EXPECT_EQ(out, (std::vector<float>{7, 9, 13, 15}));
  // Pads 1 all round, stride 2: windows start at (-1,-1), (-1,1), (1,-1),
  // (1,1), giving x(0,0), x(0,2), x(2,0), x(1,1)+x(2,2).
  ConvParams strided;
  strided.strides[0] = strided.strides[1] = 2;
  for (int64_t &p : strided.pads)
    p = 1;
  conv2d(x.data(), shapeOf(xd), w.data(), shapeOf(wd),
         static_cast<const float *>(nullptr), out.data(), shapeOf(y1), strided);
  EXPECT_EQ(out, (std::vector<float>{1, 3, 7, 14}));
  // Dilation 2: the one window reads x(0,0) and x(2,2).
  ConvParams dilated;
  dilated.dilations[0] = dilated.dilations[1] = 2;
  Dims y0{1, 1, 1, 1};
  conv2d(x.data(), shapeOf(xd), w.data(), shapeOf(wd),
         static_cast<const float *>(nullptr), out.data(), shapeOf(y0), dilated);
  EXPECT_EQ(out[0], 10);
}

TEST(CpuKernelsConv, GroupedPointwise) {
  // Two groups of one channel each, 1x1 filters 2 and 3.
  Dims xd{1, 2, 2, 2}, wd{2, 1, 1, 1}, yd{1, 2, 2, 2};
  std::vector<double> x{1, 2, 3, 4, 5, 6, 7, 8}, w{2, 3}, out(8);
  ConvParams p;
  p.group = 2;
  conv2d(x.data(), shapeOf(xd), w.data(), shapeOf(wd),
         static_cast<const double *>(nullptr), out.data(), shapeOf(yd), p);
  EXPECT_EQ(out, (std::vector<double>{2, 4, 6, 8, 15, 18, 21, 24}));
}

TEST(CpuKernelsConv, GroupedAgainstDirectLoops) {
  // N 2, C 4, 5x6 input, M 4, group 2, 3x2 filter, stride (2, 1), pads
  // (1, 0, 0, 2), dilation (1, 2): oH = (5+1-2-1)/2+1 = 2, oW = (6+2-2-1)/1+1
  // = 6.
  const int64_t nb = 2, c = 4, h = 5, wi = 6, m = 4, kh = 3, kw = 2, oh = 2,
                ow = 6, group = 2;
  ConvParams p;
  p.strides[0] = 2;
  p.pads[0] = 1, p.pads[1] = 0, p.pads[2] = 0, p.pads[3] = 2;
  p.dilations[1] = 2;
  p.group = group;
  Dims xd{nb, c, h, wi}, wd{m, c / group, kh, kw}, yd{nb, m, oh, ow};
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(-1, 1);
  std::vector<double> x(nb * c * h * wi), w(m * (c / group) * kh * kw),
      bias{0.5, -1, 2, 0}, out(nb * m * oh * ow);
  for (double &v : x)
    v = u(rng);
  for (double &v : w)
    v = u(rng);
  conv2d(x.data(), shapeOf(xd), w.data(), shapeOf(wd), bias.data(), out.data(),
         shapeOf(yd), p);
  for (int64_t n = 0; n < nb; ++n)
    for (int64_t f = 0; f < m; ++f)
      for (int64_t oy = 0; oy < oh; ++oy)
        for (int64_t ox = 0; ox < ow; ++ox) {
          double s = bias[f];
          int64_t g = f / (m / group);
          for (int64_t ci = 0; ci < c / group; ++ci)
            for (int64_t i = 0; i < kh; ++i)
              for (int64_t j = 0; j < kw; ++j) {
                int64_t iy = oy * 2 - 1 + i, ix = ox - 0 + j * 2;
                if (iy < 0 || iy >= h || ix < 0 || ix >= wi)
                  continue;
                s += x[((n * c + g * (c / group) + ci) * h + iy) * wi + ix] *
                     w[((f * (c / group) + ci) * kh + i) * kw + j];
              }
          EXPECT_NEAR(out[((n * m + f) * oh + oy) * ow + ox], s, 1e-12);
        }
}

//===----------------------------------------------------------------------===//
// Dropout
//===----------------------------------------------------------------------===//

TEST(CpuKernelsDropout, ReproducibleScaledAndSplittable) {
  const int64_t n = 10000;
  std::vector<float> x(n, 1.0f), a(n), b(n);
  std::vector<uint8_t> ma(n), mb(n);
  dropout(x.data(), n, 0.25, 42, 3, a.data(), ma.data());
  dropout(x.data(), n, 0.25, 42, 3, b.data(), mb.data());
  EXPECT_EQ(a, b);
  EXPECT_EQ(ma, mb);
  int64_t kept = 0;
  for (int64_t i = 0; i < n; ++i) {
    kept += ma[i];
    EXPECT_EQ(a[i], ma[i] ? 1.0f / 0.75f : 0.0f);
  }
  EXPECT_NEAR(double(kept) / n, 0.75, 0.02);
  // Another step draws another mask.
  dropout(x.data(), n, 0.25, 42, 4, b.data(), mb.data());
  EXPECT_NE(ma, mb);
  // The second half computed alone, with its element offset, matches.
  dropout(x.data(), n / 2, 0.25, 42, 3, b.data(), mb.data(), n / 2);
  EXPECT_EQ(0, std::memcmp(mb.data(), ma.data() + n / 2, n / 2));
  // Ratio 0 keeps everything unscaled; ratio 1 drops everything.
  dropout(x.data(), n, 0.0, 1, 0, b.data(), mb.data());
  EXPECT_EQ(b, x);
  dropout(x.data(), n, 1.0, 1, 0, b.data(), mb.data());
  EXPECT_EQ(b, std::vector<float>(n, 0.0f));
}

TEST(CpuKernelsErrors, Messages) {
  EXPECT_STREQ(kernelErrorMessage(KernelOk), "ok");
  EXPECT_STREQ(kernelErrorMessage(KernelIndexOutOfRange), "index out of range");
  EXPECT_STREQ(kernelErrorMessage(KernelTargetOutOfRange),
               "loss target out of range");
}

} // namespace

namespace {

TEST(CpuKernelsMatMul, TransposedOperandsEqualExplicitTransposes) {
  // op(A)[2x3x4] @ op(B)[4x5] with A stored [2, 4, 3] and B stored [5, 4]
  // must equal the product of the explicitly transposed copies.
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> dist(-1, 1);
  std::vector<double> a(24), b(20), at(24), bt(20), y(30), expected(30);
  for (double &v : a)
    v = dist(rng);
  for (double &v : b)
    v = dist(rng);
  Dims aStored{2, 4, 3}, bStored{5, 4}, aShape{2, 3, 4}, bShape{4, 5},
      yShape{2, 3, 5};
  int64_t perm3[] = {0, 2, 1}, perm2[] = {1, 0};
  transpose(a.data(), shapeOf(aStored), perm3, at.data());
  transpose(b.data(), shapeOf(bStored), perm2, bt.data());
  matmul(at.data(), shapeOf(aShape), bt.data(), shapeOf(bShape),
         expected.data(), shapeOf(yShape));
  matmul(a.data(), shapeOf(aStored), b.data(), shapeOf(bStored), y.data(),
         shapeOf(yShape), /*transposeLhs=*/true, /*transposeRhs=*/true);
  expectNear(y, expected, 1e-12);
  // Only the right operand transposed takes the single-product path.
  std::vector<double> y2(30);
  matmul(at.data(), shapeOf(aShape), b.data(), shapeOf(bStored), y2.data(),
         shapeOf(yShape), false, true);
  expectNear(y2, expected, 1e-12);
}

} // namespace

// The OpenBLAS core: a user's OPENBLAS_CORETYPE is never overridden; without
// one, a better core is asked for only when OpenBLAS took one older than
// AVX2 (this process was not re-executed: it runs OpenBLAS's own choice).
TEST(BlasCore, RespectsTheUsersChoice) {
  EXPECT_FALSE(blasCoreName().empty());
  ::setenv("OPENBLAS_CORETYPE", "Haswell", 1);
  EXPECT_EQ(betterBlasCore(), "");
  ::unsetenv("OPENBLAS_CORETYPE");
  std::string better = betterBlasCore();
  EXPECT_TRUE(better.empty() || better == "SkylakeX" || better == "Haswell")
      << better;
  // Asked for only instead of a core older than AVX2.
  if (!better.empty())
    for (const char *modern : {"Haswell", "SkylakeX", "Cooperlake", "Zen"})
      EXPECT_NE(blasCoreName(), modern);
}

// The 16-bit floats against their bit patterns: rounding to nearest even,
// subnormals, overflow to infinity, NaN; and casts through them.
TEST(CpuKernels16Bit, HalfRoundsToNearestEven) {
  auto half = [](float f) { return toHalf(f).bits; };
  EXPECT_EQ(half(1.0f), 0x3c00);
  EXPECT_EQ(half(-2.0f), 0xc000);
  EXPECT_EQ(half(65504.0f), 0x7bff);
  EXPECT_EQ(half(65519.0f), 0x7bff); // below the midpoint to 65536
  EXPECT_EQ(half(65520.0f), 0x7c00); // the midpoint rounds to even: inf
  EXPECT_EQ(half(1e9f), 0x7c00);
  EXPECT_EQ(half(-std::numeric_limits<float>::infinity()), 0xfc00);
  EXPECT_EQ(half(std::nanf("")) & 0x7e00, 0x7e00);
  // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: to even (1).
  EXPECT_EQ(half(1.0f + std::ldexp(1.0f, -11)), 0x3c00);
  // 1 + 3 * 2^-11 is halfway to 1 + 2^-9: to even (up).
  EXPECT_EQ(half(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);
  EXPECT_EQ(half(std::ldexp(1.0f, -14)), 0x0400); // smallest normal
  EXPECT_EQ(half(std::ldexp(1.0f, -24)), 0x0001); // smallest subnormal
  EXPECT_EQ(half(std::ldexp(1.0f, -25)), 0x0000); // halfway to 0: even
  EXPECT_EQ(half(std::ldexp(3.0f, -25)), 0x0002); // halfway to 2: even
  EXPECT_EQ(half(-0.0f), 0x8000);
  for (uint16_t bits : {0x0001, 0x03ff, 0x0400, 0x3555, 0x7bff, 0xc000})
    EXPECT_EQ(half(toFloat(Half{bits})), bits) << bits;
  EXPECT_EQ(toFloat(Half{0x0001}), std::ldexp(1.0f, -24));
  EXPECT_TRUE(std::isinf(toFloat(Half{0x7c00})));
}

TEST(CpuKernels16Bit, BFloat16RoundsToNearestEven) {
  auto bf = [](float f) { return toBFloat16(f).bits; };
  EXPECT_EQ(bf(1.0f), 0x3f80);
  EXPECT_EQ(bf(1.0f + std::ldexp(1.0f, -8)), 0x3f80); // halfway: even
  EXPECT_EQ(bf(1.0f + 3 * std::ldexp(1.0f, -8)), 0x3f82);
  EXPECT_EQ(bf(std::numeric_limits<float>::max()), 0x7f80); // rounds up
  EXPECT_EQ(bf(std::nanf("")) & 0x7fc0, 0x7fc0);
  EXPECT_EQ(toFloat(BFloat16{0x4049}), 3.140625f);
  std::vector<double> in = {1.0, -2.5, 70000.0, 1e-8};
  std::vector<Half> h(4);
  cast(in.data(), h.data(), 4);
  EXPECT_EQ(h[0].bits, 0x3c00);
  EXPECT_EQ(h[1].bits, 0xc100);
  EXPECT_EQ(h[2].bits, 0x7c00);
  EXPECT_EQ(h[3].bits, 0x0000);
  std::vector<int64_t> back(4);
  std::vector<uint8_t> flags(4);
  cast(h.data(), back.data(), 4);
  cast(h.data(), flags.data(), 4);
  EXPECT_EQ(back[1], -2);
  EXPECT_EQ(flags, (std::vector<uint8_t>{1, 1, 1, 0}));
}
