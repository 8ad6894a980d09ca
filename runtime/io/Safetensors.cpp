//===- Safetensors.cpp - safetensors reader and writer --------------------===//

#include "runtime/io/Safetensors.h"

#include "runtime/io/FileUtil.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <numeric>
#include <optional>
#include <set>

namespace dsc::runtime {
namespace {

/// The reference implementation refuses larger headers (MAX_HEADER_SIZE).
constexpr uint64_t kMaxHeaderSize = 100000000;

/// A dtype's place in the reference's Dtype enum (BOOL first, U64 last); the
/// writer sorts by it, descending.
int referenceRank(DType type) {
  switch (type) {
  case DType::Bool:
    return 0;
  case DType::U8:
    return 1;
  case DType::I8:
    return 2;
  case DType::I16:
    return 3;
  case DType::U16:
    return 4;
  case DType::F16:
    return 5;
  case DType::BF16:
    return 6;
  case DType::I32:
    return 7;
  case DType::U32:
    return 8;
  case DType::F32:
    return 9;
  case DType::F64:
    return 10;
  case DType::I64:
    return 11;
  case DType::U64:
    return 12;
  }
  return 0;
}

std::string offsetsText(uint64_t begin, uint64_t end) {
  return "[" + std::to_string(begin) + ", " + std::to_string(end) + "]";
}

/// A JSON string literal, as serde_json writes it; nullopt for invalid
/// UTF-8.
std::optional<std::string> jsonString(const std::string &s) {
  try {
    return nlohmann::json(s).dump();
  } catch (const nlohmann::json::exception &) {
    return std::nullopt;
  }
}

struct Layout {
  std::vector<size_t> order;
  std::vector<uint64_t> begin, end;
  std::string header;
};

Expected<Layout> layOut(const std::vector<TensorToWrite> &tensors,
                        const std::map<std::string, std::string> &metadata) {
  std::set<std::string_view> names;
  for (const TensorToWrite &t : tensors)
    if (!names.insert(t.name).second)
      return Status::error("duplicate tensor name '" + t.name + "'");
  Layout layout;
  layout.order.resize(tensors.size());
  std::iota(layout.order.begin(), layout.order.end(), 0);
  std::stable_sort(layout.order.begin(), layout.order.end(),
                   [&](size_t a, size_t b) {
                     const int ra = referenceRank(tensors[a].dtype);
                     const int rb = referenceRank(tensors[b].dtype);
                     if (ra != rb)
                       return ra > rb;
                     return tensors[a].name < tensors[b].name;
                   });
  std::string json = "{";
  if (!metadata.empty()) {
    json += "\"__metadata__\":{";
    bool first = true;
    for (const auto &[key, value] : metadata) {
      std::optional<std::string> k = jsonString(key), v = jsonString(value);
      if (!k || !v)
        return Status::error("metadata '" + key + "' is not valid UTF-8");
      json += (first ? "" : ",") + *k + ":" + *v;
      first = false;
    }
    json += "}";
  }
  uint64_t offset = 0;
  layout.begin.resize(tensors.size());
  layout.end.resize(tensors.size());
  for (size_t n = 0; n < layout.order.size(); ++n) {
    const size_t i = layout.order[n];
    const TensorToWrite &t = tensors[i];
    if (t.name == "__metadata__")
      return Status::error("'__metadata__' is reserved and cannot name a "
                           "tensor");
    const std::optional<int64_t> numel = shapeNumel(t.shape);
    uint64_t bytes = 0;
    if (!numel || __builtin_mul_overflow(static_cast<uint64_t>(*numel),
                                         dtypeSize(t.dtype), &bytes))
      return Status::error("tensor '" + t.name + "': bad shape " +
                           formatShape(t.shape));
    if (bytes > 0 && !t.data)
      return Status::error("tensor '" + t.name + "': no data");
    std::optional<std::string> name = jsonString(t.name);
    if (!name)
      return Status::error("tensor name '" + t.name + "' is not valid UTF-8");
    layout.begin[i] = offset;
    offset += bytes;
    layout.end[i] = offset;
    if (json.size() > 1)
      json += ",";
    json += *name + ":{\"dtype\":\"" +
            std::string(safetensorsDTypeName(t.dtype)) + "\",\"shape\":[";
    for (size_t d = 0; d < t.shape.size(); ++d)
      json += (d ? "," : "") + std::to_string(t.shape[d]);
    json += "],\"data_offsets\":[" + std::to_string(layout.begin[i]) + "," +
            std::to_string(layout.end[i]) + "]}";
  }
  json += "}";
  json.append((8 - json.size() % 8) % 8, ' ');
  std::string out(8, '\0');
  const uint64_t n = json.size();
  for (int b = 0; b < 8; ++b)
    out[b] = static_cast<char>((n >> (8 * b)) & 0xff);
  layout.header = out + json;
  return layout;
}

} // namespace

const SafetensorsTensor *SafetensorsFile::find(std::string_view name) const {
  auto it = byName.find(name);
  return it == byName.end() ? nullptr : &list[it->second];
}

Expected<SafetensorsFile> SafetensorsFile::open(const std::string &path) {
  Expected<MappedFile> mapped = MappedFile::open(path);
  if (!mapped)
    return mapped.status();
  auto file = std::make_shared<const MappedFile>(std::move(*mapped));
  auto err = [&](const std::string &what) {
    return Status::error(path + ": " + what);
  };
  const uint8_t *p = file->data();
  const size_t size = file->size();
  if (size < 8)
    return err("too short: " + std::to_string(size) +
               " bytes, a safetensors file starts with an 8-byte header "
               "length");
  uint64_t headerLen = 0;
  for (int b = 0; b < 8; ++b)
    headerLen |= static_cast<uint64_t>(p[b]) << (8 * b);
  if (headerLen > size - 8)
    return err("bad header length: " + std::to_string(headerLen) +
               " bytes, but the file has " + std::to_string(size - 8) +
               " after the 8-byte length");
  if (headerLen > kMaxHeaderSize)
    return err("bad header length: " + std::to_string(headerLen) +
               " bytes, more than the format's limit of " +
               std::to_string(kMaxHeaderSize));
  const char *headerBegin = reinterpret_cast<const char *>(p + 8);
  const char *headerEnd = headerBegin + headerLen;
  if (headerLen == 0 || *headerBegin != '{')
    return err("bad header: the JSON header does not start with '{'");

  // Parse, catching duplicate keys (nlohmann keeps the last one silently).
  std::vector<std::set<std::string>> keysAtDepth;
  std::string duplicate;
  auto callback = [&](int depth, nlohmann::json::parse_event_t event,
                      nlohmann::json &parsed) {
    using Event = nlohmann::json::parse_event_t;
    if (event == Event::object_start) {
      keysAtDepth.emplace_back();
    } else if (event == Event::object_end) {
      if (!keysAtDepth.empty())
        keysAtDepth.pop_back();
    } else if (event == Event::key && !keysAtDepth.empty()) {
      const std::string &key = parsed.get_ref<const std::string &>();
      if (!keysAtDepth.back().insert(key).second && duplicate.empty())
        duplicate =
            depth == 1 ? "tensor name '" + key + "'" : "key '" + key + "'";
    }
    return true;
  };
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(headerBegin, headerEnd, callback);
  } catch (const nlohmann::json::exception &e) {
    return err(std::string("bad JSON header: ") + e.what());
  }
  if (!duplicate.empty())
    return err("bad header: duplicate " + duplicate);
  if (!header.is_object())
    return err("bad header: the JSON header is not an object");

