//===- PlanManifest.h - the machine-readable plan (plan.json) ---*- C++ -*-===//
//
// What the runtime needs besides the generated code: the buffers (role,
// name, offset, type), the kernel table dsc_step indexes into, the batch,
// optimizer and schedule, and the predicted memory. Written as plan.json.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_COMPILER_CODEGEN_PLANMANIFEST_H
#define DSC_COMPILER_CODEGEN_PLANMANIFEST_H

#include "compiler/config/DsConfig.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <nlohmann/json.hpp>

namespace dsc::codegen {

struct ManifestInputs {
  const config::DsConfig &config;
  config::BatchSizes batch;
  int64_t dpSize = 1;
  int rank = 0;
  int worldSize = 1;
  bool training = false;
};

/// Describes the planned module (after plan-memory, before lowering to
/// LLVM); the kernel table is in the order dsc_step calls the kernels.
llvm::Expected<nlohmann::ordered_json>
buildPlanManifest(mlir::ModuleOp planned, const ManifestInputs &inputs);

/// The runtime's name of an element type ("float32", "int64", "bool" ...).
std::string dtypeName(mlir::Type element);

} // namespace dsc::codegen

#endif // DSC_COMPILER_CODEGEN_PLANMANIFEST_H
