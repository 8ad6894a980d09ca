//===- CudaKernelsTest.cpp - Each CUDA kernel against the CPU kernel ------===//
//
// Every CUDA entry point (kernels/cuda) runs on random inputs beside the CPU
// entry point of the same kernel and types, with the same site constants
// (encoded as the compiler does): float32 results within 1e-5, float64
// within 1e-12, 16-bit floats within one rounding of their type, integers
// and booleans equal. The elementwise kernels run on [4, 5] inputs (a
// second input [5] broadcasts); every other kernel has its own cases below
// (a kernel without one fails). Without a GPU the GPU test skips with one
// line saying why; the cases still resolve and run on the CPU here.
//
//===----------------------------------------------------------------------===//

#include "kernels/cuda/CudaKernels.h"
#include "kernels/KernelDecls.h"
#include "kernels/cpu/CpuKernels.h"
#include "runtime/dispatch/KernelDispatch.h"
#include "test/unit/KernelSiteAttrs.h"

#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

using namespace dsc;
namespace kd = dsc::kernels;

namespace {

using Dims = std::vector<int64_t>;

/// One call of a kernel that is not elementwise: its buffers' shapes, its
/// attributes (KernelSiteAttrs.h) and the range [lo, hi) of its int64
/// index inputs ('I': targets, indices, trilu's k).
struct Case {
  std::vector<Dims> ins, outs;
  std::string attrs;
  int64_t lo = 0, hi = 1;
};

const std::map<std::string, std::vector<Case>> &cases() {
  static const std::map<std::string, std::vector<Case>> table = {
      // Reductions: over the first and last axes, and over none.
      {"reduce_sum",
       {{{{3, 4, 5}}, {{4}}, R"({"axes": [0, 2], "keepdims": false})"},
        {{{3, 4}}, {{3, 4}}, R"({"axes": [], "keepdims": true})"},
        // Leading axes over more rows than a chunk (64): the two-stage
        // column reduction.
        {{{70, 5}}, {{5}}, R"({"axes": [0], "keepdims": false})"}}},
      {"reduce_mean",
       {{{{3, 4, 5}}, {{3, 1, 1}}, R"({"axes": [1, 2], "keepdims": true})"}}},
      {"reduce_max",
       {{{{3, 4, 5}}, {{3, 5}}, R"({"axes": [1], "keepdims": false})"},
        {{{3, 30, 4}}, {{1, 1, 4}}, R"({"axes": [0, 1], "keepdims": true})"}}},
      // Softmax over a middle axis (strided lanes) and the last.
      {"softmax",
       {{{{3, 7, 2}}, {{3, 7, 2}}, R"({"axis": 1})"},
        {{{2, 300}}, {{2, 300}}, R"({"axis": 1})"}}},
      {"log_softmax", {{{{3, 7, 2}}, {{3, 7, 2}}, R"({"axis": 1})"}}},
      {"softmax_grad",
       {{{{3, 7, 2}, {3, 7, 2}}, {{3, 7, 2}}, R"({"axis": 1})"}}},
      {"log_softmax_grad",
       {{{{3, 7, 2}, {3, 7, 2}}, {{3, 7, 2}}, R"({"axis": 1})"}}},
      // Layer norm: a full scale and bias, and a broadcast scale alone.
      {"layer_norm",
       {{{{4, 6}, {6}, {6}},
         {{4, 6}, {4, 1}, {4, 1}},
         R"({"axis": 1, "epsilon": 1e-5})"},
        {{{2, 3, 4}, {1, 4}},
         {{2, 3, 4}, {2, 1, 1}, {2, 1, 1}},
         R"({"axis": 1, "epsilon": 1e-5})"}}},
      {"layer_norm_grad",
       {{{{4, 6}, {6}, {4, 1}, {4, 1}, {4, 6}},
         {{4, 6}, {6}, {6}},
         R"({"axis": 1})"},
        {{{2, 3, 4}, {1, 4}, {2, 1, 1}, {2, 1, 1}, {2, 3, 4}},
         {{2, 3, 4}, {1, 4}, {1, 4}},
         R"({"axis": 1})"},
        // More rows than one chunk of the parameter sums' first stage (64).
        {{{70, 6}, {6}, {70, 1}, {70, 1}, {70, 6}},
         {{70, 6}, {6}, {6}},
         R"({"axis": 1})"}}},
      // Matmul: one rhs (one taller product), whole batches, a partial
      // broadcast (one product per batch), vectors, stored transposes.
      {"matmul",
       {{{{2, 3, 4}, {4, 5}}, {{2, 3, 5}}, "{}"},
        {{{2, 3, 4}, {2, 4, 5}}, {{2, 3, 5}}, "{}"},
        {{{2, 1, 3, 4}, {1, 2, 5, 4}},
         {{2, 2, 3, 5}},
         R"({"transpose_rhs": true})"},
        {{{2, 4, 3}, {2, 4, 5}}, {{2, 3, 5}}, R"({"transpose_lhs": true})"},
        {{{4}, {2, 4, 3}}, {{2, 3}}, "{}"},
        {{{2, 3, 4}, {4}}, {{2, 3}}, "{}"}}},
      // Convolution: two groups, padding, a stride and a dilation.
      {"conv",
       {{{{2, 2, 5, 5}, {4, 1, 3, 3}, {4}},
         {{2, 4, 3, 2}},
         R"({"strides": [2, 2], "pads": [1, 0, 1, 0], "dilations": [1, 2], "group": 2})"}}},
      {"conv_grad_input",
       {{{{2, 4, 3, 2}, {4, 1, 3, 3}},
         {{2, 2, 5, 5}},
         R"({"strides": [2, 2], "pads": [1, 0, 1, 0], "dilations": [1, 2], "group": 2})"}}},
      {"conv_grad_filter",
       {{{{2, 2, 5, 5}, {2, 4, 3, 2}},
         {{4, 1, 3, 3}},
         R"({"strides": [2, 2], "pads": [1, 0, 1, 0], "dilations": [1, 2], "group": 2})"}}},
      // Losses: [N, C, d] with class weights and an ignored class.
      {"softmax_cross_entropy_loss",
       {{{{3, 5, 2}, {3, 2}, {5}},
         {{}, {3, 5, 2}},
         R"({"reduction": "mean", "ignore_index": 1})",
         0,
         5},
        {{{4, 6}, {4}}, {{4}, {4, 6}}, R"({"reduction": "none"})", 0, 6}}},
      {"softmax_cross_entropy_loss_grad",
       {{{{3, 5, 2}, {3, 2}, {}, {5}},
         {{3, 5, 2}},
         R"({"reduction": "mean", "ignore_index": 1})",
         0,
         5},
        {{{4, 6}, {4}, {4}}, {{4, 6}}, R"({"reduction": "none"})", 0, 6}}},
      {"nll_loss",
       {{{{3, 5, 2}, {3, 2}, {5}}, {{}}, R"({"reduction": "sum"})", 0, 5}}},
      {"nll_loss_grad",
       {{{{3, 2}, {}, {5}},
         {{3, 5, 2}},
         R"({"reduction": "mean", "ignore_index": 2})",
         0,
         5}}},
      // mul(x, row) -> r3, tanh(r3) -> r4, add(r4, scalar) -> r5.
      {"fused_elementwise",
       {{{{4, 5}, {5}, {}},
         {{4, 5}},
         R"({"program": [3, 1, 2, 0, 1, 0, 7, 3, 0, 1, 0, 4, 2]})"}}},
      {"dropout",
       {{{{4, 50}}, {{4, 50}, {4, 50}}, R"({"ratio": 0.3, "seed": 7})"}}},
      // Data movement.
      {"transpose", {{{{2, 3, 4}}, {{4, 2, 3}}, R"({"perm": [2, 0, 1]})"}}},
      {"slice",
       {{{{5, 6}},
         {{3, 3}},
         R"({"starts": [1, 0], "ends": [4, 6], "steps": [1, 2]})"},
        {{{5, 6}},
         {{2, 6}},
         R"({"starts": [4, 0], "ends": [0, 6], "steps": [-2, 1]})"}}},
      {"slice_grad",
       {{{{3, 3}},
         {{5, 6}},
         R"({"starts": [1, 0], "ends": [4, 6], "steps": [1, 2]})"}}},
      {"concat", {{{{2, 1}, {2, 3}, {2, 2}}, {{2, 6}}, R"({"axis": 1})"}}},
      {"expand", {{{{3, 1}}, {{2, 3, 4}}, "{}"}}},
      {"gather", {{{{5, 3}, {2, 2}}, {{2, 2, 3}}, R"({"axis": 0})", -5, 5}}},
      {"gather_grad",
       {{{{2, 2}, {2, 2, 3}}, {{5, 3}}, R"({"axis": 0})", -5, 5}}},
      {"gather_elements",
       {{{{3, 4}, {3, 2}}, {{3, 2}}, R"({"axis": 1})", -4, 4}}},
      {"gather_elements_grad",
       {{{{3, 2}, {3, 2}}, {{3, 4}}, R"({"axis": 1})", -4, 4}}},
      {"scatter_nd",
       {{{{4, 3}, {3, 1}, {3, 3}}, {{4, 3}}, R"({"reduction": "none"})", 0, 4},
        {{{4, 3}, {3, 1}, {3, 3}}, {{4, 3}}, R"({"reduction": "add"})", 0, 4}}},
      {"pad",
       {{{{2, 3}},
         {{4, 5}},
         R"({"pads": [1, 0, 1, 2], "mode": "constant", "value": 0.5})"},
        {{{3, 4}}, {{5, 7}}, R"({"pads": [1, 2, 1, 1], "mode": "reflect"})"},
        {{{3, 4}}, {{4, 6}}, R"({"pads": [1, 0, 0, 2], "mode": "edge"})"},
        {{{3, 4}}, {{4, 5}}, R"({"pads": [1, 1, 0, 0], "mode": "wrap"})"}}},
      {"pad_grad",
       {{{{4, 5}}, {{2, 3}}, R"({"pads": [1, 0, 1, 2], "mode": "constant"})"},
        {{{5, 7}}, {{3, 4}}, R"({"pads": [1, 2, 1, 1], "mode": "reflect"})"},
        {{{4, 6}}, {{3, 4}}, R"({"pads": [1, 0, 0, 2], "mode": "edge"})"},
        {{{4, 5}}, {{3, 4}}, R"({"pads": [1, 1, 0, 0], "mode": "wrap"})"}}},
      {"trilu",
       {{{{2, 3, 4}, {}}, {{2, 3, 4}}, R"({"upper": true})", -1, 2},
        {{{3, 4}}, {{3, 4}}, R"({"upper": false})"}}},
  };
  return table;
}

/// The kernel declaration whose variant is `symbol` (dsrt_k_...), or null.
const kd::KernelDecl *declOf(const std::string &symbol,
                             const kd::KernelVariant **variant) {
  for (const kd::KernelDecl &decl : kd::kernelDecls())
    for (const kd::KernelVariant &v : decl.variants)
      if (symbol == v.symbol) {
        *variant = &v;
        return &decl;
      }
  return nullptr;
}

int32_t dtypeOfBuffer(char c, const kd::KernelVariant &v) {
  switch (c) {
  case 'B':
    return DSRT_BOOL;
  case 'I':
    return DSRT_I64;
  case 'U':
    return v.u;
  default:
    return v.t == kd::kAnyDType ? DSRT_F32 : v.t;
  }
}

/// Random bytes of `n` elements of `dtype`: floats (16-bit ones too) in
/// (0.1, 2), every unary kernel's domain; integers in [lo, hi); booleans
/// 0/1.
std::vector<char> randomBuffer(int32_t dtype, int64_t n, int64_t lo, int64_t hi,
                               std::mt19937 &rng) {
  std::vector<char> bytes(static_cast<size_t>(n * kd::dtypeSize(dtype)));
  std::uniform_real_distribution<double> real(0.1, 2.0);
  std::uniform_int_distribution<int64_t> integer(lo, hi - 1);
  for (int64_t i = 0; i < n; ++i) {
    if (dtype == DSRT_F32) {
      float v = static_cast<float>(real(rng));
      std::memcpy(&bytes[i * 4], &v, 4);
    } else if (dtype == DSRT_F64) {
      double v = real(rng);
      std::memcpy(&bytes[i * 8], &v, 8);
    } else if (dtype == DSRT_I64) {
      int64_t v = integer(rng);
      std::memcpy(&bytes[i * 8], &v, 8);
    } else if (dtype == DSRT_F16 || dtype == DSRT_BF16) {
      float f = static_cast<float>(real(rng));
      uint16_t v = dtype == DSRT_F16 ? kernels::cpu::toHalf(f).bits
                                     : kernels::cpu::toBFloat16(f).bits;
      std::memcpy(&bytes[i * 2], &v, 2);
    } else {
      bytes[i] = static_cast<char>(rng() & 1);
    }
  }
  return bytes;
}

/// "" when `a` and `b` (n elements of `dtype`) agree, else the first
/// difference.
std::string compare(int32_t dtype, const std::vector<char> &a,
                    const std::vector<char> &b, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    double x, y, tol = 0;
    if (dtype == DSRT_F32) {
      float fx, fy;
      std::memcpy(&fx, &a[i * 4], 4);
      std::memcpy(&fy, &b[i * 4], 4);
      x = fx, y = fy, tol = 1e-5;
    } else if (dtype == DSRT_F64) {
      std::memcpy(&x, &a[i * 8], 8);
      std::memcpy(&y, &b[i * 8], 8);
      tol = 1e-12;
    } else if (dtype == DSRT_I64) {
      int64_t ix, iy;
      std::memcpy(&ix, &a[i * 8], 8);
      std::memcpy(&iy, &b[i * 8], 8);
      x = static_cast<double>(ix), y = static_cast<double>(iy);
    } else if (dtype == DSRT_F16 || dtype == DSRT_BF16) {
      // Both backends compute in float and round once; a different
      // summation order may land one rounding apart.
      uint16_t hx, hy;
      std::memcpy(&hx, &a[i * 2], 2);
      std::memcpy(&hy, &b[i * 2], 2);
      bool half = dtype == DSRT_F16;
      x = half ? kernels::cpu::toFloat(kernels::cpu::Half{hx})
               : kernels::cpu::toFloat(kernels::cpu::BFloat16{hx});
      y = half ? kernels::cpu::toFloat(kernels::cpu::Half{hy})
               : kernels::cpu::toFloat(kernels::cpu::BFloat16{hy});
      tol = half ? 0x1p-10 : 0x1p-7;
    } else {
      x = a[i], y = b[i];
    }
    if (std::isnan(x) && std::isnan(y))
      continue;
    if (!(std::fabs(x - y) <= tol * std::max(1.0, std::fabs(y))))
      return "element " + std::to_string(i) + ": " + std::to_string(x) +
             " on the GPU, " + std::to_string(y) + " on the CPU";
  }
  return "";
}

