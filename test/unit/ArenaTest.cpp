//===- ArenaTest.cpp - Arenas past 4 GiB ----------------------------------===//
//
// A GPT-2-small-size rank holds more than 2 GiB, and the arena grows with the
// model: offsets and sizes are 64-bit from the plan to the kernels. These
// tests place buffers past 4 GiB without using 4 GiB of memory: the arena is
// an anonymous mapping, so untouched pages cost nothing.
//
//===----------------------------------------------------------------------===//

#include "runtime/io/DataFeeder.h"
#include "runtime/io/Npy.h"
#include "runtime/io/Safetensors.h"
#include "runtime/main/Memory.h"

#include "kernels/cpu/CpuKernels.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <unistd.h>
#include <vector>

using namespace dsc::runtime;

namespace {

constexpr size_t kGiB = size_t(1) << 30;

/// The process's resident set size now (statm), in bytes.
int64_t residentBytes() {
  long pages = 0, resident = 0;
  if (std::FILE *f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2)
      resident = 0;
    std::fclose(f);
  }
  return static_cast<int64_t>(resident) * 4096;
}

} // namespace

TEST(Arena, BuffersPast4GiBKeepTheirOffsets) {
  const int64_t before = residentBytes();
  MemoryTracker tracker;
  Expected<AlignedBuffer> arena =
      AlignedBuffer::allocate(6 * kGiB + 12, "the arena", &tracker);
  ASSERT_TRUE(arena.ok()) << arena.message();
  EXPECT_EQ(arena->size(), 6 * kGiB + 12);
  EXPECT_EQ(tracker.bytes(), 6 * kGiB + 12);
  EXPECT_EQ(tracker.blocks(), 1u);
  EXPECT_EQ(tracker.residentBytes(), 0u);
  // Zeroed, and usable at its far end: a kernel reads 4 floats at 4.5 GiB
  // and writes them at 6 GiB (offsets that 32 bits would wrap).
  char *base = arena->data();
  float *in = reinterpret_cast<float *>(base + 4 * kGiB + kGiB / 2);
  float *out = reinterpret_cast<float *>(base + 6 * kGiB - 4);
  EXPECT_EQ(in[0], 0.0f);
  const float values[4] = {-1.5f, 2.0f, -0.0f, 3.25f};
  std::memcpy(in, values, sizeof values);
  dsc::kernels::cpu::unary(dsc::kernels::cpu::UnaryOp::Relu, in, out, 4);
  EXPECT_EQ(out[0], 0.0f);
  EXPECT_EQ(out[1], 2.0f);
  EXPECT_EQ(out[3], 3.25f);
  // Only the touched pages became resident, and the tracker measures them:
  // the page at 4.5 GiB, the one before 6 GiB and the first 12 bytes of the
  // last (more where transparent huge pages back the block: 2 MiB each).
  EXPECT_LT(residentBytes() - before, int64_t(64) << 20);
  const size_t touched = tracker.residentBytes();
  EXPECT_GE(touched, 2 * 4096u + 12);
  EXPECT_LE(touched, 3 * (size_t(2) << 20));
  tracker.sample();
  EXPECT_EQ(tracker.peakResidentBytes(), touched);
  EXPECT_EQ(tracker.peakSampledBytes(), 6 * kGiB + 12);
  // Freed blocks leave the tracker.
  *arena = AlignedBuffer();
  EXPECT_EQ(tracker.bytes(), 0u);
  EXPECT_EQ(tracker.blocks(), 0u);
  EXPECT_EQ(tracker.residentBytes(), 0u);
}

