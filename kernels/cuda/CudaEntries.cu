//===- CudaEntries.cu - Every CUDA entry point by symbol ------------------===//

#include "kernels/cuda/CudaEntries.cuh"

namespace dsc::kernels::cuda {

const std::vector<std::pair<std::string, dsrt_kernel_fn>> &cudaKernelEntries() {
  static const EntryList all = [] {
    EntryList list;
    for (const EntryList *group : {&elementwiseEntries(), &adapterEntries()})
      list.insert(list.end(), group->begin(), group->end());
    return list;
  }();
  return all;
}

} // namespace dsc::kernels::cuda
