//===- Pipelines.h - ds-compile's pass pipelines ----------------*- C++ -*-===//
//
// The stages from the imported graph to the LLVM dialect, built in one place
// for ds-compile and ds-opt alike, so that any stage can be replayed on IR:
//
//   dsc-partition   graph -> the partitioned step: gradients (training),
//                   kernels on buffers, micro-step accumulation, ZeRO's
//                   collectives as shard ops
//   dsc-planning    shard ops -> plan collectives, ZeRO-3 prefetch, the
//                   buffers' static arena offsets
//   dsc-to-llvm     the planned step -> LLVM dialect
//   dsc-compile     all three
//
// ds-compile fills the options from ds_config and the world; on ds-opt they
// are pipeline options, e.g.
//   ds-opt --dsc-compile='dp-size=2 zero-stage=2 grad-accum-steps=1' in.mlir
//
//===----------------------------------------------------------------------===//

#ifndef DSC_PASSES_PIPELINES_H
#define DSC_PASSES_PIPELINES_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

#include <cstdint>

namespace dsc::passes {

/// What the step's stages depend on; defaults are DeepSpeed's.
struct StepPipelineOptions
    : public mlir::PassPipelineOptions<StepPipelineOptions> {
  Option<bool> training{*this, "training",
                        llvm::cl::desc("build the training step (gradients, "
                                       "accumulation, ZeRO); false: inference"),
                        llvm::cl::init(true)};
  Option<int64_t> dpSize{*this, "dp-size",
                         llvm::cl::desc("data-parallel ranks"),
                         llvm::cl::init(1)};
  Option<int64_t> gradAccumSteps{*this, "grad-accum-steps",
                                 llvm::cl::desc("gradient_accumulation_steps"),
                                 llvm::cl::init(1)};
  Option<int64_t> zeroStage{*this, "zero-stage",
                            llvm::cl::desc("zero_optimization.stage"),
                            llvm::cl::init(0)};
  Option<int64_t> reduceBucketElements{
      *this, "reduce-bucket-elements",
      llvm::cl::desc("zero_optimization.reduce_bucket_size"),
      llvm::cl::init(500000000)};
  Option<int64_t> allgatherBucketElements{
      *this, "allgather-bucket-elements",
      llvm::cl::desc("zero_optimization.allgather_bucket_size"),
      llvm::cl::init(500000000)};
  Option<int64_t> persistenceThreshold{
      *this, "persistence-threshold",
      llvm::cl::desc("zero_optimization.stage3_param_persistence_threshold"),
      llvm::cl::init(100000)};
  Option<int64_t> maxReuseDistance{
      *this, "max-reuse-distance",
      llvm::cl::desc("zero_optimization.stage3_max_reuse_distance"),
      llvm::cl::init(1000000000)};
  Option<int64_t> maxLiveParameters{
      *this, "max-live-parameters",
      llvm::cl::desc("zero_optimization.stage3_max_live_parameters"),
      llvm::cl::init(1000000000)};
  Option<int64_t> prefetchElements{
      *this, "prefetch-elements",
      llvm::cl::desc("zero_optimization.stage3_prefetch_bucket_size"),
      llvm::cl::init(50000000)};
};

/// graph -> the partitioned step (ZeRO's collectives as shard ops).
void buildPartitionPipeline(mlir::OpPassManager &pm,
                            const StepPipelineOptions &options);
/// The partitioned step -> plan collectives and static arena offsets.
void buildPlanningPipeline(mlir::OpPassManager &pm,
                           const StepPipelineOptions &options);
/// The planned step -> LLVM dialect.
void buildToLLVMPipeline(mlir::OpPassManager &pm);

/// Registers dsc-partition, dsc-planning, dsc-to-llvm and dsc-compile.
void registerDscPipelines();

} // namespace dsc::passes

#endif // DSC_PASSES_PIPELINES_H
