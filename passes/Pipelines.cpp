//===- Pipelines.cpp - ds-compile's pass pipelines ------------------------===//

#include "passes/Pipelines.h"

#include "compiler/partition/ZeroPartition.h"
#include "passes/Passes.h"

#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

namespace dsc::passes {

void buildPartitionPipeline(mlir::OpPassManager &pm,
                            const StepPipelineOptions &options) {
  const bool training = options.training;
  if (!options.mixedPrecision.empty()) {
    MixedPrecisionOptions mixed;
    mixed.type = options.mixedPrecision;
    pm.addPass(createMixedPrecision(mixed));
  }
  if (training) {
    AutodiffOptions autodiff;
    autodiff.lossScaleInput = options.lossScaling;
    pm.addPass(createAutodiff(autodiff));
  }
  pm.addPass(mlir::createCanonicalizerPass());
  pm.addPass(mlir::createCSEPass());
  pm.addPass(createConvertGraphToPlan());
  // Stages 0 and 1 accumulate micro-steps in the gradient buffers.
  if (training && partition::stepAccumulatesGradients(options.zeroStage,
                                                      options.gradAccumSteps))
    pm.addPass(createAccumulateGradients());
  // ZeRO-2 and 3 reduce gradient buckets inside the step; ZeRO-3 also
  // gathers each partitioned param before its uses.
  if (training && options.zeroStage >= 2) {
    ZeroReduceGradientsOptions reduce;
    reduce.dpSize = options.dpSize;
    reduce.bucketElements = options.reduceBucketElements;
    pm.addPass(createZeroReduceGradients(reduce));
  }
  if (training && options.zeroStage == 3) {
    ZeroPartitionParamsOptions partition;
    partition.dpSize = options.dpSize;
    partition.persistenceThreshold = options.persistenceThreshold;
    partition.maxReuseDistance = options.maxReuseDistance;
    partition.maxLiveParameters = options.maxLiveParameters;
    pm.addPass(createZeroPartitionParams(partition));
  }
  // Several ranks exchange gradients, the norm, the loss and params outside
  // the step too.
  if (training && options.dpSize > 1) {
    ZeroBoundaryExchangeOptions exchange;
    exchange.dpSize = options.dpSize;
    exchange.stage = options.zeroStage;
    exchange.reduceBucketElements = options.reduceBucketElements;
    exchange.allgatherBucketElements = options.allgatherBucketElements;
    pm.addPass(createZeroBoundaryExchange(exchange));
  }
}

void buildPlanningPipeline(mlir::OpPassManager &pm,
                           const StepPipelineOptions &options) {
  // The partitioning stage's shard collectives become plan collectives;
  // then ZeRO-3's gathers may be issued ahead.
  if (options.training)
    pm.addPass(createConvertShardToPlan());
  if (options.training && options.zeroStage == 3) {
    ZeroPrefetchParamsOptions prefetch;
    prefetch.prefetchElements = options.prefetchElements;
    pm.addPass(createZeroPrefetchParams(prefetch));
  }
  if (options.fuseElementwise)
    pm.addNestedPass<mlir::func::FuncOp>(createFuseElementwise());
  pm.addNestedPass<mlir::func::FuncOp>(createPlanMemory());
  // The rest of a training step, on the same arena.
  if (options.training) {
    BuildOptimizerStepOptions update;
    update.dpSize = options.dpSize;
    update.stage = options.zeroStage;
    update.gradAccumSteps = options.gradAccumSteps;
    update.gradientClipping = options.gradientClipping;
    update.lossScaling = options.lossScaling;
    update.checkOverflow = options.checkOverflow;
    update.optimizer = options.optimizer;
    update.lr = options.lr;
    update.beta1 = options.beta1;
    update.beta2 = options.beta2;
    update.eps = options.eps;
    update.weightDecay = options.weightDecay;
    update.adamWMode = options.adamWMode;
    update.biasCorrection = options.biasCorrection;
    update.momentum = options.momentum;
    update.dampening = options.dampening;
    update.nesterov = options.nesterov;
    update.maxCoeff = options.maxCoeff;
    update.minCoeff = options.minCoeff;
    pm.addPass(createBuildOptimizerStep(update));
  }
}

void buildToLLVMPipeline(mlir::OpPassManager &pm) {
  pm.addPass(createConvertPlanToLLVM());
}

void registerDscPipelines() {
  mlir::PassPipelineRegistration<StepPipelineOptions>(
      "dsc-partition",
      "ds-compile's partitioning stage: graph -> the partitioned step",
      buildPartitionPipeline);
  mlir::PassPipelineRegistration<StepPipelineOptions>(
      "dsc-planning",
      "ds-compile's planning stage: shard ops -> plan collectives and arena "
      "offsets",
      buildPlanningPipeline);
  mlir::PassPipelineRegistration<>(
      "dsc-to-llvm", "ds-compile's code generation stage: plan -> LLVM dialect",
      buildToLLVMPipeline);
  mlir::PassPipelineRegistration<StepPipelineOptions>(
      "dsc-compile", "ds-compile's whole pipeline: graph -> LLVM dialect",
      [](mlir::OpPassManager &pm, const StepPipelineOptions &options) {
        buildPartitionPipeline(pm, options);
        buildPlanningPipeline(pm, options);
        buildToLLVMPipeline(pm);
      });
}

} // namespace dsc::passes
