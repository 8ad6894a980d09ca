//===- NcclCommunicator.cpp - Collectives on GPUs with NCCL ---------------===//

#include "runtime/comm/NcclCommunicator.h"

#include "runtime/comm/TcpStore.h"

#include <cuda_runtime.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace dsc::runtime {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::optional<ncclDataType_t> ncclDataTypeOf(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return ncclFloat32;
  case DType::F64:
    return ncclFloat64;
  case DType::F16:
    return ncclFloat16;
  case DType::BF16:
    return ncclBfloat16;
  case DType::I64:
    return ncclInt64;
  case DType::I32:
    return ncclInt32;
  default:
    return std::nullopt;
  }
}

ncclRedOp_t ncclRedOpOf(ReduceOp op) {
  return op == ReduceOp::Max ? ncclMax : ncclSum;
}

namespace {

/// Where rank 0 publishes the NCCL unique id in the rendezvous.
constexpr const char *kUniqueIdKey = "nccl/unique_id";

std::string cudaFailure(const std::string &call, cudaError_t error) {
  // Clears a non-sticky error, so that it is not reported again by a later
  // call's cudaGetLastError (ours or the caller's).
  (void)cudaGetLastError();
  return call + " failed: " + cudaGetErrorString(error);
}

std::string ncclFailure(const std::string &call, ncclResult_t result) {
  std::string text = call + " failed: " + ncclGetErrorString(result);
  // NCCL's detail (which peer, which system call) when it has one; the
  // argument is unused by NCCL, the message is the thread's last.
  const char *last = ncclGetLastError(nullptr);
  if (last && *last)
    text += std::string(" (") + last + ")";
  return text;
}

/// Empty when `result` lets the collective go on (ncclInProgress: a
/// non-blocking communicator is still enqueueing), else what failed.
std::string check(const char *call, ncclResult_t result) {
  if (result == ncclSuccess || result == ncclInProgress)
    return {};
  return ncclFailure(call, result);
}

/// What is left until `deadline`, at least 1 ms (the store reads 0 as its
/// default timeout).
milliseconds remaining(Clock::time_point deadline) {
  return std::max(milliseconds(1),
                  std::chrono::ceil<milliseconds>(deadline - Clock::now()));
}

/// Between two polls: most collectives complete within a millisecond, so
/// the first one spins; later ones sleep briefly to leave the core to NCCL's
/// proxy thread.
void backOff(Clock::time_point started) {
  if (Clock::now() - started < milliseconds(1))
    std::this_thread::yield();
  else
    std::this_thread::sleep_for(std::chrono::microseconds(20));
}

/// Polls `comm` until its state is no longer ncclInProgress or `deadline`
/// passes: ncclSuccess, NCCL's error, or ncclInProgress at the deadline.
ncclResult_t waitForComm(ncclComm_t comm, Clock::time_point deadline) {
  Clock::time_point started = Clock::now();
  for (;;) {
    ncclResult_t state = ncclInProgress;
    if (ncclResult_t r = ncclCommGetAsyncError(comm, &state); r != ncclSuccess)
      return r;
    if (state != ncclInProgress || Clock::now() >= deadline)
      return state;
    backOff(started);
  }
}

Status unsupported(const char *what, DType dtype) {
  return Status::error(std::string(what) + ": dtype " +
                       std::string(dtypeName(dtype)) +
                       " is not supported (float32, float64, float16, "
                       "bfloat16, int64, int32)");
}

class NcclCommunicator final : public Communicator {
public:
  NcclCommunicator(const WorldInfo &world, int device, milliseconds timeout)
      : myRank(world.rank), worldSize(world.size), device(device),
        timeout(timeout) {}
  ~NcclCommunicator() override;

  /// Everything after cudaSetDevice: the stream, the barrier's buffer, the
  /// unique id through the store, and NCCL's init, all by `deadline`.
  Status connect(const WorldInfo &world, Clock::time_point deadline);

  int rank() const override { return myRank; }
  int size() const override { return worldSize; }

  Status allReduce(void *data, int64_t count, DType dtype,
                   ReduceOp op) override;
  Status reduceScatter(void *data, const std::vector<int64_t> &counts,
                       DType dtype) override;
  Status allGather(void *data, const std::vector<int64_t> &counts,
                   DType dtype) override;
  Status broadcast(void *data, int64_t bytes, int root) override;
  Status barrier() override;

private:
  /// Runs one collective: refuses when an earlier one failed, enqueues it
  /// with `enqueue` (which returns what failed, or empty) in one NCCL group,
  /// waits for it, counts `bytes` when it succeeded, and turns a failure
  /// into a Status. `call` names the NCCL call in a timeout's message.
  template <typename Fn>
  Status run(const char *what, const char *call, uint64_t bytes, Fn &&enqueue);
  /// Empty once the collective on the stream completed; else why not.
  std::string waitForCompletion(const char *call);
  /// "rank 1 is gone (...)" and the like; empty without a store.
  std::string goneRanks();
  void abortComm();

