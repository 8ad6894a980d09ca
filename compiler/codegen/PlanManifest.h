//===- PlanManifest.h - the machine-readable plan (plan.json) ---*- C++ -*-===//
//
// The plan as people and tools read it (plan.json): the buffers (role,
// name, offset, type), the kernel calls of dsc_step, the batch, optimizer
// and schedule, and the predicted memory. The rank reads the same plan from
// its object (PlanCodec), not from this file.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_COMPILER_CODEGEN_PLANMANIFEST_H
#define DSC_COMPILER_CODEGEN_PLANMANIFEST_H

#include "compiler/config/DsConfig.h"
#include "compiler/partition/ZeroPartition.h"
#include "runtime/io/TiedCopies.h"

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
  /// The data-parallel layout (training); null for inference.
  const partition::ZeroPlan *zero = nullptr;
  /// Initializers trained as another parameter (the importer's ties); the
  /// ranks write them with the weights.
  std::vector<runtime::TiedCopy> ties = {};
};

/// Describes the planned module (after plan-memory, before lowering to
/// LLVM); the kernel calls are in the order dsc_step makes them. With a
/// ZeRO plan it also holds the flat parameter layout, the partitions, the
/// collectives of one optimizer step and each rank's memory by kind.
llvm::Expected<nlohmann::ordered_json>
buildPlanManifest(mlir::ModuleOp planned, const ManifestInputs &inputs);

/// The inputs of planZero for a planned training module: its params (in
/// plan order), the arena's param and gradient bytes, the optimizer's state
/// count and the config's ZeRO settings.
llvm::Expected<partition::ZeroInputs>
zeroInputsFor(mlir::ModuleOp planned, const config::DsConfig &config,
              const config::BatchSizes &batch, int64_t dpSize);

/// The runtime's name of an element type ("float32", "int64", "bool" ...).
std::string dtypeName(mlir::Type element);

} // namespace dsc::codegen

#endif // DSC_COMPILER_CODEGEN_PLANMANIFEST_H
