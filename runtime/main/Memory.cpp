//===- Memory.cpp - The rank's tracked allocations ------------------------===//

#include "runtime/main/Memory.h"

#include <cstring>
#include <sys/resource.h>

namespace dsc::runtime {

Expected<AlignedBuffer> AlignedBuffer::allocate(size_t bytes,
                                                const std::string &what,
                                                MemoryTracker *tracker) {
  void *p = nullptr;
  // posix_memalign needs no size multiple; ask for at least one byte so the
  // block is a real, unique allocation.
  if (posix_memalign(&p, kAlignment, bytes == 0 ? 1 : bytes) != 0 || !p)
    return Status::error("cannot allocate " + std::to_string(bytes) +
                         " bytes for " + what);
  std::memset(p, 0, bytes == 0 ? 1 : bytes);
  AlignedBuffer buf;
  buf.block.reset(static_cast<char *>(p));
  buf.length = bytes;
  if (tracker)
    tracker->add(bytes);
  return buf;
}

int64_t peakRssBytes() {
  struct rusage usage;
  if (getrusage(RUSAGE_SELF, &usage) != 0)
    return 0;
  return static_cast<int64_t>(usage.ru_maxrss) * 1024; // Linux: KiB.
}

} // namespace dsc::runtime
