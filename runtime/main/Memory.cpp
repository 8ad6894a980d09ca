//===- Memory.cpp - The rank's tracked allocations ------------------------===//

#include "runtime/main/Memory.h"

#include "runtime/device/Device.h"

#include <algorithm>
#include <cstdio>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

namespace dsc::runtime {

namespace {

size_t pageSize() {
  static const size_t size = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  return size;
}

/// The bytes of [base, base + length) on resident pages; `base` is page
/// aligned (a mapping's start).
size_t residentBytesOf(const char *base, size_t length) {
  const size_t page = pageSize();
  // mincore fills one byte per page: ask in windows of kWindow pages so that
  // a multi-GiB block needs no multi-MiB vector.
  constexpr size_t kWindow = 1 << 16;
  unsigned char flags[kWindow];
  size_t resident = 0;
  for (size_t first = 0; first * page < length; first += kWindow) {
    const size_t begin = first * page;
    const size_t span = std::min(length - begin, kWindow * page);
    if (::mincore(const_cast<char *>(base + begin), span, flags) != 0)
      return resident; // Not a mapping of ours any more: count nothing more.
    const size_t pages = (span + page - 1) / page;
    for (size_t i = 0; i < pages; ++i)
      if (flags[i] & 1)
        resident += std::min(page, span - i * page);
  }
  return resident;
}

} // namespace

void MemoryTracker::add(const char *base, size_t bytes, bool device) {
  live[base] = bytes;
  if (device)
    onDevice.insert(base);
  allocated += bytes;
}

void MemoryTracker::remove(const char *base) {
  auto it = live.find(base);
  if (it == live.end())
    return;
  allocated -= it->second;
  onDevice.erase(base);
  live.erase(it);
}

size_t MemoryTracker::residentBytes() const {
  size_t total = 0;
  // A GPU's blocks are the backend's in full; mincore sees host pages only.
  for (const auto &[base, bytes] : live)
    total += onDevice.count(base) ? bytes : residentBytesOf(base, bytes);
  return total;
}

void MemoryTracker::sample() {
  peakResident = std::max(peakResident, residentBytes());
  peakSampled = std::max(peakSampled, allocated);
  lastRss = currentRssBytes();
  if (sampled++ == 1)
    firstRss = lastRss;
}

Expected<AlignedBuffer> AlignedBuffer::allocate(size_t bytes,
                                                const std::string &what,
                                                MemoryTracker *tracker) {
  // An anonymous mapping is zero and page aligned, and costs memory only
  // where it is touched: a multi-GiB arena is not written once up front
  // (memset would), and the tracker can see which bytes the run used. It is
  // accounted for in full (no MAP_NORESERVE), so a rank that cannot have its
  // memory fails here, not killed mid-step. At least one byte, so that the
  // block is a real, unique allocation.
  const size_t length = bytes == 0 ? 1 : bytes;
  // On a GPU: memory the device and the host both address, zeroed there.
  const DeviceBackend *gpu = runtime::gpu();
  void *p = nullptr;
  if (gpu) {
    p = gpu->alloc(length);
    if (!p)
      return Status::error("cannot allocate " + std::to_string(bytes) +
                           " bytes of GPU memory for " + what);
    gpu->zero(p, length);
    deviceSynchronize();
  } else {
    p = ::mmap(nullptr, length, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
      return Status::error("cannot allocate " + std::to_string(bytes) +
                           " bytes for " + what);
  }
  AlignedBuffer buf;
  buf.block.reset(static_cast<char *>(p));
  buf.block.get_deleter().length = length;
  buf.block.get_deleter().tracker = tracker;
  buf.block.get_deleter().device = gpu;
  buf.length = bytes;
  if (tracker)
    tracker->add(buf.block.get(), bytes, gpu != nullptr);
  return buf;
}

void UnmapBlock::operator()(char *p) const {
  if (!p)
    return;
  if (tracker)
    tracker->remove(p);
  if (device)
    device->free(p);
  else
    ::munmap(p, length);
}

int64_t peakRssBytes() {
  struct rusage usage;
  if (getrusage(RUSAGE_SELF, &usage) != 0)
    return 0;
  return static_cast<int64_t>(usage.ru_maxrss) * 1024; // Linux: KiB.
}

int64_t currentRssBytes() {
  long pages = 0, resident = 0;
  std::FILE *f = std::fopen("/proc/self/statm", "r");
  if (!f)
    return 0;
  if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2)
    resident = 0;
  std::fclose(f);
  return static_cast<int64_t>(resident) * static_cast<int64_t>(pageSize());
}

} // namespace dsc::runtime
