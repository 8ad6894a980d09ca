//===- ConfigSchema.cpp - The ds_config keys, ranges and checks -----------===//
//
// Each config block has one `visit` function listing its keys in file order
// with their valid ranges. Three visitors walk that one table: KeyCollector
// (which keys exist, for unknown-key errors and did-you-mean), Reader (JSON ->
// DsConfig) and Writer (DsConfig -> JSON). Defaults are the member
// initializers in DsConfig.h.
//
//===----------------------------------------------------------------------===//

#include "compiler/config/DsConfig.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Regex.h"

#include <cmath>
#include <cstdio>
#include <limits>

using namespace llvm;

namespace dsc::config {
namespace {

using OJson = nlohmann::ordered_json;
using Json = nlohmann::json;

constexpr int64_t kNoMax = std::numeric_limits<int64_t>::max();
constexpr double kInf = std::numeric_limits<double>::infinity();

struct IntRange {
  int64_t min;
  int64_t max = kNoMax;
};

struct RealRange {
  double min;
  double max = kInf;
  bool minOpen = false;
  bool maxOpen = false;
};

const IntRange kPositive{1};
const IntRange kNonNegative{0};
const RealRange kNonNegativeReal{0.0};
const RealRange kPositiveReal{0.0, kInf, /*minOpen=*/true};
const RealRange kUnitInterval{0.0, 1.0};
const RealRange kBetaRange{0.0, 1.0, false, /*maxOpen=*/true};

template <typename E> struct Choice {
  const char *name;
  E value;
};

/// The names an enum key accepts. With a noun, a bad name reads
/// "unknown <noun> 'x'; expected one of ...".
template <typename E> struct ChoiceTable {
  const char *noun;
  bool caseInsensitive;
  ArrayRef<Choice<E>> choices;
  ArrayRef<const char *> unimplemented = {};
};

const Choice<OptimizerType> kOptimizerChoices[] = {
    {"adam", OptimizerType::Adam},
    {"adamw", OptimizerType::AdamW},
    {"lamb", OptimizerType::Lamb},
    {"sgd", OptimizerType::SGD}};
const ChoiceTable<OptimizerType> kOptimizerTypes{"optimizer", true,
                                                 kOptimizerChoices};

const Choice<SchedulerType> kSchedulerChoices[] = {
    {"WarmupLR", SchedulerType::WarmupLR},
    {"WarmupDecayLR", SchedulerType::WarmupDecayLR},
    {"WarmupCosineLR", SchedulerType::WarmupCosineLR},
    {"OneCycle", SchedulerType::OneCycle}};
const char *const kUnimplementedSchedulers[] = {"LRRangeTest"};
const ChoiceTable<SchedulerType> kSchedulerTypes{
    "scheduler", false, kSchedulerChoices, kUnimplementedSchedulers};

const Choice<WarmupType> kWarmupChoices[] = {{"log", WarmupType::Log},
                                             {"linear", WarmupType::Linear}};
const ChoiceTable<WarmupType> kWarmupTypes{nullptr, false, kWarmupChoices};

const Choice<CommDataType> kCommChoices[] = {{"fp16", CommDataType::FP16},
                                             {"bf16", CommDataType::BF16},
                                             {"fp32", CommDataType::FP32}};
const ChoiceTable<CommDataType> kCommDataTypes{nullptr, false, kCommChoices};

const Choice<InferenceDtype> kDtypeChoices[] = {{"fp32", InferenceDtype::FP32},
                                                {"fp16", InferenceDtype::FP16},
                                                {"bf16", InferenceDtype::BF16},
                                                {"int8", InferenceDtype::INT8}};
const ChoiceTable<InferenceDtype> kDtypes{nullptr, false, kDtypeChoices};

const Choice<OffloadDevice> kOffloadChoices[] = {{"none", OffloadDevice::None},
                                                 {"cpu", OffloadDevice::CPU},
                                                 {"nvme", OffloadDevice::NVMe}};
const ChoiceTable<OffloadDevice> kOffloadDevices{nullptr, true,
                                                 kOffloadChoices};

const Choice<TagValidation> kTagChoices[] = {{"Ignore", TagValidation::Ignore},
                                             {"Warn", TagValidation::Warn},
                                             {"Fail", TagValidation::Fail}};
const ChoiceTable<TagValidation> kTagValidations{nullptr, true, kTagChoices};

/// Top-level keys DeepSpeed reads that ds-compile ignores with a warning.
const char *const kUnimplementedTopLevelKeys[] = {
    "activation_checkpointing",
    "aio",
    "amp",
    "autotuning",
    "comet",
    "comms_logger",
    "compile",
    "compression_training",
    "csv_monitor",
    "curriculum_learning",
    "data_efficiency",
    "data_types",
    "disable_allgather",
    "dump_state",
    "eigenvalue",
    "elasticity",
    "flops_profiler",
    "fp32_allreduce",
    "graph_harvesting",
    "hybrid_engine",
    "memory_breakdown",
    "moe",
    "nebula",
    "progressive_layer_drop",
    "quantize_training",
    "seq_parallel_communication_data_type",
    "sequence_parallel_size",
    "sparse_attention",
    "sparse_gradients",
    "tensorboard",
    "timers",
    "use_data_before_expert_parallel_",
    "vocabulary_size",
    "wandb",
    "zero_allow_untested_optimizer",
    "zero_force_ds_cpu_optimizer"};

const char *const kUnimplementedZeroKeys[] = {
    "cpu_offload",
    "cpu_offload_param",
    "cpu_offload_use_pin_memory",
    "elastic_checkpoint",
    "ignore_unused_parameters",
    "legacy_stage1",
    "load_from_fp32_weights",
    "log_trace_cache_warnings",
    "memory_efficient_linear",
    "mics_hierarchical_params_gather",
    "mics_shard_size",
    "override_module_apply",
    "pipeline_loading_checkpoint",
    "round_robin_gradients",
    "stage3_gather_fp16_weights_on_model_save",
    "stage3_model_persistence_threshold",
    "sub_group_size",
    "use_multi_rank_bucket_allreduce",
    "zero_hpz_partition_size",
    "zero_quantized_gradients",
    "zero_quantized_nontrainable_weights",
    "zero_quantized_weights"};

const char *const kUnimplementedOffloadKeys[] = {
    "buffer_count", "buffer_size",   "fast_init",      "max_in_cpu",
    "pipeline",     "pipeline_read", "pipeline_write", "ratio"};

// `params` blocks share their parent's struct; these wrappers give them their
// own visit overload.
struct OptimizerParams {
  OptimizerConfig *config;
};
struct SchedulerParams {
  SchedulerConfig *config;
};
struct QuantWeight {
  QuantConfig *config;
};

template <typename V> void visit(DsConfig &c, V &v);
template <typename V> void visit(OptimizerConfig &c, V &v);
template <typename V> void visit(OptimizerParams &p, V &v);
template <typename V> void visit(SchedulerConfig &c, V &v);
template <typename V> void visit(SchedulerParams &p, V &v);
template <typename V> void visit(FP16Config &c, V &v);
template <typename V> void visit(BF16Config &c, V &v);
template <typename V> void visit(ZeroConfig &c, V &v);
template <typename V> void visit(OffloadConfig &c, V &v);
template <typename V> void visit(TensorParallelConfig &c, V &v);
template <typename V> void visit(PipelineConfig &c, V &v);
template <typename V> void visit(QuantConfig &c, V &v);
template <typename V> void visit(QuantWeight &w, V &v);
template <typename V> void visit(CheckpointConfig &c, V &v);

//===----------------------------------------------------------------------===//
// The schema: one visit function a block.
//===----------------------------------------------------------------------===//

template <typename V> void visit(DsConfig &c, V &v) {
  v.field("train_batch_size", c.batch.trainBatchSize, kPositive);
  v.field("train_micro_batch_size_per_gpu", c.batch.trainMicroBatchSizePerGpu,
          kPositive);
  v.field("gradient_accumulation_steps", c.batch.gradientAccumulationSteps,
          kPositive);
  v.block("optimizer", c.optimizer);
  v.block("scheduler", c.scheduler);
  v.block("fp16", c.fp16);
  v.block("bf16", c.bf16);
  v.field("gradient_clipping", c.gradientClipping, kNonNegativeReal);
  v.field("steps_per_print", c.stepsPerPrint, kPositive);
  v.field("wall_clock_breakdown", c.wallClockBreakdown);
  v.field("gradient_predivide_factor", c.gradientPredivideFactor,
          kPositiveReal);
  v.field("communication_data_type", c.communicationDataType, kCommDataTypes);
  v.field("prescale_gradients", c.prescaleGradients);
  v.block("zero_optimization", c.zero);
  v.block("tensor_parallel", c.tensorParallel);
  v.block("pipeline", c.pipeline);
  // Inference keys sit at the top level, as in DeepSpeed's inference config.
  v.field("dtype", c.inference.dtype, kDtypes);
  v.field("replace_with_kernel_inject", c.inference.replaceWithKernelInject);
  v.block("quant", c.inference.quant);
  v.field("max_out_tokens", c.inference.maxOutTokens, kPositive);
  v.block("checkpoint", c.checkpoint);
  for (const char *key : kUnimplementedTopLevelKeys)
    v.ignore(key);
}

template <typename V> void visit(OptimizerConfig &c, V &v) {
  v.field("type", c.type, kOptimizerTypes);
  OptimizerParams params{&c};
  v.block("params", params);
}

template <typename V> void visit(OptimizerParams &p, V &v) {
  OptimizerConfig &c = *p.config;
  v.field("lr", c.lr, kNonNegativeReal);
  if (c.type == OptimizerType::SGD) {
    v.field("momentum", c.momentum, kNonNegativeReal);
    v.field("dampening", c.dampening, kNonNegativeReal);
    v.field("weight_decay", c.weightDecay, kNonNegativeReal);
    v.field("nesterov", c.nesterov);
  } else {
    v.field("betas", c.betas, kBetaRange);
    v.field("eps", c.eps, kNonNegativeReal);
    v.field("weight_decay", c.weightDecay, kNonNegativeReal);
    v.field("bias_correction", c.biasCorrection);
    if (c.type == OptimizerType::Lamb) {
      v.field("max_coeff", c.maxCoeff, kNonNegativeReal);
      v.field("min_coeff", c.minCoeff, kNonNegativeReal);
    } else {
      v.field("adam_w_mode", c.adamWMode);
      v.ignore("torch_adam");
      v.ignore("amsgrad");
    }
  }
  v.reject("max_grad_norm", "not supported; use top-level gradient_clipping");
}

template <typename V> void visit(SchedulerConfig &c, V &v) {
  v.field("type", c.type, kSchedulerTypes);
  SchedulerParams params{&c};
  v.block("params", params);
}

template <typename V> void visit(SchedulerParams &p, V &v) {
  SchedulerConfig &c = *p.config;
  switch (c.type) {
  case SchedulerType::WarmupLR:
  case SchedulerType::WarmupDecayLR:
    v.field("warmup_min_lr", c.warmupMinLr, kNonNegativeReal);
    v.field("warmup_max_lr", c.warmupMaxLr, kNonNegativeReal);
    v.field("warmup_num_steps", c.warmupNumSteps, kNonNegative);
    v.field("warmup_type", c.warmupType, kWarmupTypes);
    if (c.type == SchedulerType::WarmupDecayLR)
      v.field("total_num_steps", c.totalNumSteps, kPositive);
    break;
  case SchedulerType::WarmupCosineLR:
    v.field("total_num_steps", c.totalNumSteps, kPositive);
    v.field("warmup_min_ratio", c.warmupMinRatio, kUnitInterval);
    v.field("warmup_num_steps", c.warmupNumSteps, kNonNegative);
    v.field("cos_min_ratio", c.cosMinRatio, kUnitInterval);
    v.field("warmup_type", c.warmupType, kWarmupTypes);
    break;
  case SchedulerType::OneCycle:
    v.field("cycle_min_lr", c.cycleMinLr, kNonNegativeReal);
    v.field("cycle_max_lr", c.cycleMaxLr, kNonNegativeReal);
    v.field("decay_lr_rate", c.decayLrRate, kNonNegativeReal);
    v.field("cycle_first_step_size", c.cycleFirstStepSize, kPositive);
    v.field("cycle_second_step_size", c.cycleSecondStepSize, kPositive);
    v.field("cycle_first_stair_count", c.cycleFirstStairCount, kNonNegative);
    v.field("cycle_second_stair_count", c.cycleSecondStairCount, kNonNegative);
    v.field("decay_step_size", c.decayStepSize, kNonNegative);
    v.field("cycle_momentum", c.cycleMomentum);
    v.field("cycle_min_mom", c.cycleMinMom, kNonNegativeReal);
    v.field("cycle_max_mom", c.cycleMaxMom, kNonNegativeReal);
    v.field("decay_mom_rate", c.decayMomRate, kNonNegativeReal);
    break;
  }
  v.ignore("last_batch_iteration");
}

template <typename V> void visit(FP16Config &c, V &v) {
  v.field("enabled", c.enabled);
  v.field("loss_scale", c.lossScale, kNonNegativeReal);
  v.field("initial_scale_power", c.initialScalePower, IntRange{0, 63});
  v.field("loss_scale_window", c.lossScaleWindow, kPositive);
  v.field("hysteresis", c.hysteresis, kPositive);
  v.field("consecutive_hysteresis", c.consecutiveHysteresis);
  v.field("min_loss_scale", c.minLossScale, kPositiveReal);
  v.ignore("auto_cast");
  v.ignore("fp16_master_weights_and_grads");
}

template <typename V> void visit(BF16Config &c, V &v) {
  v.field("enabled", c.enabled);
  v.ignore("immediate_grad_update");
}

template <typename V> void visit(ZeroConfig &c, V &v) {
  v.field("stage", c.stage, IntRange{0, 3});
  v.field("contiguous_gradients", c.contiguousGradients);
  v.field("reduce_scatter", c.reduceScatter);
  v.field("reduce_bucket_size", c.reduceBucketSize, kPositive);
  v.field("allgather_partitions", c.allgatherPartitions);
  v.field("allgather_bucket_size", c.allgatherBucketSize, kPositive);
  v.field("overlap_comm", c.overlapComm);
  v.field("stage3_prefetch_bucket_size", c.stage3PrefetchBucketSize,
          kNonNegative);
  v.field("stage3_param_persistence_threshold",
          c.stage3ParamPersistenceThreshold, kNonNegative);
  v.field("stage3_max_live_parameters", c.stage3MaxLiveParameters,
          kNonNegative);
  v.field("stage3_max_reuse_distance", c.stage3MaxReuseDistance, kNonNegative);
  v.field("stage3_gather_16bit_weights_on_model_save",
          c.stage3Gather16bitWeightsOnModelSave);
  v.block("offload_optimizer", c.offloadOptimizer);
  v.block("offload_param", c.offloadParam);
  for (const char *key : kUnimplementedZeroKeys)
    v.ignore(key);
}

template <typename V> void visit(OffloadConfig &c, V &v) {
  v.field("device", c.device, kOffloadDevices);
  v.field("nvme_path", c.nvmePath);
  v.field("pin_memory", c.pinMemory);
  for (const char *key : kUnimplementedOffloadKeys)
    v.ignore(key);
}

template <typename V> void visit(TensorParallelConfig &c, V &v) {
  v.field("autotp_size", c.autotpSize, kNonNegative);
  v.field("tp_size", c.tpSize, kPositive);
  v.ignore("enabled");
  v.ignore("tp_grain_size");
}

template <typename V> void visit(PipelineConfig &c, V &v) {
  v.field("stages", c.stages, kPositive);
  v.field("partition_method", c.partitionMethod);
  v.field("activation_checkpoint_interval", c.activationCheckpointInterval,
          kNonNegative);
  v.ignore("partition");
  v.ignore("seed_layers");
  v.ignore("pipe_partitioned");
  v.ignore("grad_partitioned");
}

template <typename V> void visit(QuantConfig &c, V &v) {
  v.field("enabled", c.enabled);
  QuantWeight weight{&c};
  v.block("weight", weight);
  v.ignore("activation");
  v.ignore("qkv");
}

template <typename V> void visit(QuantWeight &w, V &v) {
  v.field("num_bits", w.config->weightNumBits, IntRange{1, 8});
  v.field("q_groups", w.config->weightQGroups, kPositive);
}

template <typename V> void visit(CheckpointConfig &c, V &v) {
  v.field("tag_validation", c.tagValidation, kTagValidations);
  v.field("load_universal", c.loadUniversal);
  v.field("use_node_local_storage", c.useNodeLocalStorage);
  v.ignore("parallel_write");
}

//===----------------------------------------------------------------------===//
// Describing values and ranges in messages.
//===----------------------------------------------------------------------===//

std::string describe(const OJson &value) {
  std::string text =
      value.dump(-1, ' ', false, OJson::error_handler_t::replace);
  if (text.size() > 40)
    text = text.substr(0, 37) + "...";
  return text;
}

std::string formatReal(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%g", value);
  return text;
}

std::string describeRange(IntRange range) {
  if (range.max != kNoMax)
    return std::to_string(range.min) + ".." + std::to_string(range.max);
  if (range.min == 1)
    return "a positive integer";
  if (range.min == 0)
    return "a non-negative integer";
  return "an integer >= " + std::to_string(range.min);
}

std::string describeRange(const RealRange &range) {
  if (range.max == kInf) {
    if (range.min == -kInf)
      return "a number";
    if (range.min == 0.0)
      return range.minOpen ? "a positive number" : "a non-negative number";
    return (range.minOpen ? "a number > " : "a number >= ") +
           formatReal(range.min);
  }
  return std::string("a number in ") + (range.minOpen ? "(" : "[") +
         formatReal(range.min) + ", " + formatReal(range.max) +
         (range.maxOpen ? ")" : "]");
}

bool inRange(double value, const RealRange &range) {
  if (!std::isfinite(value))
    return false;
  if (range.minOpen ? value <= range.min : value < range.min)
    return false;
  return range.maxOpen ? value < range.max : value <= range.max;
}

std::optional<int64_t> asInteger(const OJson &value) {
  if (value.is_number_unsigned()) {
    uint64_t u = value.get<uint64_t>();
    if (u > static_cast<uint64_t>(kNoMax))
      return std::nullopt;
    return static_cast<int64_t>(u);
  }
  if (value.is_number_integer())
    return value.get<int64_t>();
  // 5e8 is a common way to write a bucket size.
  if (value.is_number_float()) {
    double d = value.get<double>();
    if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) < 9.0e18)
      return static_cast<int64_t>(d);
  }
  return std::nullopt;
}

