//===- ConfigTest.cpp - ds_config parsing, defaults and batch table -------===//

#include "compiler/config/DsConfig.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

using namespace dsc::config;

namespace {

/// The error message, or "<ok>" when the config is valid.
std::string errorOf(llvm::StringRef text) {
  llvm::Expected<ParsedConfig> parsed = parseConfig(text, "ds_config.json");
  if (parsed)
    return "<ok>";
  return llvm::toString(parsed.takeError());
}

ParsedConfig parseOk(llvm::StringRef text) {
  llvm::Expected<ParsedConfig> parsed = parseConfig(text, "ds_config.json");
  if (!parsed) {
    ADD_FAILURE() << "unexpected error: " << llvm::toString(parsed.takeError())
                  << "\nfor: " << text.str();
    return {};
  }
  return std::move(*parsed);
}

std::string batchError(llvm::StringRef text, int64_t dp) {
  DsConfig config = parseOk(text).config;
  llvm::Expected<BatchSizes> sizes = resolveBatch(config, dp);
  if (sizes)
    return "<ok>";
  return llvm::toString(sizes.takeError());
}

BatchSizes batchOk(llvm::StringRef text, int64_t dp) {
  DsConfig config = parseOk(text).config;
  llvm::Expected<BatchSizes> sizes = resolveBatch(config, dp);
  if (!sizes) {
    ADD_FAILURE() << llvm::toString(sizes.takeError());
    return {0, 0, 0};
  }
  return *sizes;
}

TEST(ConfigDefaults, TopLevel) {
  ParsedConfig parsed = parseOk("{}");
  EXPECT_TRUE(parsed.warnings.empty());
  const DsConfig &c = parsed.config;
  EXPECT_FALSE(c.batch.trainBatchSize.value);
  EXPECT_FALSE(c.batch.trainMicroBatchSizePerGpu.value);
  EXPECT_FALSE(c.batch.gradientAccumulationSteps.value);
  EXPECT_FALSE(c.optimizer);
  EXPECT_FALSE(c.scheduler);
  EXPECT_EQ(c.gradientClipping.value, 0.0);
  EXPECT_FALSE(c.gradientClipping.isAuto);
  EXPECT_FALSE(c.gradientClippingGiven);
  EXPECT_NE(std::string(kGradientClippingNote).find("1.0"), std::string::npos);
  EXPECT_EQ(c.stepsPerPrint, 10);
  EXPECT_FALSE(c.wallClockBreakdown);
  EXPECT_EQ(c.gradientPredivideFactor, 1.0);
  EXPECT_FALSE(c.communicationDataType);
  EXPECT_FALSE(c.prescaleGradients);
  EXPECT_EQ(c.tensorParallel.autotpSize, 0);
  EXPECT_EQ(c.tensorParallel.tpSize, 1);
  EXPECT_EQ(c.pipeline.stages.value, 1);
  EXPECT_FALSE(c.pipeline.stages.isAuto);
  EXPECT_EQ(c.pipeline.partitionMethod, "parameters");
  EXPECT_EQ(c.pipeline.activationCheckpointInterval, 0);
  EXPECT_FALSE(c.inference.dtype);
  EXPECT_FALSE(c.inference.replaceWithKernelInject);
  EXPECT_FALSE(c.inference.quant.enabled);
  EXPECT_EQ(c.inference.quant.weightNumBits, 8);
  EXPECT_EQ(c.inference.quant.weightQGroups, 1);
  EXPECT_EQ(c.inference.maxOutTokens, 1024);
  EXPECT_EQ(c.checkpoint.tagValidation, TagValidation::Warn);
  EXPECT_FALSE(c.checkpoint.loadUniversal);
  EXPECT_FALSE(c.checkpoint.useNodeLocalStorage);
}

TEST(ConfigDefaults, Precision) {
  const DsConfig c = parseOk("{}").config;
  EXPECT_FALSE(c.fp16.enabled.value);
  EXPECT_EQ(c.fp16.lossScale, 0.0);
  EXPECT_EQ(c.fp16.initialScalePower, 16);
  EXPECT_EQ(c.fp16.lossScaleWindow, 1000);
  EXPECT_EQ(c.fp16.hysteresis, 2);
  EXPECT_FALSE(c.fp16.consecutiveHysteresis);
  EXPECT_EQ(c.fp16.minLossScale, 1.0);
  EXPECT_FALSE(c.bf16.enabled.value);
}

TEST(ConfigDefaults, Zero) {
  const ZeroConfig z = parseOk("{}").config.zero;
  EXPECT_EQ(z.stage, 0);
  EXPECT_TRUE(z.contiguousGradients);
  EXPECT_TRUE(z.reduceScatter);
  EXPECT_EQ(z.reduceBucketSize.value, 500000000);
  EXPECT_TRUE(z.allgatherPartitions);
  EXPECT_EQ(z.allgatherBucketSize, 500000000);
  EXPECT_EQ(z.overlapComm, false);
  EXPECT_EQ(z.stage3PrefetchBucketSize.value, 50000000);
  EXPECT_EQ(z.stage3ParamPersistenceThreshold.value, 100000);
  EXPECT_EQ(z.stage3MaxLiveParameters, 1000000000);
  EXPECT_EQ(z.stage3MaxReuseDistance, 1000000000);
  EXPECT_FALSE(z.stage3Gather16bitWeightsOnModelSave);
  EXPECT_EQ(z.offloadOptimizer.device, OffloadDevice::None);
  EXPECT_FALSE(z.offloadOptimizer.pinMemory);
  EXPECT_EQ(z.offloadParam.device, OffloadDevice::None);
  // overlap_comm defaults to true for stage 3 only.
  EXPECT_EQ(
      parseOk(R"({"zero_optimization": {"stage": 3}})").config.zero.overlapComm,
      true);
  EXPECT_EQ(
      parseOk(R"({"zero_optimization": {"stage": 2}})").config.zero.overlapComm,
      false);
  EXPECT_EQ(parseOk(R"({"zero_optimization": {"stage": 3,
                         "overlap_comm": false}})")
                .config.zero.overlapComm,
            false);
}

