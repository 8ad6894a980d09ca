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
#include <string>

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
  // The optimizer step (build-optimizer-step's options).
  Option<double> gradientClipping{*this, "gradient-clipping",
                                  llvm::cl::desc("gradient_clipping; 0: off"),
                                  llvm::cl::init(0.0)};
  Option<std::string> mixedPrecision{
      *this, "mixed-precision",
      llvm::cl::desc("fp16 or bf16: 16-bit params and activations "
                     "(graph-mixed-precision), float32 master weights and "
                     "optimizer states; empty: float32"),
      llvm::cl::init("")};
  Option<bool> fuseElementwise{
      *this, "fuse-elementwise",
      llvm::cl::desc("run chains of elementwise kernels as one kernel "
                     "(plan-fuse-elementwise)"),
      llvm::cl::init(true)};
  Option<bool> lossScaling{
      *this, "loss-scaling",
      llvm::cl::desc("fp16's dynamic loss scale: the loss adjoint's seed is "
                     "the training step's scale, the gradients are divided "
                     "by it, an overflow skips the update"),
      llvm::cl::init(false)};
  Option<bool> checkOverflow{
      *this, "check-overflow",
      llvm::cl::desc("skip the update when a gradient is inf or NaN (fp16)"),
      llvm::cl::init(false)};
  Option<std::string> optimizer{*this, "optimizer",
                                llvm::cl::desc("adam, adamw, sgd or lamb"),
                                llvm::cl::init("adam")};
  Option<double> lr{*this, "lr", llvm::cl::desc("the optimizer's lr"),
                    llvm::cl::init(1e-3)};
  Option<double> beta1{*this, "beta1", llvm::cl::desc("Adam/Lamb beta1"),
                       llvm::cl::init(0.9)};
  Option<double> beta2{*this, "beta2", llvm::cl::desc("Adam/Lamb beta2"),
                       llvm::cl::init(0.999)};
  Option<double> eps{*this, "eps", llvm::cl::desc("Adam/Lamb eps"),
                     llvm::cl::init(1e-8)};
  Option<double> weightDecay{*this, "weight-decay",
                             llvm::cl::desc("weight_decay"),
                             llvm::cl::init(0.0)};
  Option<bool> adamWMode{*this, "adam-w-mode",
                         llvm::cl::desc("Adam: decoupled weight decay"),
                         llvm::cl::init(true)};
  Option<bool> biasCorrection{*this, "bias-correction",
                              llvm::cl::desc("Adam/Lamb bias correction"),
                              llvm::cl::init(true)};
  Option<double> momentum{*this, "momentum", llvm::cl::desc("SGD momentum"),
                          llvm::cl::init(0.0)};
  Option<double> dampening{*this, "dampening", llvm::cl::desc("SGD dampening"),
                           llvm::cl::init(0.0)};
  Option<bool> nesterov{*this, "nesterov",
                        llvm::cl::desc("SGD Nesterov momentum"),
                        llvm::cl::init(false)};
  Option<double> maxCoeff{*this, "max-coeff",
                          llvm::cl::desc("Lamb's trust-ratio clamp, above"),
                          llvm::cl::init(10.0)};
  Option<double> minCoeff{*this, "min-coeff",
                          llvm::cl::desc("Lamb's trust-ratio clamp, below"),
                          llvm::cl::init(0.01)};
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
