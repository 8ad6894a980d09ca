//===- PlanManifest.cpp - the machine-readable plan (plan.json) -----------===//

#include "compiler/codegen/PlanManifest.h"

#include "runtime/io/PlanFormat.h"

#include "dialects/graph/GraphEnums.h"
#include "dialects/plan/KernelCall.h"
#include "dialects/plan/PlanOps.h"
#include "passes/PlanStep.h"
#include "runtime/io/RankWeightsFormat.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

#include <algorithm>
#include <optional>

using namespace mlir;
using nlohmann::ordered_json;

namespace dsc::codegen {

std::string dtypeName(Type element) {
  if (element.isF32())
    return "float32";
  if (element.isF64())
    return "float64";
  if (element.isF16())
    return "float16";
  if (element.isBF16())
    return "bfloat16";
  if (element.isInteger(1))
    return "bool";
  auto integer = cast<IntegerType>(element);
  return (integer.isUnsigned() ? "uint" : "int") +
         std::to_string(integer.getWidth());
}

namespace {

llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

ordered_json bufferType(Type type) {
  auto memref = cast<MemRefType>(type);
  return {{"dtype", dtypeName(memref.getElementType())},
          {"shape", memref.getShape()}};
}

/// An attribute as JSON: integers, floats, booleans, strings, i64 arrays;
/// a graph enum (a pad mode, a loss reduction ...) as its case's spelling,
/// which is what the kernels read.
ordered_json attributeJson(Attribute attr) {
  if (std::optional<StringRef> name = graph::enumCaseName(attr))
    return name->str();
  if (auto i = dyn_cast<IntegerAttr>(attr))
    return i.getType().isInteger(1) ? ordered_json(i.getValue().getBoolValue())
                                    : ordered_json(i.getInt());
  if (auto b = dyn_cast<BoolAttr>(attr))
    return b.getValue();
  if (auto f = dyn_cast<FloatAttr>(attr))
    return f.getValueAsDouble();
  if (auto s = dyn_cast<StringAttr>(attr))
    return s.getValue().str();
  if (auto a = dyn_cast<DenseI64ArrayAttr>(attr))
    return a.asArrayRef();
  return nullptr;
}

std::string locationName(Location loc) {
  if (auto name = dyn_cast<NameLoc>(loc))
    return name.getName().str();
  return "";
}

const char *optimizerName(config::OptimizerType type) {
  switch (type) {
  case config::OptimizerType::Adam:
    return "adam";
  case config::OptimizerType::AdamW:
    return "adamw";
  case config::OptimizerType::Lamb:
    return "lamb";
  case config::OptimizerType::SGD:
    return "sgd";
  }
  return "adamw";
}

/// The optimizer with every hyper-parameter resolved, flat, for the runtime.
ordered_json optimizerJson(const config::OptimizerConfig &o) {
  return {
      {"type", optimizerName(o.type)},
      {"lr", o.lr.value},
      {"betas", o.betas.value},
      {"eps", o.eps.value},
      {"weight_decay", o.weightDecay.value},
      {"adam_w_mode", o.type == config::OptimizerType::AdamW || o.adamWMode},
      {"bias_correction", o.biasCorrection},
      {"momentum", o.momentum},
      {"dampening", o.dampening},
      {"nesterov", o.nesterov},
      {"max_coeff", o.maxCoeff},
      {"min_coeff", o.minCoeff}};
}

/// A view of the step that names a buffer with its role.
struct NamedBuffer {
  std::string name;
  std::string role;
  int64_t offset;
  MemRefType type;
  int64_t bytes() const {
    return type.getNumElements() * (type.getElementTypeBitWidth() / 8);
  }
};

std::vector<NamedBuffer> namedBuffers(func::FuncOp step) {
  std::vector<NamedBuffer> out;
  for (auto view : step.getOps<memref::ViewOp>()) {
    // Stage 3's partition of the flat parameter space.
    if (view->hasAttr("plan.param_shard"))
      out.push_back({"zero_partition", "param_shard",
                     view->getAttrOfType<IntegerAttr>("plan.offset").getInt(),
                     view.getType()});
    for (StringRef role :
         {"input", "param", "output", "grad", "frozen", "optimizer_state",
          "accumulator", "staging", "scalar"})
      if (auto name = view->getAttrOfType<StringAttr>(("plan." + role).str()))
        // The runtime loads a frozen initializer from the weights file as a
        // constant buffer.
        out.push_back({name.getValue().str(),
                       role == "frozen" ? "constant" : role.str(),
                       view->getAttrOfType<IntegerAttr>("plan.offset").getInt(),
                       view.getType()});
  }
  return out;
}

/// Optimizer state tensors per param element.
ordered_json rangeJson(const partition::FlatRange &r) {
  return ordered_json::array({r.begin, r.end});
}

ordered_json memoryJson(const partition::MemorySplit &m) {
  return {{"parameters", m.parameters},
          {"gradients", m.gradients},
          {"optimizer_states", m.optimizerStates},
          {"activations", m.activations},
          {"workspace", m.workspace},
          {"total", m.total()}};
}

/// The data-parallel layout and the collectives of one step.
ordered_json zeroJson(const partition::ZeroPlan &z) {
  ordered_json params = ordered_json::array();
  for (const partition::FlatParam &p : z.params)
    params.push_back({{"name", p.name},
                      {"flat_offset", p.flatOffset},
                      {"numel", p.numel},
                      {"shape", p.shape},
                      {"whole", p.whole}});
  ordered_json partitions = ordered_json::array();
  for (const partition::FlatRange &r : z.partitions)
    partitions.push_back(rangeJson(r));
  return {{"stage", z.stage},
          {"dp_size", z.dpSize},
          {"flat_elements", z.flatElements},
          {"reduce_bucket_elements", z.reduceBucketElements},
          {"allgather_bucket_elements", z.allgatherBucketElements},
          {"accumulate_gradients",
           partition::stepAccumulatesGradients(z.stage, z.gradAccumSteps)},
          {"partitions", partitions},
          {"params", params}};
}

ordered_json collectivesJson(const partition::ZeroPlan &z) {
  ordered_json out = ordered_json::array();
  for (const partition::PlannedCollective &c : z.collectives) {
    ordered_json entry = {
        {"seq", c.seq},
        {"op", runtime::collectiveOpName(c.kind)},
        {"group", "dp"},
        {"phase", runtime::collectivePhaseName(c.phase)},
        {"micro", c.micro},
        {"payload", runtime::collectivePayloadName(c.payload)},
        {"dtype", c.dtype},
        {"range", rangeJson(c.range)},
        {"bytes", c.bytes()}};
    if (!c.counts.empty())
      entry["counts"] = c.counts;
    if (c.async)
      entry["async"] = true;
    out.push_back(entry);
  }
  return out;
}

/// The collectives of a rank's update (build-optimizer-step), in order: each
/// names its phase (`plan.phase`), its flat space (`plan.flat`) and the flat
/// range it works on (`plan.flat_range`).
llvm::Expected<std::vector<partition::ZeroInputs::Outside>>
boundaryCollectives(func::FuncOp update) {
  using namespace dsc::runtime;
  std::vector<partition::ZeroInputs::Outside> out;
  for (Operation &op : update.getBody().front()) {
    std::optional<partition::CollectiveKind> kind;
    if (isa<plan::AllReduceOp>(op))
      kind = partition::CollectiveKind::AllReduce;
    else if (isa<plan::ReduceScatterOp>(op))
      kind = partition::CollectiveKind::ReduceScatter;
    else if (isa<plan::AllGatherOp>(op))
      kind = partition::CollectiveKind::AllGather;
    else
      continue;
    partition::ZeroInputs::Outside c;
    c.kind = *kind;
    auto phaseName = op.getAttrOfType<StringAttr>("plan.phase");
    std::optional<CollectivePhase> phase =
        phaseName ? collectiveFromName<CollectivePhase>(kCollectivePhaseNames,
                                                        phaseName.getValue())
                  : std::nullopt;
    // The flat space it works on, and where.
    auto payloadName = op.getAttrOfType<StringAttr>("plan.flat");
    std::optional<CollectivePayload> payload =
        payloadName ? collectiveFromName<CollectivePayload>(
                          kCollectivePayloadNames, payloadName.getValue())
                    : std::nullopt;
    auto range = op.getAttrOfType<DenseI64ArrayAttr>("plan.flat_range");
    if (!phase || !payload || !range || range.size() != 2)
      return makeError("a collective of the update does not name its phase "
                       "(plan.phase), its flat space (plan.flat) or its range "
                       "(plan.flat_range)");
    c.phase = *phase;
    c.payload = *payload;
    c.range = {range[0], range[1]};
    out.push_back(c);
  }
  return out;
}

} // namespace

llvm::Expected<partition::ZeroInputs>
zeroInputsFor(ModuleOp planned, const config::DsConfig &config,
              const config::BatchSizes &batch, int64_t dpSize) {
  auto step = planned.lookupSymbol<func::FuncOp>("step");
  if (!step)
    return makeError("the planned module has no @step");
  partition::ZeroInputs in;
  const config::ZeroConfig &z = config.zero;
  in.stage = z.stage;
  in.dpSize = dpSize;
  in.gradAccumSteps = batch.gradAccumSteps;
  in.reduceBucketElements = z.reduceBucketSize.value;
  in.allgatherBucketElements = z.allgatherBucketSize;
  in.arenaBytes = step->getAttrOfType<IntegerAttr>("plan.arena_size").getInt();
  // The flat parameter space as the passes laid it out.
  FailureOr<SmallVector<passes::FlatParamInfo>> layout =
      passes::flatParamLayout(step.getBody().front());
  if (failed(layout))
    return makeError("the step's params do not share one element type");
  bool sharded = false;
  for (const passes::FlatParamInfo &p : *layout) {
    in.params.emplace_back(p.name.str(), p.numel);
    in.shapes.emplace_back(p.type.getShape().begin(), p.type.getShape().end());
    in.whole.push_back(p.whole());
    in.elementBytes = p.type.getElementTypeBitWidth() / 8;
    in.dtype = dtypeName(p.type.getElementType());
  }
  // The arena's bytes by role; stage 3's partition buffer holds params.
  in.optimizerStatesPerElement = 0;
  for (auto view : step.getOps<memref::ViewOp>())
    if (view->hasAttr("plan.param_shard")) {
      sharded = true;
      in.arenaParamBytes += NamedBuffer{"", "", 0, view.getType()}.bytes();
    }
  for (const NamedBuffer &b : namedBuffers(step)) {
    if (b.role == "grad")
      in.arenaGradBytes += b.bytes();
    if (b.role == "accumulator")
      in.arenaAccumulatorBytes += b.bytes();
    // The states build-optimizer-step added (the float32 master params of
    // 16-bit params among them), each one element per owned param element.
    if (b.role == "optimizer_state") {
      in.arenaStateBytes += b.bytes();
      ++in.optimizerStatesPerElement;
      in.stateElementBytes = b.type.getElementTypeBitWidth() / 8;
    }
    if (b.role == "staging" || b.role == "scalar")
      in.arenaWorkspaceBytes += b.bytes();
    if (b.role == "param")
      in.arenaParamBytes += b.bytes();
  }
  // Flat ranges of the params.
  std::vector<partition::FlatRange> ranges;
  int64_t at = 0;
  for (const auto &p : in.params) {
    ranges.push_back({at, at + p.second});
    at += p.second;
  }
  if (sharded)
    for (size_t i = 0; i < in.params.size(); ++i)
      if (in.whole[i])
        in.persistentParams.push_back(ranges[i]);
  // Stages 2 and 3: the collectives the step calls, in its order. A
  // reduce_scatter reads a flat view of a gradient bucket (plan.bucket = its
  // first flat element); an all_gather fills a param (plan.flat_range).
  for (Operation &op : step.getBody().front()) {
    if (auto rs = dyn_cast<plan::ReduceScatterOp>(op)) {
      auto flat = rs.getInput().getDefiningOp<memref::ViewOp>();
      Operation *bucket = flat ? flat.getSource().getDefiningOp() : nullptr;
      auto begin =
          bucket ? bucket->getAttrOfType<IntegerAttr>("plan.bucket") : nullptr;
      if (!begin)
        return makeError("a reduce_scatter in the step does not read a "
                         "gradient bucket (plan.bucket)");
      int64_t size = cast<MemRefType>(rs.getInput().getType()).getNumElements();
      in.inStep.push_back({partition::CollectiveKind::ReduceScatter,
                           {begin.getInt(), begin.getInt() + size}});
    } else if (auto ag = dyn_cast<plan::AllGatherOp>(op)) {
      auto range = ag->getAttrOfType<DenseI64ArrayAttr>("plan.flat_range");
      if (!range || range.size() != 2)
        return makeError("an all_gather in the step does not name the flat "
                         "range it fills (plan.flat_range)");
      in.inStep.push_back({partition::CollectiveKind::AllGather,
                           {range[0], range[1]},
                           /*async=*/ag.getToken() != nullptr});
    }
  }
  // Every rank's update runs the same collectives: rank 0's list them.
  if (auto update = planned.lookupSymbol<func::FuncOp>("train_step_r0")) {
    llvm::Expected<std::vector<partition::ZeroInputs::Outside>> outside =
        boundaryCollectives(update);
    if (!outside)
      return outside.takeError();
    in.boundary = std::move(*outside);
  }
  return in;
}

llvm::Expected<ordered_json> buildPlanManifest(ModuleOp planned,
                                               const ManifestInputs &in) {
  auto step = planned.lookupSymbol<func::FuncOp>("step");
  if (!step)
    return makeError("the planned module has no @step");
  ordered_json plan;
  plan["format"] = runtime::kPlanFormat;
  plan["mode"] = in.training ? "training" : "inference";
  plan["rank"] = in.rank;
  plan["world_size"] = in.worldSize;
  int64_t arena = step->getAttrOfType<IntegerAttr>("plan.arena_size").getInt();
  plan["arena_bytes"] = arena;
  plan["persistent_bytes"] =
      step->getAttrOfType<IntegerAttr>("plan.persistent_bytes").getInt();
  plan["batch"] = {{"train_batch_size", in.batch.trainBatchSize},
                   {"micro_batch_size", in.batch.microBatchSize},
                   {"gradient_accumulation_steps", in.batch.gradAccumSteps},
                   {"dp_size", in.dpSize}};

  ordered_json buffers = ordered_json::array();
  for (const NamedBuffer &b : namedBuffers(step)) {
    ordered_json buffer = {
        {"name", b.name}, {"role", b.role}, {"offset", b.offset}};
    buffer.update(bufferType(b.type));
    buffers.push_back(buffer);
  }
  plan["buffers"] = buffers;

  ordered_json kernels = ordered_json::array();
  for (auto kernel : step.getOps<plan::KernelOp>()) {
    ordered_json types = ordered_json::array();
    for (Value v : kernel->getOperands())
      types.push_back(bufferType(v.getType()));
    ordered_json attrs = ordered_json::object();
    for (NamedAttribute a : kernel->getAttrs())
      if (a.getName() != "callee" && a.getName() != "operandSegmentSizes")
        attrs[a.getName().str()] = attributeJson(a.getValue());
    // The report names the entry point's kernel and types ("matmul_f32").
    plan::KernelCall call;
    if (std::string problem =
            plan::resolveKernelCall(kernel, call, /*encode=*/false);
        !problem.empty())
      return makeError(problem);
    kernels.push_back({{"kernel", call.typedName().str()},
                       {"location", locationName(kernel.getLoc())},
                       {"num_inputs", kernel.getIns().size()},
                       {"num_outputs", kernel.getOuts().size()},
                       {"buffers", types},
                       {"attrs", attrs}});
  }
  plan["kernels"] = kernels;

  if (in.training && in.config.optimizer)
    plan["optimizer"] = optimizerJson(*in.config.optimizer);
  ordered_json full = ordered_json::parse(config::toJson(in.config).dump());
  plan["scheduler"] =
      full.contains("scheduler") ? full["scheduler"] : ordered_json(nullptr);
  plan["gradient_clipping"] = in.config.gradientClipping.value;
  // The whole config travels with the plan (and into checkpoints).
  plan["ds_config"] = full;
  plan["steps_per_print"] = in.config.stepsPerPrint;
  plan["weights"] = runtime::rankWeightsFile(in.rank);
  if (!in.ties.empty())
    plan["ties"] = runtime::tiedCopiesToJson(in.ties);
  // Each rank loads its own file (ZeRO-3: only its partition).
  if (in.worldSize > 1) {
    ordered_json byRank = ordered_json::array();
    for (int r = 0; r < in.worldSize; ++r)
      byRank.push_back(runtime::rankWeightsFile(r));
    plan["weights_by_rank"] = byRank;
  }
  if (in.zero) {
    plan["zero"] = zeroJson(*in.zero);
    plan["collectives"] = collectivesJson(*in.zero);
    plan["collective_bytes_per_step"] = in.zero->bytesPerStep();
    ordered_json memory = ordered_json::array();
    int64_t peak = 0;
    for (const partition::MemorySplit &m : in.zero->memory) {
      memory.push_back(memoryJson(m));
      peak = std::max(peak, m.total());
    }
    plan["memory"] = memory;
    plan["predicted_peak_bytes"] = peak;
  } else {
    plan["predicted_peak_bytes"] = arena;
  }
  return plan;
}

} // namespace dsc::codegen