  int myRank, worldSize, device;
  milliseconds timeout;
  std::unique_ptr<TcpStore> store; // the rendezvous, kept for liveness
  cudaStream_t stream = nullptr;
  void *barrierBuffer = nullptr; // one int32 on the device
  ncclComm_t comm = nullptr;
  std::string failure; // the first failed collective's message
};

NcclCommunicator::~NcclCommunicator() {
  // The calling thread may have another device current.
  (void)cudaSetDevice(device);
  if (comm) {
    // Every collective waited for its completion, so only NCCL's own work
    // can be in flight: finalize flushes it (polled, like init), then
    // destroy frees what is left. A finalize that fails or does not end
    // within the timeout becomes an abort, which never waits.
    ncclResult_t r = ncclCommFinalize(comm);
    if (r == ncclSuccess || r == ncclInProgress)
      r = waitForComm(comm, Clock::now() + timeout);
    if (r == ncclSuccess)
      (void)ncclCommDestroy(comm);
    else
      (void)ncclCommAbort(comm);
    comm = nullptr;
  }
  if (barrierBuffer)
    (void)cudaFree(barrierBuffer);
  if (stream)
    (void)cudaStreamDestroy(stream);
  // The store goes last: its DONE tells the others this rank left on
  // purpose, and rank 0's keeps serving them until they have left too.
  store.reset();
}

void NcclCommunicator::abortComm() {
  if (!comm)
    return;
  (void)ncclCommAbort(comm);
  comm = nullptr;
}

std::string NcclCommunicator::goneRanks() {
  std::string gone = store ? describeGoneRanks(*store, timeout) : std::string();
  if (!gone.empty())
    notePeerFailure();
  return gone;
}

Status NcclCommunicator::connect(const WorldInfo &world,
                                 Clock::time_point deadline) {
  auto fail = [&](std::string message) {
    return Status::error("NCCL backend: " + message);
  };
  // A blocking stream: ordered after the legacy default stream, where a
  // caller that does not manage streams puts its work.
  if (cudaError_t e = cudaStreamCreate(&stream); e != cudaSuccess) {
    stream = nullptr;
    return fail(cudaFailure("cudaStreamCreate", e));
  }
  if (cudaError_t e = cudaMalloc(&barrierBuffer, sizeof(int32_t));
      e != cudaSuccess) {
    barrierBuffer = nullptr;
    return fail(cudaFailure("cudaMalloc(4 bytes)", e));
  }
  if (cudaError_t e = cudaMemset(barrierBuffer, 0, sizeof(int32_t));
      e != cudaSuccess)
    return fail(cudaFailure("cudaMemset", e));

  ncclUniqueId id;
  std::memset(&id, 0, sizeof(id));
  if (worldSize == 1 || myRank == 0) {
    if (ncclResult_t r = ncclGetUniqueId(&id); r != ncclSuccess)
      return fail(ncclFailure("ncclGetUniqueId", r));
  }
  if (worldSize > 1) {
    // The store stays for the whole job: its server tells a failed
    // collective which rank is gone.
    auto created = TcpStore::create(world, timeout);
    if (!created)
      return fail(created.message());
    store = std::move(created).value();
    if (myRank == 0) {
      std::vector<char> bytes(id.internal, id.internal + sizeof(id.internal));
      if (Status s = store->trySet(kUniqueIdKey, bytes); !s.ok())
        return fail(s.message());
    } else {
      auto bytes = store->tryGet(kUniqueIdKey, remaining(deadline));
      if (!bytes)
        return fail(bytes.message());
      if (bytes->size() != sizeof(id.internal))
        return fail("the NCCL unique id in the rendezvous has " +
                    std::to_string(bytes->size()) + " bytes, expected " +
                    std::to_string(sizeof(id.internal)));
      std::memcpy(id.internal, bytes->data(), sizeof(id.internal));
    }
  }

  // Non-blocking: init returns at once and is polled, so that a rank that
  // never joins fails it at the deadline instead of hanging this one.
  ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
  config.blocking = 0;
  std::string call = "ncclCommInitRankConfig(rank " + std::to_string(myRank) +
                     " of " + std::to_string(worldSize) + ")";
  ncclResult_t r =
      ncclCommInitRankConfig(&comm, worldSize, id, myRank, &config);
  if (r == ncclSuccess || r == ncclInProgress)
    r = comm ? waitForComm(comm, deadline) : ncclInternalError;
  if (r == ncclSuccess)
    return Status::success();
  abortComm();
  std::string error = r == ncclInProgress ? call + " did not complete within " +
                                                formatDuration(timeout)
                                          : ncclFailure(call, r);
  std::string gone = goneRanks();
  return fail(gone.empty() ? error : error + "; " + gone);
}

std::string NcclCommunicator::waitForCompletion(const char *call) {
  Clock::time_point started = Clock::now();
  Clock::time_point deadline = started + timeout;
  for (;;) {
    // Enqueueing first (a non-blocking communicator may still be at it;
    // until it is done, the stream is not yet the whole story), then the
    // kernels on the stream.
    ncclResult_t state = ncclInProgress;
    if (ncclResult_t r = ncclCommGetAsyncError(comm, &state); r != ncclSuccess)
      return ncclFailure("ncclCommGetAsyncError", r);
    if (state != ncclSuccess && state != ncclInProgress)
      return ncclFailure(call, state);
    if (state == ncclSuccess) {
      cudaError_t e = cudaStreamQuery(stream);
      if (e == cudaSuccess)
        return {};
      if (e != cudaErrorNotReady)
        return cudaFailure("cudaStreamQuery", e);
    }
    if (Clock::now() >= deadline)
      return std::string(call) + " did not complete within " +
             formatDuration(timeout);
    backOff(started);
  }
}

template <typename Fn>
Status NcclCommunicator::run(const char *what, const char *call, uint64_t bytes,
                             Fn &&enqueue) {
  if (!failure.empty())
    return Status::error(std::string(what) +
                         ": the communicator is unusable after an earlier "
                         "failure (" +
                         failure + ")");
  std::string error;
  if (cudaError_t e = cudaSetDevice(device); e != cudaSuccess) {
    error = cudaFailure("cudaSetDevice(" + std::to_string(device) + ")", e);
  } else {
    // One group per collective: the per-chunk calls of an uneven one must
    // run as one operation, and on a non-blocking communicator ncclGroupEnd
    // is where enqueueing is reported.
    error = check("ncclGroupStart", ncclGroupStart());
    if (error.empty()) {
      error = enqueue();
      // The group must be closed even when a call inside it failed.
      std::string end = check("ncclGroupEnd", ncclGroupEnd());
      if (error.empty())
        error = end;
    }
    if (error.empty())
      error = waitForCompletion(call);
  }
  if (error.empty()) {
    count(bytes);
    return Status::success();
  }
  // The peers may be blocked on this rank; aborting fails their collective
  // rather than leaving them to their timeout.
  abortComm();
  std::string gone = goneRanks();
  failure = std::string(what) + " failed on rank " + std::to_string(myRank) +
            " of " + std::to_string(worldSize) + ": " +
            (gone.empty() ? error : gone + "; nccl: " + error);
  return Status::error(failure);
}

Status NcclCommunicator::allReduce(void *data, int64_t count, DType dtype,
                                   ReduceOp op) {
  if (count < 0)
    return Status::error("all_reduce: negative count " + std::to_string(count));
  std::optional<ncclDataType_t> type = ncclDataTypeOf(dtype);
  if (!type)
    return unsupported("all_reduce", dtype);
  uint64_t bytes = static_cast<uint64_t>(count) * dtypeSize(dtype);
  return run("all_reduce", "ncclAllReduce", bytes, [&]() -> std::string {
    if (count == 0)
      return {};
    return check("ncclAllReduce",
                 ncclAllReduce(data, data, static_cast<size_t>(count), *type,
                               ncclRedOpOf(op), comm, stream));
  });
}

/// Whether every rank's chunk has the same size: then NCCL's own
/// reduce-scatter and all-gather apply.
bool evenCounts(const std::vector<int64_t> &counts) {
  return std::all_of(counts.begin(), counts.end(),
                     [&](int64_t c) { return c == counts.front(); });
}

Status NcclCommunicator::reduceScatter(void *data,
                                       const std::vector<int64_t> &counts,
                                       DType dtype) {
  if (Status s = checkCounts("reduce_scatter", counts); !s.ok())
    return s;
  std::optional<ncclDataType_t> type = ncclDataTypeOf(dtype);
  if (!type)
    return unsupported("reduce_scatter", dtype);
  const uint64_t total = totalCount(counts);
  const size_t elemSize = dtypeSize(dtype);
  const bool even = evenCounts(counts);
  char *base = static_cast<char *>(data);
  return run(
      "reduce_scatter", even ? "ncclReduceScatter" : "ncclReduce",
      total * elemSize, [&]() -> std::string {
        if (even) {
          if (counts.front() == 0)
            return {};
          // In place: NCCL's in-place form has the output at this rank's
          // chunk of the input, exactly the interface's layout.
          auto n = static_cast<size_t>(counts.front());
          return check("ncclReduceScatter",
                       ncclReduceScatter(base, base + myRank * n * elemSize, n,
                                         *type, ncclSum, comm, stream));
        }
        // Uneven: chunk r is reduced onto its owner r. Every rank knows the
        // counts, so an empty chunk is skipped everywhere alike.
        size_t offset = 0;
        for (int r = 0; r < worldSize; ++r) {
          auto n = static_cast<size_t>(counts[r]);
          if (n) {
            char *chunk = base + offset;
            if (std::string e =
                    check("ncclReduce", ncclReduce(chunk, chunk, n, *type,
                                                   ncclSum, r, comm, stream));
                !e.empty())
              return e;
          }
          offset += n * elemSize;
        }
        return {};
      });
}

Status NcclCommunicator::allGather(void *data,
                                   const std::vector<int64_t> &counts,
                                   DType dtype) {
  if (Status s = checkCounts("all_gather", counts); !s.ok())
    return s;
  const uint64_t total = totalCount(counts);
  // Moving data needs no arithmetic: bytes, so that every dtype works.
  const size_t elemSize = dtypeSize(dtype);
  const bool even = evenCounts(counts);
  char *base = static_cast<char *>(data);
  return run(
      "all_gather", even ? "ncclAllGather" : "ncclBroadcast", total * elemSize,
      [&]() -> std::string {
        if (even) {
          if (counts.front() == 0)
            return {};
          // In place: this rank's input is its chunk of the output.
          size_t chunkBytes = static_cast<size_t>(counts.front()) * elemSize;
          return check("ncclAllGather",
                       ncclAllGather(base + myRank * chunkBytes, base,
                                     chunkBytes, ncclUint8, comm, stream));
        }
        // Uneven: each owner broadcasts its chunk, in place.
        size_t offset = 0;
        for (int r = 0; r < worldSize; ++r) {
          size_t chunkBytes = static_cast<size_t>(counts[r]) * elemSize;
          if (chunkBytes) {
            char *chunk = base + offset;
            if (std::string e = check(
                    "ncclBroadcast", ncclBroadcast(chunk, chunk, chunkBytes,
                                                   ncclUint8, r, comm, stream));
                !e.empty())
              return e;
          }
          offset += chunkBytes;
        }
        return {};
      });
}

Status NcclCommunicator::broadcast(void *data, int64_t bytes, int root) {
  if (root < 0 || root >= worldSize)
    return Status::error("broadcast: root " + std::to_string(root) +
                         " is not a rank of a world of size " +
                         std::to_string(worldSize));
  if (bytes < 0)
    return Status::error("broadcast: negative size " + std::to_string(bytes));
  return run("broadcast", "ncclBroadcast", static_cast<uint64_t>(bytes),
             [&]() -> std::string {
               if (bytes == 0)
                 return {};
               return check("ncclBroadcast",
                            ncclBroadcast(data, data,
                                          static_cast<size_t>(bytes), ncclUint8,
                                          root, comm, stream));
             });
}

Status NcclCommunicator::barrier() {
  // NCCL has no barrier: an all-reduce of one element completes on a rank
  // only once every rank has entered it.
  return run("barrier", "ncclAllReduce", 0, [&]() -> std::string {
    return check("ncclAllReduce",
                 ncclAllReduce(barrierBuffer, barrierBuffer, 1, ncclInt32,
                               ncclSum, comm, stream));
  });
}

} // namespace

