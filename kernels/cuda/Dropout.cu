//===- Dropout.cu - training-mode dropout on a GPU ------------------------===//
//
// The CPU kernel's decisions (kernels/cpu/CounterRng.h): element i of the
// tensor is kept or dropped the same on both backends, so a GPU run and a
// CPU run of the same plan drop the same activations.
//
//===----------------------------------------------------------------------===//

#include "kernels/cpu/CounterRng.h"
#include "kernels/cuda/CudaLaunch.cuh"
#include "kernels/cuda/CudaOps.h"

namespace dsc::kernels::cuda {
namespace {

template <typename T>
__global__ void dropoutKernel(int64_t n, const T *in, uint64_t key,
                              uint64_t threshold, Acc<T> scale,
                              int64_t elementOffset, T *out, uint8_t *mask) {
  int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (i >= n)
    return;
  bool keep = k::dropoutKeeps(key, threshold, elementOffset + i);
  mask[i] = keep;
  out[i] = store<T>(keep ? load(in[i]) * scale : Acc<T>(0));
}

} // namespace

template <typename T>
void dropout(const T *in, int64_t numel, double ratio, int64_t seed,
             int64_t step, T *out, uint8_t *mask, int64_t elementOffset) {
  using A = Acc<T>;
  A scale = ratio >= 1.0 ? A(0) : static_cast<A>(1.0 / (1.0 - ratio));
  launchOver(dropoutKernel<T>, numel, in, k::dropoutKey(seed, step),
             k::dropoutThreshold(ratio), scale, elementOffset, out, mask);
}

#define DSC_DROPOUT(T)                                                         \
  template void dropout<T>(const T *, int64_t, double, int64_t, int64_t, T *,  \
                           uint8_t *, int64_t);
DSC_DROPOUT(float)
DSC_DROPOUT(double)
DSC_DROPOUT(Half)
DSC_DROPOUT(BFloat16)
#undef DSC_DROPOUT

} // namespace dsc::kernels::cuda
