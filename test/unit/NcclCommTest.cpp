//===- NcclCommTest.cpp - The NCCL backend, with or without a GPU ---------===//
//
// Built only when CMake found CUDA and NCCL. On a machine without a GPU (or
// with too old a driver) creating the communicator must fail with a message
// that names the CUDA call, not crash or hang; that is asserted whenever
// this process sees no CUDA device. With a GPU, a world of one rank runs
// every collective on device memory (NCCL takes one rank per GPU, so more
// ranks need more GPUs: those tests belong to the multi-GPU runs).
//
//===----------------------------------------------------------------------===//

#include "runtime/comm/NcclCommunicator.h"

#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

using namespace dsc::runtime;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

constexpr milliseconds kTimeout(5000);

WorldInfo worldOf(int rank, int size) {
  WorldInfo w;
  w.rank = rank;
  w.size = size;
  w.localRank = rank;
  w.localSize = size;
  // Nothing listens there: a rank that reached the rendezvous would fail
  // (or wait) rather than join some other test's world.
  w.masterPort = 1;
  w.source = "env";
  w.token = "nccl-test-token-0123456789";
  return w;
}

/// The CUDA devices this process sees; 0 when CUDA itself fails (no driver,
/// or one older than the runtime).
int cudaDevices() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    (void)cudaGetLastError();
    return 0;
  }
  return n;
}

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

/// A device buffer for the GPU tests, freed at the end of the scope.
struct DeviceBuffer {
  explicit DeviceBuffer(size_t bytes) : bytes(bytes) {
    EXPECT_EQ(cudaMalloc(&ptr, bytes), cudaSuccess);
  }
  ~DeviceBuffer() { cudaFree(ptr); }
  template <typename T> void put(const std::vector<T> &v) {
    ASSERT_EQ(v.size() * sizeof(T), bytes);
    ASSERT_EQ(cudaMemcpy(ptr, v.data(), bytes, cudaMemcpyHostToDevice),
              cudaSuccess);
  }
  template <typename T> std::vector<T> get() {
    std::vector<T> v(bytes / sizeof(T));
    EXPECT_EQ(cudaMemcpy(v.data(), ptr, bytes, cudaMemcpyDeviceToHost),
              cudaSuccess);
    return v;
  }
  void *ptr = nullptr;
  size_t bytes;
};

TEST(NcclCommunicator, DataTypes) {
  EXPECT_EQ(ncclDataTypeOf(DType::F32), ncclFloat32);
  EXPECT_EQ(ncclDataTypeOf(DType::F64), ncclFloat64);
  EXPECT_EQ(ncclDataTypeOf(DType::F16), ncclFloat16);
  EXPECT_EQ(ncclDataTypeOf(DType::BF16), ncclBfloat16);
  EXPECT_EQ(ncclDataTypeOf(DType::I64), ncclInt64);
  EXPECT_EQ(ncclDataTypeOf(DType::I32), ncclInt32);
  // Refused like the Gloo backend refuses them, although NCCL could add
  // some: a plan must fail the same way on either backend.
  for (DType t : {DType::I16, DType::I8, DType::U8, DType::U16, DType::U32,
                  DType::U64, DType::Bool})
    EXPECT_FALSE(ncclDataTypeOf(t).has_value()) << dtypeName(t);
  EXPECT_EQ(ncclRedOpOf(ReduceOp::Sum), ncclSum);
  EXPECT_EQ(ncclRedOpOf(ReduceOp::Max), ncclMax);
}

TEST(NcclCommunicator, BadArgumentsNeedNoCuda) {
  EXPECT_EQ(createNcclCommunicator(worldOf(2, 2), kTimeout, 0).message(),
            "NCCL backend: rank 2 is not a rank of a world of size 2");
  EXPECT_EQ(createNcclCommunicator(worldOf(0, 1), milliseconds(0), 0).message(),
            "NCCL backend: the communicator's timeout must be positive");
  EXPECT_EQ(createNcclCommunicator(worldOf(0, 1), kTimeout, -1).message(),
            "NCCL backend: device -1 is not a CUDA device number");
}

