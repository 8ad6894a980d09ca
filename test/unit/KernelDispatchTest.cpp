//===- KernelDispatchTest.cpp - the kernels' entry points, called ---------===//
//
// Builds call sites as the compiler does (kernels/KernelDecls.h: the site
// checked against the kernel's declaration, then encoded) and calls the
// entry point the compiler would call, found by its symbol. Checks the
// kernels' results against hand-computed values, the data errors' messages
// (captured through the replaceable error handler), and that the compiler's
// table of entry points and the runtime's are the same list.
//
//===----------------------------------------------------------------------===//

#include "runtime/dispatch/KernelDispatch.h"

#include "kernels/KernelDecls.h"
#include "kernels/cpu/CpuKernels.h"
#include "test/unit/KernelSiteAttrs.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>
#include <string>
#include <vector>

using namespace dsc::runtime;
namespace kd = dsc::kernels;

namespace {

using Dims = std::vector<int64_t>;

/// The declaration whose entry point is dsrt_k_<typed>, or null.
const kd::KernelDecl *declOf(const std::string &typed) {
  for (const kd::KernelDecl &decl : kd::kernelDecls())
    for (const kd::KernelVariant &v : decl.variants)
      if (v.symbol == "dsrt_k_" + typed)
        return &decl;
  return nullptr;
}

/// One call site: the kernel by its typed name ("add_f32"), its attributes
/// (a JSON object with the declaration's names, enums by their spelling),
/// its buffers. run() checks and encodes the site, then calls the entry
/// point.
class Site {
public:
  Site(std::string kernel, std::string attrs, std::string location = "node")
      : kernel(std::move(kernel)), attrs(std::move(attrs)),
        location(std::move(location)) {}

  template <typename T> Site &in(int32_t dtype, Dims dims, T *data) {
    return buffer(dtype, std::move(dims),
                  const_cast<void *>(static_cast<const void *>(data)));
  }
  template <typename T> Site &in(int32_t dtype, Dims dims, std::vector<T> &v) {
    return in(dtype, std::move(dims), v.data());
  }
  template <typename T> Site &out(int32_t dtype, Dims dims, std::vector<T> &v) {
    ++numOutputs;
    return buffer(dtype, std::move(dims), v.data());
  }

  /// Checks and encodes the site (failing the test on a problem), then runs
  /// the entry point.
  void run(int64_t step = 0) {
    const kd::KernelDecl *decl = declOf(kernel);
    ASSERT_NE(decl, nullptr) << kernel;
    kd::KernelSite site;
    site.decl = decl;
    site.numOutputs = numOutputs;
    site.numInputs = static_cast<int>(shapes.size()) - numOutputs;
    site.shapes = shapes;
    site.dtypes = dtypes;
    ASSERT_EQ(dsc::test::setSiteAttrs(site, attrs), "");
    std::string problem;
    const kd::KernelVariant *variant = kd::resolveSite(site, problem);
    ASSERT_NE(variant, nullptr) << kernel << ": " << problem;
    ASSERT_EQ(std::string(variant->symbol), "dsrt_k_" + kernel);
    words = kd::encodeSite(site);
    dsrt_kernel_fn fn = findKernelEntry(variant->symbol);
    ASSERT_NE(fn, nullptr) << variant->symbol;
    dsrt_ctx ctx;
    ctx.step = step;
    fn(&ctx, data.data(), words.data(), location.c_str());
  }

private:
  Site &buffer(int32_t dtype, Dims dims, void *ptr) {
    dtypes.push_back(dtype);
    shapes.push_back(std::move(dims));
    data.push_back(ptr);
    return *this;
  }

  std::string kernel, attrs, location;
  std::vector<Dims> shapes;
  std::vector<int32_t> dtypes;
  std::vector<void *> data;
  std::vector<int64_t> words;
  int numOutputs = 0;
};

template <typename T>
void expectNear(const std::vector<T> &actual, const std::vector<T> &expected,
                double tol = 1e-6) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i)
    EXPECT_NEAR(actual[i], expected[i], tol) << "at " << i;
}

struct Reported {
  int code;
  std::string message;
};

class KernelDispatch : public ::testing::Test {
protected:
  void SetUp() override {
    setErrorHandler([this](int code, const std::string &message) {
      reported.push_back({code, message});
    });
  }
  void TearDown() override { setErrorHandler(nullptr); }

  std::vector<Reported> reported;
};

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

TEST_F(KernelDispatch, AddBroadcasts) {
  std::vector<float> a{1, 2, 3, 4, 5, 6}, b{10, 20, 30}, y(6);
  Site site("add_f32", "{}");
  site.in(DSRT_F32, {2, 3}, a).in(DSRT_F32, {3}, b).out(DSRT_F32, {2, 3}, y);
  site.run();
  EXPECT_EQ(y, (std::vector<float>{11, 22, 33, 14, 25, 36}));

  // [2, 1] * [1, 3] in int64.
  std::vector<int64_t> c{1, 2}, d{10, 20, 30}, z(6);
  Site mul("mul_i64", "{}");
  mul.in(DSRT_I64, {2, 1}, c).in(DSRT_I64, {1, 3}, d).out(DSRT_I64, {2, 3}, z);
  mul.run();
  EXPECT_EQ(z, (std::vector<int64_t>{10, 20, 30, 20, 40, 60}));
  EXPECT_TRUE(reported.empty());
}

