//===- Npy.cpp - NumPy .npy files: memory-mapped reader, writer -----------===//

#include "runtime/io/Npy.h"

#include "runtime/io/FileUtil.h"

#include <cctype>
#include <cstring>
#include <map>
#include <optional>
#include <string_view>

namespace dsc::runtime {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;
constexpr size_t kAlign = 64;

/// A value of the header dict: the subset of Python literals numpy writes.
struct PyValue {
  enum Kind { Str, Int, Bool, None, Tuple, List } kind = None;
  std::string str;
  int64_t integer = 0;
  bool boolean = false;
  std::vector<PyValue> items;
};

/// A recursive-descent parser for the header dict (numpy reads it with
/// ast.literal_eval; we accept what numpy writes and a bit more: either
/// quote, a trailing comma, Python 2 'L' integer suffixes).
class HeaderParser {
public:
  explicit HeaderParser(std::string_view text) : text(text) {}

  /// Parses the dict; false with `error` set on failure.
  bool parseDict(std::map<std::string, PyValue> &out) {
    skipSpace();
    if (!consume('{'))
      return fail("header does not start with '{'");
    while (true) {
      skipSpace();
      if (consume('}'))
        break;
      PyValue key;
      if (!parseString(key))
        return fail("expected a quoted key in the header dict");
      skipSpace();
      if (!consume(':'))
        return fail("expected ':' after '" + key.str + "' in the header dict");
      PyValue value;
      if (!parseValue(value, 0))
        return false;
      if (!out.emplace(key.str, std::move(value)).second)
        return fail("duplicate key '" + key.str + "' in the header dict");
      skipSpace();
      if (consume(','))
        continue;
      if (consume('}'))
        break;
      return fail("expected ',' or '}' in the header dict");
    }
    skipSpace();
    if (pos != text.size())
      return fail("unexpected text after the header dict");
    return true;
  }

  const std::string &errorMessage() const { return error; }

private:
  bool fail(std::string message) {
    if (error.empty())
      error = std::move(message);
    return false;
  }

  void skipSpace() {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t' ||
                                 text[pos] == '\n' || text[pos] == '\r'))
      ++pos;
  }

  bool consume(char c) {
    if (pos < text.size() && text[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  }

  bool consumeWord(std::string_view word) {
    if (text.substr(pos, word.size()) != word)
      return false;
    const size_t end = pos + word.size();
    if (end < text.size() &&
        (std::isalnum(static_cast<unsigned char>(text[end])) ||
         text[end] == '_'))
      return false;
    pos = end;
    return true;
  }

  bool parseString(PyValue &out) {
    if (pos >= text.size() || (text[pos] != '\'' && text[pos] != '"'))
      return false;
    const char quote = text[pos++];
    out.kind = PyValue::Str;
    out.str.clear();
    while (pos < text.size() && text[pos] != quote) {
      if (text[pos] == '\\')
        return fail("escape sequences in header strings are not supported");
      out.str += text[pos++];
    }
    if (pos >= text.size())
      return fail("unterminated string in the header dict");
    ++pos;
    return true;
  }

  bool parseValue(PyValue &out, int depth) {
    if (depth > 8)
      return fail("header dict nested too deeply");
    skipSpace();
    if (pos >= text.size())
      return fail("header dict ends early");
    const char c = text[pos];
    if (c == '\'' || c == '"')
      return parseString(out);
    if (c == '(' || c == '[') {
      const char close = c == '(' ? ')' : ']';
      out.kind = c == '(' ? PyValue::Tuple : PyValue::List;
      ++pos;
      while (true) {
        skipSpace();
        if (consume(close))
          return true;
        PyValue item;
        if (!parseValue(item, depth + 1))
          return false;
        out.items.push_back(std::move(item));
        skipSpace();
        if (consume(','))
          continue;
        if (consume(close))
          return true;
        return fail(std::string("expected ',' or '") + close +
                    "' in the header dict");
      }
    }
    if (consumeWord("True")) {
      out.kind = PyValue::Bool;
      out.boolean = true;
      return true;
    }
    if (consumeWord("False")) {
      out.kind = PyValue::Bool;
      out.boolean = false;
      return true;
    }
    if (consumeWord("None")) {
      out.kind = PyValue::None;
      return true;
    }
    if (c == '-' || std::isdigit(static_cast<unsigned char>(c))) {
      const bool negative = c == '-';
      if (negative)
        ++pos;
      if (pos >= text.size() ||
          !std::isdigit(static_cast<unsigned char>(text[pos])))
        return fail("bad number in the header dict");
      int64_t value = 0;
      while (pos < text.size() &&
             std::isdigit(static_cast<unsigned char>(text[pos]))) {
        if (__builtin_mul_overflow(value, 10, &value) ||
            __builtin_add_overflow(value, text[pos] - '0', &value))
          return fail("number too large in the header dict");
        ++pos;
      }
      if (pos < text.size() && (text[pos] == 'L' || text[pos] == 'l'))
        ++pos;
      out.kind = PyValue::Int;
      out.integer = negative ? -value : value;
      return true;
    }
    return fail(std::string("unexpected '") + c + "' in the header dict");
  }

  std::string_view text;
  size_t pos = 0;
  std::string error;
};

uint32_t readLE(const uint8_t *p, size_t n) {
  uint32_t v = 0;
  for (size_t i = 0; i < n; ++i)
    v |= static_cast<uint32_t>(p[i]) << (8 * i);
  return v;
}

std::string supportedDescrs() {
  std::string out;
  for (DType t : {DType::F32, DType::F64, DType::F16, DType::I64, DType::I32,
                  DType::I16, DType::I8, DType::U8, DType::Bool, DType::U16,
                  DType::U32, DType::U64}) {
    if (!out.empty())
      out += " ";
    out += npyDescr(t);
  }
  return out;
}

} // namespace

