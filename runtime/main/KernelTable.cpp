//===- KernelTable.cpp - The plan's kernels, resolved once ----------------===//

#include "runtime/main/KernelTable.h"

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

std::string KernelTable::resolveAll() {
  resolved.clear();
  resolved.resize(descs.size());
  for (size_t i = 0; i < descs.size(); ++i)
    if (std::string problem = resolveKernel(descs[i], resolved[i]);
        !problem.empty()) {
      resolved.clear();
      return problem;
    }
  return "";
}

int KernelTable::run(int64_t index, void *const *data, int64_t step) const {
  if (resolved.size() != descs.size()) {
    reportError(kExitBadKernel, "dsrt: kernel " + std::to_string(index) +
                                    " called before the kernel table was "
                                    "resolved");
    return kExitBadKernel;
  }
  if (index < 0 || index >= static_cast<int64_t>(resolved.size())) {
    reportError(kExitBadKernel,
                "dsrt: kernel index " + std::to_string(index) +
                    " out of range: the plan's kernel table has " +
                    std::to_string(descs.size()) + " entries");
    return kExitBadKernel;
  }
  return resolved[static_cast<size_t>(index)].run(data, step);
}

} // namespace dsc::runtime
