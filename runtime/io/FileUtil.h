//===- FileUtil.h - Memory-mapped files and atomic writes ------*- C++ -*-===//
//
// Internal to DscRuntimeIO (the readers and writers share it), but usable on
// its own: a read-only memory mapping of a whole file, and a writer that
// puts bytes under a temporary name in the destination directory and renames
// it over the destination, so a reader never sees a half-written file.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_RUNTIME_IO_FILEUTIL_H
#define DSC_RUNTIME_IO_FILEUTIL_H

#include "runtime/io/Status.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace dsc::runtime {

/// A whole regular file mapped read-only (PROT_READ, MAP_PRIVATE). An empty
/// file maps to data() == nullptr, size() == 0. Move-only; unmaps on
/// destruction.
class MappedFile {
public:
  static Expected<MappedFile> open(const std::string &path);

  MappedFile(MappedFile &&other) noexcept;
  MappedFile &operator=(MappedFile &&other) noexcept;
  MappedFile(const MappedFile &) = delete;
  MappedFile &operator=(const MappedFile &) = delete;
  ~MappedFile();

  const uint8_t *data() const { return bytes; }
  size_t size() const { return length; }
  const std::string &path() const { return filePath; }

private:
  MappedFile() = default;
  void reset();

  std::string filePath;
  const uint8_t *bytes = nullptr;
  size_t length = 0;
};

/// One piece of the bytes to write.
struct ByteChunk {
  const void *data;
  size_t size;
};

/// Writes the concatenated chunks to `path`: to `<path>.tmp.<pid>.<n>` in the
/// same directory first (created with mode 0666 & ~umask), fsync'ed, then
/// renamed over `path`. On failure the temporary file is removed and `path`
/// is left as it was. Messages: "out/: cannot create 'out/loss.npy':
/// Permission denied", "out/loss.npy: write failed: No space left on
/// device", ...
Status writeFileAtomically(const std::string &path,
                           const std::vector<ByteChunk> &chunks);

/// The whole file as bytes. Errors: "<path>: cannot open: No such file or
/// directory", "<path>: read failed".
Expected<std::string> readWholeFile(const std::string &path);

/// The directory part of `path` with a trailing '/', "./" when there is none.
std::string parentDirOf(const std::string &path);

/// strerror(err) without the thread-safety trouble.
std::string errnoMessage(int err);
/// "bind: Address already in use": the failed call and errnoMessage(err).
std::string errnoText(const char *call, int err);

} // namespace dsc::runtime

#endif // DSC_RUNTIME_IO_FILEUTIL_H