Expected<NpyArray> NpyArray::open(const std::string &path) {
  Expected<MappedFile> mapped = MappedFile::open(path);
  if (!mapped)
    return mapped.status();
  auto file = std::make_shared<const MappedFile>(std::move(*mapped));
  auto err = [&](const std::string &what) {
    return Status::error(path + ": " + what);
  };
  const uint8_t *p = file->data();
  const size_t size = file->size();

  if (size < kMagicLen + 2 || std::memcmp(p, kMagic, kMagicLen) != 0)
    return err("not a .npy file (no \\x93NUMPY magic)");
  const int major = p[kMagicLen], minor = p[kMagicLen + 1];
  if (major < 1 || major > 3 || minor != 0)
    return err("unsupported .npy format version " + std::to_string(major) +
               "." + std::to_string(minor) + " (supported: 1.0, 2.0, 3.0)");
  const size_t lenBytes = major == 1 ? 2 : 4;
  const size_t headerStart = kMagicLen + 2 + lenBytes;
  if (size < headerStart)
    return err("truncated: the file ends inside the header length");
  const size_t headerLen = readLE(p + kMagicLen + 2, lenBytes);
  if (headerLen > size - headerStart)
    return err("truncated: header length says " + std::to_string(headerLen) +
               " bytes, file has " + std::to_string(size - headerStart) +
               " after the header length");
  const std::string_view header(reinterpret_cast<const char *>(p) + headerStart,
                                headerLen);

  std::map<std::string, PyValue> dict;
  HeaderParser parser(header);
  if (!parser.parseDict(dict))
    return err("bad header: " + parser.errorMessage());
  for (const auto &entry : dict)
    if (entry.first != "descr" && entry.first != "fortran_order" &&
        entry.first != "shape")
      return err("bad header: unexpected key '" + entry.first + "'");
  for (const char *key : {"descr", "fortran_order", "shape"})
    if (!dict.count(key))
      return err(std::string("bad header: no '") + key + "' key");

  const PyValue &descr = dict["descr"];
  if (descr.kind != PyValue::Str)
    return err("structured dtypes are not supported (descr is not a string)");
  std::optional<DType> type = dtypeFromNpyDescr(descr.str);
  if (!type) {
    if (!descr.str.empty() && descr.str[0] == '>')
      return err("big-endian dtype " + descr.str +
                 " is not supported; save it little-endian "
                 "(arr.astype(arr.dtype.newbyteorder('<')))");
    return err("unsupported dtype " + descr.str +
               " (supported: " + supportedDescrs() + ")");
  }
  const PyValue &fortran = dict["fortran_order"];
  if (fortran.kind != PyValue::Bool)
    return err("bad header: fortran_order is not True or False");
  if (fortran.boolean)
    return err("fortran_order is True; only C-order arrays are supported "
               "(save np.ascontiguousarray(a))");
  const PyValue &shapeValue = dict["shape"];
  if (shapeValue.kind != PyValue::Tuple)
    return err("bad header: shape is not a tuple");
  std::vector<int64_t> shape;
  for (const PyValue &d : shapeValue.items) {
    if (d.kind != PyValue::Int || d.integer < 0)
      return err("bad header: shape is not a tuple of non-negative integers");
    shape.push_back(d.integer);
  }

  const std::optional<int64_t> numel = shapeNumel(shape);
  const size_t itemSize = dtypeSize(*type);
  size_t needed = 0;
  if (!numel ||
      __builtin_mul_overflow(static_cast<size_t>(*numel), itemSize, &needed))
    return err("shape " + formatShape(shape) + " is too large");
  const size_t dataOffset = headerStart + headerLen;
  const size_t have = size - dataOffset;
  if (have < needed)
    return err("truncated: shape " + formatShape(shape) + " of " + descr.str +
               " needs " + std::to_string(needed) +
               " bytes of data, file has " + std::to_string(have));
  if (have > needed)
    return err(std::to_string(have - needed) +
               " unexpected bytes after the data (shape " + formatShape(shape) +
               " of " + descr.str + " needs " + std::to_string(needed) + ")");

  NpyArray array;
  array.filePath = path;
  array.type = *type;
  array.dims = std::move(shape);
  array.version = major;
  array.elements = *numel;
  array.dataBytes = needed;
  array.offset = dataOffset;
  array.bytes = needed ? p + dataOffset : nullptr;
  array.file = std::move(file);
  return array;
}

