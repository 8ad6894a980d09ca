//===- Dropout.cpp - training-mode dropout with a counter-based RNG -------===//

#include "kernels/cpu/CounterRng.h"
#include "kernels/cpu/CpuKernels.h"

namespace dsc::kernels::cpu {

template <typename T>
void dropout(const T *in, int64_t numel, double ratio, int64_t seed,
             int64_t step, T *out, uint8_t *mask, int64_t elementOffset) {
  uint64_t key = dropoutKey(seed, step), threshold = dropoutThreshold(ratio);
  T scale = ratio >= 1.0 ? T(0) : static_cast<T>(1.0 / (1.0 - ratio));
  for (int64_t i = 0; i < numel; ++i) {
    bool keep = dropoutKeeps(key, threshold, elementOffset + i);
    mask[i] = keep;
    out[i] = keep ? in[i] * scale : T(0);
  }
}

template void dropout<float>(const float *, int64_t, double, int64_t, int64_t,
                             float *, uint8_t *, int64_t);
template void dropout<double>(const double *, int64_t, double, int64_t, int64_t,
                              double *, uint8_t *, int64_t);

} // namespace dsc::kernels::cpu