std::string joinPath(StringRef parent, StringRef key) {
  return parent.empty() ? key.str() : (parent + "." + key).str();
}

template <typename E> std::string choiceList(const ChoiceTable<E> &table) {
  std::string list;
  for (const Choice<E> &choice : table.choices) {
    if (!list.empty())
      list += ", ";
    list += choice.name;
  }
  return list;
}

template <typename E>
const char *choiceName(const ChoiceTable<E> &table, E value) {
  for (const Choice<E> &choice : table.choices)
    if (choice.value == value)
      return choice.name;
  return "?";
}

//===----------------------------------------------------------------------===//
// Visitors.
//===----------------------------------------------------------------------===//

struct ReadState {
  std::string error;
  std::vector<std::string> &warnings;

  bool failed() const { return !error.empty(); }
  void fail(std::string message) {
    if (!failed())
      error = std::move(message);
  }
};

/// Lists a block's keys; reads and writes nothing.
class KeyCollector {
public:
  std::vector<StringRef> known;
  std::vector<StringRef> ignored;

  template <typename T, typename... Rest>
  void field(StringRef key, T &, const Rest &...) {
    known.push_back(key);
  }
  template <typename T> void block(StringRef key, T &) { known.push_back(key); }
  void ignore(StringRef key) { ignored.push_back(key); }
  void reject(StringRef key, StringRef) { known.push_back(key); }
};

