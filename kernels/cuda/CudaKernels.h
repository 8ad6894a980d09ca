//===- CudaKernels.h - The kernels' CUDA entry points -----------*- C++ -*-===//
//
// dsrt_cuda_k_<kernel>_<types>: the entry points of KernelDecls.def's
// kernels on a GPU, with the CPU entry points' signature (dsrt.h's
// dsrt_kernel_fn) on device buffers, launched asynchronously on one stream.
// A data error the CPU kernel returns at once (a target or index out of
// range) is recorded on the device instead: the caller collects it with
// takeDeviceKernelStatus() after the step, so no kernel synchronises.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_KERNELS_CUDA_CUDAKERNELS_H
#define DSC_KERNELS_CUDA_CUDAKERNELS_H

#include "runtime/include/dsrt.h"

#include <cuda_runtime_api.h>

#include <string>
#include <utility>
#include <vector>

namespace dsc::kernels::cuda {

/// Every CUDA entry point by its C symbol (tests, the device check).
const std::vector<std::pair<std::string, dsrt_kernel_fn>> &cudaKernelEntries();

/// The stream the kernels launch on (default: the legacy default stream; a
/// step captured as a CUDA graph needs one of its own).
void setKernelStream(cudaStream_t stream);

/// The first data error a kernel recorded since the last call (a
/// kernels/cpu KernelError code), or 0; clears it. Synchronises.
int takeDeviceKernelStatus();

/// The rank object's constants that kernels read ([begin, end): host
/// memory, its DSRT_CONSTANT_SECTION): copied to the device once, and every
/// entry point hands its kernel the copy's address for one of them. False
/// when the device has no memory for them.
bool setHostConstants(const void *begin, const void *end);

/// `data` (count buffer addresses) with each address inside the host
/// constants replaced by its device copy's: `data` itself when none is.
void *const *deviceAddresses(void *const *data, int count);

} // namespace dsc::kernels::cuda

#endif // DSC_KERNELS_CUDA_CUDAKERNELS_H
