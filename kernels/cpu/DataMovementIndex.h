//===- DataMovementIndex.h - Slice and pad index math -----------*- C++ -*-===//
//
// What a slice reads and which input cell a padded cell reads: the CPU
// kernels (DataMovement.cpp) and the CUDA ones (kernels/cuda/DataMovement.cu)
// walk the same way.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_KERNELS_CPU_DATAMOVEMENTINDEX_H
#define DSC_KERNELS_CPU_DATAMOVEMENTINDEX_H

#include "kernels/cpu/Indexing.h"

#include <cstdint>
#include <vector>

namespace dsc::kernels::cpu::detail {

/// The walk of a slice: result dims, input strides scaled by the steps, the
/// input offset of the first element, and the result's element count.
struct SliceWalk {
  std::vector<int64_t> dims, inStrides;
  int64_t base = 0, numel = 1;
};

inline SliceWalk sliceWalk(Shape inShape, const int64_t *starts,
                           const int64_t *ends, const int64_t *steps) {
  SliceWalk walk;
  std::vector<int64_t> strides = stridesOf(inShape);
  for (int i = 0; i < inShape.rank; ++i) {
    int64_t step = steps[i], count = 0;
    if (step > 0 && ends[i] > starts[i])
      count = (ends[i] - starts[i] + step - 1) / step;
    else if (step < 0 && starts[i] > ends[i])
      count = (starts[i] - ends[i] - step - 1) / -step;
    walk.dims.push_back(count);
    walk.inStrides.push_back(strides[i] * step);
    walk.base += starts[i] * strides[i];
    walk.numel *= count;
  }
  return walk;
}

/// The input coordinate that output coordinate `o` of an axis reads, or -1
/// for a constant-padded cell.
DSC_HOST_DEVICE inline int64_t padSource(int64_t o, int64_t before,
                                         int64_t size, PadMode mode) {
  int64_t i = o - before;
  if (i >= 0 && i < size)
    return i;
  if (size == 0)
    return -1;
  switch (mode) {
  case PadMode::Constant:
    return -1;
  case PadMode::Edge:
    return i < 0 ? 0 : size - 1;
  case PadMode::Wrap:
    return ((i % size) + size) % size;
  case PadMode::Reflect: {
    if (size == 1)
      return 0;
    int64_t period = 2 * (size - 1);
    i = ((i % period) + period) % period;
    return i < size ? i : period - i;
  }
  }
  return -1;
}

} // namespace dsc::kernels::cpu::detail

#endif // DSC_KERNELS_CPU_DATAMOVEMENTINDEX_H
