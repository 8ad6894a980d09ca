//===- JsonReader.cpp - Reading the JSON files we write ------------------===//

#include "runtime/io/JsonReader.h"

#include "runtime/io/FileUtil.h"

#include <cmath>
#include <map>

namespace dsc::runtime {

using json = nlohmann::json;

namespace {

/// The deepest nesting of `text`'s objects and arrays, stopping once it
/// passes `limit` (strings are skipped; brackets in them do not count).
int nestingDepth(std::string_view text, int limit) {
  int depth = 0, deepest = 0;
  bool inString = false;
  for (size_t i = 0; i < text.size() && deepest <= limit; ++i) {
    char c = text[i];
    if (inString) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        inString = false;
    } else if (c == '"') {
      inString = true;
    } else if (c == '{' || c == '[') {
      deepest = std::max(deepest, ++depth);
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return deepest;
}

} // namespace

Expected<json> parseJsonText(std::string_view text, const std::string &file) {
  if (nestingDepth(text, kMaxJsonDepth) > kMaxJsonDepth)
    return Status::error(file + ": nested deeper than " +
                         std::to_string(kMaxJsonDepth) +
                         " levels of objects and arrays");
  json root = json::parse(text.begin(), text.end(), nullptr,
                          /*allow_exceptions=*/false);
  if (root.is_discarded()) {
    // nlohmann's message needs exceptions; parse again for it.
    try {
      json again = json::parse(text.begin(), text.end());
      (void)again;
    } catch (const json::exception &e) {
      // "[json.exception.parse_error.101] parse error at line 1, ..." -> the
      // part after the bracketed id.
      std::string what = e.what();
      size_t close = what.find("] ");
      if (close != std::string::npos)
        what = what.substr(close + 2);
      return Status::error(file + ": not valid JSON: " + what);
    }
    return Status::error(file + ": not valid JSON");
  }
  return root;
}

Expected<json> parseJsonObjectText(std::string_view text,
                                   const std::string &file) {
  Expected<json> root = parseJsonText(text, file);
  if (root && !root->is_object())
    return Status::error(file + ": expected a JSON object, got " +
                         std::string(root->type_name()));
  return root;
}

Expected<json> readJsonObjectFile(const std::string &path) {
  Expected<std::string> text = readWholeFile(path);
  if (!text)
    return text.status();
  return parseJsonObjectText(*text, path);
}

void JsonReader::fail(const std::string &where, const std::string &what) {
  if (status.ok())
    status = Status::error(file + ": " + where + ": " + what);
}

/// The member `key` of `obj`; nullptr (and an error when `required`) when
/// absent.
const JsonReader::json *JsonReader::member(const json &obj,
                                           const std::string &at,
                                           const char *key, bool required) {
  auto it = obj.find(key);
  if (it == obj.end()) {
    if (required)
      fail(at.empty() ? key : at,
           at.empty() ? std::string("missing")
                      : std::string("missing key '") + key + "'");
    return nullptr;
  }
  return &*it;
}

std::string JsonReader::join(const std::string &at, const char *key) {
  return at.empty() ? std::string(key) : at + "." + key;
}

int64_t JsonReader::getInt(const json &obj, const std::string &at,
                           const char *key, int64_t def, bool required) {
  const json *v = member(obj, at, key, required);
  if (!v || !ok())
    return def;
  return asInt(*v, join(at, key), def);
}

int64_t JsonReader::asInt(const json &v, const std::string &where,
                          int64_t def) {
  if (v.is_number_integer())
    return v.get<int64_t>();
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (std::floor(d) == d && std::fabs(d) < 9.0e18)
      return static_cast<int64_t>(d);
  }
  fail(where, "expected an integer, got " + v.dump());
  return def;
}

double JsonReader::getNumber(const json &obj, const std::string &at,
                             const char *key, double def, bool required) {
  const json *v = member(obj, at, key, required);
  if (!v || !ok() || v->is_null())
    return def;
  if (!v->is_number()) {
    fail(join(at, key), "expected a number, got " + v->dump());
    return def;
  }
  return v->get<double>();
}

bool JsonReader::getBool(const json &obj, const std::string &at,
                         const char *key, bool def) {
  const json *v = member(obj, at, key, false);
  if (!v || !ok() || v->is_null())
    return def;
  if (!v->is_boolean()) {
    fail(join(at, key), "expected true or false, got " + v->dump());
    return def;
  }
  return v->get<bool>();
}

std::string JsonReader::getString(const json &obj, const std::string &at,
                                  const char *key, bool required) {
  const json *v = member(obj, at, key, required);
  if (!v || !ok())
    return "";
  if (!v->is_string()) {
    fail(join(at, key), "expected a string, got " + v->dump());
    return "";
  }
  return v->get<std::string>();
}

DType JsonReader::getDType(const json &obj, const std::string &at) {
  std::string name = getString(obj, at, "dtype");
  if (!ok())
    return DType::F32;
  static const std::map<std::string, DType> names = {
      {"float32", DType::F32}, {"float64", DType::F64},
      {"float16", DType::F16}, {"bfloat16", DType::BF16},
      {"int64", DType::I64},   {"int32", DType::I32},
      {"int16", DType::I16},   {"int8", DType::I8},
      {"uint8", DType::U8},    {"bool", DType::Bool}};
  auto it = names.find(name);
  if (it == names.end()) {
    fail(join(at, "dtype"),
         "unknown dtype '" + name +
             "' (known: float32 float64 float16 bfloat16 int64 int32 "
             "int16 int8 uint8 bool)");
    return DType::F32;
  }
  return it->second;
}

std::vector<int64_t> JsonReader::getShape(const json &obj,
                                          const std::string &at) {
  std::vector<int64_t> shape;
  const json *v = member(obj, at, "shape", true);
  if (!v || !ok())
    return shape;
  std::string where = join(at, "shape");
  if (!v->is_array()) {
    fail(where, "expected an array of dimensions, got " + v->dump());
    return shape;
  }
  for (const json &d : *v) {
    int64_t dim = asInt(d, where, 0);
    if (!ok())
      return shape;
    if (dim < 0) {
      fail(where, "negative dimension " + std::to_string(dim));
      return shape;
    }
    shape.push_back(dim);
  }
  return shape;
}

const JsonReader::json &JsonReader::getObject(const json &obj,
                                              const std::string &at,
                                              const char *key, bool required) {
  static const json empty = json::object();
  return getContainer(obj, at, key, required, &json::is_object, "an object",
                      empty);
}

const JsonReader::json &JsonReader::getArray(const json &obj,
                                             const std::string &at,
                                             const char *key, bool required) {
  static const json empty = json::array();
  return getContainer(obj, at, key, required, &json::is_array, "an array",
                      empty);
}

const JsonReader::json &JsonReader::getContainer(
    const json &obj, const std::string &at, const char *key, bool required,
    bool (json::*is)() const noexcept, const char *noun, const json &empty) {
  const json *v = member(obj, at, key, required);
  if (!v || !ok())
    return empty;
  if (!((*v).*is)()) {
    fail(join(at, key), std::string("expected ") + noun + ", got " + v->dump());
    return empty;
  }
  return *v;
}

const JsonReader::json &JsonReader::element(const json &list, size_t i,
                                            const std::string &where) {
  static const json empty = json::object();
  if (!ok())
    return empty;
  if (!list[i].is_object()) {
    fail(where, "expected an object, got " + list[i].dump());
    return empty;
  }
  return list[i];
}

std::vector<std::string> JsonReader::getStrings(const json &obj,
                                                const std::string &at,
                                                const char *key,
                                                bool required) {
  std::vector<std::string> out;
  const json &list = getArray(obj, at, key, required);
  for (size_t i = 0; i < list.size() && ok(); ++i) {
    if (!list[i].is_string())
      fail(join(at, key) + "[" + std::to_string(i) + "]",
           "expected a string, got " + list[i].dump());
    else
      out.push_back(list[i].get<std::string>());
  }
  return out;
}

} // namespace dsc::runtime
