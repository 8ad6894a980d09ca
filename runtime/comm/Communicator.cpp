//===- Communicator.cpp - Collectives between the ranks of a job ----------===//

#include "runtime/comm/Communicator.h"

#include <string>

namespace dsc::runtime {

Communicator::~Communicator() = default;

Status Communicator::checkCounts(const char *what,
                                 const std::vector<int64_t> &counts) const {
  if (counts.size() != static_cast<size_t>(size()))
    return Status::error(std::string(what) + ": " +
                         std::to_string(counts.size()) + " counts for " +
                         std::to_string(size()) + " ranks");
  for (size_t r = 0; r < counts.size(); ++r)
    if (counts[r] < 0)
      return Status::error(std::string(what) + ": negative count " +
                           std::to_string(counts[r]) + " for rank " +
                           std::to_string(r));
  return Status::success();
}

uint64_t Communicator::totalCount(const std::vector<int64_t> &counts) {
  uint64_t total = 0;
  for (int64_t c : counts)
    total += static_cast<uint64_t>(c);
  return total;
}

namespace {

/// World size 1: the data already is the result. The arguments are still
/// checked, so that a plan that is wrong for one rank fails here as it would
/// on many.
class SingleRankCommunicator final : public Communicator {
public:
  int rank() const override { return 0; }
  int size() const override { return 1; }

  Status allReduce(void *, int64_t elements, DType dtype, ReduceOp) override {
    if (elements < 0)
      return Status::error("all_reduce: negative count " +
                           std::to_string(elements));
    count(static_cast<uint64_t>(elements) * dtypeSize(dtype));
    return Status::success();
  }

  Status reduceScatter(void *, const std::vector<int64_t> &counts,
                       DType dtype) override {
    return chunked("reduce_scatter", counts, dtype);
  }

  Status allGather(void *, const std::vector<int64_t> &counts,
                   DType dtype) override {
    return chunked("all_gather", counts, dtype);
  }

  Status broadcast(void *, int64_t bytes, int root) override {
    if (root != 0)
      return Status::error("broadcast: root " + std::to_string(root) +
                           " is not a rank of a world of size 1");
    if (bytes < 0)
      return Status::error("broadcast: negative size " + std::to_string(bytes));
    count(static_cast<uint64_t>(bytes));
    return Status::success();
  }

  Status barrier() override {
    count(0);
    return Status::success();
  }

private:
  Status chunked(const char *what, const std::vector<int64_t> &counts,
                 DType dtype) {
    if (counts.size() != 1)
      return Status::error(std::string(what) + ": " +
                           std::to_string(counts.size()) +
                           " counts for a world of size 1");
    if (counts[0] < 0)
      return Status::error(std::string(what) + ": negative count " +
                           std::to_string(counts[0]));
    count(static_cast<uint64_t>(counts[0]) * dtypeSize(dtype));
    return Status::success();
  }
};

} // namespace

std::unique_ptr<Communicator> createSingleRankCommunicator() {
  return std::make_unique<SingleRankCommunicator>();
}

Status agreeOnFailure(Communicator &comm, const Status &mine,
                      const std::string &prefix,
                      const std::string &othersMessage) {
  auto prefixed = [&](const Status &s) {
    return prefix.empty() ? s : Status::error(prefix + s.message());
  };
  int64_t failed = mine.ok() ? 0 : 1;
  if (Status s = comm.allReduce(&failed, 1, DType::I64, ReduceOp::Max); !s.ok())
    return prefixed(s);
  if (!mine.ok())
    return prefixed(mine);
  if (failed) {
    comm.notePeerFailure();
    return Status::error(othersMessage);
  }
  return Status::success();
}

} // namespace dsc::runtime
