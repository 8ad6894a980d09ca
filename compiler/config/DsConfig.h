//===- DsConfig.h - DeepSpeed ds_config.json, typed and checked -*- C++ -*-===//
//
// The DeepSpeed configuration as ds-compile understands it. Every default
// lives in the member initializers below (the one table of defaults); the keys,
// their JSON names and their valid ranges live in ConfigSchema.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_COMPILER_CONFIG_DSCONFIG_H
#define DSC_COMPILER_CONFIG_DSCONFIG_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dsc::config {

/// A value that the config may give as "auto": the planner resolves it.
/// `value` holds the default (or the given value) when `isAuto` is false.
template <typename T> struct AutoOr {
  T value{};
  bool isAuto = false;
};

enum class OptimizerType { Adam, AdamW, Lamb, SGD };
enum class SchedulerType { WarmupLR, WarmupDecayLR, WarmupCosineLR, OneCycle };
enum class WarmupType { Log, Linear };
/// communication_data_type.
enum class CommDataType { FP16, BF16, FP32 };
/// Inference `dtype`.
enum class InferenceDtype { FP32, FP16, BF16, INT8 };
enum class OffloadDevice { None, CPU, NVMe };
/// checkpoint.tag_validation.
enum class TagValidation { Ignore, Warn, Fail };

/// The three batch keys exactly as given; "auto" counts as not given.
struct BatchConfig {
  AutoOr<std::optional<int64_t>> trainBatchSize;
  AutoOr<std::optional<int64_t>> trainMicroBatchSizePerGpu;
  AutoOr<std::optional<int64_t>> gradientAccumulationSteps;
};

/// `optimizer`: type plus the union of every type's params.
struct OptimizerConfig {
  OptimizerType type = OptimizerType::AdamW;
  AutoOr<double> lr{1e-3};
  AutoOr<std::array<double, 2>> betas{{0.9, 0.999}};
  AutoOr<double> eps{1e-8};
  AutoOr<double> weightDecay{0.0};
  // Adam, AdamW, Lamb.
  bool biasCorrection = true;
  // Adam only: true (the default) makes `adam` decoupled-weight-decay AdamW.
  // Always true for type AdamW.
  bool adamWMode = true;
  // Lamb trust-ratio clamp.
  double maxCoeff = 10.0;
  double minCoeff = 0.01;
  // SGD.
  double momentum = 0.0;
  double dampening = 0.0;
  bool nesterov = false;
};

/// `scheduler`: type plus the union of every type's params.
struct SchedulerConfig {
  SchedulerType type = SchedulerType::WarmupLR;
  // WarmupLR, WarmupDecayLR.
  AutoOr<double> warmupMinLr{0.0};
  /// Defaults to the optimizer lr (1e-3 without an optimizer block); always
  /// set after parsing unless "auto".
  AutoOr<std::optional<double>> warmupMaxLr;
  // WarmupLR, WarmupDecayLR, WarmupCosineLR. Values below 2 are raised to 2,
  // as DeepSpeed does.
  AutoOr<int64_t> warmupNumSteps{1000};
  WarmupType warmupType = WarmupType::Log;
  /// Required for WarmupDecayLR and WarmupCosineLR.
  AutoOr<std::optional<int64_t>> totalNumSteps;
  // WarmupCosineLR.
  double warmupMinRatio = 0.0;
  double cosMinRatio = 1e-4;
  // OneCycle. cycle_min_lr and cycle_max_lr are required.
  std::optional<double> cycleMinLr;
  std::optional<double> cycleMaxLr;
  int64_t cycleFirstStepSize = 2000;
  /// Defaults to cycleFirstStepSize; always set after parsing.
  std::optional<int64_t> cycleSecondStepSize;
  int64_t cycleFirstStairCount = 0;
  /// Defaults to cycleFirstStairCount; always set after parsing.
  std::optional<int64_t> cycleSecondStairCount;
  int64_t decayStepSize = 0;
  double decayLrRate = 0.0;
  bool cycleMomentum = true;
  double cycleMinMom = 0.8;
  double cycleMaxMom = 0.9;
  double decayMomRate = 0.0;
};

struct FP16Config {
  AutoOr<bool> enabled{false};
  /// 0 means dynamic loss scaling.
  double lossScale = 0.0;
  int64_t initialScalePower = 16;
  int64_t lossScaleWindow = 1000;
  int64_t hysteresis = 2;
  bool consecutiveHysteresis = false;
  double minLossScale = 1.0;
};

struct BF16Config {
  AutoOr<bool> enabled{false};
};

struct OffloadConfig {
  OffloadDevice device = OffloadDevice::None;
  std::string nvmePath;
  bool pinMemory = false;
};

