//===- KernelTable.cpp - plan.json's kernels as dsrt_kernel_descs ---------===//

#include "runtime/main/KernelTable.h"

#include "runtime/dispatch/KernelDispatch.h"

#include <string>

namespace dsc::runtime {

int32_t toDsrtDType(DType type) {
  switch (type) {
  case DType::F32:
    return DSRT_F32;
  case DType::F64:
    return DSRT_F64;
  case DType::F16:
    return DSRT_F16;
  case DType::BF16:
    return DSRT_BF16;
  case DType::I64:
    return DSRT_I64;
  case DType::I32:
    return DSRT_I32;
  case DType::I16:
    return DSRT_I16;
  case DType::I8:
    return DSRT_I8;
  case DType::U8:
    return DSRT_U8;
  case DType::Bool:
    return DSRT_BOOL;
  case DType::U16:
  case DType::U32:
  case DType::U64:
    break;
  }
  return -1;
}

KernelTable::KernelTable(const std::vector<PlanKernel> &kernels) {
  entries.resize(kernels.size());
  descs.resize(kernels.size());
  for (size_t i = 0; i < kernels.size(); ++i) {
    const PlanKernel &k = kernels[i];
    Entry &e = entries[i];
    e.kernel = k.kernel;
    e.location = k.location;
    e.attrs = k.attrsJson;
    e.dims.reserve(k.operands.size());
    for (const PlanKernelOperand &op : k.operands)
      e.dims.push_back(op.shape);
    e.buffers.resize(k.operands.size());
    for (size_t j = 0; j < k.operands.size(); ++j) {
      e.buffers[j].dtype = toDsrtDType(k.operands[j].dtype);
      e.buffers[j].rank = static_cast<int32_t>(e.dims[j].size());
      e.buffers[j].dims = e.dims[j].data();
    }
    dsrt_kernel_desc &d = descs[i];
    d.kernel = e.kernel.c_str();
    d.location = e.location.c_str();
    d.num_inputs = k.numInputs;
    d.num_outputs = k.numOutputs;
    d.buffers = e.buffers.data();
    d.attrs_json = e.attrs.c_str();
  }
}

int KernelTable::run(int64_t index, void *const *data, int64_t step) const {
  if (index < 0 || index >= static_cast<int64_t>(descs.size())) {
    reportError(kExitBadKernel,
                "dsrt: kernel index " + std::to_string(index) +
                    " out of range: the plan's kernel table has " +
                    std::to_string(descs.size()) + " entries");
    return kExitBadKernel;
  }
  return runKernel(descs[static_cast<size_t>(index)], data, step);
}

} // namespace dsc::runtime

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
