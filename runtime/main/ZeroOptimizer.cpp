//===- ZeroOptimizer.cpp - The step's collectives and its update ----------===//

#include "runtime/main/ZeroOptimizer.h"

#include "runtime/device/Device.h"
#include "runtime/dispatch/KernelDispatch.h"
#include "runtime/io/FloatConversion.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace dsc::runtime {

namespace {

/// A collective as the manifest check compares it.
struct Descriptor {
  int64_t op = -1;
  int64_t phase = -1;
  int64_t micro = -1;
  int64_t bytes = 0;
};

std::string describe(const Descriptor &d) {
  if (d.op < 0)
    return "no collective";
  std::string s =
      std::string(collectiveOpName(static_cast<CollectiveOp>(d.op))) + " of " +
      std::to_string(d.bytes) + " bytes (" +
      std::string(collectivePhaseName(static_cast<CollectivePhase>(d.phase)));
  if (d.micro >= 0)
    s += " " + std::to_string(d.micro);
  return s + ")";
}

} // namespace

Expected<ZeroOptimizer> ZeroOptimizer::create(RankState &state,
                                              Communicator &comm,
                                              dsrt_train_step_fn trainStep) {
  const Plan &plan = state.plan;
  ZeroOptimizer z(state, comm);
  z.zero = *plan.zero;
  z.rankIndex = comm.rank();
  z.trainStepFn = trainStep;
  if (comm.size() != z.zero.dpSize)
    return Status::error("the plan is for " + std::to_string(z.zero.dpSize) +
                         " data-parallel ranks, the job has " +
                         std::to_string(comm.size()));
  if (!trainStep)
    return Status::error("the rank program has no training step for "
                         "data-parallel rank " +
                         std::to_string(z.rankIndex));
  z.part = z.zero.partitions[z.rankIndex];
  // Params whole on this rank have their arena buffer; stage 3's others
  // live in the partition buffer only.
  for (const ZeroParam &p : z.zero.params) {
    z.params.push_back(p.buffer ? &plan.buffers[*p.buffer] : nullptr);
    if (p.buffer)
      z.dtype = plan.buffers[*p.buffer].dtype;
  }
  if (z.zero.shard) {
    z.shard = state.arena.data() + plan.buffers[*z.zero.shard].offset;
    z.dtype = plan.buffers[*z.zero.shard].dtype;
  }
  z.elemBytes = dtypeSize(z.dtype);
  z.stateDtype = z.dtype;
  for (const PlanBuffer &b : plan.buffers) {
    if (b.role == BufferRole::OptimizerState) {
      z.states.push_back(state.at(b));
      z.names.push_back(b.name);
      z.stateDtype = b.dtype;
    }
    if (b.role == BufferRole::Accumulator)
      z.accumulator = state.at(b);
    // The update's buffers are touched from the start, so the rank's
    // resident memory is what the plan predicts on every rank.
    if (b.role == BufferRole::OptimizerState ||
        b.role == BufferRole::Accumulator || b.role == BufferRole::Staging ||
        b.role == BufferRole::Scalar)
      std::memset(state.at(b), 0, static_cast<size_t>(b.bytes));
  }
  const int64_t gas = plan.batch->gradAccumSteps;
  if (z.zero.stage <= 1 && gas > 1 && !z.zero.accumulateGradients)
    return Status::error(
        plan.path + ": gradient_accumulation_steps " + std::to_string(gas) +
        " with ZeRO stage " + std::to_string(z.zero.stage) +
        " needs a step that adds its gradients up (zero.accumulate_gradients); "
        "compile the model again with this ds-compile");
  if (z.zero.stage >= 2 && !z.accumulator)
    return Status::error(plan.path + ": ZeRO stage " +
                         std::to_string(z.zero.stage) +
                         " needs a gradient accumulator buffer; compile the "
                         "model again with this ds-compile");
  while (z.firstOutside < plan.collectives.size() &&
         plan.collectives[z.firstOutside].phase == CollectivePhase::MicroStep)
    ++z.firstOutside;
  for (const PlanCollective &c : plan.collectives)
    if (c.async && !z.worker)
      z.worker = std::make_unique<CommWorker>();
  return z;
}

