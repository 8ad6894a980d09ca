//===- KernelTable.h - The plan's kernels, resolved once --------*- C++ -*-===//
//
// The generated code calls dsrt_kernel_at(ctx, index, data); index selects
// an entry of the plan's kernel table. KernelTable builds one
// dsrt_kernel_desc per entry and owns everything the descriptors point at
// (names, dims, attribute JSON); resolveAll resolves every call site once
// (kernel, buffers, attributes), so a call is the kernel alone. The rank
// resolves its table at start; ds-compile resolves the table of every plan
// it writes, so a call site the runtime cannot run is a compile-time error.
// The resolutions point into the descriptors: a KernelTable is neither
// copyable nor movable (hold it by unique_ptr).
//
// dsrt_kernel_at (StepCalls.cpp) finds the table through ctx->runtime,
// which must point at a KernelTable (RankState sets this up).
//
//===----------------------------------------------------------------------===//

#ifndef DSC_RUNTIME_MAIN_KERNELTABLE_H
#define DSC_RUNTIME_MAIN_KERNELTABLE_H

#include "runtime/dispatch/KernelDispatch.h"
#include "runtime/include/dsrt.h"
#include "runtime/main/PlanFile.h"

#include <cstdint>
#include <memory>
#include <string>
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

  /// Resolves every call site; the first problem ("unknown kernel 'x' at
  /// node 'y'", a missing attribute ...), or "" when every one can run.
  std::string resolveAll();

  /// Runs kernel `index` (resolveAll must have succeeded). An index out of
  /// range is reported through the dispatcher's error handler as a bad call
  /// site (exit code 70). Returns 0 or the error's exit code.
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
  std::vector<ResolvedKernel> resolved;
};

} // namespace dsc::runtime

#endif // DSC_RUNTIME_MAIN_KERNELTABLE_H
