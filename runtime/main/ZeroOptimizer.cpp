//===- ZeroOptimizer.cpp - Accumulation, collectives and the update -------===//

#include "runtime/main/ZeroOptimizer.h"

#include "kernels/optimizer/Optimizer.h"
#include "runtime/dispatch/KernelDispatch.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace dsc::runtime {

namespace k = dsc::kernels::cpu;

namespace {

/// fn(static_cast<T *>(...)) with T the float type of `dtype`.
template <typename Fn> void withFloat(DType dtype, Fn fn) {
  if (dtype == DType::F64)
    fn(double());
  else
    fn(float());
}

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
                                              Communicator &comm) {
  const Plan &plan = state.plan;
  ZeroOptimizer z(state, comm);
  z.zero = *plan.zero;
  z.rankIndex = comm.rank();
  if (comm.size() != z.zero.dpSize)
    return Status::error("the plan is for " + std::to_string(z.zero.dpSize) +
                         " data-parallel ranks, the job has " +
                         std::to_string(comm.size()));
  z.part = z.zero.partitions[z.rankIndex];
  // Params whole on this rank have their arena buffer; stage 3's others
  // live in the partition buffer only.
  for (const ZeroParam &p : z.zero.params) {
    z.params.push_back(p.buffer ? &plan.buffers[*p.buffer] : nullptr);
    z.grads.push_back(plan.find(p.name, BufferRole::Grad));
    if (p.buffer)
      z.dtype = plan.buffers[*p.buffer].dtype;
  }
  if (z.zero.shard) {
    z.shard = state.arena.data() + plan.buffers[*z.zero.shard].offset;
    z.dtype = plan.buffers[*z.zero.shard].dtype;
  }
  z.elemBytes = dtypeSize(z.dtype);

  z.direct = z.zero.stage <= 1;
  const int64_t gas = plan.batch->gradAccumSteps;
  if (z.direct && gas > 1 && !z.zero.accumulateGradients)
    return Status::error(
        plan.path + ": gradient_accumulation_steps " + std::to_string(gas) +
        " with ZeRO stage " + std::to_string(z.zero.stage) +
        " needs a step that adds its gradients up (zero.accumulate_gradients); "
        "compile the model again with this ds-compile");
  const int64_t accum = z.direct            ? 0
                        : z.zero.stage >= 2 ? z.part.size()
                                            : z.zero.flatElements;
  Expected<AlignedBuffer> acc = AlignedBuffer::allocate(
      accum * z.elemBytes, "the gradient accumulator", &state.memory);
  if (!acc)
    return acc.status();
  z.accumulator = std::move(acc).value();
  Expected<AlignedBuffer> stage =
      AlignedBuffer::allocate(z.zero.stagingElements * z.elemBytes,
                              "the collectives' staging buffer", &state.memory);
  if (!stage)
    return stage.status();
  z.staging = std::move(stage).value();

  // Stage 0 updates every param; stages 1-3 the pieces of params in this
  // rank's partition (stage 3: in the partition buffer).
  std::vector<OptimizerSlot> slots;
  PlanRange owned =
      z.zero.stage == 0 ? PlanRange{0, z.zero.flatElements} : z.part;
  z.forEachPiece(owned.begin, owned.end,
                 [&](size_t p, int64_t first, int64_t flat, int64_t count) {
                   slots.push_back({z.zero.params[p].name, z.dtype, count,
                                    z.paramAt(p, first, flat),
                                    z.gradientAt(p, first, flat)});
                 });
  Expected<OptimizerDriver> driver =
      OptimizerDriver::create(*plan.optimizer, std::move(slots), &state.memory);
  if (!driver)
    return driver.status();
  z.driver.emplace(std::move(driver).value());
  for (const PlanCollective &c : plan.collectives)
    if (c.async && !z.worker)
      z.worker = std::make_unique<CommWorker>();
  return z;
}

PlanRange ZeroOptimizer::ownedRange() const {
  return zero.stage == 0 ? PlanRange{0, zero.flatElements} : part;
}

void ZeroOptimizer::copyState(size_t which, char *flat, bool toFlat) {
  // The slots are the owned range's param pieces in flat order.
  size_t at = 0;
  for (size_t i = 0; i < driver->numSlots(); ++i) {
    size_t bytes = static_cast<size_t>(driver->slot(i).numel) * elemBytes;
    char *state = driver->state(which, i);
    if (toFlat)
      std::memcpy(flat + at, state, bytes);
    else
      std::memcpy(state, flat + at, bytes);
    at += bytes;
  }
}

