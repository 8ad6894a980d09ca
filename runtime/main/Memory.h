//===- Memory.h - The rank's tracked allocations ---------------*- C++ -*-===//
//
// Everything big the runtime allocates -- the arena, the gradient
// accumulators, the optimizer states -- goes through AlignedBuffer and is
// counted by a MemoryTracker, so that the rank can print the bytes it
// measured next to the compiler's predicted_peak_bytes.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_RUNTIME_MAIN_MEMORY_H
#define DSC_RUNTIME_MAIN_MEMORY_H

#include "runtime/io/Status.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

namespace dsc::runtime {

/// Bytes the runtime holds; only grows (nothing is freed before exit).
class MemoryTracker {
public:
  void add(size_t bytes) { total += bytes; }
  size_t bytes() const { return total; }

private:
  size_t total = 0;
};

/// Unmaps an AlignedBuffer's block of `length` bytes.
struct UnmapBlock {
  size_t length = 0;
  void operator()(char *p) const;
};

/// A zeroed, page-aligned block (an anonymous mapping: pages cost memory
/// when first touched). Move-only.
class AlignedBuffer {
public:
  static constexpr size_t kAlignment = 64;

  AlignedBuffer() = default;

  /// Allocates `bytes` (0 is allowed: a valid, unique, empty block) and adds
  /// them to `tracker` when given. Error: "cannot allocate 7943488 bytes for
  /// the arena".
  static Expected<AlignedBuffer> allocate(size_t bytes, const std::string &what,
                                          MemoryTracker *tracker = nullptr);

  char *data() { return block.get(); }
  const char *data() const { return block.get(); }
  size_t size() const { return length; }

private:
  std::unique_ptr<char, UnmapBlock> block;
  size_t length = 0;
};

/// The process's peak resident set size in bytes (getrusage), 0 if unknown.
int64_t peakRssBytes();

} // namespace dsc::runtime

#endif // DSC_RUNTIME_MAIN_MEMORY_H