TEST_F(KernelDispatch, LessGivesBooleans) {
  std::vector<float> a{1, 5, 3}, b{2, 5, 1}, scalar{3};
  std::vector<uint8_t> y(3), z(3);
  Site site("less_f32", "{}");
  site.in(DSRT_F32, {3}, a).in(DSRT_F32, {3}, b).out(DSRT_BOOL, {3}, y);
  site.run();
  EXPECT_EQ(y, (std::vector<uint8_t>{1, 0, 0}));
  Site vsScalar("less_f32", "{}");
  vsScalar.in(DSRT_F32, {3}, a).in(DSRT_F32, {}, scalar).out(DSRT_BOOL, {3}, z);
  vsScalar.run();
  EXPECT_EQ(z, (std::vector<uint8_t>{1, 0, 0}));
}

TEST_F(KernelDispatch, WhereSelectsWithBooleanCondition) {
  std::vector<uint8_t> cond{1, 0, 1};
  std::vector<float> lhs{1, 2, 3}, rhs{9}, y(3);
  Site site("where_f32", "{}");
  site.in(DSRT_BOOL, {3}, cond)
      .in(DSRT_F32, {3}, lhs)
      .in(DSRT_F32, {}, rhs)
      .out(DSRT_F32, {3}, y);
  site.run();
  EXPECT_EQ(y, (std::vector<float>{1, 9, 3}));

  // Booleans themselves.
  std::vector<uint8_t> t{1, 1, 1}, f{0, 0, 0}, b(3);
  Site bools("where_i1", "{}");
  bools.in(DSRT_BOOL, {3}, cond)
      .in(DSRT_BOOL, {3}, t)
      .in(DSRT_BOOL, {3}, f)
      .out(DSRT_BOOL, {3}, b);
  bools.run();
  EXPECT_EQ(b, (std::vector<uint8_t>{1, 0, 1}));
}

TEST_F(KernelDispatch, UnaryAndGelu) {
  std::vector<int64_t> x{-2, 0, 3}, y(3);
  Site relu("relu_i64", "{}");
  relu.in(DSRT_I64, {3}, x).out(DSRT_I64, {3}, y);
  relu.run();
  EXPECT_EQ(y, (std::vector<int64_t>{0, 0, 3}));

  // gelu(0) = 0; gelu(x) with "approximate" defaulting to "none".
  std::vector<float> g{0, 1}, h(2);
  Site gelu("gelu_f32", "{}");
  gelu.in(DSRT_F32, {2}, g).out(DSRT_F32, {2}, h);
  gelu.run();
  expectNear(h, {0.f, 0.5f * (1 + std::erf(1 / std::sqrt(2.f)))});
}

TEST_F(KernelDispatch, CastInt64ToFloat) {
  std::vector<int64_t> x{-3, 0, 7};
  std::vector<float> y(3);
  Site site("cast_i64_f32", "{}");
  site.in(DSRT_I64, {3}, x).out(DSRT_F32, {3}, y);
  site.run();
  EXPECT_EQ(y, (std::vector<float>{-3, 0, 7}));

  std::vector<float> f{0.f, -2.5f};
  std::vector<uint8_t> b(2);
  Site toBool("cast_f32_i1", "{}");
  toBool.in(DSRT_F32, {2}, f).out(DSRT_BOOL, {2}, b);
  toBool.run();
  EXPECT_EQ(b, (std::vector<uint8_t>{0, 1}));
}

TEST_F(KernelDispatch, CopyIsAByteCopy) {
  std::vector<float> x{1, 2, 3, 4, 5, 6}, y(6);
  Site site("copy", "{}");
  site.in(DSRT_F32, {2, 3}, x).out(DSRT_F32, {6}, y);
  site.run();
  EXPECT_EQ(y, x);

  std::vector<int64_t> i{7, -8}, j(2);
  Site ints("copy", "");
  ints.in(DSRT_I64, {2, 1}, i).out(DSRT_I64, {1, 2}, j);
  ints.run();
  EXPECT_EQ(j, i);
}

//===----------------------------------------------------------------------===//
// Numeric
//===----------------------------------------------------------------------===//

TEST_F(KernelDispatch, MatMul) {
  std::vector<float> a{1, 2, 3, 4, 5, 6}, b{7, 8, 9, 10, 11, 12}, y(4);
  Site site("matmul_f32", "{}");
  site.in(DSRT_F32, {2, 3}, a).in(DSRT_F32, {3, 2}, b).out(DSRT_F32, {2, 2}, y);
  site.run();
  expectNear(y, {58, 64, 139, 154}, 1e-4);
}