PlanRange ZeroOptimizer::ownedRange() const {
  return zero.stage == 0 ? PlanRange{0, zero.flatElements} : part;
}

void ZeroOptimizer::copyState(size_t which, char *flat, bool toFlat) {
  // Each state holds the owned range's elements in flat order.
  const size_t bytes =
      static_cast<size_t>(ownedRange().size()) * dtypeSize(stateDtype);
  if (toFlat)
    std::memcpy(flat, states[which], bytes);
  else
    std::memcpy(states[which], flat, bytes);
}

void ZeroOptimizer::initMasterParams() {
  auto it = std::find(names.begin(), names.end(), kMasterParamsState);
  if (it == names.end())
    return;
  char *master = states[it - names.begin()];
  const PlanRange owned = ownedRange();
  const size_t stateBytes = dtypeSize(stateDtype);
  forEachPiece(owned.begin, owned.end,
               [&](size_t p, int64_t first, int64_t flat, int64_t count) {
                 convertFloats(paramAt(p, first, flat), dtype,
                               master + (flat - owned.begin) * stateBytes,
                               stateDtype, count);
               });
}

Expected<std::vector<char>> ZeroOptimizer::gatherAllParams() {
  std::vector<char> flat;
  if (zero.stage != 3)
    return flat;
  flat.resize(static_cast<size_t>(zero.flatElements) * elemBytes);
  std::vector<int64_t> counts;
  for (const PlanRange &p : zero.partitions)
    counts.push_back(p.size());
  std::memcpy(flat.data() + part.begin * elemBytes, shard,
              static_cast<size_t>(part.size()) * elemBytes);
  if (Status s =
          exec([&] { return comm->allGather(flat.data(), counts, dtype); });
      !s.ok())
    return Status::error("gathering the params: " + s.message());
  return flat;
}

char *ZeroOptimizer::paramAt(size_t p, int64_t first, int64_t flat) {
  if (zero.stage == 3)
    return shard + (flat - part.begin) * elemBytes;
  return state->at(*params[p]) + first * elemBytes;
}

Status ZeroOptimizer::gatherParam(const PlanCollective &c, char *output) {
  // This rank's pieces (from the arena's params, or stage 3's partition) at
  // their place in the output; then every rank's pieces, in place.
  forEachPiece(std::max(c.range.begin, part.begin),
               std::min(c.range.end, part.end),
               [&](size_t p, int64_t first, int64_t flat, int64_t count) {
                 std::memcpy(output + (flat - c.range.begin) * elemBytes,
                             paramAt(p, first, flat), count * elemBytes);
               });
  return comm->allGather(output, c.counts, dtype);
}

template <typename Fn>
void ZeroOptimizer::forEachPiece(int64_t lo, int64_t hi, Fn fn) {
  const std::vector<int64_t> &offsets = zero.flatOffsets;
  // The last param starting at or before lo.
  size_t p =
      std::upper_bound(offsets.begin(), offsets.end(), lo) - offsets.begin();
  p = p == 0 ? 0 : p - 1;
  for (; p < zero.params.size() && offsets[p] < hi; ++p) {
    int64_t begin = std::max(lo, offsets[p]);
    int64_t end = std::min(hi, offsets[p] + zero.params[p].numel);
    if (begin < end)
      fn(p, begin - offsets[p], begin, end - begin);
  }
}

