//===- CheckpointFormat.cpp - The checkpoint directory and metadata -------===//

#include "runtime/checkpoint/CheckpointFormat.h"

#include "runtime/io/FileUtil.h"
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
  return writeText(tagDir + "/state.json", j.dump(1) + "\n");
}

Expected<CheckpointMeta> readCheckpointMeta(const std::string &tagDir) {
  const std::string path = tagDir + "/state.json";
  Expected<std::string> text = readWholeFile(path);
  if (!text)
    return text.status();
  CheckpointMeta m;
  try {
    ordered_json j = ordered_json::parse(*text);
    if (j.at("format").get<std::string>() != kCheckpointFormat)
      return Status::error(path + ": format '" +
                           j.at("format").get<std::string>() +
                           "', this runtime reads '" + kCheckpointFormat + "'");
    m.tag = j.at("tag").get<std::string>();
    m.globalSteps = j.at("global_steps").get<int64_t>();
    m.globalSamples = j.at("global_samples").get<int64_t>();
    m.trainBatchSize = j.at("train_batch_size").get<int64_t>();
    m.loss = j.at("loss").get<double>();
    if (!j.at("loss_scale").is_null())
      m.lossScale = j.at("loss_scale").get<double>();
    m.schedulerStep = j.at("scheduler").at("last_step").get<int64_t>();
    m.optimizer = j.at("optimizer").at("type").get<std::string>();
    m.stateNames =
        j.at("optimizer").at("states").get<std::vector<std::string>>();
    m.zeroStage = j.at("zero").at("stage").get<int64_t>();
    m.dpSize = j.at("zero").at("dp_size").get<int64_t>();
    std::string dtype = j.at("dtype").get<std::string>();
    if (dtype != "float32" && dtype != "float64")
      return Status::error(path + ": dtype '" + dtype +
                           "' (expected float32 or float64)");
    m.dtype = dtype == "float64" ? DType::F64 : DType::F32;
    m.flatElements = j.at("flat_elements").get<int64_t>();
    int64_t next = 0;
    for (const ordered_json &p : j.at("params")) {
      CheckpointParam cp;
      cp.name = p.at("name").get<std::string>();
      cp.dtype = m.dtype;
      cp.shape = p.at("shape").get<std::vector<int64_t>>();
      cp.flatOffset = p.at("flat_offset").get<int64_t>();
      cp.numel = 1;
      for (int64_t d : cp.shape)
        cp.numel *= d;
      if (cp.flatOffset != next)
        return Status::error(path + ": param '" + cp.name +
                             "' is not at the next flat offset");
      next += cp.numel;
      m.params.push_back(std::move(cp));
    }
    if (next != m.flatElements)
      return Status::error(path + ": the params hold " + std::to_string(next) +
                           " elements, flat_elements is " +
                           std::to_string(m.flatElements));
    for (const ordered_json &s : j.at("optimizer_shards")) {
      CheckpointShard cs;
      cs.file = s.at("file").get<std::string>();
      cs.begin = s.at("flat").at(0).get<int64_t>();
      cs.end = s.at("flat").at(1).get<int64_t>();
      if (cs.file.find('/') != std::string::npos || cs.begin < 0 ||
          cs.end < cs.begin || cs.end > m.flatElements)
        return Status::error(path + ": bad optimizer shard '" + cs.file + "'");
      m.shards.push_back(std::move(cs));
    }
  } catch (const nlohmann::json::exception &e) {
    std::string what = e.what();
    size_t close = what.find("] ");
    if (close != std::string::npos)
      what = what.substr(close + 2);
    return Status::error(path + ": " + what);
  }
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

} // namespace dsc::runtime