std::optional<std::string> closestKey(StringRef key, const KeyCollector &keys) {
  unsigned bestDistance = std::max<unsigned>(2, key.size() / 3) + 1;
  std::optional<std::string> best;
  for (const std::vector<StringRef> *list : {&keys.known, &keys.ignored}) {
    for (StringRef candidate : *list) {
      unsigned distance =
          key.edit_distance_insensitive(candidate, true, bestDistance);
      if (distance < bestDistance) {
        bestDistance = distance;
        best = candidate.str();
      }
    }
  }
  return best;
}

template <typename T>
void readObject(const OJson &object, const std::string &path,
                StringRef container, T &out, ReadState &state);

/// Reads one JSON object into its struct. Keys that are absent or null keep
/// their defaults.
class Reader {
public:
  Reader(const OJson &object, std::string path, ReadState &state)
      : object(object), path(std::move(path)), state(state) {}

  void field(StringRef key, bool &out) {
    const OJson *value = lookup(key);
    if (!value)
      return;
    if (!value->is_boolean())
      return fail(key, "expected a boolean, got " + describe(*value));
    out = value->get<bool>();
  }

  void field(StringRef key, int64_t &out, IntRange range) {
    const OJson *value = lookup(key);
    if (!value)
      return;
    std::optional<int64_t> integer = asInteger(*value);
    if (!integer || *integer < range.min || *integer > range.max)
      return fail(key, "expected " + describeRange(range) + ", got " +
                           describe(*value));
    out = *integer;
  }