TEST_F(KernelDispatch, Softmax) {
  std::vector<float> x{0, std::log(3.f), 1, 1}, y(4);
  Site site("softmax_f32", R"({"axis": 1})");
  site.in(DSRT_F32, {2, 2}, x).out(DSRT_F32, {2, 2}, y);
  site.run();
  expectNear(y, {0.25f, 0.75f, 0.5f, 0.5f});

  // A negative axis counts from the end.
  std::vector<float> z(4);
  Site last("softmax_f32", R"({"axis": -1})");
  last.in(DSRT_F32, {2, 2}, x).out(DSRT_F32, {2, 2}, z);
  last.run();
  EXPECT_EQ(z, y);
}

TEST_F(KernelDispatch, LayerNormWithAndWithoutBias) {
  // Rows {1, 3} (mean 2, var 1) and {2, 6} (mean 4, var 4): xh = {-1, 1}.
  std::vector<float> x{1, 3, 2, 6}, scale{2, 3}, bias{10, 20};
  std::vector<float> y(4), mean(2), inv(2);
  Site site("layer_norm_f32", R"({"axis": 1, "epsilon": 0.0})");
  site.in(DSRT_F32, {2, 2}, x)
      .in(DSRT_F32, {2}, scale)
      .in(DSRT_F32, {2}, bias)
      .out(DSRT_F32, {2, 2}, y)
      .out(DSRT_F32, {2, 1}, mean)
      .out(DSRT_F32, {2, 1}, inv);
  site.run();
  expectNear(y, {8, 23, 8, 23});
  expectNear(mean, {2, 4});
  expectNear(inv, {1, 0.5f});

  std::vector<float> y2(4), mean2(2), inv2(2);
  Site noBias("layer_norm_f32", R"({"axis": 1, "epsilon": 0})");
  noBias.in(DSRT_F32, {2, 2}, x)
      .in(DSRT_F32, {2}, scale)
      .out(DSRT_F32, {2, 2}, y2)
      .out(DSRT_F32, {2, 1}, mean2)
      .out(DSRT_F32, {2, 1}, inv2);
  noBias.run();
  expectNear(y2, {-2, 3, -2, 3});
}

TEST_F(KernelDispatch, ReduceSumKeepdims) {
  std::vector<float> x{1, 2, 3, 4, 5, 6}, rows(2), all(1);
  Site site("reduce_sum_f32", R"({"axes": [1], "keepdims": true})");
  site.in(DSRT_F32, {2, 3}, x).out(DSRT_F32, {2, 1}, rows);
  site.run();
  EXPECT_EQ(rows, (std::vector<float>{6, 15}));
  Site both("reduce_sum_f32", R"({"axes": [0, 1], "keepdims": true})");
  both.in(DSRT_F32, {2, 3}, x).out(DSRT_F32, {1, 1}, all);
  both.run();
  EXPECT_EQ(all, (std::vector<float>{21}));
}

TEST_F(KernelDispatch, ConvWithBias) {
  // The filter sums each 2x2 window's diagonal.
  std::vector<float> x{1, 2, 3, 4, 5, 6, 7, 8, 9}, w{1, 0, 0, 1}, b{10}, y(4);
  Site site("conv_f32", R"({"strides": [1, 1], "pads": [0, 0, 0, 0],
                           "dilations": [1, 1], "group": 1})");
  site.in(DSRT_F32, {1, 1, 3, 3}, x)
      .in(DSRT_F32, {1, 1, 2, 2}, w)
      .in(DSRT_F32, {1}, b)
      .out(DSRT_F32, {1, 1, 2, 2}, y);
  site.run();
  expectNear(y, {16, 18, 22, 24}, 1e-5);
}

TEST_F(KernelDispatch, SoftmaxCrossEntropyLossAndGradWithIgnoreIndex) {
  // Rows: logits {0, 0} target 0; {0, ln 3} target 1; the third ignored.
  std::vector<float> x{0, 0, 0, std::log(3.f), 5, 1};
  std::vector<int64_t> t{0, 1, -100};
  std::vector<float> loss(1), logp(6);
  const char *attrs = R"({"reduction": "mean", "ignore_index": -100})";
  Site site("softmax_cross_entropy_loss_f32", attrs);
  site.in(DSRT_F32, {3, 2}, x)
      .in(DSRT_I64, {3}, t)
      .out(DSRT_F32, {}, loss)
      .out(DSRT_F32, {3, 2}, logp);
  site.run();
  expectNear(loss, {(std::log(2.f) - std::log(0.75f)) / 2});
  EXPECT_NEAR(logp[0], -std::log(2.f), 1e-6);
  EXPECT_NEAR(logp[3], std::log(0.75f), 1e-6);

  // (softmax - onehot) / 2 counted samples; ignored row zero.
  std::vector<float> dloss{1}, dx(6, 42.f);
  Site grad("softmax_cross_entropy_loss_grad_f32", attrs);
  grad.in(DSRT_F32, {3, 2}, logp)
      .in(DSRT_I64, {3}, t)
      .in(DSRT_F32, {}, dloss)
      .out(DSRT_F32, {3, 2}, dx);
  grad.run();
  expectNear(dx, {-0.25f, 0.25f, 0.125f, -0.125f, 0, 0});
}