TEST(ConfigDefaults, ZeroBoolean) {
  EXPECT_EQ(parseOk(R"({"zero_optimization": true})").config.zero.stage, 1);
  EXPECT_EQ(parseOk(R"({"zero_optimization": false})").config.zero.stage, 0);
}

TEST(ConfigDefaults, Optimizer) {
  for (const char *type : {"adam", "AdamW", "ADAM", "lamb", "sgd"}) {
    std::string text =
        std::string(R"({"optimizer": {"type": ")") + type + "\"}}";
    OptimizerConfig o = *parseOk(text).config.optimizer;
    EXPECT_EQ(o.lr.value, 1e-3) << type;
    EXPECT_EQ(o.betas.value[0], 0.9);
    EXPECT_EQ(o.betas.value[1], 0.999);
    EXPECT_EQ(o.eps.value, 1e-8);
    EXPECT_EQ(o.weightDecay.value, 0.0);
    EXPECT_TRUE(o.biasCorrection);
    EXPECT_TRUE(o.adamWMode);
    EXPECT_EQ(o.maxCoeff, 10.0);
    EXPECT_EQ(o.minCoeff, 0.01);
    EXPECT_EQ(o.momentum, 0.0);
    EXPECT_EQ(o.dampening, 0.0);
    EXPECT_FALSE(o.nesterov);
  }
  auto typeOf = [](const char *text) {
    return parseOk(text).config.optimizer->type;
  };
  EXPECT_EQ(typeOf(R"({"optimizer": {"type": "Adam"}})"), OptimizerType::Adam);
  EXPECT_EQ(typeOf(R"({"optimizer": {"type": "ADAMW"}})"),
            OptimizerType::AdamW);
  EXPECT_EQ(typeOf(R"({"optimizer": {"type": "Lamb"}})"), OptimizerType::Lamb);
  EXPECT_EQ(typeOf(R"({"optimizer": {"type": "SGD"}})"), OptimizerType::SGD);
  // adam + adam_w_mode false is L2-style Adam.
  EXPECT_FALSE(parseOk(R"({"optimizer": {"type": "adam",
                          "params": {"adam_w_mode": false}}})")
                   .config.optimizer->adamWMode);
}

TEST(ConfigDefaults, OptimizerParams) {
  OptimizerConfig o = *parseOk(R"({"optimizer": {"type": "AdamW", "params": {
      "lr": 3e-4, "betas": [0.8, 0.95], "eps": 1e-6, "weight_decay": 0.1,
      "bias_correction": false}}})")
                           .config.optimizer;
  EXPECT_EQ(o.lr.value, 3e-4);
  EXPECT_EQ(o.betas.value[0], 0.8);
  EXPECT_EQ(o.betas.value[1], 0.95);
  EXPECT_EQ(o.eps.value, 1e-6);
  EXPECT_EQ(o.weightDecay.value, 0.1);
  EXPECT_FALSE(o.biasCorrection);
  OptimizerConfig sgd = *parseOk(R"({"optimizer": {"type": "sgd", "params": {
      "lr": 0.1, "momentum": 0.9, "nesterov": true}}})")
                             .config.optimizer;
  EXPECT_EQ(sgd.momentum, 0.9);
  EXPECT_TRUE(sgd.nesterov);
}

TEST(ConfigDefaults, Schedulers) {
  SchedulerConfig w = *parseOk(R"({"optimizer": {"type": "adamw",
      "params": {"lr": 0.01}}, "scheduler": {"type": "WarmupLR"}})")
                           .config.scheduler;
  EXPECT_EQ(w.type, SchedulerType::WarmupLR);
  EXPECT_EQ(w.warmupMinLr.value, 0.0);
  // warmup_max_lr defaults to the optimizer lr.
  EXPECT_EQ(w.warmupMaxLr.value, 0.01);
  EXPECT_EQ(w.warmupNumSteps.value, 1000);
  EXPECT_EQ(w.warmupType, WarmupType::Log);
  EXPECT_FALSE(w.totalNumSteps.value);
  SchedulerConfig noOpt =
      *parseOk(R"({"scheduler": {"type": "WarmupLR"}})").config.scheduler;
  EXPECT_EQ(noOpt.warmupMaxLr.value, 1e-3);

  SchedulerConfig d = *parseOk(R"({"scheduler": {"type": "WarmupDecayLR",
      "params": {"total_num_steps": 5000, "warmup_type": "linear"}}})")
                           .config.scheduler;
  EXPECT_EQ(d.totalNumSteps.value, 5000);
  EXPECT_EQ(d.warmupType, WarmupType::Linear);

  SchedulerConfig cosine = *parseOk(R"({"scheduler": {"type":
      "WarmupCosineLR", "params": {"total_num_steps": 100}}})")
                                .config.scheduler;
  EXPECT_EQ(cosine.warmupMinRatio, 0.0);
  EXPECT_EQ(cosine.cosMinRatio, 1e-4);
  EXPECT_EQ(cosine.warmupNumSteps.value, 1000);

  SchedulerConfig one = *parseOk(R"({"scheduler": {"type": "OneCycle",
      "params": {"cycle_min_lr": 1e-4, "cycle_max_lr": 1e-3}}})")
                             .config.scheduler;
  EXPECT_EQ(one.cycleFirstStepSize, 2000);
  EXPECT_EQ(one.cycleSecondStepSize, 2000);
  EXPECT_EQ(one.cycleFirstStairCount, 0);
  EXPECT_EQ(one.cycleSecondStairCount, 0);
  EXPECT_EQ(one.decayStepSize, 0);
  EXPECT_EQ(one.decayLrRate, 0.0);
  EXPECT_TRUE(one.cycleMomentum);
  EXPECT_EQ(one.cycleMinMom, 0.8);
  EXPECT_EQ(one.cycleMaxMom, 0.9);
  EXPECT_EQ(one.decayMomRate, 0.0);
}

