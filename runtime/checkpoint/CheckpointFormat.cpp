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
      {"scheduler", {{"last_step", m.schedulerStep}}},
      {"data", {{"next_sample", m.globalSamples}}},
      {"optimizer", {{"type", m.optimizer}, {"states", m.stateNames}}},
      {"zero", {{"stage", m.zeroStage}, {"dp_size", m.dpSize}}},
      {"dtype", std::string(dtypeName(m.dtype))},
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
  m.schedulerStep =
      r.getInt(r.getObject(j, "", "scheduler"), "scheduler", "last_step", 0);
  const nlohmann::json &optimizer = r.getObject(j, "", "optimizer");
  m.optimizer = r.getString(optimizer, "optimizer", "type");
  const nlohmann::json &states = r.getArray(optimizer, "optimizer", "states");
  for (size_t i = 0; i < states.size() && r.ok(); ++i) {
    if (!states[i].is_string())
      r.fail("optimizer.states[" + std::to_string(i) + "]",
             "expected a string, got " + states[i].dump());
    else
      m.stateNames.push_back(states[i].get<std::string>());
  }
  const nlohmann::json &zero = r.getObject(j, "", "zero");
  m.zeroStage = r.getInt(zero, "zero", "stage", 0);
  m.dpSize = r.getInt(zero, "zero", "dp_size", 0);
  std::string dtype = r.getString(j, "", "dtype");
  if (r.ok() && dtype != "float32" && dtype != "float64")
    return Status::error(path + ": dtype '" + dtype +
                         "' (expected float32 or float64)");
  m.dtype = dtype == "float64" ? DType::F64 : DType::F32;
  m.flatElements = r.getInt(j, "", "flat_elements", 0);
  if (r.ok() && m.flatElements < 0)
    r.fail("flat_elements", "negative");
  int64_t next = 0;
  const nlohmann::json &params = r.getArray(j, "", "params");
  for (size_t i = 0; i < params.size() && r.ok(); ++i) {
    const std::string at = "params[" + std::to_string(i) + "]";
    const nlohmann::json &p = params[i];
    if (!p.is_object()) {
      r.fail(at, "expected an object, got " + p.dump());
      break;
    }
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
    const nlohmann::json &sh = shards[i];
    if (!sh.is_object()) {
      r.fail(at, "expected an object, got " + sh.dump());
      break;
    }
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
  const nlohmann::json &frozen = r.getArray(j, "", "frozen", false);
  for (size_t i = 0; i < frozen.size() && r.ok(); ++i) {
    if (!frozen[i].is_string())
      r.fail("frozen[" + std::to_string(i) + "]",
             "expected a string, got " + frozen[i].dump());
    else
      m.frozen.push_back(frozen[i].get<std::string>());
  }
  m.ties = readTiedCopies(r, j, "");
  if (!r.ok())
    return r.take();
  return m;
}

Status readStateRange(const std::string &tagDir, const CheckpointMeta &meta,
                      const std::string &state, int64_t begin, int64_t end,
                      char *out) {
  const size_t elem = dtypeSize(meta.dtype);
  int64_t covered = begin;
  // Shards in flat order; each fills its overlap with [begin, end).
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
    if (t->dtype != meta.dtype || t->numel != s.end - s.begin ||
        t->byteSize() != static_cast<size_t>(t->numel) * elem)
      return Status::error(path + ": tensor '" + state + "' is not " +
                           std::to_string(s.end - s.begin) + " " +
                           std::string(dtypeName(meta.dtype)) + " elements");
    std::memcpy(out + (lo - begin) * elem,
                static_cast<const char *>(t->data) + (lo - s.begin) * elem,
                (hi - lo) * elem);
    covered = std::max(covered, hi);
  }
  if (covered < end)
    return Status::error(tagDir + ": no optimizer shard holds flat elements [" +
                         std::to_string(covered) + ", " + std::to_string(end) +
                         ") of '" + state + "'");
  return Status::success();
}

Status verifyCheckpointFiles(const std::string &tagDir,
                             const CheckpointMeta &meta) {
  const std::string modelPath = tagDir + "/model.safetensors";
  Expected<SafetensorsFile> model = SafetensorsFile::open(modelPath);
  if (!model)
    return model.status();
  for (const CheckpointParam &p : meta.params) {
    const SafetensorsTensor *t = model->find(p.name);
    if (!t || t->shape != p.shape || t->dtype != p.dtype)
      return Status::error(modelPath + ": no " +
                           std::string(dtypeName(p.dtype)) + " tensor '" +
                           p.name + "' of shape " + formatShape(p.shape) +
                           " (as state.json lists it)");
  }
  std::vector<CheckpointShard> shards = meta.shards;
  std::sort(shards.begin(), shards.end(),
            [](const CheckpointShard &a, const CheckpointShard &b) {
              return a.begin < b.begin;
            });
  int64_t covered = 0;
  for (const CheckpointShard &s : shards) {
    const std::string path = tagDir + "/" + s.file;
    Expected<SafetensorsFile> file = SafetensorsFile::open(path);
    if (!file)
      return file.status();
    for (const std::string &state : meta.stateNames) {
      const SafetensorsTensor *t = file->find(state);
      if (!t || t->dtype != meta.dtype || t->numel != s.end - s.begin)
        return Status::error(path + ": no " +
                             std::string(dtypeName(meta.dtype)) + " tensor '" +
                             state + "' of " + std::to_string(s.end - s.begin) +
                             " elements (as state.json lists it)");
    }
    if (s.begin > covered)
      break;
    covered = std::max(covered, s.end);
  }
  if (covered < meta.flatElements)
    return Status::error(tagDir +
                         "/state.json: no optimizer shard holds flat "
                         "elements [" +
                         std::to_string(covered) + ", " +
                         std::to_string(meta.flatElements) + ")");
  return Status::success();
}

} // namespace dsc::runtime