TEST_F(KernelDispatch, DropoutUsesTheStep) {
  const int64_t n = 64;
  std::vector<float> x(n), y(n), yDirect(n);
  for (int64_t i = 0; i < n; ++i)
    x[i] = static_cast<float>(i + 1);
  std::vector<uint8_t> mask(n), maskDirect(n);
  Site site("dropout_f32", R"({"ratio": 0.5, "seed": 7})");
  site.in(DSRT_F32, {n}, x).out(DSRT_F32, {n}, y).out(DSRT_BOOL, {n}, mask);
  // The step comes from the context.
  site.run(/*step=*/3);
  dsc::kernels::cpu::dropout(x.data(), n, 0.5, 7, 3, yDirect.data(),
                             maskDirect.data());
  EXPECT_EQ(y, yDirect);
  EXPECT_EQ(mask, maskDirect);
  int64_t kept = 0;
  for (int64_t i = 0; i < n; ++i) {
    EXPECT_EQ(y[i], mask[i] ? 2 * x[i] : 0.f) << "at " << i;
    kept += mask[i];
  }
  EXPECT_GT(kept, 0);
  EXPECT_LT(kept, n);
  // Another step draws another mask.
  std::vector<uint8_t> step0(n);
  site.run(/*step=*/0);
  step0 = mask;
  EXPECT_NE(step0, maskDirect);
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

TEST_F(KernelDispatch, GatherWithInt64Indices) {
  std::vector<float> table{1, 2, 3, 4, 5, 6}, y(4);
  std::vector<int64_t> ids{2, -3};
  Site site("gather_f32", R"({"axis": 0})");
  site.in(DSRT_F32, {3, 2}, table)
      .in(DSRT_I64, {2}, ids)
      .out(DSRT_F32, {2, 2}, y);
  site.run();
  EXPECT_EQ(y, (std::vector<float>{5, 6, 1, 2}));
}

TEST_F(KernelDispatch, Transpose) {
  std::vector<float> x{1, 2, 3, 4, 5, 6}, y(6);
  Site site("transpose_f32", R"({"perm": [1, 0]})");
  site.in(DSRT_F32, {2, 3}, x).out(DSRT_F32, {3, 2}, y);
  site.run();
  EXPECT_EQ(y, (std::vector<float>{1, 4, 2, 5, 3, 6}));
}

TEST_F(KernelDispatch, Slice) {
  std::vector<float> x{0, 1, 2, 3, 4, 5, 6, 7}, y(4);
  Site site("slice_f32",
            R"({"starts": [0, 1], "ends": [2, 4], "steps": [1, 2]})");
  site.in(DSRT_F32, {2, 4}, x).out(DSRT_F32, {2, 2}, y);
  site.run();
  EXPECT_EQ(y, (std::vector<float>{1, 3, 5, 7}));
}

TEST_F(KernelDispatch, ConcatThreeInputs) {
  std::vector<float> a{1, 2}, b{3, 4, 5, 6}, c{7, 8}, y(8);
  Site site("concat_f32", R"({"axis": 1})");
  site.in(DSRT_F32, {2, 1}, a)
      .in(DSRT_F32, {2, 2}, b)
      .in(DSRT_F32, {2, 1}, c)
      .out(DSRT_F32, {2, 4}, y);
  site.run();
  EXPECT_EQ(y, (std::vector<float>{1, 3, 4, 7, 2, 5, 6, 8}));
}

// More inputs than the entry point's inline arrays hold (16): the shapes
// and addresses go to the heap; the site's header has a record offset per
// buffer. A negative axis is normalised by the compiler's check.
TEST_F(KernelDispatch, ConcatManyInputs) {
  constexpr int n = 20;
  std::vector<std::vector<int64_t>> inputs(n);
  std::vector<int64_t> y(2 * n), expected(2 * n);
  Site site("concat_i64", R"({"axis": -1})");
  for (int i = 0; i < n; ++i) {
    inputs[i] = {i, 100 + i};
    expected[i] = i;
    expected[n + i] = 100 + i;
    site.in(DSRT_I64, {2, 1}, inputs[i]);
  }
  site.out(DSRT_I64, {2, n}, y);
  site.run();
  EXPECT_EQ(y, expected);
}

// 16-bit storage: the entry point converts to float, runs the float kernel,
// rounds the outputs back (to nearest even).
TEST_F(KernelDispatch, SixteenBitStorageComputesInFloat) {
  namespace c = dsc::kernels::cpu;
  auto half = [](float f) { return c::toHalf(f).bits; };
  auto bf16 = [](float f) { return c::toBFloat16(f).bits; };
  std::vector<uint16_t> a{half(1), half(2.5f), half(65504)}, one{half(1)}, y(3);
  Site add("add_f16", "{}");
  add.in(DSRT_F16, {3}, a).in(DSRT_F16, {1}, one).out(DSRT_F16, {3}, y);
  add.run();
  // 65504 + 1 rounds back to 65504, the largest half.
  EXPECT_EQ(y, (std::vector<uint16_t>{half(2), half(3.5f), half(65504)}));

  std::vector<uint16_t> m{bf16(1), bf16(2), bf16(3), bf16(4)},
      eye{bf16(1), 0, 0, bf16(1)}, p(4);
  Site mm("matmul_bf16", "{}");
  mm.in(DSRT_BF16, {2, 2}, m)
      .in(DSRT_BF16, {2, 2}, eye)
      .out(DSRT_BF16, {2, 2}, p);
  mm.run();
  EXPECT_EQ(p, m);

  std::vector<uint16_t> x{half(0), half(std::log(3.0f))}, s(2);
  Site softmax("softmax_f16", R"({"axis": 0})");
  softmax.in(DSRT_F16, {2}, x).out(DSRT_F16, {2}, s);
  softmax.run();
  EXPECT_EQ(s, (std::vector<uint16_t>{half(0.25f), half(0.75f)}));

  // A cast from a 16-bit type to itself: its result is 16-bit too (it was
  // once written as float, past the end of the buffer).
  std::vector<uint16_t> same(4, 0xffff);
  Site cast("cast_f16_f16", "{}");
  cast.in(DSRT_F16, {3}, a).out(DSRT_F16, {3}, same);
  cast.run();
  EXPECT_EQ(same,
            (std::vector<uint16_t>{half(1), half(2.5f), half(65504), 0xffff}));
  EXPECT_TRUE(reported.empty());
}

// fused_elementwise computes a chain as the unfused kernels do, bit for bit:
// tanh(x + x * c) with c broadcast.
TEST_F(KernelDispatch, FusedChainEqualsTheUnfusedKernels) {
  std::vector<float> x(12), c{0.0447f}, t1(12), t2(12), unfused(12), fused(12);
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = 0.37f * static_cast<float>(i) - 2.1f;
  Site mul("mul_f32", "{}");
  mul.in(DSRT_F32, {3, 4}, x).in(DSRT_F32, {}, c).out(DSRT_F32, {3, 4}, t1);
  mul.run();
  Site add("add_f32", "{}");
  add.in(DSRT_F32, {3, 4}, x)
      .in(DSRT_F32, {3, 4}, t1)
      .out(DSRT_F32, {3, 4}, t2);
  add.run();
  Site tanh("tanh_f32", "{}");
  tanh.in(DSRT_F32, {3, 4}, t2).out(DSRT_F32, {3, 4}, unfused);
  tanh.run();
  Site chain("fused_elementwise_f32",
             R"({"program": [3, 1, 2, 0, 1, 1, 0, 0, 2, 0, 7, 3, 0]})");
  chain.in(DSRT_F32, {3, 4}, x)
      .in(DSRT_F32, {}, c)
      .out(DSRT_F32, {3, 4}, fused);
  chain.run();
  EXPECT_EQ(std::memcmp(fused.data(), unfused.data(), 12 * sizeof(float)), 0);

  // A row broadcast (a bias) and a column one: tanh(x + row) * column, over
  // more elements than one chunk (256) with a row that does not divide it.
  const size_t n = 300;
  std::vector<float> big(n), row{0.5f, -1.25f, 2.0f}, column(100), sum(n), t(n),
      product(n), chained(n);
  for (size_t i = 0; i < n; ++i)
    big[i] = 0.01f * static_cast<float>(i) - 1.3f;
  for (size_t i = 0; i < column.size(); ++i)
    column[i] = 0.03f * static_cast<float>(i) - 1.0f;
  Site addRow("add_f32", "{}");
  addRow.in(DSRT_F32, {100, 3}, big)
      .in(DSRT_F32, {3}, row)
      .out(DSRT_F32, {100, 3}, sum);
  addRow.run();
  Site tanhSum("tanh_f32", "{}");
  tanhSum.in(DSRT_F32, {100, 3}, sum).out(DSRT_F32, {100, 3}, t);
  tanhSum.run();
  Site byColumn("mul_f32", "{}");
  byColumn.in(DSRT_F32, {100, 3}, t)
      .in(DSRT_F32, {100, 1}, column)
      .out(DSRT_F32, {100, 3}, product);
  byColumn.run();
  Site broadcast("fused_elementwise_f32",
                 R"({"program": [3, 1, 0, 0, 1, 0, 7, 3, 0, 1, 2, 4, 2]})");
  broadcast.in(DSRT_F32, {100, 3}, big)
      .in(DSRT_F32, {3}, row)
      .in(DSRT_F32, {100, 1}, column)
      .out(DSRT_F32, {100, 3}, chained);
  broadcast.run();
  EXPECT_EQ(std::memcmp(chained.data(), product.data(), n * sizeof(float)), 0);

  // bf16: the fused kernel rounds after each op as the unfused ones store
  // their results (rounding only at the end would differ).
  namespace bf = dsc::kernels::cpu;
  std::vector<uint16_t> hx(n), hc{bf::toBFloat16(0.0447f).bits}, h1(n), h2(n),
      hUnfused(n), hFused(n);
  for (size_t i = 0; i < n; ++i)
    hx[i] = bf::toBFloat16(big[i]).bits;
  Site hmul("mul_bf16", "{}");
  hmul.in(DSRT_BF16, {100, 3}, hx)
      .in(DSRT_BF16, {}, hc)
      .out(DSRT_BF16, {100, 3}, h1);
  hmul.run();
  Site hadd("add_bf16", "{}");
  hadd.in(DSRT_BF16, {100, 3}, hx)
      .in(DSRT_BF16, {100, 3}, h1)
      .out(DSRT_BF16, {100, 3}, h2);
  hadd.run();
  Site htanh("tanh_bf16", "{}");
  htanh.in(DSRT_BF16, {100, 3}, h2).out(DSRT_BF16, {100, 3}, hUnfused);
  htanh.run();
  Site hchain("fused_elementwise_bf16",
              R"({"program": [3, 1, 2, 0, 1, 1, 0, 0, 2, 0, 7, 3, 0]})");
  hchain.in(DSRT_BF16, {100, 3}, hx)
      .in(DSRT_BF16, {}, hc)
      .out(DSRT_BF16, {100, 3}, hFused);
  hchain.run();
  EXPECT_EQ(hFused, hUnfused);
  EXPECT_TRUE(reported.empty());
}

TEST_F(KernelDispatch, PadReflect) {
  std::vector<float> x{1, 2, 3, 4, 5, 6}, y(10);
  Site site("pad_f32", R"({"pads": [0, 1, 0, 1], "mode": "reflect"})");
  site.in(DSRT_F32, {2, 3}, x).out(DSRT_F32, {2, 5}, y);
  site.run();
  EXPECT_EQ(y, (std::vector<float>{2, 1, 2, 3, 2, 5, 4, 5, 6, 5}));
}

TEST_F(KernelDispatch, TriluWithAndWithoutK) {
  std::vector<float> x{1, 2, 3, 4, 5, 6, 7, 8, 9}, upper(9), lower(9);
  Site site("trilu_f32", R"({"upper": true})");
  site.in(DSRT_F32, {3, 3}, x).out(DSRT_F32, {3, 3}, upper);
  site.run();
  EXPECT_EQ(upper, (std::vector<float>{1, 2, 3, 0, 5, 6, 0, 0, 9}));

  std::vector<int64_t> k{1};
  Site withK("trilu_f32", R"({"upper": false})");
  withK.in(DSRT_F32, {3, 3}, x)
      .in(DSRT_I64, {}, k)
      .out(DSRT_F32, {3, 3}, lower);
  withK.run();
  EXPECT_EQ(lower, (std::vector<float>{1, 2, 0, 4, 5, 6, 7, 8, 9}));
}

TEST_F(KernelDispatch, MoreDataMovement) {
  std::vector<float> x{1, 2, 3, 4}, scattered(4), added(4);
  std::vector<int64_t> where{0, 3};
  std::vector<float> updates{10, 40};
  Site scatter("scatter_nd_f32", "{}");
  scatter.in(DSRT_F32, {4}, x)
      .in(DSRT_I64, {2, 1}, where)
      .in(DSRT_F32, {2}, updates)
      .out(DSRT_F32, {4}, scattered);
  scatter.run();
  EXPECT_EQ(scattered, (std::vector<float>{10, 2, 3, 40}));
  Site scatterAdd("scatter_nd_f32", R"({"reduction": "add"})");
  scatterAdd.in(DSRT_F32, {4}, x)
      .in(DSRT_I64, {2, 1}, where)
      .in(DSRT_F32, {2}, updates)
      .out(DSRT_F32, {4}, added);
  scatterAdd.run();
  EXPECT_EQ(added, (std::vector<float>{11, 2, 3, 44}));

  std::vector<int64_t> row{5, 6}, expanded(4);
  Site expand("expand_i64", "{}");
  expand.in(DSRT_I64, {1, 2}, row).out(DSRT_I64, {2, 2}, expanded);
  expand.run();
  EXPECT_EQ(expanded, (std::vector<int64_t>{5, 6, 5, 6}));

  std::vector<float> m{1, 2, 3, 4, 5, 6}, picked(2);
  std::vector<int64_t> cols{2, 0};
  Site gatherElements("gather_elements_f32", R"({"axis": 1})");
  gatherElements.in(DSRT_F32, {2, 3}, m)
      .in(DSRT_I64, {2, 1}, cols)
      .out(DSRT_F32, {2, 1}, picked);
  gatherElements.run();
  EXPECT_EQ(picked, (std::vector<float>{3, 4}));
}

TEST_F(KernelDispatch, GradientOperandOrders) {
  // gather_grad: ins indices, grad; repeated indices accumulate.
  std::vector<int64_t> ids{0, 0};
  std::vector<float> dy{1, 2, 3, 4}, dTable(6, 9.f);
  Site gatherGrad("gather_grad_f32", R"({"axis": 0})");
  gatherGrad.in(DSRT_I64, {2}, ids)
      .in(DSRT_F32, {2, 2}, dy)
      .out(DSRT_F32, {3, 2}, dTable);
  gatherGrad.run();
  EXPECT_EQ(dTable, (std::vector<float>{4, 6, 0, 0, 0, 0}));

  // nll_loss_grad: ins target, grad, weight; mean over total weight 5.
  std::vector<int64_t> t{1, 0};
  std::vector<float> dl{1}, w{2, 3}, dIn(4);
  Site nllGrad("nll_loss_grad_f32", R"({"reduction": "mean"})");
  nllGrad.in(DSRT_I64, {2}, t)
      .in(DSRT_F32, {}, dl)
      .in(DSRT_F32, {2}, w)
      .out(DSRT_F32, {2, 2}, dIn);
  nllGrad.run();
  expectNear(dIn, {0, -0.6f, -0.4f, 0});

  // softmax_grad: ins result, grad.
  std::vector<float> y{0.5f, 0.5f}, g{1, 0}, dx(2);
  Site softmaxGrad("softmax_grad_f32", R"({"axis": 0})");
  softmaxGrad.in(DSRT_F32, {2}, y).in(DSRT_F32, {2}, g).out(DSRT_F32, {2}, dx);
  softmaxGrad.run();
  expectNear(dx, {0.25f, -0.25f});

  // slice_grad and pad_grad: the bounds are the result's.
  std::vector<float> ds{1, 2}, dSliced(4, 9.f);
  Site sliceGrad("slice_grad_f32",
                 R"({"starts": [1], "ends": [4], "steps": [2]})");
  sliceGrad.in(DSRT_F32, {2}, ds).out(DSRT_F32, {4}, dSliced);
  sliceGrad.run();
  EXPECT_EQ(dSliced, (std::vector<float>{0, 1, 0, 2}));
  std::vector<float> dp{1, 2, 3, 4, 5}, dPadded(3);
  Site padGrad("pad_grad_f32", R"({"pads": [1, 1], "mode": "edge"})");
  padGrad.in(DSRT_F32, {5}, dp).out(DSRT_F32, {3}, dPadded);
  padGrad.run();
  EXPECT_EQ(dPadded, (std::vector<float>{3, 3, 9}));

  // layer_norm_grad and the conv gradients against direct kernel calls.
  namespace k = dsc::kernels::cpu;
  Dims xd{2, 2}, sd{2}, md{2, 1};
  std::vector<float> x{1, 3, 2, 6}, scale{2, 3}, mean{2, 4}, inv{1, 0.5f},
      gy{1, -1, 0.5f, 2};
  std::vector<float> dX(4), dS(2), dB(2), eX(4), eS(2), eB(2);
  Site lnGrad("layer_norm_grad_f32", R"({"axis": 1})");
  lnGrad.in(DSRT_F32, xd, x)
      .in(DSRT_F32, sd, scale)
      .in(DSRT_F32, md, mean)
      .in(DSRT_F32, md, inv)
      .in(DSRT_F32, xd, gy)
      .out(DSRT_F32, xd, dX)
      .out(DSRT_F32, sd, dS)
      .out(DSRT_F32, sd, dB);
  lnGrad.run();
  k::layerNormGrad(x.data(), {xd.data(), 2}, scale.data(), {sd.data(), 1},
                   mean.data(), inv.data(), gy.data(), 1, eX.data(), eS.data(),
                   eB.data());
  EXPECT_EQ(dX, eX);
  EXPECT_EQ(dS, eS);
  EXPECT_EQ(dB, eB);
  EXPECT_EQ(dB, (std::vector<float>{1.5f, 1}));

  const char *convAttrs = R"({"strides": [1, 1], "pads": [1, 0, 0, 1],
                              "dilations": [1, 1], "group": 1})";
  Dims in{1, 2, 3, 3}, filt{2, 2, 2, 2}, outD{1, 2, 3, 3};
  std::vector<float> cx(18), cw(16), cdy(18);
  for (size_t i = 0; i < cx.size(); ++i)
    cx[i] = float(i % 5) - 2;
  for (size_t i = 0; i < cw.size(); ++i)
    cw[i] = float(i % 3) - 1;
  for (size_t i = 0; i < cdy.size(); ++i)
    cdy[i] = float(i % 4) * 0.5f;
  k::ConvParams params;
  params.pads[0] = 1;
  params.pads[3] = 1;
  std::vector<float> gIn(18), gW(16), eIn(18), eW(16);
  Site convGradInput("conv_grad_input_f32", convAttrs);
  convGradInput.in(DSRT_F32, outD, cdy)
      .in(DSRT_F32, filt, cw)
      .out(DSRT_F32, in, gIn);
  convGradInput.run();
  k::conv2dGradInput(cdy.data(), {outD.data(), 4}, cw.data(), {filt.data(), 4},
                     eIn.data(), {in.data(), 4}, params);
  EXPECT_EQ(gIn, eIn);
  Site convGradFilter("conv_grad_filter_f32", convAttrs);
  convGradFilter.in(DSRT_F32, in, cx)
      .in(DSRT_F32, outD, cdy)
      .out(DSRT_F32, filt, gW);
  convGradFilter.run();
  k::conv2dGradFilter(cx.data(), {in.data(), 4}, cdy.data(), {outD.data(), 4},
                      eW.data(), {filt.data(), 4}, params);
  EXPECT_EQ(gW, eW);
  EXPECT_TRUE(reported.empty());
}

