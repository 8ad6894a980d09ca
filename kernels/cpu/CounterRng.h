//===- CounterRng.h - A counter-based random stream -------------*- C++ -*-===//
//
// Random numbers that are a pure function of (key, counter): SplitMix64's
// output function applied to key + counter * golden ratio. Consecutive
// counters pass BigCrush, and any element of a stream is drawn alone, so
// dropout masks and seeded initial weights are the same whatever the
// threads, the devices or the split of a tensor into calls. The CPU and
// CUDA kernels and the rank's weight initialisation share it.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_KERNELS_CPU_COUNTERRNG_H
#define DSC_KERNELS_CPU_COUNTERRNG_H

#include <cstdint>

#ifdef __CUDACC__
#define DSC_RNG_HOST_DEVICE __host__ __device__
#else
#define DSC_RNG_HOST_DEVICE
#endif

namespace dsc::kernels::cpu {

inline constexpr uint64_t kGoldenGamma = 0x9e3779b97f4a7c15ULL;

/// SplitMix64's finaliser: a bijective 64-bit mix.
DSC_RNG_HOST_DEVICE inline uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/// Draw `counter` of the stream `key`.
DSC_RNG_HOST_DEVICE inline uint64_t streamDraw(uint64_t key, uint64_t counter) {
  return mix64(key + counter * kGoldenGamma);
}

/// Dropout's decisions, the same on every backend: one stream per (seed,
/// step); element i (of the whole tensor) is kept when the top 53 bits of
/// draw i + 1, as a uniform in [0, 1), are >= ratio.
DSC_RNG_HOST_DEVICE inline uint64_t dropoutKey(int64_t seed, int64_t step) {
  return mix64(mix64(static_cast<uint64_t>(seed) + kGoldenGamma) ^
               (static_cast<uint64_t>(step) * kGoldenGamma));
}
DSC_RNG_HOST_DEVICE inline uint64_t dropoutThreshold(double ratio) {
  return ratio >= 1.0
             ? (uint64_t(1) << 53)
             : static_cast<uint64_t>(ratio * double(uint64_t(1) << 53));
}
DSC_RNG_HOST_DEVICE inline bool dropoutKeeps(uint64_t key, uint64_t threshold,
                                             int64_t element) {
  return (streamDraw(key, static_cast<uint64_t>(element) + 1) >> 11) >=
         threshold;
}

} // namespace dsc::kernels::cpu

#undef DSC_RNG_HOST_DEVICE

#endif // DSC_KERNELS_CPU_COUNTERRNG_H
