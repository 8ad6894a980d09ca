//===- Safetensors.h - safetensors reader and writer -----------*- C++ -*-===//
//
// The safetensors format (huggingface/safetensors): an 8-byte little-endian
// unsigned header length N, N bytes of UTF-8 JSON, then the data section.
// The JSON maps each tensor name to {"dtype": "F32", "shape": [2, 3],
// "data_offsets": [begin, end]} with offsets relative to the start of the
// data section, plus an optional "__metadata__" map of strings to strings.
//
// Reader: maps the file read-only and checks everything the reference Rust
// implementation checks, and a little more: the header length fits the file
// (and the reference's 100 MB limit), the header is a JSON object starting
// with '{', names are unique, every dtype is one of F64 F32 F16 BF16 I64 I32
// I16 I8 U8 U16 U32 U64 BOOL, begin <= end, end - begin = numel * dtype
// size, and the tensors, sorted by offset, cover the data section exactly:
// starting at 0, with no overlap, no gap and no bytes after the last one.
//
// Writer: lays the tensors out as Python's safetensors.serialize does --
// sorted by dtype, widest first in the reference's enum order (U64 I64 F64
// F32 U32 I32 BF16 F16 U16 I16 I8 U8 BOOL), then by name (bytewise) -- so
// every tensor is aligned to its element size; the header lists
// "__metadata__" first (keys sorted; left out when empty), then the tensors
// in that same order, as compact JSON ({"a":{"dtype":...}}), padded with
// spaces to a multiple of 8 bytes. For the same tensors the bytes should
// equal Python's save_file output; with metadata too when it has at most one
// key (Rust orders __metadata__ by a hash map). Checked against files built
// by hand from the reference's rules, not against the package itself.
// Written under a temporary name and renamed.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_RUNTIME_IO_SAFETENSORS_H
#define DSC_RUNTIME_IO_SAFETENSORS_H

#include "runtime/io/DType.h"
#include "runtime/io/Status.h"

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace dsc::runtime {

class MappedFile;

/// One tensor of a mapped safetensors file.
struct SafetensorsTensor {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  int64_t numel = 0;
  /// data_offsets, relative to the data section.
  uint64_t begin = 0;
  uint64_t end = 0;
  /// Into the mapping; nullptr when the tensor has no elements.
  const void *data = nullptr;
  size_t byteSize() const { return static_cast<size_t>(end - begin); }
};

/// A validated, memory-mapped safetensors file. Copies share the mapping.
class SafetensorsFile {
public:
  static Expected<SafetensorsFile> open(const std::string &path);

  const std::string &path() const { return filePath; }
  /// In data order (ascending data_offsets).
  const std::vector<SafetensorsTensor> &tensors() const { return list; }
  /// nullptr when there is no tensor `name`.
  const SafetensorsTensor *find(std::string_view name) const;
  /// The "__metadata__" map; empty when the file has none.
  const std::map<std::string, std::string> &metadata() const { return meta; }
  /// 8 + the header length: where the data section starts.
  size_t dataOffset() const { return offset; }

private:
  SafetensorsFile() = default;

  std::shared_ptr<const MappedFile> file;
  std::string filePath;
  std::vector<SafetensorsTensor> list;
  std::map<std::string, size_t, std::less<>> byName;
  std::map<std::string, std::string> meta;
  size_t offset = 0;
};

/// A tensor to write: `data` holds numel * dtypeSize(dtype) bytes (may be
/// null when numel is 0) and must stay valid during the call.
struct TensorToWrite {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  const void *data = nullptr;
};

/// Writes `tensors` and `metadata` to `path` (see the file comment for the
/// layout). Errors: duplicate or reserved ("__metadata__") names, negative
/// dimensions, names or metadata that are not valid UTF-8, file errors.
Status
writeSafetensors(const std::string &path,
                 const std::vector<TensorToWrite> &tensors,
                 const std::map<std::string, std::string> &metadata = {});

/// The 8-byte length and padded JSON header writeSafetensors would write.
Expected<std::string>
safetensorsHeader(const std::vector<TensorToWrite> &tensors,
                  const std::map<std::string, std::string> &metadata = {});

} // namespace dsc::runtime

#endif // DSC_RUNTIME_IO_SAFETENSORS_H
