//===- AdapterEntries.cu - CUDA entry points from the CPU's adapters ------===//
//
// dsrt_cuda_k_<kernel>_<types> for KernelDecls.def's Numeric and
// DataMovement groups: the CPU backend's Run adapters
// (runtime/dispatch/NumericRuns.inc, DataMovementRuns.inc) on the CUDA
// kernel library.
//
//===----------------------------------------------------------------------===//

#include "kernels/cuda/CudaEntries.cuh"
#include "kernels/cuda/CudaOps.h"

namespace dsc::runtime::detail {
namespace cuda_runs {

namespace K = dsc::kernels::cuda;
#include "runtime/dispatch/DataMovementRuns.inc"
#include "runtime/dispatch/NumericRuns.inc"

} // namespace cuda_runs
} // namespace dsc::runtime::detail

namespace dsc::kernels::cuda {

using namespace dsc::kernels::cpu;
using namespace dsc::runtime::detail::cuda_runs;

#define DSC_KERNEL(Group, Id, name, Types, Ins, Outs, MinInputs, Run, Sel,     \
                   Check, AttrList)                                            \
  DSC_CUDA_KERNELS_OF_##Group(Id, name, Types, Run, Sel)
#define DSC_CUDA_KERNELS_OF_Elementwise(...)
#define DSC_CUDA_KERNELS_OF_Numeric DSC_CUDA_ENTRIES
#define DSC_CUDA_KERNELS_OF_DataMovement DSC_CUDA_ENTRIES
#include "kernels/KernelDecls.def"
#undef DSC_CUDA_KERNELS_OF_Numeric
#undef DSC_CUDA_KERNELS_OF_DataMovement

const EntryList &adapterEntries() {
  static const EntryList list = {
#define DSC_KERNEL(Group, Id, name, Types, Ins, Outs, MinInputs, Run, Sel,     \
                   Check, AttrList)                                            \
  DSC_CUDA_KERNELS_OF_##Group(Id, name, Types, Run, Sel)
#define DSC_CUDA_KERNELS_OF_Numeric DSC_CUDA_LIST_ENTRIES
#define DSC_CUDA_KERNELS_OF_DataMovement DSC_CUDA_LIST_ENTRIES
#include "kernels/KernelDecls.def"
  };
  return list;
}

} // namespace dsc::kernels::cuda