TEST(ConfigDefaults, WarmupStepsClampedToTwo) {
  // DeepSpeed: self.warmup_num_steps = max(2, warmup_num_steps).
  ParsedConfig p = parseOk(R"({"scheduler": {"type": "WarmupLR",
      "params": {"warmup_num_steps": 1}}})");
  EXPECT_EQ(p.config.scheduler->warmupNumSteps.value, 2);
  ASSERT_EQ(p.warnings.size(), 1u);
  EXPECT_EQ(p.warnings[0], "scheduler.params.warmup_num_steps: 1 raised to 2 "
                           "(DeepSpeed's minimum)");
}

TEST(ConfigParse, TypedValues) {
  DsConfig c = parseOk(R"(// leading comment
  {
    /* block comment */
    "train_micro_batch_size_per_gpu": 4, // trailing
    "gradient_accumulation_steps": 2,
    "gradient_clipping": 1.0,
    "communication_data_type": "bf16",
    "bf16": {"enabled": true},
    "zero_optimization": {"stage": 1, "reduce_bucket_size": 5e7,
                          "offload_optimizer": {"device": "CPU",
                                                "pin_memory": true}},
    "tensor_parallel": {"autotp_size": 2},
    "pipeline": {"stages": 2, "partition_method": "type:Block",
                 "activation_checkpoint_interval": 1},
    "dtype": "int8", "mp_size": 2, "max_out_tokens": 64,
    "quant": {"enabled": true, "weight": {"num_bits": 4, "q_groups": 8}},
    "checkpoint": {"tag_validation": "fail"}
  })")
                   .config;
  EXPECT_EQ(c.batch.trainMicroBatchSizePerGpu.value, 4);
  EXPECT_EQ(c.batch.gradientAccumulationSteps.value, 2);
  EXPECT_EQ(c.gradientClipping.value, 1.0);
  EXPECT_TRUE(c.gradientClippingGiven);
  EXPECT_EQ(c.communicationDataType, CommDataType::BF16);
  EXPECT_TRUE(c.bf16.enabled.value);
  EXPECT_EQ(c.zero.stage, 1);
  EXPECT_EQ(c.zero.reduceBucketSize.value, 50000000);
  EXPECT_EQ(c.zero.offloadOptimizer.device, OffloadDevice::CPU);
  EXPECT_TRUE(c.zero.offloadOptimizer.pinMemory);
  EXPECT_EQ(c.tensorParallel.autotpSize, 2);
  EXPECT_EQ(c.tensorParallel.tpSize, 2);
  EXPECT_EQ(c.pipeline.stages.value, 2);
  EXPECT_EQ(c.pipeline.partitionMethod, "type:Block");
  EXPECT_EQ(c.pipeline.activationCheckpointInterval, 1);
  EXPECT_EQ(c.inference.dtype, InferenceDtype::INT8);
  EXPECT_EQ(c.inference.maxOutTokens, 64);
  EXPECT_TRUE(c.inference.quant.enabled);
  EXPECT_EQ(c.inference.quant.weightNumBits, 4);
  EXPECT_EQ(c.inference.quant.weightQGroups, 8);
  EXPECT_EQ(c.checkpoint.tagValidation, TagValidation::Fail);
}

