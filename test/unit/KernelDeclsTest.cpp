//===- KernelDeclsTest.cpp - The kernels' declarations and call sites -----===//
//
// kernels/KernelDecls.def as the compiler reads it: every unary and binary
// op of the .def lists is a kernel with the right entry points, the enum
// attributes have their ONNX spellings and defaults, and a call site is
// checked, completed and encoded in the layout the runtime's entry points
// decode (KernelDecls.h).
//
//===----------------------------------------------------------------------===//

#include "kernels/KernelDecls.h"

#include "kernels/cpu/CpuKernels.h"

#include <gtest/gtest.h>

#include <cstring>
#include <set>
#include <string>
#include <vector>

using namespace dsc::kernels;

namespace {

std::vector<std::string> symbols(const KernelDecl &decl) {
  std::vector<std::string> names;
  for (const KernelVariant &v : decl.variants)
    names.push_back(v.symbol);
  return names;
}

TEST(KernelDecls, UnaryAndBinaryListsAreKernels) {
  // Integers have neg, abs and relu only (UnaryOps.def).
  ASSERT_NE(findKernelDecl("neg"), nullptr);
  // Floats have 16-bit storage variants too.
  EXPECT_EQ(symbols(*findKernelDecl("neg")),
            (std::vector<std::string>{"dsrt_k_neg_f32", "dsrt_k_neg_f64",
                                      "dsrt_k_neg_f16", "dsrt_k_neg_bf16",
                                      "dsrt_k_neg_i64"}));
  EXPECT_EQ(symbols(*findKernelDecl("sqrt")),
            (std::vector<std::string>{"dsrt_k_sqrt_f32", "dsrt_k_sqrt_f64",
                                      "dsrt_k_sqrt_f16", "dsrt_k_sqrt_bf16"}));
  const KernelDecl *less = findKernelDecl("less_equal");
  ASSERT_NE(less, nullptr);
  EXPECT_STREQ(less->ins, "TT");
  EXPECT_STREQ(less->outs, "B");
  EXPECT_EQ(findKernelDecl("log_softmax_grad")->variants.size(), 4u);
  // Every pair of element types for casts; one typeless copy.
  EXPECT_EQ(findKernelDecl("cast")->variants.size(), 36u);
  EXPECT_EQ(symbols(*findKernelDecl("copy")),
            std::vector<std::string>{"dsrt_k_copy"});
  EXPECT_EQ(findKernelDecl("Sqrt"), nullptr);
  EXPECT_EQ(findKernelDecl("add_f32"), nullptr);
  // Names and symbols are unique.
  std::set<std::string> names, all;
  for (const KernelDecl &decl : kernelDecls()) {
    EXPECT_TRUE(names.insert(decl.name).second) << decl.name;
    for (const KernelVariant &v : decl.variants)
      EXPECT_TRUE(all.insert(v.symbol).second) << v.symbol;
  }
}

TEST(KernelDecls, EnumAttributesHaveTheirSpellingsAndDefaults) {
  const KernelDecl *pad = findKernelDecl("pad");
  ASSERT_NE(pad, nullptr);
  const AttrDecl &mode = pad->attrs[pad->attrIndex("mode")];
  EXPECT_EQ(mode.kind, AttrKind::Enum);
  EXPECT_FALSE(mode.required);
  EXPECT_EQ(mode.caseList(), "'constant', 'reflect', 'edge' or 'wrap'");
  EXPECT_EQ(mode.intDefault, int64_t(cpu::PadMode::Constant));
  const KernelDecl *loss = findKernelDecl("softmax_cross_entropy_loss");
  const AttrDecl &reduction = loss->attrs[loss->attrIndex("reduction")];
  EXPECT_EQ(reduction.caseList(), "'none', 'sum' or 'mean'");
  EXPECT_EQ(reduction.intDefault, int64_t(cpu::LossReduction::Mean));
  const KernelDecl *scatter = findKernelDecl("scatter_nd");
  EXPECT_EQ(scatter->attrs[0].caseList(),
            "'none', 'add', 'mul', 'max' or 'min'");
  EXPECT_EQ(scatter->attrs[0].intDefault, int64_t(cpu::ScatterReduction::None));
  const KernelDecl *gelu = findKernelDecl("gelu");
  EXPECT_EQ(gelu->attrs[0].caseList(), "'none' or 'tanh'");
}

/// A site of `kernel` on buffers of `shapes` and `dtypes` (inputs first).
KernelSite site(const char *kernel, int numInputs,
                std::vector<std::vector<int64_t>> shapes,
                std::vector<int32_t> dtypes) {
  KernelSite s;
  s.decl = findKernelDecl(kernel);
  s.numInputs = numInputs;
  s.numOutputs = static_cast<int>(shapes.size()) - numInputs;
  s.shapes = std::move(shapes);
  s.dtypes = std::move(dtypes);
  s.attrs.resize(s.decl->attrs.size());
  return s;
}

// The layout the entry points decode: counts, each buffer's rank and dims,
// then the attributes in declaration order; absent ones get their
// defaults, a negative axis is normalised.
TEST(KernelDecls, SitesAreCheckedCompletedAndEncoded) {
  KernelSite p = site("pad", 1, {{2, 3}, {2, 5}}, {DSRT_F64, DSRT_F64});
  p.attr("pads").present = true;
  p.attr("pads").ints = {0, 1, 0, 1};
  std::string problem;
  const KernelVariant *v = resolveSite(p, problem);
  ASSERT_NE(v, nullptr) << problem;
  EXPECT_STREQ(v->symbol, "dsrt_k_pad_f64");
  double zero = 0.0;
  int64_t zeroBits;
  std::memcpy(&zeroBits, &zero, sizeof zeroBits);
  EXPECT_EQ(encodeSite(p),
            (std::vector<int64_t>{1, 1, 5, 8, 11, // counts, offsets
                                  2, 2, 3,        // buffer 0: [2, 3]
                                  2, 2, 5,        // buffer 1: [2, 5]
                                  4, 0, 1, 0, 1,  // pads
                                  0,              // mode: constant
                                  zeroBits}));    // value: 0.0

  KernelSite s = site("softmax", 1, {{2, 4}, {2, 4}}, {DSRT_F32, DSRT_F32});
  s.attr("axis") = {true, -1};
  ASSERT_NE(resolveSite(s, problem), nullptr) << problem;
  EXPECT_EQ(s.attr("axis").i, 1);

  // An optional integer is a presence word and its value.
  KernelSite l =
      site("nll_loss", 2, {{3, 4}, {3}, {}}, {DSRT_F32, DSRT_I64, DSRT_F32});
  ASSERT_NE(resolveSite(l, problem), nullptr) << problem;
  std::vector<int64_t> words = encodeSite(l);
  EXPECT_EQ(std::vector<int64_t>(words.end() - 3, words.end()),
            (std::vector<int64_t>{int64_t(cpu::LossReduction::Mean), 0, 0}));
  l.attr("ignore_index") = {true, -100};
  words = encodeSite(l);
  EXPECT_EQ(std::vector<int64_t>(words.end() - 2, words.end()),
            (std::vector<int64_t>{1, -100}));

  // A copy's byte count is derived.
  KernelSite c = site("copy", 1, {{2, 3}, {6}}, {DSRT_F32, DSRT_F32});
  ASSERT_NE(resolveSite(c, problem), nullptr) << problem;
  EXPECT_EQ(encodeSite(c).back(), 24);
}

TEST(KernelDecls, BadSitesAreRefused) {
  std::string problem;
  KernelSite cast = site("cast", 1, {{4}, {4}}, {DSRT_I32, DSRT_F16});
  EXPECT_EQ(resolveSite(cast, problem), nullptr);
  EXPECT_EQ(problem, "has no entry point for element type i32 to f16");
  KernelSite where = site("where", 3, {{4}, {4}, {4}, {4}},
                          {DSRT_F32, DSRT_F32, DSRT_F32, DSRT_F32});
  EXPECT_EQ(resolveSite(where, problem), nullptr);
  EXPECT_EQ(problem, "buffer 0 has element type f32, expected i1");
  KernelSite ln = site("layer_norm", 1, {{2, 4}, {2, 4}, {2}, {2}},
                       {DSRT_F32, DSRT_F32, DSRT_F32, DSRT_F32});
  EXPECT_EQ(resolveSite(ln, problem), nullptr);
  EXPECT_EQ(problem, "1 inputs, expected 2 to 3");
  KernelSite sm = site("softmax", 1, {{2, 4}, {2, 4}}, {DSRT_F32, DSRT_F32});
  EXPECT_EQ(resolveSite(sm, problem), nullptr);
  EXPECT_EQ(problem, "attribute 'axis' missing");
  KernelSite g = site("gelu", 1, {{4}, {4}}, {DSRT_F32, DSRT_F32});
  g.attr("approximate") = {true, 2};
  EXPECT_EQ(resolveSite(g, problem), nullptr);
  EXPECT_EQ(problem, "attribute 'approximate' has no case 2");
}

} // namespace
