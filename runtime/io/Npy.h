//===- Npy.h - NumPy .npy files: memory-mapped reader, writer --*- C++ -*-===//
//
// The NumPy format (numpy/lib/format.py): the magic "\x93NUMPY", a version
// byte pair (1.0, 2.0 or 3.0), a little-endian header length (2 bytes in 1.0,
// 4 in 2.0/3.0), and a header that is a Python dict literal
//   {'descr': '<f4', 'fortran_order': False, 'shape': (10, 32), }
// padded with spaces and a '\n'; the raw C-order data follows.
//
// The reader maps the file read-only and validates all of it: magic, version,
// the dict (exactly the keys descr, fortran_order, shape; fortran_order must
// be False; the descr one of the little-endian types DType.h lists) and that
// the bytes after the header are exactly numel * itemsize. The data pointer
// points into the mapping: it is aligned as the file is (numpy pads headers
// to 64 bytes, older numpy to 16); hand-made files may leave it unaligned,
// so read through memcpy when in doubt.
//
// The writer writes version 1.0 (2.0 when the header would not fit in 64 KiB,
// as numpy does), C order, the header padded so that the data starts at a
// multiple of 64 bytes; atomically (a temporary name, then rename).
//
//===----------------------------------------------------------------------===//

#ifndef DSC_RUNTIME_IO_NPY_H
#define DSC_RUNTIME_IO_NPY_H

#include "runtime/io/DType.h"
#include "runtime/io/Status.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace dsc::runtime {

class MappedFile;

/// A read-only view of a memory-mapped .npy file. Copies share the mapping,
/// which lives as long as any copy.
class NpyArray {
public:
  /// Maps and validates `path`. Errors name the file as given, e.g.
  /// "data/ids.npy: fortran_order is True; ...".
  static Expected<NpyArray> open(const std::string &path);

  const std::string &path() const { return filePath; }
  DType dtype() const { return type; }
  const std::vector<int64_t> &shape() const { return dims; }
  /// The file's format version: 1, 2 or 3 (the minor is always 0).
  int formatVersion() const { return version; }
  /// The first element; nullptr for an empty array.
  const void *data() const { return bytes; }
  int64_t numel() const { return elements; }
  size_t byteSize() const { return dataBytes; }
  /// Bytes from the start of the file to the data.
  size_t dataOffset() const { return offset; }

private:
  NpyArray() = default;

  std::shared_ptr<const MappedFile> file;
  std::string filePath;
  DType type = DType::F32;
  std::vector<int64_t> dims;
  int version = 1;
  const void *bytes = nullptr;
  int64_t elements = 0;
  size_t dataBytes = 0;
  size_t offset = 0;
};

/// Writes a C-order array of `dtype` and `shape` from `data` (numel *
/// dtypeSize bytes; may be null when numel is 0) to `path`.
Status writeNpy(const std::string &path, DType dtype,
                const std::vector<int64_t> &shape, const void *data);

/// The bytes writeNpy puts before the data (magic through the '\n').
Expected<std::string> npyHeader(DType dtype, const std::vector<int64_t> &shape);

} // namespace dsc::runtime

#endif // DSC_RUNTIME_IO_NPY_H
