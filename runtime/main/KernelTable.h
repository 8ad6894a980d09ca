//===- KernelTable.h - plan.json's kernels as dsrt_kernel_descs -*- C++ -*-===//
//
// The generated code calls dsrt_kernel_at(ctx, index, data); index selects
// an entry of plan.json's "kernels" array. KernelTable builds one
// dsrt_kernel_desc per entry once, at start-up, and owns everything the
// descriptors point at (names, dims, attribute JSON). The dispatcher caches
// its resolution of a descriptor by address, so the descriptors never move:
// a KernelTable is neither copyable nor movable (hold it by unique_ptr).
//
// dsrt_kernel_at finds the table through ctx->runtime, which must point at
// a KernelTable (RankState sets this up).
//
//===----------------------------------------------------------------------===//

#ifndef DSC_RUNTIME_MAIN_KERNELTABLE_H
#define DSC_RUNTIME_MAIN_KERNELTABLE_H

#include "runtime/include/dsrt.h"
#include "runtime/main/PlanFile.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace dsc::runtime {

/// The dsrt_dtype of a DType (U16, U32, U64 have none: DSRT_U8 is not
/// returned for them; the plan never names them).
int32_t toDsrtDType(DType type);

class KernelTable {
public:
  explicit KernelTable(const std::vector<PlanKernel> &kernels);
  KernelTable(const KernelTable &) = delete;
  KernelTable &operator=(const KernelTable &) = delete;

  size_t size() const { return descs.size(); }
  const dsrt_kernel_desc &desc(size_t index) const { return descs[index]; }

  /// Runs kernel `index` through the dispatcher (runKernel). An index out
  /// of range is reported through the dispatcher's error handler as a bad
  /// call site (exit code 70). Returns 0 or the error's exit code.
  int run(int64_t index, void *const *data, int64_t step) const;

private:
  struct Entry {
    std::string kernel;
    std::string location;
    std::string attrs;
    std::vector<std::vector<int64_t>> dims;
    std::vector<dsrt_buffer> buffers;
  };
  // Both sized once in the constructor; their elements never move.
  std::vector<Entry> entries;
  std::vector<dsrt_kernel_desc> descs;
};

} // namespace dsc::runtime

#endif // DSC_RUNTIME_MAIN_KERNELTABLE_H