TEST(Arena, SafetensorsTensorsPast4GiBAreFound) {
  // A sparse 5 GiB weights file: a 4.5 GiB tensor, then one past 4 GiB into
  // the data section, whose bytes alone are written.
  const char *tmp = std::getenv("TMPDIR");
  std::string path = std::string(tmp ? tmp : "/tmp") + "/arena_test_XXXXXX";
  int fd = ::mkstemp(path.data());
  ASSERT_GE(fd, 0);
  const uint64_t big = 4 * kGiB + kGiB / 2, tail = 16;
  std::string header =
      "{\"big\": {\"dtype\": \"F32\", \"shape\": [" + std::to_string(big / 4) +
      "], \"data_offsets\": [0, " + std::to_string(big) +
      "]}, \"tail\": {\"dtype\": \"F32\", \"shape\": [4], "
      "\"data_offsets\": [" +
      std::to_string(big) + ", " + std::to_string(big + tail) + "]}}";
  header.resize((header.size() + 7) / 8 * 8, ' ');
  uint64_t length = header.size();
  ASSERT_EQ(::pwrite(fd, &length, 8, 0), 8);
  ASSERT_EQ(::pwrite(fd, header.data(), header.size(), 8),
            static_cast<ssize_t>(header.size()));
  const float values[4] = {1.0f, -2.0f, 3.5f, 4.0f};
  const off_t at = static_cast<off_t>(8 + header.size() + big);
  ASSERT_EQ(::pwrite(fd, values, sizeof values, at),
            static_cast<ssize_t>(sizeof values));
  ::close(fd);

  Expected<SafetensorsFile> file = SafetensorsFile::open(path);
  ASSERT_TRUE(file.ok()) << file.message();
  const SafetensorsTensor *t = file->find("tail");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->begin, big);
  const float *data = static_cast<const float *>(t->data);
  EXPECT_EQ(data[1], -2.0f);
  EXPECT_EQ(data[2], 3.5f);
  EXPECT_EQ(file->find("big")->numel, static_cast<int64_t>(big / 4));
  ::unlink(path.c_str());
}

TEST(Arena, NpySamplesPast4GiBAreFed) {
  // A sparse 5 GiB .npy of 1310720 samples of 1024 floats: the sample at
  // 4.5 GiB alone is written, and the feeder copies it out as the
  // micro-batch of the step that reads it.
  const char *tmp = std::getenv("TMPDIR");
  std::string dir = std::string(tmp ? tmp : "/tmp") + "/arena_npy_XXXXXX";
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  const std::string path = dir + "/x.npy";
  const int64_t samples = 1310720, width = 1024;
  Expected<std::string> header = npyHeader(DType::F32, {samples, width});
  ASSERT_TRUE(header.ok()) << header.message();
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::pwrite(fd, header->data(), header->size(), 0),
            static_cast<ssize_t>(header->size()));
  const uint64_t dataBytes = uint64_t(samples) * width * 4;
  ASSERT_EQ(::ftruncate(fd, static_cast<off_t>(header->size() + dataBytes)), 0);
  const int64_t row = 1179648; // 4.5 GiB into the data
  std::vector<float> sample(width);
  for (int64_t i = 0; i < width; ++i)
    sample[i] = static_cast<float>(i) - 0.5f;
  const off_t at =
      static_cast<off_t>(header->size() + uint64_t(row) * width * 4);
  ASSERT_GT(static_cast<uint64_t>(at), 4 * kGiB);
  ASSERT_EQ(::pwrite(fd, sample.data(), width * 4, at),
            static_cast<ssize_t>(width * 4));
  ::close(fd);

  FeedLayout layout; // one sample a step: step s reads row s
  Expected<DataFeeder> feeder =
      DataFeeder::open(dir, {{"x", DType::F32, {width}}}, layout);
  ASSERT_TRUE(feeder.ok()) << feeder.message();
  EXPECT_EQ(feeder->numSamples(), samples);
  std::vector<float> got(width, 1.0f);
  ASSERT_TRUE(feeder->copyMicroBatch(row, 0, 0, got.data()).ok());
  EXPECT_EQ(got, sample);
  // Past the end, the file wraps around: step N + row reads the same row.
  std::vector<float> again(width, 1.0f);
  ASSERT_TRUE(feeder->copyMicroBatch(samples + row, 0, 0, again.data()).ok());
  EXPECT_EQ(again, sample);
  ::unlink(path.c_str());
  ::rmdir(dir.c_str());
}
