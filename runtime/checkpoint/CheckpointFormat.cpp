//===- CheckpointFormat.cpp - The checkpoint directory and metadata -------===//

#include "runtime/checkpoint/CheckpointFormat.h"

#include "runtime/io/FileUtil.h"
#include "runtime/io/JsonReader.h"
#include "runtime/io/Safetensors.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <sys/stat.h>

namespace dsc::runtime {

using nlohmann::ordered_json;

namespace {

bool isDirectory(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

Status writeText(const std::string &path, const std::string &text) {
  return writeFileAtomically(path, {{text.data(), text.size()}});
}

} // namespace

std::string checkpointTag(int64_t globalSteps) {
  return "global_step" + std::to_string(globalSteps);
}

Expected<std::string> latestTag(const std::string &dir) {
  std::ifstream in(dir + "/latest");
  if (!in)
    return Status::error(dir + ": not a checkpoint directory (no 'latest')");
  std::string tag;
  std::getline(in, tag);
  while (!tag.empty() && (tag.back() == '\r' || tag.back() == ' '))
    tag.pop_back();
  if (tag.empty() || tag.find('/') != std::string::npos || tag == "." ||
      tag == "..")
    return Status::error(dir + "/latest: not a checkpoint tag: '" + tag + "'");
  if (!isDirectory(dir + "/" + tag))
    return Status::error(dir + "/latest names '" + tag +
                         "', which is not a directory in " + dir);
  return tag;
}

Status writeLatest(const std::string &dir, const std::string &tag) {
  return writeText(dir + "/latest", tag + "\n");
}

Status writeCheckpointMeta(const std::string &tagDir, const CheckpointMeta &m) {
  ordered_json params = ordered_json::array();
  for (const CheckpointParam &p : m.params)
    params.push_back({{"name", p.name},
                      {"dtype", std::string(dtypeName(p.dtype))},
                      {"shape", p.shape},
                      {"flat_offset", p.flatOffset}});
  ordered_json shards = ordered_json::array();
  for (const CheckpointShard &s : m.shards)
    shards.push_back({{"file", s.file}, {"flat", {s.begin, s.end}}});
  ordered_json j = {
      {"format", kCheckpointFormat},
      {"tag", m.tag},
      {"global_steps", m.globalSteps},
      {"global_samples", m.globalSamples},
      {"train_batch_size", m.trainBatchSize},
      {"loss", m.loss},
      {"loss_scale",
       m.lossScale ? ordered_json(*m.lossScale) : ordered_json(nullptr)},
      {"loss_scaler",
       m.lossScale ? ordered_json({{"iteration", m.lossScaleIteration},
                                   {"last_overflow", m.lossScaleLastOverflow},
                                   {"hysteresis", m.lossScaleHysteresis}})
                   : ordered_json(nullptr)},
      {"scheduler", {{"last_step", m.schedulerStep}}},
      {"data", {{"next_sample", m.globalSamples}}},
      {"optimizer", {{"type", m.optimizer}, {"states", m.stateNames}}},
      {"zero", {{"stage", m.zeroStage}, {"dp_size", m.dpSize}}},
      {"dtype", std::string(dtypeName(m.dtype))},
      {"state_dtype", std::string(dtypeName(m.stateDtype))},
      {"flat_elements", m.flatElements},
      {"params", params},
      {"optimizer_shards", shards}};
  if (!m.frozen.empty())
    j["frozen"] = m.frozen;
  if (!m.ties.empty())
    j["ties"] = tiedCopiesToJson(m.ties);
  return writeText(tagDir + "/state.json", j.dump(1) + "\n");
}

Expected<CheckpointMeta> readCheckpointMeta(const std::string &tagDir) {
  const std::string path = tagDir + "/state.json";
  Expected<std::string> text = readWholeFile(path);
  if (!text)
    return text.status();
  return parseCheckpointMeta(*text, path);
}

Expected<CheckpointMeta> parseCheckpointMeta(std::string_view text,
                                             const std::string &path) {
  Expected<nlohmann::json> parsed = parseJsonObjectText(text, path);
  if (!parsed)
    return parsed.status();
  const nlohmann::json &j = *parsed;
  JsonReader r(path);
  CheckpointMeta m;
  std::string format = r.getString(j, "", "format");
  if (r.ok() && format != kCheckpointFormat)
    return Status::error(path + ": format '" + format +
                         "', this runtime reads '" + kCheckpointFormat + "'");
  m.tag = r.getString(j, "", "tag");
  m.globalSteps = r.getInt(j, "", "global_steps", 0);
  m.globalSamples = r.getInt(j, "", "global_samples", 0);
  m.trainBatchSize = r.getInt(j, "", "train_batch_size", 0);
  m.loss = r.getNumber(j, "", "loss", 0.0, /*required=*/true);
  if (r.ok() && j.contains("loss_scale") && !j["loss_scale"].is_null())
    m.lossScale = r.getNumber(j, "", "loss_scale", 0.0);
  if (r.ok() && m.lossScale && j.contains("loss_scaler") &&
      !j["loss_scaler"].is_null()) {
    const nlohmann::json &s = r.getObject(j, "", "loss_scaler");
    m.lossScaleIteration = r.getInt(s, "loss_scaler", "iteration", 0);
    m.lossScaleLastOverflow = r.getInt(s, "loss_scaler", "last_overflow", 0);
    m.lossScaleHysteresis = r.getInt(s, "loss_scaler", "hysteresis", 0);
  }
  m.schedulerStep =
      r.getInt(r.getObject(j, "", "scheduler"), "scheduler", "last_step", 0);
  const nlohmann::json &optimizer = r.getObject(j, "", "optimizer");
  m.optimizer = r.getString(optimizer, "optimizer", "type");
  m.stateNames = r.getStrings(optimizer, "optimizer", "states");
  const nlohmann::json &zero = r.getObject(j, "", "zero");
  m.zeroStage = r.getInt(zero, "zero", "stage", 0);
  m.dpSize = r.getInt(zero, "zero", "dp_size", 0);
  std::string dtype = r.getString(j, "", "dtype");
  std::optional<DType> paramType = dtypeFromName(dtype);
  if (r.ok() &&
      (!paramType || (*paramType != DType::F32 && *paramType != DType::F64 &&
                      *paramType != DType::F16 && *paramType != DType::BF16)))
    return Status::error(path + ": dtype '" + dtype +
                         "' (expected float32, float64, float16 or "
                         "bfloat16)");
  m.dtype = paramType.value_or(DType::F32);
  // Checkpoints before 16-bit params hold states of the params' type.
  std::string stateDtype =
      j.contains("state_dtype") ? r.getString(j, "", "state_dtype") : dtype;
  std::optional<DType> states = dtypeFromName(stateDtype);
  if (r.ok() && (!states || (*states != DType::F32 && *states != DType::F64)))
    return Status::error(path + ": state_dtype '" + stateDtype +
                         "' (expected float32 or float64)");
  m.stateDtype = states.value_or(DType::F32);
  m.flatElements = r.getInt(j, "", "flat_elements", 0);
  if (r.ok() && m.flatElements < 0)
    r.fail("flat_elements", "negative");
  int64_t next = 0;
  const nlohmann::json &params = r.getArray(j, "", "params");
  for (size_t i = 0; i < params.size() && r.ok(); ++i) {
    const std::string at = "params[" + std::to_string(i) + "]";
    const nlohmann::json &p = r.element(params, i, at);
    CheckpointParam cp;
    cp.name = r.getString(p, at, "name");
    cp.dtype = m.dtype;
    cp.shape = r.getShape(p, at);
    cp.flatOffset = r.getInt(p, at, "flat_offset", 0);
    cp.numel = 1;
    for (int64_t d : cp.shape) {
      // No real param has more elements than the flat space.
      if (d > 0 && cp.numel > m.flatElements / d) {
        r.fail(at + ".shape", "more elements than flat_elements");
        break;
      }
      cp.numel *= d;
    }
    if (!r.ok())
      break;
    if (cp.flatOffset != next)
      return Status::error(path + ": param '" + cp.name +
                           "' is not at the next flat offset");
    // Each param fits in the flat space, their sum may overflow: keep
    // next <= flat_elements.
    if (cp.numel > m.flatElements - next)
      return Status::error(path +
                           ": the params hold more elements than "
                           "flat_elements (" +
                           std::to_string(m.flatElements) + ")");
    next += cp.numel;
    m.params.push_back(std::move(cp));
  }
  if (r.ok() && next != m.flatElements)
    return Status::error(path + ": the params hold " + std::to_string(next) +
                         " elements, flat_elements is " +
                         std::to_string(m.flatElements));
  const nlohmann::json &shards = r.getArray(j, "", "optimizer_shards");
  for (size_t i = 0; i < shards.size() && r.ok(); ++i) {
    const std::string at = "optimizer_shards[" + std::to_string(i) + "]";
    const nlohmann::json &sh = r.element(shards, i, at);
    CheckpointShard cs;
    cs.file = r.getString(sh, at, "file");
    const nlohmann::json &flat = r.getArray(sh, at, "flat");
    if (r.ok() && flat.size() != 2)
      r.fail(at + ".flat", "expected [begin, end], got " + flat.dump());
    if (!r.ok())
      break;
    cs.begin = r.asInt(flat[0], at + ".flat", 0);
    cs.end = r.asInt(flat[1], at + ".flat", 0);
    if (r.ok() &&
        (cs.file.empty() || cs.file.find('/') != std::string::npos ||
         cs.begin < 0 || cs.end < cs.begin || cs.end > m.flatElements))
      return Status::error(path + ": bad optimizer shard '" + cs.file + "'");
    m.shards.push_back(std::move(cs));
  }
  m.frozen = r.getStrings(j, "", "frozen", /*required=*/false);
  m.ties = readTiedCopies(r, j, "");
  if (!r.ok())
    return r.take();
  return m;
}

namespace {

/// Walks the shards that hold flat elements [begin, end) of optimizer state
/// `state`, in flat order, checking each shard's tensor; `use` gets each
/// overlap [lo, hi) and the tensor. Errors: a shard missing, cut short or
/// without the tensor, and elements no shard holds.
Status forEachShardOf(
    const std::string &tagDir, const CheckpointMeta &meta,
    const std::string &state, int64_t begin, int64_t end,
    const std::function<void(int64_t lo, int64_t hi, const CheckpointShard &,
                             const SafetensorsTensor &)> &use) {
  const size_t elem = dtypeSize(meta.stateDtype);
  int64_t covered = begin;
  std::vector<CheckpointShard> shards = meta.shards;
  std::sort(shards.begin(), shards.end(),
            [](const CheckpointShard &a, const CheckpointShard &b) {
              return a.begin < b.begin;
            });
  for (const CheckpointShard &s : shards) {
    int64_t lo = std::max(begin, s.begin);
    int64_t hi = std::min(end, s.end);
    if (lo >= hi)
      continue;
    if (lo > covered)
      break;
    const std::string path = tagDir + "/" + s.file;
    Expected<SafetensorsFile> file = SafetensorsFile::open(path);
    if (!file)
      return file.status();
    const SafetensorsTensor *t = file->find(state);
    if (!t)
      return Status::error(path + ": no tensor '" + state + "'");
    if (t->dtype != meta.stateDtype || t->numel != s.end - s.begin ||
        t->byteSize() != static_cast<size_t>(t->numel) * elem)
      return Status::error(path + ": tensor '" + state + "' is not " +
                           std::to_string(s.end - s.begin) + " " +
                           std::string(dtypeName(meta.stateDtype)) +
                           " elements");
    use(lo, hi, s, *t);
    covered = std::max(covered, hi);
  }
  if (covered < end)
    return Status::error(tagDir + ": no optimizer shard holds flat elements [" +
                         std::to_string(covered) + ", " + std::to_string(end) +
                         ") of '" + state + "'");
  return Status::success();
}

} // namespace

Status readStateRange(const std::string &tagDir, const CheckpointMeta &meta,
                      const std::string &state, int64_t begin, int64_t end,
                      char *out) {
  const size_t elem = dtypeSize(meta.stateDtype);
  return forEachShardOf(tagDir, meta, state, begin, end,
                        [&](int64_t lo, int64_t hi, const CheckpointShard &s,
                            const SafetensorsTensor &t) {
                          std::memcpy(out + (lo - begin) * elem,
                                      static_cast<const char *>(t.data) +
                                          (lo - s.begin) * elem,
                                      (hi - lo) * elem);
                        });
}

Status verifyOptimizerShards(const std::string &tagDir,
                             const CheckpointMeta &meta) {
  // Every listed file, also for an optimizer without states (SGD without
  // momentum), then each state's tensors and coverage.
  for (const CheckpointShard &s : meta.shards)
    if (Expected<SafetensorsFile> file =
            SafetensorsFile::open(tagDir + "/" + s.file);
        !file)
      return file.status();
  for (const std::string &state : meta.stateNames)
    if (Status s = forEachShardOf(tagDir, meta, state, 0, meta.flatElements,
                                  [](int64_t, int64_t, const CheckpointShard &,
                                     const SafetensorsTensor &) {});
        !s.ok())
      return s;
  return Status::success();
}

} // namespace dsc::runtime