  void field(StringRef key, double &out, const RealRange &range) {
    const OJson *value = lookup(key);
    if (!value)
      return;
    if (!value->is_number() || !inRange(value->get<double>(), range))
      return fail(key, "expected " + describeRange(range) + ", got " +
                           describe(*value));
    out = value->get<double>();
  }

  void field(StringRef key, std::array<double, 2> &out,
             const RealRange &range) {
    const OJson *value = lookup(key);
    if (!value)
      return;
    bool ok = value->is_array() && value->size() == 2;
    for (size_t i = 0; ok && i < 2; ++i)
      ok = (*value)[i].is_number() && inRange((*value)[i].get<double>(), range);
    if (!ok) {
      std::string expected = describeRange(range);
      return fail(key, "expected two numbers in " +
                           StringRef(expected).drop_front(12).str() + ", got " +
                           describe(*value));
    }
    out = {(*value)[0].get<double>(), (*value)[1].get<double>()};
  }

  void field(StringRef key, std::string &out) {
    const OJson *value = lookup(key);
    if (!value)
      return;
    if (!value->is_string())
      return fail(key, "expected a string, got " + describe(*value));
    out = value->get<std::string>();
  }

  template <typename E>
  void field(StringRef key, E &out, const ChoiceTable<E> &table) {
    const OJson *value = lookup(key);
    if (!value)
      return;
    if (value->is_string()) {
      StringRef name = value->get_ref<const std::string &>();
      for (const Choice<E> &choice : table.choices) {
        if (table.caseInsensitive ? name.equals_insensitive(choice.name)
                                  : name == choice.name) {
          out = choice.value;
          return;
        }
      }
      if (table.noun && is_contained(table.unimplemented, name))
        return fail(key, ("'" + name + "' is a DeepSpeed " + table.noun +
                          " that ds-compile does not implement yet; " +
                          "expected one of " + choiceList(table))
                             .str());
      if (table.noun)
        return fail(key, ("unknown " + Twine(table.noun) + " '" + name +
                          "'; expected one of " + choiceList(table))
                             .str());
    }
    fail(key,
         "expected one of " + choiceList(table) + ", got " + describe(*value));
  }