char *ZeroOptimizer::gradientAt(size_t p, int64_t first, int64_t flat) {
  if (direct)
    return state->at(*grads[p]) + first * elemBytes;
  int64_t at = zero.stage >= 2 ? flat - part.begin : flat;
  return accumulator.data() + at * elemBytes;
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

template <typename Fn> void ZeroOptimizer::forEachGradient(PlanRange r, Fn fn) {
  forEachPiece(r.begin, r.end,
               [&](size_t p, int64_t first, int64_t flat, int64_t count) {
                 fn(gradientAt(p, first, flat), count);
               });
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

void ZeroOptimizer::copyPieces(int64_t lo, int64_t hi, int64_t base,
                               bool fromParams, bool toStaging) {
  forEachPiece(lo, hi,
               [&](size_t p, int64_t first, int64_t flat, int64_t count) {
                 const PlanBuffer &b = fromParams ? *params[p] : *grads[p];
                 char *arena = state->at(b) + first * elemBytes;
                 char *stage = staging.data() + (flat - base) * elemBytes;
                 if (toStaging)
                   std::memcpy(stage, arena, count * elemBytes);
                 else
                   std::memcpy(arena, stage, count * elemBytes);
               });
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

Status ZeroOptimizer::runCollective(const PlanCollective &c) {
  Status s;
  ranBytes += static_cast<uint64_t>(c.bytes);
  switch (c.payload) {
  case CollectivePayload::GradNormSquared:
    s = comm->allReduce(&normSq, 1, DType::F64, ReduceOp::Sum);
    break;
  case CollectivePayload::Loss:
    s = comm->allReduce(&lossSum, 1, DType::F64, ReduceOp::Sum);
    break;
  case CollectivePayload::Gradients:
    if (c.phase == CollectivePhase::MicroStep) {
      // Stage 2, inside the step: the bucket's gradients (in the arena)
      // reduced onto their owners in place; this rank adds its chunk / GAS
      // to its partition's sum.
      const double inv =
          1.0 / static_cast<double>(state->plan.batch->gradAccumSteps);
      s = comm->reduceScatter(inStepBuffer, c.counts, dtype);
      int64_t lo = std::max(c.range.begin, part.begin);
      int64_t hi = std::min(c.range.end, part.end);
      if (s.ok() && lo < hi)
        withFloat(dtype, [&](auto zero) {
          using T = decltype(zero);
          const T *src = reinterpret_cast<const T *>(
              inStepBuffer + (lo - c.range.begin) * elemBytes);
          T *dst = reinterpret_cast<T *>(accumulator.data() +
                                         (lo - part.begin) * elemBytes);
          const T f = static_cast<T>(inv);
          for (int64_t i = 0; i < hi - lo; ++i)
            dst[i] += src[i] * f;
        });
    } else if (direct) {
      // The arena's gradients through the staging buffer: the whole bucket
      // back (all_reduce) or this rank's chunk of it (reduce_scatter).
      copyPieces(c.range.begin, c.range.end, c.range.begin,
                 /*fromParams=*/false, /*toStaging=*/true);
      PlanRange back = c.range;
      if (c.op == CollectiveOp::AllReduce) {
        s = comm->allReduce(staging.data(), c.range.size(), dtype,
                            ReduceOp::Sum);
      } else {
        s = comm->reduceScatter(staging.data(), c.counts, dtype);
        back = {std::max(c.range.begin, part.begin),
                std::min(c.range.end, part.end)};
      }
      if (s.ok() && back.begin < back.end)
        copyPieces(back.begin, back.end, c.range.begin, /*fromParams=*/false,
                   /*toStaging=*/false);
    } else if (c.op == CollectiveOp::AllReduce) {
      s = comm->allReduce(accumulator.data() + c.range.begin * elemBytes,
                          c.range.size(), dtype, ReduceOp::Sum);
    } else {
      // Stage 1: in place on the flat accumulator; chunk r of the bucket
      // is rank r's part of it.
      s = comm->reduceScatter(accumulator.data() + c.range.begin * elemBytes,
                              c.counts, dtype);
    }
    break;
  case CollectivePayload::Parameters: {
    // Inside the step (stage 3): into the buffer the step gathers into.
    if (c.phase == CollectivePhase::MicroStep) {
      s = gatherParam(c, inStepBuffer);
      break;
    }
    // After the optimizer: params every rank holds whole, gathered in place
    // when the bucket is one param, else through the staging buffer.
    // The param holding the bucket's first element.
    size_t p = std::upper_bound(zero.flatOffsets.begin(),
                                zero.flatOffsets.end(), c.range.begin) -
               zero.flatOffsets.begin() - 1;
    if (p >= params.size() || !params[p]) {
      s = Status::error("no whole param at flat element " +
                        std::to_string(c.range.begin));
      break;
    }
    if (zero.flatOffsets[p] == c.range.begin &&
        zero.params[p].numel == c.range.size()) {
      s = gatherParam(c, state->at(*params[p]));
      break;
    }
    s = gatherParam(c, staging.data());
    if (s.ok())
      copyPieces(c.range.begin, c.range.end, c.range.begin,
                 /*fromParams=*/true, /*toStaging=*/false);
    break;
  }
  }
  if (!s.ok())
    return Status::error("collective #" + std::to_string(c.seq) + " (" +
                         std::string(collectiveOpName(c.op)) + " of " +
                         std::to_string(c.bytes) + " bytes on group " +
                         c.group + ") failed: " + s.message());
  return Status::success();
}

Status ZeroOptimizer::runPhase(CollectivePhase phase, CollectivePayload payload,
                               int64_t micro) {
  const std::vector<PlanCollective> &list = state->plan.collectives;
  while (cursor < list.size() && list[cursor].phase == phase &&
         list[cursor].payload == payload && list[cursor].micro == micro) {
    const PlanCollective &c = list[cursor];
    if (Status s = exec([&] { return runCollective(c); }); !s.ok())
      return s;
    ++cursor;
  }
  // The step's sequence starts again after its last collective.
  if (cursor == list.size())
    cursor = 0;
  return Status::success();
}

void ZeroOptimizer::beforeMicroStep(int64_t micro) {
  if (zero.stage >= 2 && micro == 0)
    std::memset(accumulator.data(), 0, accumulator.size());
  // Stages 0 and 1 with several micro-steps: the step adds into its
  // gradient buffers (accumulate-gradients), which start each optimizer
  // step at zero.
  if (direct && micro == 0 && state->plan.batch->gradAccumSteps > 1)
    for (const PlanBuffer *g : grads)
      if (g)
        std::memset(state->at(*g), 0, g->bytes);
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
    if (c.async) {
      // Prefetch: runs on the worker while the step goes on.
      char *output = static_cast<char *>(data[1]);
      pending[index] = worker->submit([this, &c, output] {
        ranBytes += static_cast<uint64_t>(c.bytes);
        Status st = gatherParam(c, output);
        return st.ok() ? st
                       : Status::error("collective #" + std::to_string(c.seq) +
                                       " (all_gather of " +
                                       std::to_string(c.bytes) +
                                       " bytes on group " + c.group +
                                       ") failed: " + st.message());
      });
    } else {
      inStepBuffer = static_cast<char *>(
          c.op == CollectiveOp::AllGather ? data[1] : data[0]);
      s = exec([&] { return runCollective(c); });
    }
    ++cursor;
    ++inStepIndex;
  }
  if (!s.ok())
    reportError(1, s.message());
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
ZeroOptimizer::reduceGradients(double localLoss) {
  if (Status s =
          runPhase(CollectivePhase::Boundary, CollectivePayload::Gradients);
      !s.ok())
    return s;
  // The optimizer's gradient: stage 0 every element, else the partition;
  // every rank adds its partition's squares once to the global norm.
  const PlanRange owned = ownedRange();
  const int64_t dp = zero.dpSize;
  // The mean over the ranks, and over the micro-steps the step summed.
  double mean = 1.0 / static_cast<double>(dp);
  if (direct)
    mean /= static_cast<double>(state->plan.batch->gradAccumSteps);
  withFloat(dtype, [&](auto zero) {
    using T = decltype(zero);
    if (mean != 1.0)
      forEachGradient(owned, [&](char *g, int64_t n) {
        k::scale(reinterpret_cast<T *>(g), n, static_cast<T>(mean));
      });
    normSq = 0.0;
    forEachGradient(part, [&](char *g, int64_t n) {
      normSq += k::sumOfSquares(reinterpret_cast<const T *>(g), n);
    });
  });
  if (Status s = runPhase(CollectivePhase::Boundary,
                          CollectivePayload::GradNormSquared);
      !s.ok())
    return s;
  const double clip = state->plan.gradientClipping;
  if (clip > 0.0) {
    float coef = k::clipCoefficient(normSq, clip);
    if (coef < 1.0f)
      withFloat(dtype, [&](auto zero) {
        using T = decltype(zero);
        forEachGradient(owned, [&](char *g, int64_t n) {
          k::scale(reinterpret_cast<T *>(g), n, static_cast<T>(coef));
        });
      });
  }
  lossSum = localLoss;
  if (Status s = runPhase(CollectivePhase::Boundary, CollectivePayload::Loss);
      !s.ok())
    return s;
  Reduced out;
  out.gradNorm = std::sqrt(normSq);
  out.loss = lossSum / static_cast<double>(dp);
  return out;
}

Status ZeroOptimizer::update(const LrState &lr, int64_t step) {
  driver->step(lr, step);
  return runPhase(CollectivePhase::AfterOptimizer,
                  CollectivePayload::Parameters);
}

} // namespace dsc::runtime
