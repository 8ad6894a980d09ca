//===- Memory.cpp - The rank's tracked allocations ------------------------===//

#include "runtime/main/Memory.h"

#include <sys/mman.h>
#include <sys/resource.h>

namespace dsc::runtime {

Expected<AlignedBuffer> AlignedBuffer::allocate(size_t bytes,
                                                const std::string &what,
                                                MemoryTracker *tracker) {
  // An anonymous mapping is zero and page aligned, and costs memory only
  // where it is touched: a multi-GiB arena is not written once up front
  // (memset would). It is accounted for in full (no MAP_NORESERVE), so a
  // rank that cannot have its memory fails here, not killed mid-step. At
  // least one byte, so that the block is a real, unique allocation.
  const size_t length = bytes == 0 ? 1 : bytes;
  void *p = ::mmap(nullptr, length, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    return Status::error("cannot allocate " + std::to_string(bytes) +
                         " bytes for " + what);
  AlignedBuffer buf;
  buf.block.reset(static_cast<char *>(p));
  buf.block.get_deleter().length = length;
  buf.length = bytes;
  if (tracker)
    tracker->add(bytes);
  return buf;
}

void UnmapBlock::operator()(char *p) const {
  if (p)
    ::munmap(p, length);
}

int64_t peakRssBytes() {
  struct rusage usage;
  if (getrusage(RUSAGE_SELF, &usage) != 0)
    return 0;
  return static_cast<int64_t>(usage.ru_maxrss) * 1024; // Linux: KiB.
}

} // namespace dsc::runtime