//===----------------------------------------------------------------------===//
// Data errors, and the entry points
//===----------------------------------------------------------------------===//

TEST_F(KernelDispatch, KernelErrorIsReportedWithItsDetail) {
  std::vector<float> table{1, 2, 3, 4, 5, 6}, y(2);
  std::vector<int64_t> ids{600};
  Site site("gather_f32", R"({"axis": 0})", "emb");
  site.in(DSRT_F32, {3, 2}, table)
      .in(DSRT_I64, {1}, ids)
      .out(DSRT_F32, {1, 2}, y);
  site.run();
  ASSERT_EQ(reported.size(), 1u);
  EXPECT_EQ(reported[0].code, 65);
  EXPECT_EQ(reported[0].message,
            "dsrt: gather_f32 at node 'emb': index 600 out of range [-3, 3) "
            "in gather");

  std::vector<float> x(4), loss(1), logp(4);
  std::vector<int64_t> t{0, 5};
  Site lossSite("softmax_cross_entropy_loss_f32", R"({"reduction": "sum"})",
                "loss");
  lossSite.in(DSRT_F32, {2, 2}, x)
      .in(DSRT_I64, {2}, t)
      .out(DSRT_F32, {}, loss)
      .out(DSRT_F32, {2, 2}, logp);
  lossSite.run();
  ASSERT_EQ(reported.size(), 2u);
  EXPECT_EQ(reported[1].code, 65);
  EXPECT_EQ(reported[1].message.rfind(
                "dsrt: softmax_cross_entropy_loss_f32 at node 'loss': "
                "target 5 out of range [0, 2)",
                0),
            0u)
      << reported[1].message;
}

