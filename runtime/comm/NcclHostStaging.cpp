//===- NcclHostStaging.cpp - NCCL for a rank's every buffer ---------------===//
//
// A GPU rank's collectives mostly run on its arena (memory the device
// addresses), but the runtime also agrees on a few host values (a flag in
// agreeOnFailure, the ranks' plan checks). NCCL takes device memory only:
// this communicator passes device and managed memory straight to NCCL and
// stages host memory through a device buffer of its own.
//
//===----------------------------------------------------------------------===//

#include "runtime/comm/NcclCommunicator.h"

#include <cuda_runtime.h>

namespace dsc::runtime {
namespace {

class StagedCommunicator final : public Communicator {
public:
  explicit StagedCommunicator(std::unique_ptr<Communicator> nccl)
      : nccl(std::move(nccl)) {}
  ~StagedCommunicator() override {
    if (staging)
      cudaFree(staging);
  }

  int rank() const override { return nccl->rank(); }
  int size() const override { return nccl->size(); }

  Status allReduce(void *data, int64_t count, DType dtype,
                   ReduceOp op) override {
    return staged(data, count * dtypeSize(dtype), [&](void *d) {
      return nccl->allReduce(d, count, dtype, op);
    });
  }
  Status reduceScatter(void *data, const std::vector<int64_t> &counts,
                       DType dtype) override {
    return staged(data, bytesOf(counts, dtype), [&](void *d) {
      return nccl->reduceScatter(d, counts, dtype);
    });
  }
  Status allGather(void *data, const std::vector<int64_t> &counts,
                   DType dtype) override {
    return staged(data, bytesOf(counts, dtype),
                  [&](void *d) { return nccl->allGather(d, counts, dtype); });
  }
  Status broadcast(void *data, int64_t bytes, int root) override {
    return staged(data, bytes,
                  [&](void *d) { return nccl->broadcast(d, bytes, root); });
  }
  Status barrier() override {
    return staged(nullptr, 0, [&](void *) { return nccl->barrier(); });
  }

private:
  static int64_t bytesOf(const std::vector<int64_t> &counts, DType dtype) {
    int64_t n = 0;
    for (int64_t c : counts)
      n += c > 0 ? c : 0;
    return n * dtypeSize(dtype);
  }

  /// Host memory: not known to CUDA (pageable, the stack).
  static bool onHost(const void *p) {
    cudaPointerAttributes attributes;
    if (cudaPointerGetAttributes(&attributes, p) != cudaSuccess) {
      (void)cudaGetLastError();
      return true;
    }
    return attributes.type == cudaMemoryTypeUnregistered ||
           attributes.type == cudaMemoryTypeHost;
  }

  /// Runs `collective` on `data`, through the staging buffer when `data`
  /// is host memory; counts what NCCL counted.
  template <typename Fn>
  Status staged(void *data, int64_t bytes, Fn collective) {
    const uint64_t before = nccl->payloadBytes();
    Status result;
    if (!data || bytes <= 0 || !onHost(data)) {
      result = collective(data);
    } else if (Status s = reserve(static_cast<size_t>(bytes)); !s.ok()) {
      result = s;
    } else if (cudaMemcpy(staging, data, bytes, cudaMemcpyHostToDevice) !=
               cudaSuccess) {
      result = Status::error("NCCL backend: staging a host buffer failed");
    } else {
      result = collective(staging);
      if (result.ok() && cudaMemcpy(data, staging, bytes,
                                    cudaMemcpyDeviceToHost) != cudaSuccess)
        result = Status::error("NCCL backend: staging a host buffer failed");
    }
    count(nccl->payloadBytes() - before);
    if (nccl->peerFailed())
      notePeerFailure();
    return result;
  }

  Status reserve(size_t bytes) {
    if (bytes <= capacity)
      return Status::success();
    if (staging)
      cudaFree(staging);
    staging = nullptr;
    capacity = 0;
    if (cudaMalloc(&staging, bytes) != cudaSuccess)
      return Status::error("NCCL backend: no device memory to stage " +
                           std::to_string(bytes) + " host bytes");
    capacity = bytes;
    return Status::success();
  }

  std::unique_ptr<Communicator> nccl;
  void *staging = nullptr;
  size_t capacity = 0;
};

} // namespace

Expected<std::unique_ptr<Communicator>>
createStagedNcclCommunicator(const WorldInfo &world,
                             std::chrono::milliseconds timeout, int device) {
  Expected<std::unique_ptr<Communicator>> nccl =
      createNcclCommunicator(world, timeout, device);
  if (!nccl)
    return nccl.status();
  return std::unique_ptr<Communicator>(
      new StagedCommunicator(std::move(nccl).value()));
}

} // namespace dsc::runtime