TEST(NcclCommunicator, DeviceThatDoesNotExistIsAnError) {
  auto comm = createNcclCommunicator(worldOf(0, 1), kTimeout, 1000);
  ASSERT_FALSE(comm.ok());
  EXPECT_TRUE(
      contains(comm.message(), "NCCL backend: cudaSetDevice(1000) failed: "))
      << comm.message();
}

TEST(NcclCommunicator, WithoutAGpuCreationFailsCleanly) {
  if (cudaDevices() > 0)
    GTEST_SKIP() << "this machine has a GPU";
  // A world of one, and rank 1 of two: both fail at the device, before the
  // rendezvous (whose port nobody serves), so at once rather than at the
  // timeout.
  for (const WorldInfo &world : {worldOf(0, 1), worldOf(1, 2)}) {
    Clock::time_point start = Clock::now();
    auto comm = createNcclCommunicator(world, milliseconds(60000), 0);
    ASSERT_FALSE(comm.ok());
    const std::string prefix = "NCCL backend: cudaSetDevice(0) failed: ";
    EXPECT_EQ(comm.message().rfind(prefix, 0), 0u) << comm.message();
    // CUDA's own explanation follows; its wording is CUDA's to change.
    EXPECT_GT(comm.message().size(), prefix.size()) << comm.message();
    EXPECT_LT(Clock::now() - start, milliseconds(5000));
  }
}

TEST(NcclCommunicator, WorldOfOneOnTheGpu) {
  if (cudaDevices() == 0)
    GTEST_SKIP() << "no CUDA device (the no-GPU error path is tested above)";
  auto created = createNcclCommunicator(worldOf(0, 1), kTimeout, 0);
  ASSERT_TRUE(created.ok()) << created.message();
  Communicator &comm = **created;
  EXPECT_EQ(comm.rank(), 0);
  EXPECT_EQ(comm.size(), 1);

  std::vector<float> x = {1.5f, -2.0f, 3.25f, 0.0f, 7.0f};
  DeviceBuffer buf(x.size() * sizeof(float));
  buf.put(x);
  ASSERT_TRUE(comm.allReduce(buf.ptr, 5, DType::F32, ReduceOp::Sum).ok());
  EXPECT_EQ(buf.get<float>(), x);
  ASSERT_TRUE(comm.allReduce(buf.ptr, 5, DType::F32, ReduceOp::Max).ok());
  EXPECT_EQ(buf.get<float>(), x);
  ASSERT_TRUE(comm.reduceScatter(buf.ptr, {5}, DType::F32).ok());
  EXPECT_EQ(buf.get<float>(), x);
  ASSERT_TRUE(comm.allGather(buf.ptr, {5}, DType::F32).ok());
  EXPECT_EQ(buf.get<float>(), x);
  ASSERT_TRUE(comm.broadcast(buf.ptr, 20, 0).ok());
  EXPECT_EQ(buf.get<float>(), x);
  ASSERT_TRUE(comm.barrier().ok());
  // Half precision: two bytes an element, summed on one rank unchanged.
  ASSERT_TRUE(comm.allReduce(buf.ptr, 10, DType::F16, ReduceOp::Sum).ok());
  EXPECT_EQ(buf.get<float>(), x);
  // Counted as the plan counts: 20 + 20 + 20 + 20 + 20 + 0 + 20.
  EXPECT_EQ(comm.payloadBytes(), 120u);
  EXPECT_EQ(comm.collectiveCount(), 7u);

  // Bad arguments are errors that leave the communicator usable.
  EXPECT_EQ(comm.reduceScatter(buf.ptr, {2, 3}, DType::F32).message(),
            "reduce_scatter: 2 counts for 1 ranks");
  EXPECT_EQ(comm.allReduce(buf.ptr, 2, DType::Bool, ReduceOp::Sum).message(),
            "all_reduce: dtype bool is not supported (float32, float64, "
            "float16, bfloat16, int64, int32)");
  EXPECT_EQ(comm.broadcast(buf.ptr, 4, 1).message(),
            "broadcast: root 1 is not a rank of a world of size 1");
  EXPECT_TRUE(comm.barrier().ok());
  EXPECT_EQ(comm.collectiveCount(), 8u);
}

} // namespace
