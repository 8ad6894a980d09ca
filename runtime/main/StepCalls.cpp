//===- StepCalls.cpp - The runtime entry points the step calls ------------===//
//
// dsrt_kernel_at, dsrt_collective_at and dsrt_collective_wait
// (runtime/include/dsrt.h): the generated step's calls into the rank, found
// through the dsrt_ctx that RankState sets up.
//
//===----------------------------------------------------------------------===//

#include "runtime/dispatch/KernelDispatch.h"
#include "runtime/main/KernelTable.h"

#include <string>

extern "C" void dsrt_kernel_at(dsrt_ctx *ctx, int32_t index,
                               void *const *data) {
  if (!ctx || !ctx->runtime) {
    dsc::runtime::reportError(dsc::runtime::kExitBadKernel,
                              "dsrt: dsrt_kernel_at called without a kernel "
                              "table (ctx->runtime is null)");
    return;
  }
  static_cast<const dsc::runtime::KernelTable *>(ctx->runtime)
      ->run(index, data, ctx->step);
}

extern "C" void dsrt_collective_at(dsrt_ctx *ctx, int32_t index,
                                   void *const *data) {
  if (!ctx || !ctx->collectives) {
    dsc::runtime::reportError(
        1, "dsrt: the step calls collective " + std::to_string(index) +
               " but this rank runs no collectives (ctx->collectives is null)");
    return;
  }
  static_cast<dsc::runtime::CollectiveRunner *>(ctx->collectives)
      ->run(index, data);
}

extern "C" void dsrt_collective_wait(dsrt_ctx *ctx, int32_t index) {
  if (!ctx || !ctx->collectives) {
    dsc::runtime::reportError(
        1, "dsrt: the step waits for collective " + std::to_string(index) +
               " but this rank runs no collectives (ctx->collectives is null)");
    return;
  }
  static_cast<dsc::runtime::CollectiveRunner *>(ctx->collectives)->wait(index);
}