  template <typename T, typename... Rest>
  void field(StringRef key, AutoOr<T> &out, const Rest &...rest) {
    const OJson *value = lookup(key);
    if (!value)
      return;
    if (value->is_string() && value->get_ref<const std::string &>() == "auto") {
      out.isAuto = true;
      return;
    }
    field(key, out.value, rest...);
  }

  template <typename T, typename... Rest>
  void field(StringRef key, std::optional<T> &out, const Rest &...rest) {
    if (!lookup(key))
      return;
    T value{};
    field(key, value, rest...);
    if (!state.failed())
      out = value;
  }

  template <typename T> void block(StringRef key, T &out) {
    if (const OJson *value = lookup(key)) {
      std::string childPath = joinPath(path, key);
      readObject(*value, childPath, childPath, out, state);
    }
  }

  template <typename T> void block(StringRef key, std::optional<T> &out) {
    if (const OJson *value = lookup(key)) {
      if (!out)
        out.emplace();
      std::string childPath = joinPath(path, key);
      readObject(*value, childPath, childPath, *out, state);
    }
  }

  // Warned about by readObject before reading.
  void ignore(StringRef) {}

  void reject(StringRef key, StringRef why) {
    if (lookup(key))
      fail(key, why.str());
  }

private:
  const OJson *lookup(StringRef key) const {
    if (state.failed())
      return nullptr;
    auto it = object.find(key.str());
    if (it == object.end() || it->is_null())
      return nullptr;
    return &*it;
  }

  void fail(StringRef key, const std::string &message) {
    state.fail(joinPath(path, key) + ": " + message);
  }

  const OJson &object;
  std::string path;
  ReadState &state;
};

/// Checks the object's keys against the schema (unknown keys first, so a typo
/// is reported before anything it causes), then reads it.
template <typename T>
void readObject(const OJson &object, const std::string &path,
                StringRef container, T &out, ReadState &state) {
  if (state.failed())
    return;
  if (!object.is_object())
    return state.fail(container.str() + ": expected an object, got " +
                      describe(object));
  KeyCollector keys;
  visit(out, keys);
  for (auto it = object.begin(); it != object.end(); ++it) {
    StringRef key = it.key();
    if (is_contained(keys.known, key))
      continue;
    if (is_contained(keys.ignored, key)) {
      state.warnings.push_back("ds_config: '" + joinPath(path, key) +
                               "' is a DeepSpeed key that ds-compile does "
                               "not implement yet; ignored");
      continue;
    }
    std::string message = (container + ": unknown key '" + key + "'").str();
    if (std::optional<std::string> best = closestKey(key, keys))
      message += "; did you mean '" + *best + "'?";
    return state.fail(message);
  }
  Reader reader(object, path, state);
  visit(out, reader);
}

/// Writes a struct in ds_config form.
class Writer {
public:
  explicit Writer(Json &out) : out(out) {}

