//===- JsonReader.h - Reading the JSON files we write ----------*- C++ -*-===//
//
// plan.json, launch.json and a checkpoint's state.json are written by
// ds-compile or a rank and read back by the ranks and the tools; a user may
// have edited, truncated or replaced any of them. One parser bounds the
// nesting (code that walks a tree recurses), and one reader checks the type
// of every value it hands out, so a malformed file is one message naming the
// file, the key path and what was expected, never an exception or abort.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_RUNTIME_IO_JSONREADER_H
#define DSC_RUNTIME_IO_JSONREADER_H

#include "runtime/io/DType.h"
#include "runtime/io/Status.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dsc::runtime {

/// The deepest nesting of objects and arrays the files may have.
inline constexpr int kMaxJsonDepth = 64;

/// Parses `text` (the contents of `file`) as one JSON value.
Expected<nlohmann::json> parseJsonText(std::string_view text,
                                       const std::string &file);

/// parseJsonText; the value must be an object.
Expected<nlohmann::json> parseJsonObjectText(std::string_view text,
                                             const std::string &file);

/// Reads and parses `path`; the value must be an object.
Expected<nlohmann::json> readJsonObjectFile(const std::string &path);

/// Reads typed values out of JSON objects; the first failure is kept and
/// later reads become no-ops, so a parser can read many keys and check once.
/// Every message is "<file>: <key path>: <what is wrong>".
class JsonReader {
public:
  using json = nlohmann::json;

  explicit JsonReader(std::string file) : file(std::move(file)) {}

  bool ok() const { return status.ok(); }
  Status take() { return std::move(status); }

  void fail(const std::string &where, const std::string &what);

  /// The member `key` of `obj`; nullptr (and an error when `required`) when
  /// absent.
  const json *member(const json &obj, const std::string &at, const char *key,
                     bool required);

  static std::string join(const std::string &at, const char *key);

  int64_t getInt(const json &obj, const std::string &at, const char *key,
                 int64_t def, bool required = true);
  int64_t asInt(const json &v, const std::string &where, int64_t def);
  double getNumber(const json &obj, const std::string &at, const char *key,
                   double def, bool required = false);
  bool getBool(const json &obj, const std::string &at, const char *key,
               bool def);
  std::string getString(const json &obj, const std::string &at, const char *key,
                        bool required = true);
  DType getDType(const json &obj, const std::string &at);
  std::vector<int64_t> getShape(const json &obj, const std::string &at);
  /// An object or array member; an empty one (and an error when `required`)
  /// when absent or of another type.
  const json &getObject(const json &obj, const std::string &at, const char *key,
                        bool required = true);
  const json &getArray(const json &obj, const std::string &at, const char *key,
                       bool required = true);
  /// Element `i` of `list`, which must be an object (`where` names it); an
  /// empty one, and an error, otherwise.
  const json &element(const json &list, size_t i, const std::string &where);
  /// A member that is an array of strings.
  std::vector<std::string> getStrings(const json &obj, const std::string &at,
                                      const char *key, bool required = true);

  const std::string file;

private:
  /// getObject and getArray: a member that `is` of its kind (`noun`), or
  /// `empty`.
  const json &getContainer(const json &obj, const std::string &at,
                           const char *key, bool required,
                           bool (json::*is)() const noexcept, const char *noun,
                           const json &empty);

  Status status;
};

} // namespace dsc::runtime

#endif // DSC_RUNTIME_IO_JSONREADER_H
