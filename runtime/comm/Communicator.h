//===- Communicator.h - Collectives between the ranks of a job --*- C++ -*-===//
//
// The interface the trainer runs its collectives through, whatever carries
// them (Gloo on the CPU, NCCL on GPUs, nothing for a single rank). Buffers are
// in place; every collective is blocking, runs on all ranks in the same
// order, and returns an error Status instead of hanging or aborting when a
// peer dies or does not answer within the communicator's timeout.
//
// payloadBytes() counts what the plan predicts, so that the measured traffic
// can be checked against it: allReduce count*elemsize, reduceScatter and
// allGather sum(counts)*elemsize, broadcast its bytes, barrier 0. Only
// collectives that succeeded count.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_RUNTIME_COMM_COMMUNICATOR_H
#define DSC_RUNTIME_COMM_COMMUNICATOR_H

#include "runtime/io/DType.h"
#include "runtime/io/Status.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace dsc::runtime {

enum class ReduceOp { Sum, Max };

class Communicator {
public:
  virtual ~Communicator();

  virtual int rank() const = 0;
  virtual int size() const = 0;

  /// In place over `count` elements of `dtype` (F32, F64, F16, BF16, I64,
  /// I32; 16-bit floats add in float32 and round back).
  virtual Status allReduce(void *data, int64_t count, DType dtype,
                           ReduceOp op) = 0;
  /// `data` holds size() consecutive chunks, chunk r has counts[r] elements
  /// (counts.size() == size(); counts may differ and may be 0). Afterwards
  /// chunk rank() of `data` holds the element-wise SUM over all ranks of
  /// that chunk; other chunks are unspecified.
  virtual Status reduceScatter(void *data, const std::vector<int64_t> &counts,
                               DType dtype) = 0;
  /// `data` holds size() consecutive chunks as above; chunk rank() is this
  /// rank's input. Afterwards every chunk holds its owner's input.
  virtual Status allGather(void *data, const std::vector<int64_t> &counts,
                           DType dtype) = 0;
  /// `bytes` bytes of `data` from rank `root` to every rank.
  virtual Status broadcast(void *data, int64_t bytes, int root) = 0;
  virtual Status barrier() = 0;

  /// Payload bytes of every collective this communicator ran, as the plan
  /// counts them: allReduce: count*elemsize; reduceScatter and allGather:
  /// sum(counts)*elemsize; broadcast: bytes; barrier: 0.
  uint64_t payloadBytes() const { return payload; }
  uint64_t collectiveCount() const { return calls; }

  /// Whether this rank's failure is a consequence of another's: a collective
  /// failed because a rank is gone, or the ranks agreed that another rank
  /// failed. The rank then says it stopped rather than failed, so the
  /// launcher can name the rank whose failure came first.
  bool peerFailed() const { return peerFailure; }
  void notePeerFailure() { peerFailure = true; }

protected:
  void count(uint64_t bytes) {
    payload += bytes;
    ++calls;
  }
  /// The counts of a chunked collective (reduceScatter, allGather): one per
  /// rank, none negative. `what` names the collective in the error.
  Status checkCounts(const char *what,
                     const std::vector<int64_t> &counts) const;
  /// The elements of a chunked collective: its counts' sum (checked ones).
  static uint64_t totalCount(const std::vector<int64_t> &counts);

private:
  uint64_t payload = 0, calls = 0;
  bool peerFailure = false;
};

/// Every rank learns whether any rank failed (an all-reduce of a failure
/// flag), so that one rank's failure stops all of them with a message rather
/// than a hang. A failing rank gets its own message back, the others
/// `othersMessage` (and their failure is noted as a peer's); `prefix`, when
/// given, goes before the failing rank's message and a failed all-reduce's.
Status agreeOnFailure(Communicator &comm, const Status &mine,
                      const std::string &prefix,
                      const std::string &othersMessage);

/// A communicator of one rank (world size 1): every collective is a no-op
/// that still counts.
std::unique_ptr<Communicator> createSingleRankCommunicator();

} // namespace dsc::runtime

#endif // DSC_RUNTIME_COMM_COMMUNICATOR_H