  void field(StringRef key, bool value) { out[key.str()] = value; }
  void field(StringRef key, int64_t value, IntRange) { out[key.str()] = value; }
  void field(StringRef key, double value, const RealRange &) {
    out[key.str()] = value;
  }
  void field(StringRef key, const std::array<double, 2> &value,
             const RealRange &) {
    out[key.str()] = Json::array({value[0], value[1]});
  }
  void field(StringRef key, const std::string &value) {
    out[key.str()] = value;
  }
  template <typename E>
  void field(StringRef key, E value, const ChoiceTable<E> &table) {
    out[key.str()] = choiceName(table, value);
  }
  template <typename T, typename... Rest>
  void field(StringRef key, const AutoOr<T> &value, const Rest &...rest) {
    if (value.isAuto)
      out[key.str()] = "auto";
    else
      field(key, value.value, rest...);
  }
  template <typename T, typename... Rest>
  void field(StringRef key, const std::optional<T> &value,
             const Rest &...rest) {
    if (value)
      field(key, *value, rest...);
  }

  template <typename T> void block(StringRef key, T &value) {
    Json child = Json::object();
    Writer writer(child);
    visit(value, writer);
    out[key.str()] = std::move(child);
  }
  template <typename T> void block(StringRef key, std::optional<T> &value) {
    if (value)
      block(key, *value);
  }

  void ignore(StringRef) {}
  void reject(StringRef, StringRef) {}

private:
  Json &out;
};

//===----------------------------------------------------------------------===//
// Before and after reading: old spellings and rules across keys.
//===----------------------------------------------------------------------===//

/// Rewrites DeepSpeed's old spellings; checks keys that must be present.
std::string normalize(OJson &root) {
  auto zero = root.find("zero_optimization");
  if (zero != root.end() && zero->is_boolean()) {
    OJson stage = OJson::object();
    stage["stage"] = zero->get<bool>() ? 1 : 0;
    *zero = std::move(stage);
  }

  if (root.contains("bfloat16")) {
    if (root.contains("bf16"))
      return "bfloat16: cannot be combined with bf16 (bfloat16 is its old "
             "name)";
    OJson value = root["bfloat16"];
    root.erase("bfloat16");
    root["bf16"] = std::move(value);
  }

  if (root.contains("mp_size")) {
    OJson &tp = root["tensor_parallel"];
    if (tp.is_null())
      tp = OJson::object();
    if (tp.is_object()) {
      if (tp.contains("tp_size"))
        return "mp_size: cannot be combined with tensor_parallel.tp_size "
               "(mp_size is its old name)";
      tp["tp_size"] = root["mp_size"];
    }
    root.erase("mp_size");
  }

  for (const char *block : {"optimizer", "scheduler"}) {
    auto it = root.find(block);
    if (it != root.end() && it->is_object() && !it->contains("type"))
      return std::string(block) + ".type: required";
  }
  return "";
}

std::string checkPrecision(const DsConfig &c) {
  if (c.fp16.enabled.value && !c.fp16.enabled.isAuto && c.bf16.enabled.value &&
      !c.bf16.enabled.isAuto)
    return "bf16.enabled: cannot be combined with fp16.enabled";
  return "";
}

void resolveOptimizer(OptimizerConfig &o, std::vector<std::string> &warnings) {
  if (o.type == OptimizerType::AdamW && !o.adamWMode) {
    warnings.push_back("optimizer.params.adam_w_mode: false is ignored for "
                       "type adamw (DeepSpeed always decouples weight decay "
                       "for adamw; use type adam for L2-style Adam)");
    o.adamWMode = true;
  }
}

std::string resolveScheduler(SchedulerConfig &s,
                             const std::optional<OptimizerConfig> &optimizer,
                             std::vector<std::string> &warnings) {
  const char *typeName = choiceName(kSchedulerTypes, s.type);
  if (s.type == SchedulerType::OneCycle) {
    if (!s.cycleMinLr)
      return std::string("scheduler.params.cycle_min_lr: required for ") +
             typeName;
    if (!s.cycleMaxLr)
      return std::string("scheduler.params.cycle_max_lr: required for ") +
             typeName;
    if (!s.cycleSecondStepSize)
      s.cycleSecondStepSize = s.cycleFirstStepSize;
    if (!s.cycleSecondStairCount)
      s.cycleSecondStairCount = s.cycleFirstStairCount;
    return "";
  }
  bool needsTotal = s.type == SchedulerType::WarmupDecayLR ||
                    s.type == SchedulerType::WarmupCosineLR;
  if (needsTotal && !s.totalNumSteps.value && !s.totalNumSteps.isAuto)
    return std::string("scheduler.params.total_num_steps: required for ") +
           typeName;
  // DeepSpeed: self.warmup_num_steps = max(2, warmup_num_steps).
  if (!s.warmupNumSteps.isAuto && s.warmupNumSteps.value < 2) {
    warnings.push_back("scheduler.params.warmup_num_steps: " +
                       std::to_string(s.warmupNumSteps.value) +
                       " raised to 2 (DeepSpeed's minimum)");
    s.warmupNumSteps.value = 2;
  }
  if (needsTotal && s.totalNumSteps.value && !s.warmupNumSteps.isAuto &&
      *s.totalNumSteps.value < s.warmupNumSteps.value)
    warnings.push_back("scheduler.params.total_num_steps: " +
                       std::to_string(*s.totalNumSteps.value) +
                       " is less than warmup_num_steps " +
                       std::to_string(s.warmupNumSteps.value));
  if (s.type != SchedulerType::WarmupCosineLR && !s.warmupMaxLr.isAuto &&
      !s.warmupMaxLr.value) {
    if (optimizer && optimizer->lr.isAuto)
      s.warmupMaxLr.isAuto = true;
    else
      s.warmupMaxLr.value = optimizer ? optimizer->lr.value : 1e-3;
  }
  return "";
}