TEST_F(KernelDispatch, DefaultHandlerExits) {
  // OpenBLAS may have started threads: re-execute rather than fork.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  setErrorHandler(nullptr);
  std::vector<float> y(1);
  std::vector<float> table{1, 2};
  std::vector<int64_t> ids{9};
  Site gather("gather_f32", R"({"axis": 0})", "g");
  gather.in(DSRT_F32, {2}, table).in(DSRT_I64, {1}, ids).out(DSRT_F32, {1}, y);
  EXPECT_EXIT(gather.run(), ::testing::ExitedWithCode(65),
              "dsrt: gather_f32 at node 'g': index 9 out of range");
}

// The compiler calls the entry points its table names (KernelDecls.cpp);
// the runtime defines them (runtime/dispatch): both come from
// KernelDecls.def, so the lists are the same.
TEST_F(KernelDispatch, EveryDeclaredEntryPointExists) {
  std::vector<std::string> names = kernelEntryNames();
  std::set<std::string> runtime(names.begin(), names.end());
  EXPECT_EQ(runtime.size(), names.size());
  std::set<std::string> declared;
  for (const kd::KernelDecl &decl : kd::kernelDecls())
    for (const kd::KernelVariant &v : decl.variants) {
      declared.insert(v.symbol);
      EXPECT_NE(findKernelEntry(v.symbol), nullptr) << v.symbol;
    }
  EXPECT_EQ(declared, runtime);
  for (const char *name :
       {"add_f32", "add_i64", "less_f32", "where_i1", "matmul_f64",
        "cast_i64_f32", "cast_f32_i1", "copy", "gather_i64", "gather_grad_f32",
        "layer_norm_grad_f32", "nll_loss_grad_f32", "trilu_i1",
        "conv_grad_filter_f32", "dropout_f32", "scatter_nd_f32"})
    EXPECT_TRUE(runtime.count(std::string("dsrt_k_") + name)) << name;
  EXPECT_FALSE(runtime.count("dsrt_k_matmul_i64"));
  EXPECT_FALSE(runtime.count("dsrt_k_softmax_i64"));
  EXPECT_EQ(findKernelEntry("dsrt_k_foo_f32"), nullptr);
}

} // namespace