/// One call of a CUDA entry point's kernel: the resolved site, its
/// constants, and random host buffers (outputs too, so an element a
/// backend leaves alone compares equal only if both do).
struct Call {
  kd::KernelSite site;
  std::vector<int64_t> words;
  std::vector<std::vector<char>> host;
};

/// The calls to make of CUDA entry point `symbol`: the elementwise shape, or
/// the kernel's cases. Fails the test when a site does not resolve.
std::vector<Call> callsOf(const std::string &symbol, std::mt19937 &rng) {
  std::vector<Call> calls;
  const std::string cpuSymbol = "dsrt_k_" + symbol.substr(12);
  const kd::KernelVariant *variant = nullptr;
  const kd::KernelDecl *decl = declOf(cpuSymbol, &variant);
  EXPECT_NE(decl, nullptr) << symbol;
  if (!decl)
    return calls;
  std::vector<Case> elementwise(1);
  const std::string ins = decl->ins, outs = decl->outs;
  auto found = cases().find(decl->name);
  if (found == cases().end()) {
    // Every input [4, 5]; a binary op's second input [5] broadcasts.
    Case &c = elementwise[0];
    c.lo = -5, c.hi = 6;
    for (int i = 0; i < decl->minInputs; ++i)
      c.ins.push_back(i == 1 && decl->minInputs == 2 ? Dims{5} : Dims{4, 5});
    c.outs.assign(outs.size(), Dims{4, 5});
  }
  const bool variadic = ins.back() == '*';
  for (const Case &c : found == cases().end() ? elementwise : found->second) {
    Call call;
    kd::KernelSite &site = call.site;
    site.decl = decl;
    site.numInputs = static_cast<int>(c.ins.size());
    site.numOutputs = static_cast<int>(c.outs.size());
    for (int i = 0; i < site.numInputs + site.numOutputs; ++i) {
      char kind =
          i < site.numInputs ? ins[variadic ? 0 : i] : outs[i - site.numInputs];
      site.dtypes.push_back(dtypeOfBuffer(kind, *variant));
      site.shapes.push_back(i < site.numInputs ? c.ins[i]
                                               : c.outs[i - site.numInputs]);
    }
    EXPECT_EQ(test::setSiteAttrs(site, c.attrs), "") << symbol;
    std::string problem;
    const kd::KernelVariant *resolved = kd::resolveSite(site, problem);
    EXPECT_NE(resolved, nullptr) << symbol << ": " << problem;
    if (!resolved)
      continue;
    EXPECT_EQ(std::string(resolved->symbol), cpuSymbol);
    call.words = kd::encodeSite(site);
    // Integer inputs of the kernel's own type (reduce_sum_i64) in [-5, 5].
    for (size_t i = 0; i < site.shapes.size(); ++i) {
      bool index = i < static_cast<size_t>(site.numInputs) &&
                   ins[variadic ? 0 : i] == 'I';
      call.host.push_back(
          randomBuffer(site.dtypes[i], site.numel(static_cast<int>(i)),
                       index ? c.lo : -5, index ? c.hi : 6, rng));
    }
    calls.push_back(std::move(call));
  }
  return calls;
}