TEST(ConfigParse, Auto) {
  DsConfig c = parseOk(R"({"train_batch_size": "auto",
      "train_micro_batch_size_per_gpu": "auto",
      "gradient_accumulation_steps": "auto", "gradient_clipping": "auto",
      "fp16": {"enabled": "auto"},
      "optimizer": {"type": "adamw", "params": {"lr": "auto",
          "betas": "auto", "eps": "auto", "weight_decay": "auto"}},
      "scheduler": {"type": "WarmupDecayLR", "params": {"warmup_min_lr":
          "auto", "warmup_num_steps": "auto", "total_num_steps": "auto"}},
      "zero_optimization": {"reduce_bucket_size": "auto",
          "stage3_prefetch_bucket_size": "auto",
          "stage3_param_persistence_threshold": "auto"},
      "pipeline": {"stages": "auto"}})")
                   .config;
  EXPECT_TRUE(c.batch.trainBatchSize.isAuto);
  EXPECT_FALSE(c.batch.trainBatchSize.value);
  EXPECT_TRUE(c.batch.trainMicroBatchSizePerGpu.isAuto);
  EXPECT_TRUE(c.batch.gradientAccumulationSteps.isAuto);
  EXPECT_TRUE(c.gradientClipping.isAuto);
  EXPECT_TRUE(c.fp16.enabled.isAuto);
  EXPECT_TRUE(c.optimizer->lr.isAuto);
  EXPECT_TRUE(c.optimizer->betas.isAuto);
  EXPECT_TRUE(c.optimizer->eps.isAuto);
  EXPECT_TRUE(c.optimizer->weightDecay.isAuto);
  EXPECT_TRUE(c.scheduler->warmupMinLr.isAuto);
  // warmup_max_lr follows the optimizer lr, which is "auto".
  EXPECT_TRUE(c.scheduler->warmupMaxLr.isAuto);
  EXPECT_TRUE(c.scheduler->warmupNumSteps.isAuto);
  EXPECT_TRUE(c.scheduler->totalNumSteps.isAuto);
  EXPECT_TRUE(c.zero.reduceBucketSize.isAuto);
  EXPECT_TRUE(c.zero.stage3PrefetchBucketSize.isAuto);
  EXPECT_TRUE(c.zero.stage3ParamPersistenceThreshold.isAuto);
  EXPECT_TRUE(c.pipeline.stages.isAuto);
  // "auto" is not accepted everywhere.
  EXPECT_EQ(errorOf(R"({"steps_per_print": "auto"})"),
            "steps_per_print: expected a positive integer, got \"auto\"");
}

TEST(ConfigParse, DuplicateKeys) {
  EXPECT_EQ(errorOf(R"({"train_batch_size": 8, "train_batch_size": 16})"),
            "train_batch_size: duplicate key");
  EXPECT_EQ(errorOf(R"({"zero_optimization": {"stage": 1, "stage": 2}})"),
            "zero_optimization.stage: duplicate key");
  EXPECT_EQ(errorOf(R"({"zero_optimization": {"offload_optimizer":
                {"device": "cpu", "device": "nvme"}}})"),
            "zero_optimization.offload_optimizer.device: duplicate key");
  EXPECT_EQ(errorOf(R"({"x": [1, {"y": 1, "y": 2}]})"),
            "x[1].y: duplicate key");
  // The same key in sibling objects is fine.
  EXPECT_EQ(errorOf(R"({"fp16": {"enabled": false},
                        "bf16": {"enabled": false}})"),
            "<ok>");
}

TEST(ConfigParse, SyntaxErrors) {
  EXPECT_EQ(errorOf("{\"train_batch_size\": 8,\n  \"fp16\": {\"enabled\": "
                    "tru}}"),
            "ds_config.json:2:26: invalid JSON: syntax error while parsing "
            "value - invalid literal; last read: '\"enabled\": tru}'");
  EXPECT_EQ(errorOf(""), "ds_config.json:1:1: invalid JSON: syntax error "
                         "while parsing value - unexpected end of input; "
                         "expected '[', '{', or a literal");
  EXPECT_EQ(errorOf("[1]"), "ds_config.json: expected a JSON object, got [1]");
}

TEST(ConfigParse, DidYouMean) {
  EXPECT_EQ(errorOf(R"({"train_batch_sise": 8})"),
            "ds_config.json: unknown key 'train_batch_sise'; did you mean "
            "'train_batch_size'?");
  EXPECT_EQ(errorOf(R"({"Train_Batch_Size": 8})"),
            "ds_config.json: unknown key 'Train_Batch_Size'; did you mean "
            "'train_batch_size'?");
  EXPECT_EQ(errorOf(R"({"zero_optimization": {"stag": 2}})"),
            "zero_optimization: unknown key 'stag'; did you mean 'stage'?");
  EXPECT_EQ(errorOf(R"({"fp16": {"enable": true}})"),
            "fp16: unknown key 'enable'; did you mean 'enabled'?");
  EXPECT_EQ(errorOf(R"({"optimizer": {"type": "adam",
                        "params": {"weight_decy": 0.1}}})"),
            "optimizer.params: unknown key 'weight_decy'; did you mean "
            "'weight_decay'?");
  EXPECT_EQ(errorOf(R"({"scheduler": {"type": "WarmupDecayLR",
                        "params": {"total_num_step": 10}}})"),
            "scheduler.params: unknown key 'total_num_step'; did you mean "
            "'total_num_steps'?");
  // Suggestions include DeepSpeed keys that are only warned about.
  EXPECT_EQ(errorOf(R"({"flops_profile": {}})"),
            "ds_config.json: unknown key 'flops_profile'; did you mean "
            "'flops_profiler'?");
  EXPECT_EQ(errorOf(R"({"zzz": 1})"), "ds_config.json: unknown key 'zzz'");
  // A key of another optimizer type is unknown.
  EXPECT_EQ(errorOf(R"({"optimizer": {"type": "sgd",
                        "params": {"betas": [0.9, 0.99]}}})"),
            "optimizer.params: unknown key 'betas'");
}

