//===- TiedCopies.cpp - Initializers written as their tied source ---------===//

#include "runtime/io/TiedCopies.h"

#include <cstring>

namespace dsc::runtime {

nlohmann::ordered_json tiedCopiesToJson(const std::vector<TiedCopy> &ties) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const TiedCopy &tie : ties)
    list.push_back({{"name", tie.name},
                    {"source", tie.source},
                    {"transposed", tie.transposed}});
  return list;
}

std::vector<TiedCopy> readTiedCopies(JsonReader &r, const nlohmann::json &obj,
                                     const std::string &at) {
  std::vector<TiedCopy> ties;
  const nlohmann::json &list = r.getArray(obj, at, "ties", /*required=*/false);
  const std::string where = JsonReader::join(at, "ties");
  for (size_t i = 0; i < list.size() && r.ok(); ++i) {
    const std::string item = where + "[" + std::to_string(i) + "]";
    const nlohmann::json &entry = r.element(list, i, item);
    TiedCopy tie;
    tie.name = r.getString(entry, item, "name");
    tie.source = r.getString(entry, item, "source");
    tie.transposed = r.getBool(entry, item, "transposed", false);
    if (r.ok() && (tie.name.empty() || tie.name == tie.source))
      r.fail(item, "a tie names a copy and another tensor, its source");
    ties.push_back(std::move(tie));
  }
  return ties;
}

Status appendTiedCopies(std::vector<TensorToWrite> &tensors,
                        const std::vector<TiedCopy> &ties,
                        std::vector<std::vector<char>> &storage) {
  // Sources are looked up by index: `tensors` grows below.
  for (const TiedCopy &tie : ties) {
    size_t source = tensors.size();
    for (size_t i = 0; i < tensors.size(); ++i) {
      if (tensors[i].name == tie.name)
        return Status::error("tied copy '" + tie.name +
                             "' is also a tensor of its own");
      if (tensors[i].name == tie.source)
        source = i;
    }
    if (source == tensors.size())
      return Status::error("tied copy '" + tie.name + "': no tensor '" +
                           tie.source + "' to copy");
    TensorToWrite copy = tensors[source];
    copy.name = tie.name;
    if (tie.transposed) {
      if (copy.shape.size() != 2)
        return Status::error("tied copy '" + tie.name + "': '" + tie.source +
                             "' is not 2-D, so it has no transpose");
      const int64_t rows = copy.shape[0], cols = copy.shape[1];
      const size_t width = dtypeSize(copy.dtype);
      const char *in = static_cast<const char *>(copy.data);
      std::vector<char> &out = storage.emplace_back(rows * cols * width);
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c)
          std::memcpy(out.data() + (c * rows + r) * width,
                      in + (r * cols + c) * width, width);
      copy.shape = {cols, rows};
      copy.data = out.data();
    }
    tensors.push_back(std::move(copy));
  }
  return Status::success();
}

Status appendFrozenAndTiedCopies(std::vector<TensorToWrite> &tensors,
                                 const std::vector<TensorToWrite> &frozen,
                                 const std::vector<TiedCopy> &ties,
                                 std::vector<std::vector<char>> &storage) {
  tensors.insert(tensors.end(), frozen.begin(), frozen.end());
  return appendTiedCopies(tensors, ties, storage);
}

} // namespace dsc::runtime