Status ZeroOptimizer::checkManifest() {
  if (comm->size() == 1)
    return Status::success();
  // First the lengths, then every descriptor of every rank.
  int64_t lengths[2] = {static_cast<int64_t>(state->plan.collectives.size()),
                        -static_cast<int64_t>(state->plan.collectives.size())};
  if (Status s = comm->allReduce(lengths, 2, DType::I64, ReduceOp::Max);
      !s.ok())
    return Status::error("comparing the collective manifests: " + s.message());
  const int64_t longest = lengths[0];
  const int64_t fields = 4;
  std::vector<int64_t> all(static_cast<size_t>(longest * fields * comm->size()),
                           -1);
  int64_t *mine = all.data() + rankIndex * longest * fields;
  for (size_t i = 0; i < state->plan.collectives.size(); ++i) {
    const PlanCollective &c = state->plan.collectives[i];
    mine[i * fields + 0] = static_cast<int64_t>(c.op);
    mine[i * fields + 1] = static_cast<int64_t>(c.phase);
    mine[i * fields + 2] = c.micro;
    mine[i * fields + 3] = c.bytes;
  }
  std::vector<int64_t> counts(comm->size(), longest * fields);
  if (Status s = comm->allGather(all.data(), counts, DType::I64); !s.ok())
    return Status::error("comparing the collective manifests: " + s.message());
  auto at = [&](int64_t r, int64_t i) {
    const int64_t *d = all.data() + (r * longest + i) * fields;
    Descriptor out;
    if (d[0] >= 0)
      out = {d[0], d[1], d[2], d[3]};
    return out;
  };
  for (int64_t i = 0; i < longest; ++i) {
    Descriptor first = at(0, i);
    for (int64_t r = 1; r < comm->size(); ++r) {
      Descriptor other = at(r, i);
      if (other.op != first.op || other.phase != first.phase ||
          other.micro != first.micro || other.bytes != first.bytes)
        return Status::error(
            "the ranks' plans disagree at collective #" + std::to_string(i) +
            ": rank 0 runs " + describe(first) + ", rank " + std::to_string(r) +
            " runs " + describe(other) +
            " (were the ranks started from different ds-compile outputs?)");
    }
  }
  return Status::success();
}

Status ZeroOptimizer::failed(const PlanCollective &c, const Status &s) {
  return Status::error("collective #" + std::to_string(c.seq) + " (" +
                       std::string(collectiveOpName(c.op)) + " of " +
                       std::to_string(c.bytes) + " bytes on group " + c.group +
                       ") failed: " + s.message());
}

Status ZeroOptimizer::runInStep(const PlanCollective &c, char *data) {
  ranBytes += static_cast<uint64_t>(c.bytes);
  // ZeRO-3: the buffer the step gathers a param into.
  if (c.payload == CollectivePayload::Parameters) {
    Status s = gatherParam(c, data);
    return s.ok() ? s : failed(c, s);
  }
  // ZeRO-2 and 3: the bucket's gradients (in the arena) reduced onto their
  // owners in place; this rank adds its chunk / GAS to its partition's sum.
  Status s = comm->reduceScatter(data, c.counts, dtype);
  if (!s.ok())
    return failed(c, s);
  const double inv =
      1.0 / static_cast<double>(state->plan.batch->gradAccumSteps);
  int64_t lo = std::max(c.range.begin, part.begin);
  int64_t hi = std::min(c.range.end, part.end);
  if (lo < hi)
    withFloatType(dtype, [&](auto zero) {
      using T = decltype(zero);
      const T *src =
          reinterpret_cast<const T *>(data + (lo - c.range.begin) * elemBytes);
      T *dst =
          reinterpret_cast<T *>(accumulator + (lo - part.begin) * elemBytes);
      const auto f = static_cast<ArithmeticOf<T>>(inv);
      for (int64_t i = 0; i < hi - lo; ++i)
        dst[i] = narrow<T>(widen(dst[i]) + widen(src[i]) * f);
    });
  return Status::success();
}

void ZeroOptimizer::beforeMicroStep(int64_t micro) {
  currentMicro = micro;
  inStepIndex = 0;
}

void ZeroOptimizer::run(int32_t index, void *const *data) {
  const std::vector<PlanCollective> &list = state->plan.collectives;
  Status s;
  if (cursor >= list.size() ||
      list[cursor].phase != CollectivePhase::MicroStep ||
      list[cursor].micro != currentMicro || index != inStepIndex) {
    s = Status::error("the step calls collective " + std::to_string(index) +
                      " of micro-step " + std::to_string(currentMicro) +
                      ", which the plan does not list there");
  } else {
    // A gradient bucket (reduce_scatter, in place) or the buffer a param
    // is gathered into (all_gather's output).
    const PlanCollective &c = list[cursor];
    char *buffer = static_cast<char *>(
        c.op == CollectiveOp::AllGather ? data[1] : data[0]);
    if (c.async) {
      // Prefetch: runs on the worker while the step goes on.
      pending[index] =
          worker->submit([this, &c, buffer] { return runInStep(c, buffer); });
    } else {
      s = exec([&] { return runInStep(c, buffer); });
    }
    ++cursor;
    ++inStepIndex;
  }
  if (!s.ok())
    reportError(1, s.message());
}