TEST(ConfigParse, Warnings) {
  ParsedConfig p = parseOk(R"({"flops_profiler": {"enabled": true},
      "wandb": {}, "zero_optimization": {"stage": 3, "sub_group_size": 1e9},
      "fp16": {"auto_cast": false}})");
  ASSERT_EQ(p.warnings.size(), 4u);
  EXPECT_EQ(p.warnings[0], "ds_config: 'flops_profiler' is a DeepSpeed key "
                           "that ds-compile does not implement yet; ignored");
  EXPECT_EQ(p.warnings[1], "ds_config: 'wandb' is a DeepSpeed key that "
                           "ds-compile does not implement yet; ignored");
  // Nested warnings come in schema order (fp16 before zero_optimization).
  EXPECT_EQ(p.warnings[2], "ds_config: 'fp16.auto_cast' is a DeepSpeed key "
                           "that ds-compile does not implement yet; ignored");
  EXPECT_EQ(p.warnings[3],
            "ds_config: 'zero_optimization.sub_group_size' is a DeepSpeed key "
            "that ds-compile does not implement yet; ignored");
  ParsedConfig adamw = parseOk(
      R"({"optimizer": {"type": "adamw", "params": {"adam_w_mode": false}}})");
  EXPECT_TRUE(adamw.config.optimizer->adamWMode);
  ASSERT_EQ(adamw.warnings.size(), 1u);
  EXPECT_EQ(adamw.warnings[0].rfind("optimizer.params.adam_w_mode: false is "
                                    "ignored for type adamw",
                                    0),
            0u);
}

TEST(ConfigParse, Aliases) {
  EXPECT_TRUE(
      parseOk(R"({"bfloat16": {"enabled": true}})").config.bf16.enabled.value);
  EXPECT_EQ(errorOf(R"({"bfloat16": {"enabled": true}, "bf16": {}})"),
            "bfloat16: cannot be combined with bf16 (bfloat16 is its old "
            "name)");
  EXPECT_EQ(parseOk(R"({"mp_size": 4})").config.tensorParallel.tpSize, 4);
  EXPECT_EQ(errorOf(R"({"mp_size": 2, "tensor_parallel": {"tp_size": 4}})"),
            "mp_size: cannot be combined with tensor_parallel.tp_size "
            "(mp_size is its old name)");
}

struct InvalidCase {
  const char *config;
  const char *message;
};