Expected<std::string> npyHeader(DType dtype,
                                const std::vector<int64_t> &shape) {
  if (npyDescr(dtype).empty())
    return Status::error(std::string(dtypeName(dtype)) +
                         " cannot be stored in a .npy file");
  for (int64_t d : shape)
    if (d < 0)
      return Status::error("negative dimension in shape " + formatShape(shape));
  // numpy's own spelling (format.py _write_array_header).
  std::string dict =
      "{'descr': '" + std::string(npyDescr(dtype)) +
      "', 'fortran_order': False, 'shape': " + formatShape(shape) + ", }";
  for (int major : {1, 2}) {
    const size_t prefix = kMagicLen + 2 + (major == 1 ? 2 : 4);
    // Spaces and a final '\n' up to the next multiple of 64 (numpy adds a
    // whole 64 when it is already aligned; we do not).
    const size_t unpadded = prefix + dict.size() + 1;
    const size_t padded = (unpadded + kAlign - 1) / kAlign * kAlign;
    const size_t headerLen = padded - prefix;
    if (major == 1 && headerLen > 0xffff)
      continue;
    std::string out(kMagic, kMagicLen);
    out += static_cast<char>(major);
    out += '\0';
    for (size_t i = 0; i < prefix - kMagicLen - 2; ++i)
      out += static_cast<char>((headerLen >> (8 * i)) & 0xff);
    out += dict;
    out.append(padded - unpadded, ' ');
    out += '\n';
    return out;
  }
  return Status::error("shape " + formatShape(shape) + " is too large");
}

Status writeNpy(const std::string &path, DType dtype,
                const std::vector<int64_t> &shape, const void *data) {
  Expected<std::string> header = npyHeader(dtype, shape);
  if (!header)
    return Status::error(path + ": " + header.message());
  const std::optional<int64_t> numel = shapeNumel(shape);
  size_t bytes = 0;
  if (!numel || __builtin_mul_overflow(static_cast<size_t>(*numel),
                                       dtypeSize(dtype), &bytes))
    return Status::error(path + ": shape " + formatShape(shape) +
                         " is too large");
  if (bytes > 0 && !data)
    return Status::error(path + ": no data for shape " + formatShape(shape));
  return writeFileAtomically(path,
                             {{header->data(), header->size()}, {data, bytes}});
}

} // namespace dsc::runtime
