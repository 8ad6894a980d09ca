//===- CudaOptimizerTest.cpp - The GPU optimizer updates against the CPU --===//
//
// Each update of kernels/cuda/CudaOptimizer.h on random params, gradients
// and states beside kernels/optimizer's on the same numbers, for several
// steps and settings: float within 2e-6 relative (the GPU may fuse a
// multiply-add the CPU rounds twice), double within 1e-14, the sums within
// 1e-12. Without a GPU it skips with one line saying why.
//
//===----------------------------------------------------------------------===//

#include "kernels/cuda/CudaOptimizer.h"

#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace cpu = dsc::kernels::cpu;
namespace gpu = dsc::kernels::cuda;

namespace {

bool haveGpu(std::string &why) {
  int devices = 0;
  cudaError_t err = cudaGetDeviceCount(&devices);
  if (err == cudaSuccess && devices > 0)
    return true;
  why = std::string("no GPU here (") +
        (err != cudaSuccess ? cudaGetErrorString(err) : "no device") +
        "): the CUDA optimizer is built, not run";
  return false;
}

/// A host vector and its device copy.
template <typename T> struct Buffer {
  std::vector<T> host;
  T *device = nullptr;
  Buffer(size_t n, std::mt19937 &rng, double lo, double hi) : host(n) {
    std::uniform_real_distribution<double> d(lo, hi);
    for (T &v : host)
      v = static_cast<T>(d(rng));
    cudaMalloc(&device, n * sizeof(T));
    cudaMemcpy(device, host.data(), n * sizeof(T), cudaMemcpyHostToDevice);
  }
  ~Buffer() { cudaFree(device); }
  /// The largest relative difference of the device copy from `host`.
  double worst() const {
    std::vector<T> back(host.size());
    cudaMemcpy(back.data(), device, back.size() * sizeof(T),
               cudaMemcpyDeviceToHost);
    double w = 0;
    for (size_t i = 0; i < back.size(); ++i)
      w = std::max(w, std::fabs(double(back[i]) - double(host[i])) /
                          std::max(1e-30, std::fabs(double(host[i]))));
    return w;
  }
};

template <typename T> double tolerance() {
  return sizeof(T) == 4 ? 2e-6 : 1e-14;
}

template <typename T> void adamAgrees(bool adamW, double wd) {
  std::mt19937 rng(11);
  const size_t n = 3000;
  Buffer<T> param(n, rng, -1, 1), grad(n, rng, -1, 1), m(n, rng, -0.1, 0.1),
      v(n, rng, 0, 0.01);
  cpu::AdamParams p;
  p.lr = 1e-3, p.weightDecay = wd, p.adamWMode = adamW;
  for (int64_t step = 1; step <= 3; ++step) {
    cpu::adamStep(param.host.data(), grad.host.data(), m.host.data(),
                  v.host.data(), n, p, step);
    gpu::adamStep(param.device, grad.device, m.device, v.device, n, p, step);
  }
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  for (const Buffer<T> *b : {&param, &m, &v})
    EXPECT_LE(b->worst(), tolerance<T>());
}

TEST(CudaOptimizer, AdamAndAdamW) {
  std::string why;
  if (!haveGpu(why))
    GTEST_SKIP() << why;
  adamAgrees<float>(true, 0.01);
  adamAgrees<float>(false, 0.01);
  adamAgrees<double>(true, 0.0);
}

TEST(CudaOptimizer, SgdWithMomentum) {
  std::string why;
  if (!haveGpu(why))
    GTEST_SKIP() << why;
  std::mt19937 rng(12);
  const size_t n = 1000;
  Buffer<float> param(n, rng, -1, 1), grad(n, rng, -1, 1), buf(n, rng, 0, 0);
  cpu::SgdParams p;
  p.lr = 0.1, p.momentum = 0.9, p.weightDecay = 0.01, p.nesterov = true;
  for (int64_t step = 1; step <= 3; ++step) {
    cpu::sgdStep(param.host.data(), grad.host.data(), buf.host.data(), n, p,
                 step);
    gpu::sgdStep(param.device, grad.device, buf.device, n, p, step);
  }
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  EXPECT_LE(param.worst(), tolerance<float>());
  EXPECT_LE(buf.worst(), tolerance<float>());
}

TEST(CudaOptimizer, LambAndTheSums) {
  std::string why;
  if (!haveGpu(why))
    GTEST_SKIP() << why;
  std::mt19937 rng(13);
  const size_t n = 70000; // more than one partial block
  Buffer<float> param(n, rng, -1, 1), grad(n, rng, -1, 1), m(n, rng, -0.1, 0.1),
      v(n, rng, 0, 0.01), update(n, rng, 0, 0);
  cpu::LambParams p;
  p.weightDecay = 0.01;
  cpu::LambNorms a =
      cpu::lambComputeUpdate(param.host.data(), grad.host.data(), m.host.data(),
                             v.host.data(), update.host.data(), n, p, 2);
  cpu::LambNorms b = gpu::lambComputeUpdate(param.device, grad.device, m.device,
                                            v.device, update.device, n, p, 2);
  EXPECT_NEAR(b.paramNormSq, a.paramNormSq, 1e-12 * a.paramNormSq);
  EXPECT_NEAR(b.updateNormSq, a.updateNormSq, 1e-12 * a.updateNormSq);
  EXPECT_LE(update.worst(), tolerance<float>());
  double ratio = cpu::lambTrustRatio(a.paramNormSq, a.updateNormSq, 0.01, 10);
  cpu::lambApply(param.host.data(), update.host.data(), n, 1e-3, ratio);
  gpu::lambApply(param.device, update.device, n, 1e-3, ratio);
  EXPECT_LE(param.worst(), tolerance<float>());
  double squares = cpu::sumOfSquares(grad.host.data(), n);
  EXPECT_NEAR(gpu::sumOfSquares(grad.device, n), squares, 1e-12 * squares);
  // The same sum twice: the same bits (the partial sums have a fixed order).
  EXPECT_EQ(gpu::sumOfSquares(grad.device, n),
            gpu::sumOfSquares(grad.device, n));
  cpu::scale(grad.host.data(), n, 0.5f);
  gpu::scale(grad.device, n, 0.5f);
  EXPECT_EQ(grad.worst(), 0.0);
  EXPECT_FALSE(gpu::hasInfOrNaN(grad.device, n));
  float inf = INFINITY;
  cudaMemcpy(grad.device + n - 1, &inf, sizeof inf, cudaMemcpyHostToDevice);
  EXPECT_TRUE(gpu::hasInfOrNaN(grad.device, n));
}

} // namespace