TEST(ConfigParse, InvalidConfigs) {
  const InvalidCase cases[] = {
      {R"({"zero_optimization": {"stage": 4}})",
       "zero_optimization.stage: expected 0..3, got 4"},
      {R"({"train_batch_size": -1})",
       "train_batch_size: expected a positive integer, got -1"},
      {R"({"train_batch_size": 0})",
       "train_batch_size: expected a positive integer, got 0"},
      {R"({"train_micro_batch_size_per_gpu": 2.5})",
       "train_micro_batch_size_per_gpu: expected a positive integer, got 2.5"},
      {R"({"gradient_accumulation_steps": "four"})",
       "gradient_accumulation_steps: expected a positive integer, got "
       "\"four\""},
      {R"({"optimizer": {"type": "adagrad"}})",
       "optimizer.type: unknown optimizer 'adagrad'; expected one of adam, "
       "adamw, lamb, sgd"},
      {R"({"optimizer": {"type": 3}})",
       "optimizer.type: expected one of adam, adamw, lamb, sgd, got 3"},
      {R"({"optimizer": {"params": {"lr": 0.1}}})", "optimizer.type: required"},
      {R"({"optimizer": {"type": "Adam", "params": {"max_grad_norm": 1.0}}})",
       "optimizer.params.max_grad_norm: not supported; use top-level "
       "gradient_clipping"},
      {R"({"optimizer": {"type": "lamb", "params": {"max_grad_norm": 1.0}}})",
       "optimizer.params.max_grad_norm: not supported; use top-level "
       "gradient_clipping"},
      {R"({"optimizer": {"type": "adam", "params": {"betas": [0.9]}}})",
       "optimizer.params.betas: expected two numbers in [0, 1), got [0.9]"},
      {R"({"optimizer": {"type": "adam", "params": {"betas": [0.9, 1.0]}}})",
       "optimizer.params.betas: expected two numbers in [0, 1), got "
       "[0.9,1.0]"},
      {R"({"optimizer": {"type": "adam", "params": {"lr": -0.1}}})",
       "optimizer.params.lr: expected a non-negative number, got -0.1"},
      {R"({"fp16": {"enabled": true}, "bf16": {"enabled": true}})",
       "bf16.enabled: cannot be combined with fp16.enabled"},
      {R"({"fp16": {"enabled": "yes"}})",
       "fp16.enabled: expected a boolean, got \"yes\""},
      {R"({"fp16": {"min_loss_scale": 0}})",
       "fp16.min_loss_scale: expected a positive number, got 0"},
      {R"({"fp16": 1})", "fp16: expected an object, got 1"},
      {R"({"scheduler": {"type": "WarmupDecayLR", "params": {}}})",
       "scheduler.params.total_num_steps: required for WarmupDecayLR"},
      {R"({"scheduler": {"type": "WarmupCosineLR"}})",
       "scheduler.params.total_num_steps: required for WarmupCosineLR"},
      {R"({"scheduler": {"type": "OneCycle", "params": {"cycle_max_lr": 1}}})",
       "scheduler.params.cycle_min_lr: required for OneCycle"},
      {R"({"scheduler": {"type": "Foo"}})",
       "scheduler.type: unknown scheduler 'Foo'; expected one of WarmupLR, "
       "WarmupDecayLR, WarmupCosineLR, OneCycle"},
      {R"({"scheduler": {"type": "LRRangeTest"}})",
       "scheduler.type: 'LRRangeTest' is a DeepSpeed scheduler that "
       "ds-compile does not implement yet; expected one of WarmupLR, "
       "WarmupDecayLR, WarmupCosineLR, OneCycle"},
      {R"({"scheduler": {"type": "WarmupLR", "params":
           {"warmup_type": "cosine"}}})",
       "scheduler.params.warmup_type: expected one of log, linear, got "
       "\"cosine\""},
      {R"({"scheduler": {"type": "WarmupCosineLR", "params":
           {"total_num_steps": 10, "cos_min_ratio": 2}}})",
       "scheduler.params.cos_min_ratio: expected a number in [0, 1], got 2"},
      {R"({"zero_optimization": {"stage": 2, "offload_param":
           {"device": "cpu"}}})",
       "zero_optimization.offload_param: requires stage 3, got stage 2"},
      {R"({"zero_optimization": {"offload_optimizer": {"device": "cpu"}}})",
       "zero_optimization.offload_optimizer: requires stage 1, 2 or 3, got "
       "stage 0"},
      {R"({"zero_optimization": {"stage": 3, "offload_optimizer":
           {"device": "nvme"}}})",
       "zero_optimization.offload_optimizer.nvme_path: required when device "
       "is nvme"},
      {R"({"zero_optimization": {"stage": 1, "offload_optimizer":
           {"device": "gpu"}}})",
       "zero_optimization.offload_optimizer.device: expected one of none, "
       "cpu, nvme, got \"gpu\""},
      {R"({"zero_optimization": {"stage3_prefetch_bucket_size": 1.5}})",
       "zero_optimization.stage3_prefetch_bucket_size: expected a "
       "non-negative integer, got 1.5"},
      {R"({"zero_optimization": {"stage": "3"}})",
       "zero_optimization.stage: expected 0..3, got \"3\""},
      {R"({"zero_optimization": 3})",
       "zero_optimization: expected an object, got 3"},
      {R"({"communication_data_type": "int8"})",
       "communication_data_type: expected one of fp16, bf16, fp32, got "
       "\"int8\""},
      {R"({"gradient_clipping": -1})",
       "gradient_clipping: expected a non-negative number, got -1"},
      {R"({"gradient_predivide_factor": 0})",
       "gradient_predivide_factor: expected a positive number, got 0"},
      {R"({"steps_per_print": 0})",
       "steps_per_print: expected a positive integer, got 0"},
      {R"({"wall_clock_breakdown": 1})",
       "wall_clock_breakdown: expected a boolean, got 1"},
      {R"({"pipeline": {"stages": 2, "partition_method": "random"}})",
       "pipeline.partition_method: expected parameters, uniform or "
       "type:<regex>, got \"random\""},
      {R"({"pipeline": {"partition_method": "type:[a"}})",
       "pipeline.partition_method: bad regex '[a': brackets ([ ]) not "
       "balanced"},
      // Nested bounds multiply what regcomp copies: this one took minutes
      // and many GB before the check.
      {R"({"pipeline": {"partition_method":
           "type:(((a{1,255}){1,255}){1,255}){1,255}"}})",
       "pipeline.partition_method: regex '(((a{1,255}){1,255}){1,255}){1,255}' "
       "is too large: its repetitions make more than 4096 copies"},
      // A `{` that starts no bound is an ordinary character: the groups
      // after it count (the readers' fuzzer found this one timing out).
      {R"({"pipeline": {"partition_method":
           "type:(a{,12((55}){1,255}){1,255}){1,255}"}})",
       "pipeline.partition_method: regex '(a{,12((55}){1,255}){1,255}){1,255}' "
       "is too large: its repetitions make more than 4096 copies"},
      {R"({"pipeline": {"stages": 2}, "zero_optimization": {"stage": 2}})",
       "zero_optimization.stage: ZeRO stage 2 cannot be combined with "
       "pipeline parallelism (pipeline.stages 2); use stage 0 or 1"},
      {R"({"tensor_parallel": {"tp_size": 0}})",
       "tensor_parallel.tp_size: expected a positive integer, got 0"},
      {R"({"dtype": "fp8"})",
       "dtype: expected one of fp32, fp16, bf16, int8, got \"fp8\""},
      {R"({"quant": {"weight": {"num_bits": 16}}})",
       "quant.weight.num_bits: expected 1..8, got 16"},
      {R"({"checkpoint": {"tag_validation": "Maybe"}})",
       "checkpoint.tag_validation: expected one of Ignore, Warn, Fail, got "
       "\"Maybe\""},
  };
  for (const InvalidCase &c : cases)
    EXPECT_EQ(errorOf(c.config), c.message) << "config: " << c.config;
}

TEST(ConfigParse, MissingFile) {
  llvm::Expected<ParsedConfig> parsed =
      parseConfigFile("/nonexistent/dir/ds_config.json");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(llvm::toString(parsed.takeError()),
            "/nonexistent/dir/ds_config.json: cannot read config: No such "
            "file or directory");
}

TEST(ConfigParse, File) {
  llvm::SmallString<128> path;
  int fd;
  ASSERT_FALSE(
      llvm::sys::fs::createTemporaryFile("dsconfig", "json", fd, path));
  {
    llvm::raw_fd_ostream out(fd, /*shouldClose=*/true);
    out << "// test\n{\"train_batch_size\": 8, \"train_batch_size\": 8}\n";
  }
  llvm::Expected<ParsedConfig> parsed = parseConfigFile(path);
  llvm::sys::fs::remove(path);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(llvm::toString(parsed.takeError()),
            "train_batch_size: duplicate key");
}