std::string resolveZero(ZeroConfig &z) {
  if (!z.overlapComm)
    z.overlapComm = z.stage == 3;
  std::string stage = std::to_string(z.stage);
  if (z.offloadParam.device != OffloadDevice::None && z.stage != 3)
    return "zero_optimization.offload_param: requires stage 3, got stage " +
           stage;
  if (z.offloadOptimizer.device != OffloadDevice::None && z.stage == 0)
    return "zero_optimization.offload_optimizer: requires stage 1, 2 or 3, "
           "got stage 0";
  if (z.offloadOptimizer.device == OffloadDevice::NVMe &&
      z.offloadOptimizer.nvmePath.empty())
    return "zero_optimization.offload_optimizer.nvme_path: required when "
           "device is nvme";
  if (z.offloadParam.device == OffloadDevice::NVMe &&
      z.offloadParam.nvmePath.empty())
    return "zero_optimization.offload_param.nvme_path: required when device "
           "is nvme";
  return "";
}

/// The most atoms compiling a partition regex may copy: far more than a
/// layer-name pattern needs. (regcomp grows its program one copy at a time,
/// quadratic in the copies where realloc cannot grow in place.)
constexpr uint64_t kMaxRegexCopies = 1 << 12;

/// About how many atoms compiling `pattern` makes, at most `limit` + 1.
/// llvm::Regex (POSIX regcomp) copies the atom of x{m,n} max(m, n) times,
/// so nested bounds multiply: ((((a{1,255}){1,255}){1,255}){1,255}) would
/// need 4 billion copies and many GB before isValid returns.
uint64_t regexCopies(StringRef pattern, uint64_t limit) {
  // Per open group: its size so far and the size of its last atom, which a
  // bound repeats. Sizes saturate at limit + 1, so nothing overflows.
  struct Group {
    uint64_t size = 0;
    uint64_t last = 0;
  };
  SmallVector<Group, 8> groups(1);
  auto add = [&](uint64_t atom) {
    groups.back().last = atom;
    groups.back().size = std::min(groups.back().size + atom, limit + 1);
  };
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\\') {
      ++i;
      add(1);
    } else if (c == '[') {
      // A bracket expression is one atom: skip to its `]`, which may be its
      // first character and does not end [:class:], [.coll.] or [=equiv=].
      size_t j = i + 1;
      if (j < pattern.size() && pattern[j] == '^')
        ++j;
      if (j < pattern.size() && pattern[j] == ']')
        ++j;
      while (j < pattern.size() && pattern[j] != ']') {
        if (pattern[j] == '[' && j + 1 < pattern.size() &&
            StringRef(":.=").contains(pattern[j + 1])) {
          const char close[] = {pattern[j + 1], ']', '\0'};
          size_t end = pattern.find(close, j + 2);
          j = end == StringRef::npos ? pattern.size() : end + 2;
        } else {
          ++j;
        }
      }
      i = j;
      add(1);
    } else if (c == '(') {
      groups.emplace_back();
    } else if (c == ')' && groups.size() > 1) {
      add(groups.pop_back_val().size + 1);
    } else if (c == '{') {
      // A bound is {m}, {m,} or {m,n}, a digit first (regcomp's rule); any
      // other `{` is an ordinary character, and what follows it is read
      // as usual: groups inside "{,1((" still count.
      size_t close = pattern.find('}', i);
      StringRef inside =
          close == StringRef::npos ? StringRef() : pattern.slice(i + 1, close);
      bool isBound = !inside.empty() && llvm::isDigit(inside.front()) &&
                     inside.count(',') <= 1 && llvm::all_of(inside, [](char d) {
                       return llvm::isDigit(d) || d == ',';
                     });
      if (!isBound) {
        add(1);
        continue;
      }
      // Bounds above 255 fail to compile before anything is copied.
      uint64_t copies = 1;
      SmallVector<StringRef, 2> bounds;
      pattern.slice(i + 1, close).split(bounds, ',');
      for (StringRef bound : bounds) {
        unsigned n = 0;
        if (!bound.getAsInteger(10, n))
          copies = std::max<uint64_t>(copies, std::min(n, 255u) + 1);
      }
      Group &g = groups.back();
      g.size = std::min(g.size + g.last * (copies - 1), limit + 1);
      g.last = std::min(g.last * copies, limit + 1);
      i = close;
    } else if (!StringRef("|*+?^$").contains(c)) {
      add(1);
    }
  }
  uint64_t total = 0;
  for (const Group &g : groups)
    total = std::min(total + g.size, limit + 1);
  return total;
}

