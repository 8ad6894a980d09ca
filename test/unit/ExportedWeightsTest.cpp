//===- ExportedWeightsTest.cpp - Ties and buffers in exported weights -----===//
//
// The importer's judgements on initializers: which are tied copies
// (TiedInitializers.h) and which are provably buffers (FrozenInitializers.h),
// and how the copies are written back (TiedCopies.h).
//
//===----------------------------------------------------------------------===//

#include "compiler/onnx/FrozenInitializers.h"
#include "compiler/onnx/TiedInitializers.h"
#include "runtime/io/TiedCopies.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/MLIRContext.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

using namespace dsc;

namespace {

onnx_import::Parameter tensor(mlir::MLIRContext &ctx, std::string name,
                              std::vector<int64_t> shape,
                              const std::vector<float> &values) {
  onnx_import::Parameter p;
  p.name = std::move(name);
  p.type = mlir::RankedTensorType::get(shape, mlir::Float32Type::get(&ctx));
  p.data.resize(values.size() * sizeof(float));
  std::memcpy(p.data.data(), values.data(), p.data.size());
  return p;
}

/// A Llama-style rotary table as PyTorch computes it in float32:
/// [1, 1, positions, d] of cos (or sin) of p * base^(-2i/d), halves repeated.
std::vector<float> rotaryTable(int64_t positions, int64_t d, bool sine) {
  std::vector<float> out(positions * d);
  for (int64_t p = 0; p < positions; ++p)
    for (int64_t j = 0; j < d; ++j) {
      float inv =
          1.0f / std::pow(10000.0f, static_cast<float>(2 * (j % (d / 2))) /
                                        static_cast<float>(d));
      float angle = static_cast<float>(p) * inv;
      out[p * d + j] = sine ? std::sin(angle) : std::cos(angle);
    }
  return out;
}

std::vector<float> randomValues(size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  std::vector<float> out(n);
  for (float &v : out)
    v = normal(gen);
  return out;
}

} // namespace

TEST(FrozenInitializers, RotaryTablesOfAnyLengthAreBuffers) {
  mlir::MLIRContext ctx;
  // Long tables: a low frequency read from row 1 of the cosine is lost to
  // float32 rounding (a 2048-position cos table used to be trained).
  for (auto [positions, d] :
       {std::pair<int64_t, int64_t>{32, 16}, {128, 64}, {2048, 128}}) {
    for (bool sine : {false, true}) {
      auto p = tensor(ctx, "t", {1, 1, positions, d},
                      rotaryTable(positions, d, sine));
      auto why = onnx_import::provenBuffer(p);
      ASSERT_TRUE(why.has_value()) << positions << "x" << d << " sine " << sine;
      EXPECT_NE(why->find(sine ? "sin" : "cos"), std::string::npos);
    }
  }
}

TEST(FrozenInitializers, WeightsAndConstantTensorsAreNot) {
  mlir::MLIRContext ctx;
  EXPECT_FALSE(onnx_import::provenBuffer(
      tensor(ctx, "w", {64, 64}, randomValues(64 * 64, 1))));
  EXPECT_FALSE(onnx_import::provenBuffer(
      tensor(ctx, "ones", {32, 16}, std::vector<float>(32 * 16, 1.0f))));
  EXPECT_FALSE(onnx_import::provenBuffer(
      tensor(ctx, "zeros", {32, 16}, std::vector<float>(32 * 16, 0.0f))));
  // Leading axes other than 1 are not a table.
  EXPECT_FALSE(onnx_import::provenBuffer(tensor(ctx, "t", {2, 32, 16}, [] {
    auto half = rotaryTable(32, 16, false);
    half.insert(half.end(), half.begin(), half.end());
    return half;
  }())));
}

TEST(TiedInitializers, CopiesAndTransposesOfLargeTensors) {
  mlir::MLIRContext ctx;
  std::vector<float> w = randomValues(64 * 128, 2);
  std::vector<float> wt(w.size());
  for (int r = 0; r < 64; ++r)
    for (int c = 0; c < 128; ++c)
      wt[c * 64 + r] = w[r * 128 + c];
  std::vector<float> small = randomValues(16, 3);
  std::vector<onnx_import::Parameter> params = {
      tensor(ctx, "onnx::MatMul_7", {128, 64}, wt), // folded, listed first
      tensor(ctx, "wte.weight", {64, 128}, w),
      tensor(ctx, "copy", {64, 128}, w), tensor(ctx, "s", {4, 4}, small),
      tensor(ctx, "s2", {4, 4}, small)};
  auto ties =
      onnx_import::findTiedInitializers(params, [](size_t) { return true; });
  ASSERT_EQ(ties.size(), 2u);
  // The model's own name is kept even when the folded copy comes first.
  EXPECT_EQ(ties[0].copy, 0u);
  EXPECT_EQ(ties[0].source, 1u);
  EXPECT_TRUE(ties[0].transposed);
  EXPECT_EQ(ties[1].copy, 2u);
  EXPECT_EQ(ties[1].source, 1u);
  EXPECT_FALSE(ties[1].transposed);
  // Ineligible parameters take no part.
  EXPECT_TRUE(onnx_import::findTiedInitializers(params, [](size_t i) {
                return i != 1;
              }).size() == 1);
}

TEST(TiedCopies, WrittenAsTheirTransposedSource) {
  const float source[6] = {1, 2, 3, 4, 5, 6}; // [2, 3]
  std::vector<runtime::TensorToWrite> tensors = {
      {"w", runtime::DType::F32, {2, 3}, source}};
  std::vector<std::vector<char>> storage;
  ASSERT_TRUE(runtime::appendTiedCopies(
                  tensors, {{"wt", "w", true}, {"w2", "w", false}}, storage)
                  .ok());
  ASSERT_EQ(tensors.size(), 3u);
  EXPECT_EQ(tensors[1].shape, (std::vector<int64_t>{3, 2}));
  const float *t = static_cast<const float *>(tensors[1].data);
  EXPECT_EQ(t[0], 1);
  EXPECT_EQ(t[1], 4);
  EXPECT_EQ(t[2], 2);
  EXPECT_EQ(tensors[2].data, source);
  // Bad ties: a missing source, a name taken, a transpose of a 1-D tensor.
  const float vec[2] = {1, 2};
  std::vector<runtime::TensorToWrite> one = {
      {"v", runtime::DType::F32, {2}, vec}};
  EXPECT_EQ(
      runtime::appendTiedCopies(one, {{"c", "nope", false}}, storage).message(),
      "tied copy 'c': no tensor 'nope' to copy");
  EXPECT_EQ(
      runtime::appendTiedCopies(one, {{"v", "v", false}}, storage).message(),
      "tied copy 'v' is also a tensor of its own");
  EXPECT_EQ(
      runtime::appendTiedCopies(one, {{"vt", "v", true}}, storage).message(),
      "tied copy 'vt': 'v' is not 2-D, so it has no transpose");
}
