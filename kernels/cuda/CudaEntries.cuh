//===- CudaEntries.cuh - The CUDA entry points, from the .def ---*- CUDA
//-*-===//
//
// dsrt_cuda_k_<kernel>_<types> for each row of KernelDecls.def: the CPU
// entry points' decoding (runtime/dispatch/DispatchInternal.h) around the
// group's Run<T, U> on device buffers (the object's constants swapped for
// their device copy), 16-bit rows included (the CUDA
// kernels take Half and BFloat16 themselves). A group's file defines
// DSC_CUDA_KERNELS_OF_<Group> as DSC_CUDA_ENTRIES (the other groups as
// nothing), includes the .def, and lists its entries the same way with
// DSC_CUDA_LIST_ENTRIES.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_KERNELS_CUDA_CUDAENTRIES_CUH
#define DSC_KERNELS_CUDA_CUDAENTRIES_CUH

#include "kernels/cuda/CudaKernels.h"
#include "runtime/dispatch/DispatchInternal.h"

#include <string>
#include <utility>
#include <vector>

namespace dsc::kernels::cuda {

using EntryList = std::vector<std::pair<std::string, dsrt_kernel_fn>>;

/// The entry points of the Elementwise group (ElementwiseKernels.cu), and
/// of the groups on the CPU's Run adapters (AdapterEntries.cu).
const EntryList &elementwiseEntries();
const EntryList &adapterEntries();

} // namespace dsc::kernels::cuda

#define DSC_CUDA_ENTRY(Id, sym, Run, Sel, T, U, dT, dU)                        \
  extern "C" void dsrt_cuda_k_##sym(dsrt_ctx *ctx, void *const *data,          \
                                    const int64_t *site,                       \
                                    const char *location) {                    \
    ::dsc::runtime::detail::runEntry<::dsc::runtime::detail::Id##Attrs>(       \
        ctx,                                                                   \
        ::dsc::kernels::cuda::deviceAddresses(                                 \
            data, static_cast<int>(site[0] + site[1])),                        \
        site, location, #sym, static_cast<int>(Sel),                           \
        [](const ::dsc::runtime::detail::Call &c,                              \
           const ::dsc::runtime::detail::Id##Attrs &a) {                       \
          return Run<T, U>(c, a);                                              \
        });                                                                    \
  }
#define DSC_CUDA_ENTRIES(Id, name, Types, Run, Sel)                            \
  Types(DSC_CUDA_ENTRY, Id, name, Run, Sel)

#define DSC_CUDA_LIST_ENTRY(Id, sym, Run, Sel, T, U, dT, dU)                   \
  {"dsrt_cuda_k_" #sym, dsrt_cuda_k_##sym},
#define DSC_CUDA_LIST_ENTRIES(Id, name, Types, Run, Sel)                       \
  Types(DSC_CUDA_LIST_ENTRY, Id, name, Run, Sel)

#endif // DSC_KERNELS_CUDA_CUDAENTRIES_CUH