  SafetensorsFile out;
  out.filePath = path;
  out.offset = 8 + static_cast<size_t>(headerLen);
  for (auto &[key, value] : header.items()) {
    if (key == "__metadata__") {
      if (!value.is_object())
        return err("bad header: __metadata__ is not an object");
      for (auto &[mk, mv] : value.items()) {
        if (!mv.is_string())
          return err("bad header: __metadata__ value of '" + mk +
                     "' is not a string");
        out.meta.emplace(mk, mv.get<std::string>());
      }
      continue;
    }
    const std::string where = "tensor '" + key + "'";
    if (!value.is_object())
      return err(where + ": not a JSON object");
    auto dtypeIt = value.find("dtype");
    auto shapeIt = value.find("shape");
    auto offsetsIt = value.find("data_offsets");
    if (dtypeIt == value.end() || !dtypeIt->is_string())
      return err(where + ": no dtype string");
    if (shapeIt == value.end() || !shapeIt->is_array())
      return err(where + ": no shape array");
    if (offsetsIt == value.end() || !offsetsIt->is_array() ||
        offsetsIt->size() != 2 || !(*offsetsIt)[0].is_number_unsigned() ||
        !(*offsetsIt)[1].is_number_unsigned())
      return err(where + ": data_offsets is not [begin, end]");
    SafetensorsTensor t;
    t.name = key;
    const std::string dtypeName = dtypeIt->get<std::string>();
    std::optional<DType> dtype = dtypeFromSafetensors(dtypeName);
    if (!dtype)
      return err(where + ": unsupported dtype '" + dtypeName +
                 "' (supported: F64 F32 F16 BF16 I64 I32 I16 I8 U8 U16 U32 "
                 "U64 BOOL)");
    t.dtype = *dtype;
    for (const auto &d : *shapeIt) {
      if (!d.is_number_unsigned() ||
          d.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
        return err(where + ": shape is not a list of non-negative integers");
      t.shape.push_back(static_cast<int64_t>(d.get<uint64_t>()));
    }
    t.begin = (*offsetsIt)[0].get<uint64_t>();
    t.end = (*offsetsIt)[1].get<uint64_t>();
    if (t.begin > t.end)
      return err(where + ": data_offsets " + offsetsText(t.begin, t.end) +
                 " end before they begin");
    const std::optional<int64_t> numel = shapeNumel(t.shape);
    uint64_t needed = 0;
    if (!numel || __builtin_mul_overflow(static_cast<uint64_t>(*numel),
                                         dtypeSize(t.dtype), &needed))
      return err(where + ": shape " + formatShape(t.shape) + " is too large");
    t.numel = *numel;
    if (t.end - t.begin != needed)
      return err(where + ": shape " + formatShape(t.shape) + " of " +
                 dtypeName + " needs " + std::to_string(needed) +
                 " bytes, but data_offsets " + offsetsText(t.begin, t.end) +
                 " hold " + std::to_string(t.end - t.begin));
    out.list.push_back(std::move(t));
  }

  std::stable_sort(out.list.begin(), out.list.end(),
                   [](const SafetensorsTensor &a, const SafetensorsTensor &b) {
                     return a.begin != b.begin ? a.begin < b.begin
                                               : a.end < b.end;
                   });
  const uint64_t dataSize = size - out.offset;
  uint64_t covered = 0;
  for (size_t i = 0; i < out.list.size(); ++i) {
    const SafetensorsTensor &t = out.list[i];
    if (t.begin < covered)
      return err("tensors '" + out.list[i - 1].name + "' " +
                 offsetsText(out.list[i - 1].begin, out.list[i - 1].end) +
                 " and '" + t.name + "' " + offsetsText(t.begin, t.end) +
                 " overlap");
    if (t.begin > covered)
      return err(std::to_string(t.begin - covered) +
                 " bytes of the data section before tensor '" + t.name + "' " +
                 offsetsText(t.begin, t.end) + " belong to no tensor");
    covered = t.end;
  }
  if (covered > dataSize)
    return err("truncated: header says " + std::to_string(covered) +
               " bytes of data, file has " + std::to_string(dataSize));
  if (covered < dataSize)
    return err(std::to_string(dataSize - covered) +
               " bytes after the last tensor belong to no tensor (header "
               "says " +
               std::to_string(covered) + " bytes of data, file has " +
               std::to_string(dataSize) + ")");
  for (size_t i = 0; i < out.list.size(); ++i) {
    SafetensorsTensor &t = out.list[i];
    if (t.end > t.begin)
      t.data = p + out.offset + t.begin;
    out.byName.emplace(t.name, i);
  }
  out.file = std::move(file);
  return out;
}

Expected<std::string>
safetensorsHeader(const std::vector<TensorToWrite> &tensors,
                  const std::map<std::string, std::string> &metadata) {
  Expected<Layout> layout = layOut(tensors, metadata);
  if (!layout)
    return layout.status();
  return std::move(layout->header);
}

Status writeSafetensors(const std::string &path,
                        const std::vector<TensorToWrite> &tensors,
                        const std::map<std::string, std::string> &metadata) {
  Expected<Layout> layout = layOut(tensors, metadata);
  if (!layout)
    return Status::error(path + ": " + layout.message());
  std::vector<ByteChunk> chunks;
  chunks.push_back({layout->header.data(), layout->header.size()});
  for (size_t i : layout->order)
    chunks.push_back({tensors[i].data,
                      static_cast<size_t>(layout->end[i] - layout->begin[i])});
  return writeFileAtomically(path, chunks);
}

} // namespace dsc::runtime
