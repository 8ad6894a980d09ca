//===- PlanFile.cpp - Parsing and checking OUT/plan.json ------------------===//

#include "runtime/main/PlanFile.h"

#include "runtime/io/FileUtil.h"
#include "runtime/io/JsonReader.h"

#include <nlohmann/json.hpp>

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace dsc::runtime {

using nlohmann::json;

std::string_view bufferRoleName(BufferRole role) {
  switch (role) {
  case BufferRole::Input:
    return "input";
  case BufferRole::Param:
    return "param";
  case BufferRole::Output:
    return "output";
  case BufferRole::Grad:
    return "grad";
  case BufferRole::Constant:
    return "constant";
  case BufferRole::ParamShard:
    return "param_shard";
  case BufferRole::OptimizerState:
    return "optimizer_state";
  case BufferRole::Accumulator:
    return "accumulator";
  case BufferRole::Staging:
    return "staging";
  case BufferRole::Scalar:
    return "scalar";
  }
  return "?";
}

std::string_view optimizerKindName(OptimizerKind kind) {
  switch (kind) {
  case OptimizerKind::Adam:
    return "adam";
  case OptimizerKind::AdamW:
    return "adamw";
  case OptimizerKind::Sgd:
    return "sgd";
  case OptimizerKind::Lamb:
    return "lamb";
  }
  return "?";
}

std::vector<size_t> Plan::buffersWithRole(BufferRole role) const {
  std::vector<size_t> out;
  for (size_t i = 0; i < buffers.size(); ++i)
    if (buffers[i].role == role)
      out.push_back(i);
  return out;
}

const PlanBuffer *Plan::find(std::string_view name, BufferRole role) const {
  for (const PlanBuffer &b : buffers)
    if (b.role == role && b.name == name)
      return &b;
  return nullptr;
}

const PlanBuffer *Plan::loss() const {
  for (const PlanBuffer &b : buffers)
    if (b.role == BufferRole::Output)
      return &b;
  return nullptr;
}

namespace {

std::string indexed(const char *key, size_t i) {
  return std::string(key) + "[" + std::to_string(i) + "]";
}

void parseBuffers(JsonReader &r, const json &root, Plan &plan) {
  const json &list = r.getArray(root, "", "buffers");
  std::set<std::pair<std::string, BufferRole>> seen;
  for (size_t i = 0; i < list.size() && r.ok(); ++i) {
    const std::string at = indexed("buffers", i);
    const json &b = list[i];
    if (!b.is_object()) {
      r.fail(at, "expected an object, got " + b.dump());
      return;
    }
    PlanBuffer buf;
    buf.name = r.getString(b, at, "name");
    std::string role = r.getString(b, at, "role");
    buf.offset = r.getInt(b, at, "offset", 0);
    buf.dtype = r.getDType(b, at);
    buf.shape = r.getShape(b, at);
    if (!r.ok())
      return;
    std::string known;
    bool found = false;
    for (BufferRole candidate : kBufferRoles) {
      known +=
          (known.empty() ? "" : " ") + std::string(bufferRoleName(candidate));
      if (role == bufferRoleName(candidate)) {
        buf.role = candidate;
        found = true;
      }
    }
    if (!found)
      return r.fail(at + ".role",
                    "unknown role '" + role + "' (known: " + known + ")");
    if (buf.name.empty())
      return r.fail(at + ".name", "empty name");
    if (!seen.insert({buf.name, buf.role}).second)
      return r.fail(at, "a second " + std::string(bufferRoleName(buf.role)) +
                            " buffer named '" + buf.name + "'");
    std::optional<int64_t> numel = shapeNumel(buf.shape);
    const int64_t elemSize = static_cast<int64_t>(dtypeSize(buf.dtype));
    if (!numel || *numel > INT64_MAX / elemSize)
      return r.fail(at + ".shape", "too many elements");
    buf.numel = *numel;
    buf.bytes = static_cast<size_t>(*numel * elemSize);
    if (buf.offset < 0 ||
        buf.offset > plan.arenaBytes - static_cast<int64_t>(buf.bytes))
      return r.fail(at + ".offset", std::to_string(buf.offset) + " + " +
                                        std::to_string(buf.bytes) +
                                        " bytes lies outside the arena (" +
                                        std::to_string(plan.arenaBytes) +
                                        " bytes)");
    if (buf.offset % static_cast<int64_t>(dtypeSize(buf.dtype)) != 0)
      return r.fail(at + ".offset",
                    std::to_string(buf.offset) + " is not aligned to the " +
                        std::string(dtypeName(buf.dtype)) + " element size");
    plan.buffers.push_back(std::move(buf));
  }
}

/// The checks that relate several parts of the plan.
PlanRange parseRange(JsonReader &r, const json &v, const std::string &where) {
  PlanRange range;
  if (!v.is_array() || v.size() != 2) {
    r.fail(where, "expected [begin, end], got " + v.dump());
    return range;
  }
  range.begin = r.asInt(v[0], where, 0);
  range.end = r.asInt(v[1], where, 0);
  if (r.ok() && (range.begin < 0 || range.end < range.begin))
    r.fail(where, "not a range: " + v.dump());
  return range;
}

/// "zero": the layout; checked against the params in checkConsistency.
void parseZero(JsonReader &r, const json &z, Plan &plan) {
  PlanZero zero;
  zero.stage = r.getInt(z, "zero", "stage", 0);
  zero.dpSize = r.getInt(z, "zero", "dp_size", 1);
  zero.flatElements = r.getInt(z, "zero", "flat_elements", 0);
  zero.accumulateGradients =
      r.getBool(z, "zero", "accumulate_gradients", false);
  const json &parts = r.getArray(z, "zero", "partitions");
  for (size_t i = 0; r.ok() && i < parts.size(); ++i)
    zero.partitions.push_back(
        parseRange(r, parts[i], "zero." + indexed("partitions", i)));
  const json &params = r.getArray(z, "zero", "params");
  for (size_t i = 0; r.ok() && i < params.size(); ++i) {
    std::string at = "zero." + indexed("params", i);
    ZeroParam zp;
    zp.name = r.getString(params[i], at, "name");
    zp.flatOffset = r.getInt(params[i], at, "flat_offset", 0);
    zp.numel = r.getInt(params[i], at, "numel", 0);
    zp.whole = r.getBool(params[i], at, "whole", true);
    if (params[i].contains("shape"))
      zp.shape = r.getShape(params[i], at);
    else
      zp.shape = {zp.numel};
    zero.params.push_back(std::move(zp));
  }
  if (!r.ok())
    return;
  // Every param whole on every rank has its buffer (stages 0-2: all, in
  // flat order); stage 3's others live in the partition buffer.
  std::vector<size_t> ps = plan.buffersWithRole(BufferRole::Param);
  size_t whole = 0;
  int64_t next = 0;
  for (size_t i = 0; i < zero.params.size(); ++i) {
    ZeroParam &zp = zero.params[i];
    // A shape from "numel" alone may be negative; either may overflow.
    std::optional<int64_t> numel = shapeNumel(zp.shape);
    if (!numel)
      return r.fail("zero." + indexed("params", i),
                    "negative or too many elements");
    if (zp.flatOffset != next || *numel != zp.numel)
      return r.fail("zero." + indexed("params", i),
                    "expected param '" + zp.name + "' of " +
                        std::to_string(*numel) + " elements at flat offset " +
                        std::to_string(next));
    if (__builtin_add_overflow(next, zp.numel, &next))
      return r.fail("zero.params", "more than 2^63 elements in all");
    zero.flatOffsets.push_back(zp.flatOffset);
    if (!zp.whole)
      continue;
    if (whole >= ps.size() || plan.buffers[ps[whole]].name != zp.name ||
        plan.buffers[ps[whole]].shape != zp.shape)
      return r.fail("zero." + indexed("params", i),
                    "expected param '" + zp.name + "' at flat offset " +
                        std::to_string(zp.flatOffset) +
                        " (a param buffer of that name and shape, in order)");
    zp.buffer = ps[whole++];
  }
  if (whole != ps.size())
    return r.fail("zero.params", std::to_string(zero.params.size()) +
                                     " entries for " +
                                     std::to_string(ps.size()) + " params");
  if (zero.stage == 3) {
    std::vector<size_t> shards = plan.buffersWithRole(BufferRole::ParamShard);
    // Rounded up without adding first: flat_elements may be near 2^63.
    int64_t share = zero.dpSize > 0 ? zero.flatElements / zero.dpSize +
                                          (zero.flatElements % zero.dpSize != 0)
                                    : 0;
    if (shards.size() != 1 ||
        plan.buffers[shards[0]].numel < std::max<int64_t>(share, 1))
      return r.fail("buffers", "stage 3 needs one param_shard buffer of " +
                                   std::to_string(share) + " elements");
    zero.shard = shards[0];
  }
  if (next != zero.flatElements)
    return r.fail("zero.flat_elements", std::to_string(zero.flatElements) +
                                            ", the params hold " +
                                            std::to_string(next));
  if (zero.stage < 0 || zero.stage > 3)
    return r.fail("zero.stage", "this runtime runs stages 0 to 3, not " +
                                    std::to_string(zero.stage));
  if (zero.dpSize != plan.worldSize)
    return r.fail("zero.dp_size", std::to_string(zero.dpSize) +
                                      ", but world_size is " +
                                      std::to_string(plan.worldSize));
  if (static_cast<int64_t>(zero.partitions.size()) != zero.dpSize)
    return r.fail("zero.partitions", "expected one per data-parallel rank (" +
                                         std::to_string(zero.dpSize) + ")");
  int64_t end = 0;
  for (size_t i = 0; i < zero.partitions.size(); ++i) {
    if (zero.partitions[i].begin != end)
      return r.fail("zero." + indexed("partitions", i),
                    "does not start where the previous one ends");
    end = zero.partitions[i].end;
  }
  if (end != zero.flatElements)
    return r.fail("zero.partitions", "do not cover the flat space");
  plan.zero = std::move(zero);
}

/// "collectives": one step's sequence, checked against the layout.
void parseCollectives(JsonReader &r, const json &list, Plan &plan) {
  const PlanZero &zero = *plan.zero;
  for (size_t i = 0; r.ok() && i < list.size(); ++i) {
    std::string at = indexed("collectives", i);
    const json &c = list[i];
    PlanCollective pc;
    pc.seq = r.getInt(c, at, "seq", 0);
    std::string op = r.getString(c, at, "op");
    pc.group = r.getString(c, at, "group");
    std::string phase = r.getString(c, at, "phase");
    pc.micro = r.getInt(c, at, "micro", -1, false);
    std::string payload = r.getString(c, at, "payload");
    pc.dtype = r.getDType(c, at);
    const json *range = r.member(c, at, "range", true);
    if (range && r.ok())
      pc.range = parseRange(r, *range, at + ".range");
    pc.bytes = r.getInt(c, at, "bytes", 0);
    pc.async = r.getBool(c, at, "async", false);
    if (const json *counts = r.member(c, at, "counts", false);
        counts && r.ok()) {
      if (!counts->is_array())
        return r.fail(at + ".counts", "expected an array");
      for (const json &n : *counts)
        pc.counts.push_back(r.asInt(n, at + ".counts", 0));
    }
    if (!r.ok())
      return;
    if (pc.seq != static_cast<int64_t>(i))
      return r.fail(at + ".seq", "expected " + std::to_string(i));
    std::optional<CollectiveOp> opValue =
        collectiveFromName<CollectiveOp>(kCollectiveOpNames, op);
    std::optional<CollectivePhase> phaseValue =
        collectiveFromName<CollectivePhase>(kCollectivePhaseNames, phase);
    std::optional<CollectivePayload> payloadValue =
        collectiveFromName<CollectivePayload>(kCollectivePayloadNames, payload);
    if (!opValue || !phaseValue || !payloadValue)
      return r.fail(at, "unknown op, phase or payload ('" + op + "', '" +
                            phase + "', '" + payload + "')");
    pc.op = *opValue;
    pc.phase = *phaseValue;
    pc.payload = *payloadValue;
    if (pc.group != "dp")
      return r.fail(at + ".group", "unknown group '" + pc.group + "'");
    bool scalar = pc.payload == CollectivePayload::GradNormSquared ||
                  pc.payload == CollectivePayload::Loss;
    int64_t limit = scalar ? 1 : zero.flatElements;
    if (pc.range.end > limit)
      return r.fail(at + ".range", "outside the flat space");
    // Products and sums of untrusted values are checked for overflow, which
    // could make nonsense add up; a negative count would too.
    int64_t bytes = 0;
    if (__builtin_mul_overflow(pc.range.size(),
                               static_cast<int64_t>(dtypeSize(pc.dtype)),
                               &bytes) ||
        pc.bytes != bytes)
      return r.fail(at + ".bytes", "does not match the range and dtype");
    if (pc.op != CollectiveOp::AllReduce) {
      int64_t sum = 0;
      bool bad = static_cast<int64_t>(pc.counts.size()) != zero.dpSize;
      for (int64_t n : pc.counts)
        bad = bad || n < 0 || __builtin_add_overflow(sum, n, &sum);
      if (bad || sum != pc.range.size())
        return r.fail(at + ".counts",
                      "expected one count per rank, adding up to the range");
    }
    if (__builtin_add_overflow(plan.collectiveBytesPerStep, pc.bytes,
                               &plan.collectiveBytesPerStep))
      return r.fail(at + ".bytes", "more than 2^63 bytes a step in all");
    plan.collectives.push_back(std::move(pc));
  }
}

void parseMemory(JsonReader &r, const json &list, Plan &plan) {
  for (size_t i = 0; r.ok() && i < list.size(); ++i) {
    std::string at = indexed("memory", i);
    PlanMemory m;
    m.parameters = r.getInt(list[i], at, "parameters", 0);
    m.gradients = r.getInt(list[i], at, "gradients", 0);
    m.optimizerStates = r.getInt(list[i], at, "optimizer_states", 0);
    m.activations = r.getInt(list[i], at, "activations", 0);
    m.workspace = r.getInt(list[i], at, "workspace", 0);
    m.total = r.getInt(list[i], at, "total", 0);
    plan.memory.push_back(m);
  }
}

/// A training plan without "zero": one rank, stage 0, params in order.
void singleRankLayout(JsonReader &r, Plan &plan) {
  PlanZero zero;
  for (size_t i : plan.buffersWithRole(BufferRole::Param)) {
    const PlanBuffer &b = plan.buffers[i];
    zero.params.push_back(
        {b.name, b.shape, b.numel, zero.flatElements, true, i});
    zero.flatOffsets.push_back(zero.flatElements);
    // Each buffer fits in the arena, but they may overlap.
    if (__builtin_add_overflow(zero.flatElements, b.numel, &zero.flatElements))
      return r.fail("buffers", "the params hold more than 2^63 elements");
  }
  zero.partitions.push_back({0, zero.flatElements});
  plan.zero = std::move(zero);
}

/// A tie names a new tensor and a param (a buffer, or a ZeRO-3 param that
/// lives in the partitions) or frozen buffer to write it from; checked when
/// the rank starts, since --save would find out only after training.
void checkTies(JsonReader &r, const Plan &plan) {
  auto shapeOf = [&](const std::string &name) -> const std::vector<int64_t> * {
    for (BufferRole role : {BufferRole::Param, BufferRole::Constant})
      if (const PlanBuffer *b = plan.find(name, role))
        return &b->shape;
    if (plan.zero)
      for (const ZeroParam &p : plan.zero->params)
        if (p.name == name)
          return &p.shape;
    return nullptr;
  };
  for (size_t i = 0; i < plan.ties.size() && r.ok(); ++i) {
    const TiedCopy &tie = plan.ties[i];
    const std::string at = "ties[" + std::to_string(i) + "]";
    const std::vector<int64_t> *source = shapeOf(tie.source);
    bool taken = shapeOf(tie.name) != nullptr;
    for (size_t k = 0; k < i; ++k)
      taken |= plan.ties[k].name == tie.name;
    if (!source)
      r.fail(at, "source '" + tie.source + "' is no param or frozen buffer");
    else if (taken)
      r.fail(at, "'" + tie.name + "' is already a tensor of the plan");
    else if (tie.transposed && source->size() != 2)
      r.fail(at, "source '" + tie.source + "' is not 2-D");
  }
}

void checkConsistency(JsonReader &r, Plan &plan) {
  checkTies(r, plan);
  if (!r.ok())
    return;
  if (plan.worldSize < 1)
    return r.fail("world_size", "must be >= 1");
  if (plan.batch) {
    const PlanBatch &b = *plan.batch;
    if (b.trainBatchSize <= 0 || b.microBatchSize <= 0 ||
        b.gradAccumSteps <= 0 || b.dpSize <= 0)
      return r.fail("batch", "every batch size must be > 0");
    // Checked: a product that wrapped around could equal train_batch_size.
    int64_t product = 0;
    if (__builtin_mul_overflow(b.microBatchSize, b.gradAccumSteps, &product) ||
        __builtin_mul_overflow(product, b.dpSize, &product) ||
        b.trainBatchSize != product)
      return r.fail("batch", "train_batch_size != micro_batch_size * "
                             "gradient_accumulation_steps * dp_size (" +
                                 std::to_string(b.trainBatchSize) +
                                 " != " + std::to_string(b.microBatchSize) +
                                 " * " + std::to_string(b.gradAccumSteps) +
                                 " * " + std::to_string(b.dpSize) + ")");
    if (b.dpSize != plan.worldSize)
      return r.fail("batch.dp_size",
                    std::to_string(b.dpSize) + ", but world_size is " +
                        std::to_string(plan.worldSize) +
                        " (this runtime runs data parallelism only)");
  }
  // Training feeds inputs in micro-batches; inference reads each input
  // whole or its first samples, so it takes any shape.
  for (size_t i : plan.buffersWithRole(BufferRole::Input)) {
    const PlanBuffer &in = plan.buffers[i];
    if (!plan.training)
      continue;
    if (in.shape.empty())
      return r.fail(indexed("buffers", i),
                    "input '" + in.name +
                        "' is a scalar; training inputs need a batch "
                        "dimension");
    if (in.shape[0] != plan.batch->microBatchSize)
      return r.fail(indexed("buffers", i),
                    "input '" + in.name + "' has batch dimension " +
                        std::to_string(in.shape[0]) +
                        ", the micro-batch size is " +
                        std::to_string(plan.batch->microBatchSize));
  }
  if (!plan.training)
    return;
  const PlanBuffer *loss = plan.loss();
  if (!loss)
    return r.fail("buffers", "a training plan needs an output buffer (the "
                             "loss)");
  if ((loss->dtype != DType::F32 && loss->dtype != DType::F64) ||
      loss->numel != 1)
    return r.fail("buffers", "the loss '" + loss->name +
                                 "' (the first output) must be a float32 "
                                 "scalar, not " +
                                 std::string(dtypeName(loss->dtype)) + " " +
                                 formatShape(loss->shape));
  // ZeRO-2 and 3 reduce the gradients inside the step: none is an output.
  const bool gradsInStep = plan.zero && plan.zero->stage >= 2;
  for (size_t i : plan.buffersWithRole(BufferRole::Param)) {
    const PlanBuffer &p = plan.buffers[i];
    const PlanBuffer *g = plan.find(p.name, BufferRole::Grad);
    if (!g && gradsInStep)
      continue;
    if (!g)
      return r.fail("buffers", "param '" + p.name + "' has no grad buffer");
    if (g->dtype != p.dtype || g->shape != p.shape)
      return r.fail("buffers", "grad '" + p.name + "' is " +
                                   std::string(dtypeName(g->dtype)) + " " +
                                   formatShape(g->shape) + ", its param " +
                                   std::string(dtypeName(p.dtype)) + " " +
                                   formatShape(p.shape));
    const bool sixteen = p.dtype == DType::F16 || p.dtype == DType::BF16;
    if (p.dtype != DType::F32 && p.dtype != DType::F64 && !sixteen)
      return r.fail("buffers", "param '" + p.name + "' is " +
                                   std::string(dtypeName(p.dtype)) +
                                   "; the optimizer updates float16, "
                                   "bfloat16, float32 and float64 params");
    // fp16 / bf16: the optimizer updates float32 copies.
    if (sixteen && !plan.find(kMasterParamsState, BufferRole::OptimizerState))
      return r.fail("buffers", "param '" + p.name + "' is " +
                                   std::string(dtypeName(p.dtype)) +
                                   ", and the plan has no float32 master "
                                   "params (optimizer state '" +
                                   kMasterParamsState + "')");
  }
  for (size_t i : plan.buffersWithRole(BufferRole::Grad))
    if (!plan.find(plan.buffers[i].name, BufferRole::Param))
      return r.fail(indexed("buffers", i),
                    "grad '" + plan.buffers[i].name + "' has no param");
  std::vector<size_t> params = plan.buffersWithRole(BufferRole::Param);
  for (size_t i : params)
    if (plan.buffers[i].dtype != plan.buffers[params[0]].dtype)
      return r.fail("buffers", "params of different dtypes; the flat "
                               "gradient buffer needs one");
  if (!plan.memory.empty() &&
      static_cast<int64_t>(plan.memory.size()) != plan.worldSize)
    return r.fail("memory", "expected one entry per rank");
}

} // namespace

Expected<Plan> parsePlan(std::string_view text, const std::string &path) {
  Expected<json> parsed = parseJsonText(text, path);
  if (!parsed)
    return parsed.status();
  json root = std::move(parsed).value();
  if (!root.is_object())
    return Status::error(path + ": expected a JSON object");

  JsonReader r(path);
  Plan plan;
  plan.path = path;
  plan.reportPath = path;
  size_t slash = path.rfind('/');
  plan.dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);

  std::string format = r.getString(root, "", "format");
  if (r.ok() && format != kPlanFormat)
    return Status::error(path + ": format '" + format +
                         "', this runtime reads '" + kPlanFormat + "'");
  std::string mode = r.getString(root, "", "mode");
  if (r.ok() && mode != "training" && mode != "inference")
    r.fail("mode",
           "expected \"training\" or \"inference\", got \"" + mode + "\"");
  plan.training = mode == "training";
  plan.rank = r.getInt(root, "", "rank", 0, false);
  plan.worldSize = r.getInt(root, "", "world_size", 1, false);
  plan.arenaBytes = r.getInt(root, "", "arena_bytes", 0);
  if (r.ok() && plan.arenaBytes < 0)
    r.fail("arena_bytes", "negative");
  plan.persistentBytes = r.getInt(root, "", "persistent_bytes", 0, false);

  const json *batch = r.member(root, "", "batch", plan.training);
  // Training relies on the block; only inference may leave it null.
  if (batch && r.ok() && (!batch->is_null() || plan.training)) {
    if (!batch->is_object()) {
      r.fail("batch", "expected an object, got " + batch->dump());
    } else {
      PlanBatch b;
      b.trainBatchSize = r.getInt(*batch, "batch", "train_batch_size", 1);
      b.microBatchSize = r.getInt(*batch, "batch", "micro_batch_size", 1);
      b.gradAccumSteps =
          r.getInt(*batch, "batch", "gradient_accumulation_steps", 1);
      b.dpSize = r.getInt(*batch, "batch", "dp_size", 1, false);
      plan.batch = b;
    }
  }
  if (r.ok())
    parseBuffers(r, root, plan);
  if (r.ok())

    plan.stepsPerPrint = r.getInt(root, "", "steps_per_print", 10, false);
  // A weights file name, resolved against the plan's directory.
  auto weightsFile = [&](const json &name, const std::string &key) {
    if (!name.is_string() || name.get<std::string>().empty()) {
      r.fail(key, "expected a file name, got " + name.dump());
      return std::string();
    }
    std::string w = name.get<std::string>();
    return w[0] == '/' ? w : plan.dir + w;
  };
  const json *weights = r.member(root, "", "weights", false);
  if (weights && r.ok() && !weights->is_null())
    plan.weightsPath = weightsFile(*weights, "weights");
  if (const json *byRank = r.member(root, "", "weights_by_rank", false);
      byRank && r.ok()) {
    if (!byRank->is_array() ||
        byRank->size() != static_cast<size_t>(plan.worldSize))
      r.fail("weights_by_rank", "expected one file name for each of the " +
                                    std::to_string(plan.worldSize) + " ranks");
    else
      for (size_t i = 0; i < byRank->size() && r.ok(); ++i)
        plan.weightsByRank.push_back(weightsFile(
            (*byRank)[i], "weights_by_rank[" + std::to_string(i) + "]"));
  }
  plan.ties = readTiedCopies(r, root, "");
  const json *peak = r.member(root, "", "predicted_peak_bytes", false);
  if (peak && r.ok() && !peak->is_null())
    plan.predictedPeakBytes = r.asInt(*peak, "predicted_peak_bytes", 0);

  if (r.ok() && plan.training) {
    if (const json *zero = r.member(root, "", "zero", false); zero && r.ok())
      parseZero(r, *zero, plan);
    else if (r.ok())
      singleRankLayout(r, plan);
    if (const json *list = r.member(root, "", "collectives", false);
        list && r.ok())
      parseCollectives(r, r.getArray(root, "", "collectives"), plan);
  }
  if (const json *memory = r.member(root, "", "memory", false);
      memory && r.ok())
    parseMemory(r, r.getArray(root, "", "memory"), plan);
  if (r.ok())
    checkConsistency(r, plan);
  if (r.ok() && plan.weightsPath.empty() &&
      (!plan.buffersWithRole(BufferRole::Param).empty() ||
       !plan.buffersWithRole(BufferRole::Constant).empty()))
    r.fail("weights", "missing, but the plan has params or constants to "
                      "load");
  if (!r.ok())
    return r.take();
  return plan;
}

Expected<Plan> loadPlan(const std::string &path) {
  Expected<std::string> text = readWholeFile(path);
  if (!text)
    return text.status();
  return parsePlan(*text, path);
}

} // namespace dsc::runtime
