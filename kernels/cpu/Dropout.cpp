//===- Dropout.cpp - training-mode dropout with a counter-based RNG -------===//

#include "kernels/cpu/CpuKernels.h"

namespace dsc::kernels::cpu {

namespace {

/// The splitmix64 finaliser: a bijective 64-bit mix.
uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

constexpr uint64_t kGolden = 0x9e3779b97f4a7c15ULL;

} // namespace

template <typename T>
void dropout(const T *in, int64_t numel, double ratio, int64_t seed,
             int64_t step, T *out, uint8_t *mask, int64_t elementOffset) {
  // One stream per (seed, step); element i draws mix64(key + (i + 1) * golden).
  uint64_t key = mix64(mix64(static_cast<uint64_t>(seed) + kGolden) ^
                       (static_cast<uint64_t>(step) * kGolden));
  // Keep when the top 53 bits, as a uniform in [0, 1), are >= ratio.
  uint64_t threshold =
      ratio >= 1.0 ? (uint64_t(1) << 53)
                   : static_cast<uint64_t>(ratio * double(uint64_t(1) << 53));
  T scale = ratio >= 1.0 ? T(0) : static_cast<T>(1.0 / (1.0 - ratio));
  for (int64_t i = 0; i < numel; ++i) {
    uint64_t counter = static_cast<uint64_t>(elementOffset + i) + 1;
    uint64_t bits = mix64(key + counter * kGolden) >> 11;
    bool keep = bits >= threshold;
    mask[i] = keep;
    out[i] = keep ? in[i] * scale : T(0);
  }
}

template void dropout<float>(const float *, int64_t, double, int64_t, int64_t,
                             float *, uint8_t *, int64_t);
template void dropout<double>(const double *, int64_t, double, int64_t, int64_t,
                              double *, uint8_t *, int64_t);

} // namespace dsc::kernels::cpu