struct ZeroConfig {
  /// `"zero_optimization": true` means stage 1, `false` stage 0.
  int64_t stage = 0;
  bool contiguousGradients = true;
  bool reduceScatter = true;
  AutoOr<int64_t> reduceBucketSize{500000000};
  bool allgatherPartitions = true;
  int64_t allgatherBucketSize = 500000000;
  /// Defaults to (stage == 3); always set after parsing.
  std::optional<bool> overlapComm;
  AutoOr<int64_t> stage3PrefetchBucketSize{50000000};
  AutoOr<int64_t> stage3ParamPersistenceThreshold{100000};
  int64_t stage3MaxLiveParameters = 1000000000;
  int64_t stage3MaxReuseDistance = 1000000000;
  bool stage3Gather16bitWeightsOnModelSave = false;
  OffloadConfig offloadOptimizer;
  /// Stage 3 only.
  OffloadConfig offloadParam;
};

struct TensorParallelConfig {
  /// Training tensor-parallel degree; 0 = off.
  int64_t autotpSize = 0;
  /// Inference tensor-parallel degree (`mp_size` is the old top-level name).
  int64_t tpSize = 1;
};

struct PipelineConfig {
  /// Number of pipeline stages; 1 = no pipeline, "auto" = planner decides.
  AutoOr<int64_t> stages{1};
  /// `parameters`, `uniform` or `type:<regex>`.
  std::string partitionMethod = "parameters";
  /// 0 = no activation checkpointing.
  int64_t activationCheckpointInterval = 0;
};

struct QuantConfig {
  bool enabled = false;
  int64_t weightNumBits = 8;
  int64_t weightQGroups = 1;
};

/// The inference keys (top level, as in DeepSpeed's inference config).
struct InferenceConfig {
  /// Absent: the training precision.
  std::optional<InferenceDtype> dtype;
  bool replaceWithKernelInject = false;
  QuantConfig quant;
  int64_t maxOutTokens = 1024;
};

struct CheckpointConfig {
  TagValidation tagValidation = TagValidation::Warn;
  bool loadUniversal = false;
  bool useNodeLocalStorage = false;
};

/// Shown (by the CLI or plan) when gradient_clipping is not given.
inline constexpr const char *kGradientClippingNote =
    "gradient_clipping not given: ds-compile uses 0 (off); newer DeepSpeed "
    "versions default to 1.0";

struct DsConfig {
  BatchConfig batch;
  std::optional<OptimizerConfig> optimizer;
  std::optional<SchedulerConfig> scheduler;
  FP16Config fp16;
  BF16Config bf16;
  /// Global L2 norm clip over all ranks; 0 = off. See kGradientClippingNote.
  AutoOr<double> gradientClipping{0.0};
  /// Whether gradient_clipping was in the file.
  bool gradientClippingGiven = false;
  int64_t stepsPerPrint = 10;
  bool wallClockBreakdown = false;
  double gradientPredivideFactor = 1.0;
  /// Absent: the training precision.
  std::optional<CommDataType> communicationDataType;
  bool prescaleGradients = false;
  ZeroConfig zero;
  TensorParallelConfig tensorParallel;
  PipelineConfig pipeline;
  InferenceConfig inference;
  CheckpointConfig checkpoint;
};

struct ParsedConfig {
  DsConfig config;
  /// One line each, e.g. keys DeepSpeed knows that ds-compile ignores.
  std::vector<std::string> warnings;
};

/// Parses JSON with comments allowed and duplicate keys rejected
/// (`<key.path>: duplicate key`). Syntax errors read
/// `<fileName>:<line>:<column>: invalid JSON: <what>`.
llvm::Expected<nlohmann::ordered_json> parseJson(llvm::StringRef text,
                                                 llvm::StringRef fileName);

/// Checks and types an already parsed ds_config object.
llvm::Expected<ParsedConfig> readConfig(const nlohmann::ordered_json &root,
                                        llvm::StringRef fileName);

/// parseJson + readConfig.
llvm::Expected<ParsedConfig> parseConfig(llvm::StringRef jsonText,
                                         llvm::StringRef fileName);

/// Reads `path` (error `<path>: cannot read config: <reason>`), then
/// parseConfig with the path as the file name.
llvm::Expected<ParsedConfig> parseConfigFile(llvm::StringRef path);

/// Renders the config in ds_config.json form ("auto" stays "auto").
nlohmann::json toJson(const DsConfig &config);

struct BatchSizes {
  int64_t trainBatchSize;
  int64_t microBatchSize;
  int64_t gradAccumSteps;
};

/// The data-parallel degree of a world: world / (tp * pp), with tp the
/// training tensor-parallel degree (`tensor_parallel.autotp_size`, 0 = 1) and
/// pp the pipeline stages ("auto" counts as 1 until the planner decides).
/// Fails when the world does not divide.
llvm::Expected<int64_t> dataParallelSize(const DsConfig &config,
                                         int64_t worldSize);

/// Derives the missing batch values for a data-parallel degree (DeepSpeed's
/// table: integer division, then the invariant
/// TBS == MBS * GAS * dpSize is checked).
llvm::Expected<BatchSizes> resolveBatch(const DsConfig &config, int64_t dpSize);

} // namespace dsc::config

#endif // DSC_COMPILER_CONFIG_DSCONFIG_H