std::string checkPipeline(const DsConfig &c) {
  StringRef method = c.pipeline.partitionMethod;
  if (method.starts_with_insensitive("type:")) {
    StringRef pattern = method.drop_front(5);
    if (regexCopies(pattern, kMaxRegexCopies) > kMaxRegexCopies)
      return "pipeline.partition_method: regex '" + pattern.str() +
             "' is too large: its repetitions make more than " +
             std::to_string(kMaxRegexCopies) + " copies";
    std::string error;
    if (!Regex(pattern).isValid(error))
      return "pipeline.partition_method: bad regex '" + pattern.str() +
             "': " + error;
  } else if (!method.equals_insensitive("parameters") &&
             !method.equals_insensitive("uniform")) {
    return "pipeline.partition_method: expected parameters, uniform or "
           "type:<regex>, got \"" +
           method.str() + "\"";
  }
  const AutoOr<int64_t> &stages = c.pipeline.stages;
  if (!stages.isAuto && stages.value > 1 && c.zero.stage >= 2)
    return "zero_optimization.stage: ZeRO stage " +
           std::to_string(c.zero.stage) +
           " cannot be combined with pipeline parallelism (pipeline.stages " +
           std::to_string(stages.value) + "); use stage 0 or 1";
  return "";
}

/// Keys the schema reads but whose behaviour ds-compile does not implement
/// yet: set to anything but their default, each is a warning naming it, so
/// nothing a user asked for is dropped silently. (Keys ds-compile does not
/// even read are warned about by readObject.)
void warnNotImplemented(const DsConfig &c, std::vector<std::string> &warnings) {
  auto warn = [&](StringRef key, StringRef what) {
    warnings.push_back(("ds_config: '" + key + "' " + what).str());
  };
  const char *ignored = "is not implemented yet; ignored";
  if (c.wallClockBreakdown)
    warn("wall_clock_breakdown", ignored);
  if (c.gradientPredivideFactor != 1.0)
    warn("gradient_predivide_factor",
         "is not implemented yet; ignored (gradients are averaged after the "
         "sum)");
  if (c.prescaleGradients)
    warn("prescale_gradients",
         "is not implemented yet; ignored (gradients are averaged after the "
         "sum)");
  if (c.communicationDataType && *c.communicationDataType != CommDataType::FP32)
    warn("communication_data_type",
         "is not implemented yet; collectives run in the gradients' type");
  const ZeroConfig &z = c.zero;
  if (!z.contiguousGradients)
    warn("zero_optimization.contiguous_gradients",
         "false is not implemented; gradients are always contiguous");
  if (!z.reduceScatter)
    warn("zero_optimization.reduce_scatter",
         "false is not implemented; gradients are always reduce-scattered");
  if (!z.allgatherPartitions)
    warn("zero_optimization.allgather_partitions",
         "false is not implemented; partitions are always all-gathered");
  if (z.overlapComm && *z.overlapComm && z.stage < 3)
    warn("zero_optimization.overlap_comm",
         "is implemented for stage 3 only (its prefetch); stage " +
             std::to_string(z.stage) +
             " runs its collectives in order with the kernels");
  if (z.stage3Gather16bitWeightsOnModelSave)
    warn("zero_optimization.stage3_gather_16bit_weights_on_model_save",
         "applies to 16-bit training, which is not implemented yet; ignored");
  if (c.tensorParallel.tpSize > 1)
    warn("tensor_parallel.tp_size",
         "(tensor-parallel inference) is not implemented yet; ignored");
  if (c.pipeline.activationCheckpointInterval > 0)
    warn("pipeline.activation_checkpoint_interval", ignored);
  if (c.inference.dtype && *c.inference.dtype != InferenceDtype::FP32)
    warn("dtype", "(16-bit or int8 inference) is not implemented yet; "
                  "inference runs in the model's types");
  if (c.inference.replaceWithKernelInject)
    warn("replace_with_kernel_inject", ignored);
  if (c.inference.quant.enabled)
    warn("quant.enabled", ignored);
  if (c.checkpoint.useNodeLocalStorage)
    warn("checkpoint.use_node_local_storage", ignored);
}

std::string resolve(DsConfig &c, const OJson &root,
                    std::vector<std::string> &warnings) {
  warnNotImplemented(c, warnings);
  auto clip = root.find("gradient_clipping");
  c.gradientClippingGiven = clip != root.end() && !clip->is_null();
  if (std::string error = checkPrecision(c); !error.empty())
    return error;
  if (c.optimizer)
    resolveOptimizer(*c.optimizer, warnings);
  if (c.scheduler)
    if (std::string error =
            resolveScheduler(*c.scheduler, c.optimizer, warnings);
        !error.empty())
      return error;
  if (std::string error = resolveZero(c.zero); !error.empty())
    return error;
  return checkPipeline(c);
}

} // namespace

Expected<ParsedConfig> readConfig(const OJson &input, StringRef fileName) {
  if (!input.is_object())
    return createStringError(inconvertibleErrorCode(),
                             "%s: expected a JSON object, got %s",
                             fileName.str().c_str(), describe(input).c_str());
  OJson root = input;
  ParsedConfig parsed;
  ReadState state{normalize(root), parsed.warnings};
  readObject(root, "", fileName, parsed.config, state);
  if (!state.failed())
    state.fail(resolve(parsed.config, root, parsed.warnings));
  if (state.failed())
    return createStringError(inconvertibleErrorCode(), state.error);
  return parsed;
}

nlohmann::json toJson(const DsConfig &config) {
  DsConfig copy = config;
  Json out = Json::object();
  Writer writer(out);
  visit(copy, writer);
  return out;
}

} // namespace dsc::config