Expected<std::unique_ptr<Communicator>>
createNcclCommunicator(const WorldInfo &world, milliseconds timeout,
                       int device) {
  if (world.size < 1 || world.rank < 0 || world.rank >= world.size)
    return Status::error("NCCL backend: rank " + std::to_string(world.rank) +
                         " is not a rank of a world of size " +
                         std::to_string(world.size));
  if (timeout <= milliseconds::zero())
    return Status::error(
        "NCCL backend: the communicator's timeout must be positive");
  if (device < 0)
    return Status::error("NCCL backend: device " + std::to_string(device) +
                         " is not a CUDA device number");
  Clock::time_point deadline = Clock::now() + timeout;
  // The first CUDA call: without a GPU or a new enough driver this is where
  // it shows, before any peer is involved.
  if (cudaError_t e = cudaSetDevice(device); e != cudaSuccess) {
    std::string message =
        cudaFailure("cudaSetDevice(" + std::to_string(device) + ")", e);
    int devices = 0;
    if (e == cudaErrorInvalidDevice &&
        cudaGetDeviceCount(&devices) == cudaSuccess)
      message +=
          " (this process sees " + std::to_string(devices) + " CUDA device(s))";
    return Status::error("NCCL backend: " + message);
  }
  auto comm = std::make_unique<NcclCommunicator>(world, device, timeout);
  if (Status s = comm->connect(world, deadline); !s.ok())
    return s;
  return std::unique_ptr<Communicator>(std::move(comm));
}

} // namespace dsc::runtime
