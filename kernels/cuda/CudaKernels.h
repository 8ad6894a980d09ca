//===- CudaKernels.h - The kernels' CUDA entry points -----------*- C++ -*-===//
//
// dsrt_cuda_k_<kernel>_<types>: the entry points of KernelDecls.def's
// kernels on a GPU, with the CPU entry points' signature (dsrt.h's
// dsrt_kernel_fn) on device buffers. Built so far: the Elementwise group.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_KERNELS_CUDA_CUDAKERNELS_H
#define DSC_KERNELS_CUDA_CUDAKERNELS_H

#include "runtime/include/dsrt.h"

#include <string>
#include <utility>
#include <vector>

namespace dsc::kernels::cuda {

/// Every CUDA entry point by its C symbol (tests, the device check).
const std::vector<std::pair<std::string, dsrt_kernel_fn>> &cudaKernelEntries();

} // namespace dsc::kernels::cuda

#endif // DSC_KERNELS_CUDA_CUDAKERNELS_H
