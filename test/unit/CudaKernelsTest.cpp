//===- CudaKernelsTest.cpp - Each CUDA kernel against the CPU kernel ------===//
//
// Every CUDA entry point (kernels/cuda) runs on random inputs beside the CPU
// entry point of the same kernel and types, with the same site constants
// (encoded as the compiler does): float32 results within 1e-5, float64
// within 1e-12, integers, booleans and 16-bit floats equal. Without a GPU the
// test skips with one line saying why.
//
//===----------------------------------------------------------------------===//

#include "kernels/cuda/CudaKernels.h"
#include "kernels/KernelDecls.h"
#include "kernels/cpu/CpuKernels.h"
#include "runtime/dispatch/KernelDispatch.h"

#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

using namespace dsc;
namespace kd = dsc::kernels;

namespace {

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
/// (0.1, 2), every unary kernel's domain; integers in [-5, 5]; booleans 0/1.
std::vector<char> randomBuffer(int32_t dtype, int64_t n, std::mt19937 &rng) {
  std::vector<char> bytes(static_cast<size_t>(n * kd::dtypeSize(dtype)));
  std::uniform_real_distribution<double> real(0.1, 2.0);
  std::uniform_int_distribution<int64_t> integer(-5, 5);
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
    } else if (kd::dtypeSize(dtype) == 2) {
      // A 16-bit float: both backends round the same float the same way.
      uint16_t hx, hy;
      std::memcpy(&hx, &a[i * 2], 2);
      std::memcpy(&hy, &b[i * 2], 2);
      x = hx, y = hy;
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

TEST(CudaKernels, EachAgreesWithTheCpuKernel) {
  int devices = 0;
  cudaError_t err = cudaGetDeviceCount(&devices);
  if (err != cudaSuccess || devices == 0)
    GTEST_SKIP() << "no GPU here ("
                 << (err != cudaSuccess ? cudaGetErrorString(err) : "no device")
                 << "): the CUDA kernels are built, not run";
  std::mt19937 rng(7);
  // Every input [4, 5]; a binary op's second input [5] broadcasts.
  const std::vector<int64_t> full = {4, 5}, row = {5};
  int checked = 0;
  for (const auto &[symbol, gpu] : kernels::cuda::cudaKernelEntries()) {
    std::string cpuSymbol = "dsrt_k_" + symbol.substr(12);
    const kd::KernelVariant *variant = nullptr;
    const kd::KernelDecl *decl = declOf(cpuSymbol, &variant);
    ASSERT_NE(decl, nullptr) << symbol;
    kd::KernelSite site;
    site.decl = decl;
    std::string ins = decl->ins, outs = decl->outs;
    site.numInputs = decl->minInputs;
    site.numOutputs = static_cast<int>(outs.size());
    for (int i = 0; i < site.numInputs + site.numOutputs; ++i) {
      char c = i < site.numInputs ? ins[i] : outs[i - site.numInputs];
      site.dtypes.push_back(dtypeOfBuffer(c, *variant));
      site.shapes.push_back(i == 1 && site.numInputs == 2 ? row : full);
    }
    std::string problem;
    ASSERT_NE(kd::resolveSite(site, problem), nullptr) << symbol << problem;
    std::vector<int64_t> words = kd::encodeSite(site);
    std::vector<std::vector<char>> host, cpuOut;
    std::vector<void *> cpuData, gpuData;
    for (size_t i = 0; i < site.shapes.size(); ++i) {
      int64_t n = site.numel(static_cast<int>(i));
      host.push_back(randomBuffer(site.dtypes[i], n, rng));
      void *device = nullptr;
      ASSERT_EQ(cudaMalloc(&device, host.back().size()), cudaSuccess);
      cudaMemcpy(device, host.back().data(), host.back().size(),
                 cudaMemcpyHostToDevice);
      gpuData.push_back(device);
      cpuData.push_back(host.back().data());
    }
    dsrt_ctx ctx;
    runtime::findKernelEntry(cpuSymbol)(&ctx, cpuData.data(), words.data(),
                                        "cpu");
    gpu(&ctx, gpuData.data(), words.data(), "gpu");
    ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess) << symbol;
    for (int o = 0; o < site.numOutputs; ++o) {
      size_t i = static_cast<size_t>(site.numInputs + o);
      std::vector<char> back(host[i].size());
      cudaMemcpy(back.data(), gpuData[i], back.size(), cudaMemcpyDeviceToHost);
      EXPECT_EQ(compare(site.dtypes[i], back, host[i],
                        site.numel(static_cast<int>(i))),
                "")
          << symbol;
    }
    for (void *device : gpuData)
      cudaFree(device);
    ++checked;
  }
  EXPECT_GT(checked, 60);
}

} // namespace