void ZeroOptimizer::runOutside(int32_t index, void *data) {
  const std::vector<PlanCollective> &list = state->plan.collectives;
  const size_t at = firstOutside + static_cast<size_t>(index);
  if (index < 0 || at >= list.size() || at != cursor) {
    reportError(1, "the update calls collective " + std::to_string(index) +
                       " outside the step, which the plan does not list "
                       "there");
    return;
  }
  const PlanCollective &c = list[cursor];
  // The norm and the loss are float64 scalars; the rest are params or
  // gradients.
  const DType type = c.payload == CollectivePayload::GradNormSquared ||
                             c.payload == CollectivePayload::Loss
                         ? DType::F64
                         : dtype;
  ranBytes += static_cast<uint64_t>(c.bytes);
  Status s = exec([&] {
    switch (c.op) {
    case CollectiveOp::AllReduce:
      return comm->allReduce(data, c.range.size(), type, ReduceOp::Sum);
    case CollectiveOp::ReduceScatter:
      return comm->reduceScatter(data, c.counts, type);
    case CollectiveOp::AllGather:
      return comm->allGather(data, c.counts, type);
    }
    return Status::error("unknown collective");
  });
  // The step's sequence starts again after its last collective.
  if (++cursor == list.size())
    cursor = 0;
  if (!s.ok())
    reportError(1, failed(c, s).message());
}

void ZeroOptimizer::wait(int32_t index) {
  auto it = pending.find(index);
  if (it == pending.end()) {
    reportError(1, "the step waits for collective " + std::to_string(index) +
                       " of micro-step " + std::to_string(currentMicro) +
                       ", which it did not start asynchronously");
    return;
  }
  Status s = worker->wait(it->second);
  pending.erase(it);
  if (!s.ok())
    reportError(1, s.message());
}

Status ZeroOptimizer::exec(const std::function<Status()> &task) {
  return worker ? worker->run(task) : task();
}

Status ZeroOptimizer::afterMicroStep(int64_t micro) {
  if (!pending.empty())
    return Status::error("the step started collective " +
                         std::to_string(pending.begin()->first) +
                         " of micro-step " + std::to_string(micro) +
                         " and did not wait for it");
  // Stages 0 and 1: the gradients stay in the arena (the step sums the
  // micro-steps there). Stages 2 and 3: the step must have called every
  // collective the plan lists for this micro-step.
  const std::vector<PlanCollective> &list = state->plan.collectives;
  if (cursor < list.size() &&
      list[cursor].phase == CollectivePhase::MicroStep &&
      list[cursor].micro == micro)
    return Status::error("the plan lists collective #" +
                         std::to_string(list[cursor].seq) + " in micro-step " +
                         std::to_string(micro) +
                         ", but the step did not call it");
  return Status::success();
}

Expected<ZeroOptimizer::Reduced>
ZeroOptimizer::trainStep(int64_t step, int64_t skipped, double lossScale) {
  double report[DSRT_REPORT_FIELDS] = {};
  trainStepFn(&state->ctx, state->arena.data(), report, step, skipped,
              lossScale);
  // On a GPU: the step's last kernels, and what they found.
  if (Status s = deviceStepDone(); !s.ok())
    return s;
  // Every collective of the plan ran, in order: the sequence starts again.
  if (cursor == state->plan.collectives.size())
    cursor = 0;
  if (cursor != 0)
    return Status::error("the training step did not call every collective "
                         "the plan lists (it stopped before #" +
                         std::to_string(state->plan.collectives[cursor].seq) +
                         ")");
  Reduced out;
  out.loss = report[DSRT_REPORT_LOSS];
  out.gradNorm = report[DSRT_REPORT_GRAD_NORM];
  out.lr = report[DSRT_REPORT_LR];
  out.beta1 = report[DSRT_REPORT_BETA1];
  out.beta2 = report[DSRT_REPORT_BETA2];
  out.overflow = report[DSRT_REPORT_OVERFLOW] != 0.0;
  return out;
}

} // namespace dsc::runtime