TEST(ConfigJson, RoundTrip) {
  const char *text = R"({"train_batch_size": 32, "gradient_accumulation_steps":
      "auto", "optimizer": {"type": "lamb", "params": {"lr": 0.002,
      "max_coeff": 5}}, "scheduler": {"type": "OneCycle", "params":
      {"cycle_min_lr": 0.0001, "cycle_max_lr": 0.001}},
      "fp16": {"enabled": true, "loss_scale_window": 500},
      "zero_optimization": {"stage": 3, "offload_param": {"device": "cpu"}},
      "dtype": "bf16", "communication_data_type": "fp32"})";
  DsConfig first = parseOk(text).config;
  nlohmann::json json = toJson(first);
  EXPECT_EQ(json["train_batch_size"], 32);
  EXPECT_EQ(json["gradient_accumulation_steps"], "auto");
  EXPECT_FALSE(json.contains("train_micro_batch_size_per_gpu"));
  EXPECT_EQ(json["optimizer"]["type"], "lamb");
  EXPECT_EQ(json["optimizer"]["params"]["max_coeff"], 5.0);
  EXPECT_FALSE(json["optimizer"]["params"].contains("momentum"));
  EXPECT_EQ(json["scheduler"]["params"]["cycle_second_step_size"], 2000);
  EXPECT_EQ(json["zero_optimization"]["overlap_comm"], true);
  EXPECT_EQ(json["zero_optimization"]["offload_param"]["device"], "cpu");
  EXPECT_EQ(json["fp16"]["loss_scale_window"], 500);
  EXPECT_EQ(json["dtype"], "bf16");
  EXPECT_EQ(json["communication_data_type"], "fp32");
  EXPECT_EQ(json["steps_per_print"], 10);

  // Parsing the rendering gives the same rendering.
  DsConfig second = parseOk(json.dump()).config;
  EXPECT_EQ(toJson(second), json);
}

//===----------------------------------------------------------------------===//
// The batch table.
//===----------------------------------------------------------------------===//

TEST(BatchTable, AllThreeGivenAreChecked) {
  BatchSizes s = batchOk(R"({"train_batch_size": 16,
      "train_micro_batch_size_per_gpu": 2, "gradient_accumulation_steps": 2})",
                         4);
  EXPECT_EQ(s.trainBatchSize, 16);
  EXPECT_EQ(s.microBatchSize, 2);
  EXPECT_EQ(s.gradAccumSteps, 2);
  EXPECT_EQ(batchError(R"({"train_batch_size": 10,
      "train_micro_batch_size_per_gpu": 2, "gradient_accumulation_steps": 1})",
                       4),
            "train_batch_size 10 != train_micro_batch_size_per_gpu 2 * "
            "gradient_accumulation_steps 1 * data-parallel size 4 (all three "
            "given)");
}

TEST(BatchTable, TbsAndMbs) {
  BatchSizes s = batchOk(
      R"({"train_batch_size": 32, "train_micro_batch_size_per_gpu": 4})", 2);
  EXPECT_EQ(s.gradAccumSteps, 4);
  EXPECT_EQ(s.microBatchSize, 4);
  EXPECT_EQ(s.trainBatchSize, 32);
  // GAS = 10 / 2 / 4 = 1, then 10 != 2 * 1 * 4.
  EXPECT_EQ(batchError(R"({"train_batch_size": 10,
      "train_micro_batch_size_per_gpu": 2})",
                       4),
            "train_batch_size 10 != train_micro_batch_size_per_gpu 2 * "
            "gradient_accumulation_steps 1 * data-parallel size 4 (given: "
            "train_batch_size, train_micro_batch_size_per_gpu; derived: "
            "gradient_accumulation_steps = 10 / (2 * 4), rounded down)");
  // MBS larger than TBS: GAS = 0.
  EXPECT_EQ(batchError(R"({"train_batch_size": 4,
      "train_micro_batch_size_per_gpu": 8})",
                       1),
            "train_batch_size 4 != train_micro_batch_size_per_gpu 8 * "
            "gradient_accumulation_steps 0 * data-parallel size 1 (given: "
            "train_batch_size, train_micro_batch_size_per_gpu; derived: "
            "gradient_accumulation_steps = 4 / (8 * 1), rounded down)");
}

TEST(BatchTable, TbsAndGas) {
  BatchSizes s = batchOk(
      R"({"train_batch_size": 32, "gradient_accumulation_steps": 2})", 4);
  EXPECT_EQ(s.microBatchSize, 4);
  EXPECT_EQ(s.gradAccumSteps, 2);
  // MBS = 10 / 4 / 2 = 1, then 10 != 1 * 2 * 4.
  EXPECT_EQ(
      batchError(
          R"({"train_batch_size": 10, "gradient_accumulation_steps": 2})", 4),
      "train_batch_size 10 != train_micro_batch_size_per_gpu 1 * "
      "gradient_accumulation_steps 2 * data-parallel size 4 (given: "
      "train_batch_size, gradient_accumulation_steps; derived: "
      "train_micro_batch_size_per_gpu = 10 / (2 * 4), rounded down)");
}

TEST(BatchTable, MbsAndGas) {
  BatchSizes s = batchOk(R"({"train_micro_batch_size_per_gpu": 3,
      "gradient_accumulation_steps": 5})",
                         7);
  EXPECT_EQ(s.trainBatchSize, 105);
  EXPECT_EQ(s.microBatchSize, 3);
  EXPECT_EQ(s.gradAccumSteps, 5);
}

