//===- Memory.h - The rank's tracked allocations ---------------*- C++ -*-===//
//
// Everything big the runtime allocates -- the arena, the gradient
// accumulators, the optimizer states -- is an AlignedBuffer registered with a
// MemoryTracker. The tracker measures what the blocks really occupy: the
// bytes on their resident pages (mincore), sampled while they are alive, so
// that the rank can print a measured figure next to the compiler's
// prediction. A planner that reserves bytes no kernel ever touches, or a
// runtime that allocates past the plan, shows as a difference.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_RUNTIME_MAIN_MEMORY_H
#define DSC_RUNTIME_MAIN_MEMORY_H

#include "runtime/io/Status.h"

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>

namespace dsc::runtime {

/// The live blocks of a rank and the most of them ever found resident.
/// Outlives every buffer registered with it.
class MemoryTracker {
public:
  MemoryTracker() = default;
  MemoryTracker(const MemoryTracker &) = delete;
  MemoryTracker &operator=(const MemoryTracker &) = delete;

  /// A block; `device`: GPU memory (counted as resident in full).
  void add(const char *base, size_t bytes, bool device = false);
  void remove(const char *base);

  /// Bytes of the live blocks (what was asked for).
  size_t bytes() const { return allocated; }
  size_t blocks() const { return live.size(); }
  /// Bytes of the live blocks that lie on resident pages now: a page that
  /// was never touched costs nothing and is not counted; a block's last
  /// page counts only up to the block's end.
  size_t residentBytes() const;
  /// Takes residentBytes() and keeps the largest seen, and the process's
  /// RSS. Call it where every block is alive and a step has run (the end of
  /// each step).
  void sample();
  size_t peakResidentBytes() const { return peakResident; }
  /// The most bytes() seen by sample(): what the blocks measured were.
  size_t peakSampledBytes() const { return peakSampled; }
  int samples() const { return sampled; }
  /// The process's RSS at the last sample minus at the second: what the
  /// steps after the second kept (a leak per step shows here). From the
  /// second: the first steps' one-time allocations (stdio buffers, the
  /// allocator's pools) are not a leak.
  int64_t rssGrowth() const { return lastRss - firstRss; }

private:
  std::map<const char *, size_t> live;
  std::set<const char *> onDevice;
  size_t allocated = 0;
  size_t peakResident = 0;
  size_t peakSampled = 0;
  int sampled = 0;
  int64_t firstRss = 0;
  int64_t lastRss = 0;
};

struct DeviceBackend;

/// Unmaps an AlignedBuffer's block of `length` bytes (or frees it on the
/// GPU `device` that allocated it) and unregisters it.
struct UnmapBlock {
  size_t length = 0;
  MemoryTracker *tracker = nullptr;
  const DeviceBackend *device = nullptr;
  void operator()(char *p) const;
};

/// A zeroed, page-aligned block (an anonymous mapping: pages cost memory
/// when first touched; on a GPU rank, the backend's memory that both sides
/// address). Move-only.
class AlignedBuffer {
public:
  static constexpr size_t kAlignment = 64;

  AlignedBuffer() = default;

  /// Allocates `bytes` (0 is allowed: a valid, unique, empty block) and
  /// registers them with `tracker` when given. Error: "cannot allocate
  /// 7943488 bytes for the arena".
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
/// The process's resident set size now (/proc/self/statm), 0 if unknown.
int64_t currentRssBytes();

} // namespace dsc::runtime

#endif // DSC_RUNTIME_MAIN_MEMORY_H