/// Runs the CPU entry point of `call` on its host buffers (the reference).
void runOnCpu(const std::string &symbol, Call &call) {
  std::vector<void *> data;
  for (std::vector<char> &buffer : call.host)
    data.push_back(buffer.data());
  dsrt_ctx ctx;
  ctx.step = 3;
  runtime::findKernelEntry("dsrt_k_" + symbol.substr(12))(
      &ctx, data.data(), call.words.data(), "cpu");
}

TEST(CudaKernels, EveryKernelHasCasesTheCpuRuns) {
  std::mt19937 rng(7);
  int calls = 0;
  for (const auto &[symbol, gpu] : kernels::cuda::cudaKernelEntries())
    for (Call &call : callsOf(symbol, rng)) {
      runOnCpu(symbol, call);
      ++calls;
    }
  // Every kernel of KernelDecls.def in every type has a CUDA entry point.
  size_t variants = 0;
  for (const kd::KernelDecl &decl : kd::kernelDecls())
    variants += decl.variants.size();
  EXPECT_EQ(kernels::cuda::cudaKernelEntries().size(), variants);
  EXPECT_GT(calls, 300);
}

TEST(CudaKernels, EachAgreesWithTheCpuKernel) {
  int devices = 0;
  cudaError_t err = cudaGetDeviceCount(&devices);
  if (err != cudaSuccess || devices == 0)
    GTEST_SKIP() << "no GPU here ("
                 << (err != cudaSuccess ? cudaGetErrorString(err) : "no device")
                 << "): the CUDA kernels are built, not run";
  std::mt19937 rng(7);
  int checked = 0;
  for (const auto &[symbol, gpu] : kernels::cuda::cudaKernelEntries()) {
    for (Call &call : callsOf(symbol, rng)) {
      const kd::KernelSite &site = call.site;
      std::vector<void *> device;
      for (const std::vector<char> &buffer : call.host) {
        void *p = nullptr;
        ASSERT_EQ(cudaMalloc(&p, std::max<size_t>(buffer.size(), 1)),
                  cudaSuccess);
        cudaMemcpy(p, buffer.data(), buffer.size(), cudaMemcpyHostToDevice);
        device.push_back(p);
      }
      dsrt_ctx ctx;
      ctx.step = 3;
      gpu(&ctx, device.data(), call.words.data(), "gpu");
      ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess) << symbol;
      EXPECT_EQ(kernels::cuda::takeDeviceKernelStatus(), 0) << symbol;
      runOnCpu(symbol, call);
      for (int o = 0; o < site.numOutputs; ++o) {
        size_t i = static_cast<size_t>(site.numInputs + o);
        std::vector<char> back(call.host[i].size());
        cudaMemcpy(back.data(), device[i], back.size(), cudaMemcpyDeviceToHost);
        EXPECT_EQ(compare(site.dtypes[i], back, call.host[i],
                          site.numel(static_cast<int>(i))),
                  "")
            << symbol << " output " << o;
      }
      for (void *p : device)
        cudaFree(p);
      ++checked;
    }
  }
  EXPECT_GT(checked, 300);
}

} // namespace