TEST(BatchTable, TbsOnly) {
  BatchSizes s = batchOk(R"({"train_batch_size": 24})", 8);
  EXPECT_EQ(s.trainBatchSize, 24);
  EXPECT_EQ(s.microBatchSize, 3);
  EXPECT_EQ(s.gradAccumSteps, 1);
  EXPECT_EQ(batchError(R"({"train_batch_size": 10})", 4),
            "train_batch_size 10 != train_micro_batch_size_per_gpu 2 * "
            "gradient_accumulation_steps 1 * data-parallel size 4 (given: "
            "train_batch_size; derived: train_micro_batch_size_per_gpu = "
            "10 / 4, rounded down; gradient_accumulation_steps 1 by "
            "default)");
  EXPECT_EQ(batchError(R"({"train_batch_size": 2})", 4),
            "train_batch_size 2 != train_micro_batch_size_per_gpu 0 * "
            "gradient_accumulation_steps 1 * data-parallel size 4 (given: "
            "train_batch_size; derived: train_micro_batch_size_per_gpu = "
            "2 / 4, rounded down; gradient_accumulation_steps 1 by "
            "default)");
}

TEST(BatchTable, MbsOnly) {
  BatchSizes s = batchOk(R"({"train_micro_batch_size_per_gpu": 2})", 4);
  EXPECT_EQ(s.trainBatchSize, 8);
  EXPECT_EQ(s.microBatchSize, 2);
  EXPECT_EQ(s.gradAccumSteps, 1);
}

TEST(BatchTable, GasOnlyOrNone) {
  const char *message =
      "train_batch_size or train_micro_batch_size_per_gpu is required";
  EXPECT_EQ(batchError(R"({"gradient_accumulation_steps": 4})", 1), message);
  EXPECT_EQ(batchError("{}", 1), message);
  // "auto" resolves like "not given".
  EXPECT_EQ(batchError(R"({"train_batch_size": "auto",
      "train_micro_batch_size_per_gpu": "auto"})",
                       1),
            message);
  BatchSizes s = batchOk(R"({"train_batch_size": "auto",
      "train_micro_batch_size_per_gpu": 2, "gradient_accumulation_steps": 3})",
                         2);
  EXPECT_EQ(s.trainBatchSize, 12);
}

// Products that do not fit in 64 bits are errors; wrapped around, they
// passed the check or gave a nonsense batch size.
TEST(BatchTable, Overflow) {
  EXPECT_EQ(
      batchError(R"({"train_micro_batch_size_per_gpu": 4611686018427387904,
      "gradient_accumulation_steps": 4})",
                 1),
      "train_micro_batch_size_per_gpu 4611686018427387904 * "
      "gradient_accumulation_steps 4 * data-parallel size 1 does not "
      "fit in 64 bits");
  EXPECT_EQ(
      batchError(R"({"train_micro_batch_size_per_gpu": 4611686018427387904})",
                 2),
      "train_micro_batch_size_per_gpu 4611686018427387904 * "
      "gradient_accumulation_steps 1 * data-parallel size 2 does not "
      "fit in 64 bits");
  // (2^62 + 1) * 4 wraps around to 4.
  EXPECT_EQ(batchError(R"({"train_batch_size": 4,
      "train_micro_batch_size_per_gpu": 4611686018427387905,
      "gradient_accumulation_steps": 4})",
                       1),
            "train_micro_batch_size_per_gpu 4611686018427387905 * "
            "gradient_accumulation_steps 4 * data-parallel size 1 does not "
            "fit in 64 bits");
}

TEST(BatchTable, NonPositive) {
  DsConfig config;
  config.batch.trainMicroBatchSizePerGpu.value = 0;
  llvm::Expected<BatchSizes> sizes = resolveBatch(config, 1);
  ASSERT_FALSE(sizes);
  EXPECT_EQ(llvm::toString(sizes.takeError()),
            "train_micro_batch_size_per_gpu: expected a positive integer, got "
            "0");
  config.batch.trainMicroBatchSizePerGpu.value = 1;
  sizes = resolveBatch(config, 0);
  ASSERT_FALSE(sizes);
  EXPECT_EQ(llvm::toString(sizes.takeError()),
            "data-parallel size: expected a positive integer, got 0");
}

} // namespace

TEST(DataParallelSize, DividesTheWorldByTensorAndPipelineDegrees) {
  auto dp = [](llvm::StringRef text, int64_t world) -> std::string {
    llvm::Expected<int64_t> size =
        dataParallelSize(parseOk(text).config, world);
    return size ? std::to_string(*size) : llvm::toString(size.takeError());
  };
  EXPECT_EQ(dp(R"({"train_batch_size": 8})", 4), "4");
  EXPECT_EQ(dp(R"({"train_batch_size": 8,
                  "tensor_parallel": {"autotp_size": 2}})",
               8),
            "4");
  EXPECT_EQ(dp(R"({"train_batch_size": 8, "pipeline": {"stages": 2},
                  "tensor_parallel": {"autotp_size": 2}})",
               8),
            "2");
  EXPECT_EQ(dp(R"({"train_batch_size": 8,
                  "tensor_parallel": {"autotp_size": 3}})",
               4),
            "world size 4 is not a multiple of tensor_parallel.autotp_size 3 "
            "* pipeline.stages 1");
  // 2^32 * 2^32 wrapped around to 0, and the world was divided by it.
  EXPECT_EQ(dp(R"({"train_batch_size": 8, "pipeline": {"stages": 4294967296},
                  "tensor_parallel": {"autotp_size": 4294967296}})",
               8),
            "world size 8 is not a multiple of tensor_parallel.autotp_size "
            "4294967296 * pipeline.stages 4294967296");
}
