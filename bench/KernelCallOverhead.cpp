//===- KernelCallOverhead.cpp - What a kernel call costs beyond the kernel ===//
//
// A benchmark, not a test. A step of SITES call sites of add_f32 on N
// elements (each with its own constants, as a generated step has), timed two
// ways side by side in one run:
//   direct       the CPU kernel called as C++ (the floor);
//   entry point  what generated code calls: dsrt_k_add_f32 with the site's
//                constants (decoded at each call) and the buffers' array.
// Prints ns per call and the overhead over direct.
//
//   build/bin/kernel-call-overhead [SITES [N [ROUNDS]]]
//
//===----------------------------------------------------------------------===//

#include "kernels/KernelDecls.h"
#include "kernels/cpu/CpuKernels.h"
#include "runtime/dispatch/KernelDispatch.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace k = dsc::kernels::cpu;

extern "C" void dsrt_k_add_f32(dsrt_ctx *, void *const *, const int64_t *,
                               const char *);

namespace {

/// The median over `repeats` of the ns per call of `step` (SITES calls).
template <typename Step>
double nsPerCall(Step step, int64_t sites, int64_t rounds, int repeats = 5) {
  std::vector<double> samples;
  for (int r = 0; r < repeats; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    for (int64_t i = 0; i < rounds; ++i)
      step();
    auto t1 = std::chrono::steady_clock::now();
    samples.push_back(
        std::chrono::duration<double, std::nano>(t1 - t0).count() /
        static_cast<double>(rounds * sites));
  }
  std::sort(samples.begin(), samples.end());
  return samples[samples.size() / 2];
}

} // namespace

int main(int argc, char **argv) {
  const int64_t sites = argc > 1 ? std::atoll(argv[1]) : 1000;
  const int64_t n = argc > 2 ? std::atoll(argv[2]) : 16;
  const int64_t rounds = argc > 3 ? std::atoll(argv[3]) : 2000;
  if (sites < 1 || n < 1 || rounds < 1) {
    std::fprintf(stderr, "usage: %s [SITES [N [ROUNDS]]] (each >= 1)\n",
                 argv[0]);
    return 2;
  }
  // Two inputs and one output of [n], encoded as the compiler does.
  dsc::kernels::KernelSite add;
  add.decl = dsc::kernels::findKernelDecl("add");
  add.numInputs = 2;
  add.numOutputs = 1;
  add.shapes.assign(3, {n});
  add.dtypes.assign(3, DSRT_F32);
  std::string problem;
  if (!dsc::kernels::resolveSite(add, problem)) {
    std::fprintf(stderr, "add: %s\n", problem.c_str());
    return 1;
  }
  const std::vector<int64_t> site = dsc::kernels::encodeSite(add);
  std::vector<std::vector<int64_t>> constants(static_cast<size_t>(sites), site);
  dsrt_ctx ctx;
  std::vector<float> a(n, 1.0f), b(n, 2.0f), c(n, 0.0f);
  void *data[3] = {a.data(), b.data(), c.data()};
  const k::Shape shape{&n, 1};

  double direct = nsPerCall(
      [&] {
        for (int64_t i = 0; i < sites; ++i)
          k::binary<float>(k::BinaryOp::Add, a.data(), shape, b.data(), shape,
                           c.data(), shape);
      },
      sites, rounds);
  double entry = nsPerCall(
      [&] {
        for (int64_t i = 0; i < sites; ++i)
          dsrt_k_add_f32(&ctx, data, constants[static_cast<size_t>(i)].data(),
                         "bench");
      },
      sites, rounds);
  std::printf("kernel call overhead: add_f32 on %lld elements, %lld call "
              "sites, %lld rounds (median of 5)\n",
              static_cast<long long>(n), static_cast<long long>(sites),
              static_cast<long long>(rounds));
  std::printf("| path | ns/call | overhead over direct (ns) |\n");
  std::printf("| --- | --- | --- |\n");
  std::printf("| direct C++ call of the kernel | %.1f | 0 |\n", direct);
  std::printf("| the entry point (generated code's call) | %.1f | %.1f |\n",
              entry, entry - direct);
  return c[0] == 3.0f ? 0 : 1;
}
