//===- ZeroPartition.cpp - Data-parallel ZeRO layout and collectives ------===//

#include "compiler/partition/ZeroPartition.h"

#include "llvm/ADT/Twine.h"

#include <algorithm>

namespace dsc::partition {

namespace {

llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// Consecutive ranges of at most `bucket` elements covering [0, total).
std::vector<FlatRange> buckets(int64_t total, int64_t bucket) {
  std::vector<FlatRange> out;
  for (int64_t b = 0; b < total; b += bucket)
    out.push_back({b, std::min(total, b + bucket)});
  return out;
}

} // namespace

std::vector<int64_t> countsIn(const FlatRange &range,
                              const std::vector<FlatRange> &partitions) {
  std::vector<int64_t> counts;
  for (const FlatRange &p : partitions)
    counts.push_back(std::max<int64_t>(0, std::min(range.end, p.end) -
                                              std::max(range.begin, p.begin)));
  return counts;
}

namespace {

/// Per rank: where its piece of `range` starts, counted from `base(r)`.
template <typename Base>
std::vector<int64_t> pieceStarts(const FlatRange &range,
                                 const std::vector<FlatRange> &partitions,
                                 Base base) {
  std::vector<int64_t> counts = countsIn(range, partitions);
  std::vector<int64_t> starts;
  for (size_t r = 0; r < partitions.size(); ++r)
    starts.push_back(
        counts[r] == 0 ? 0
                       : std::max(range.begin, partitions[r].begin) - base(r));
  return starts;
}

} // namespace

std::vector<int64_t>
pieceStartsInPartitions(const FlatRange &range,
                        const std::vector<FlatRange> &partitions) {
  return pieceStarts(range, partitions,
                     [&](size_t r) { return partitions[r].begin; });
}

std::vector<int64_t>
pieceStartsInRange(const FlatRange &range,
                   const std::vector<FlatRange> &partitions) {
  return pieceStarts(range, partitions, [&](size_t) { return range.begin; });
}

std::vector<FlatRange> partitionsOf(int64_t total, int64_t dpSize) {
  std::vector<FlatRange> out;
  const int64_t share = (total + dpSize - 1) / dpSize;
  for (int64_t r = 0; r < dpSize; ++r)
    out.push_back(
        {std::min(total, r * share), std::min(total, (r + 1) * share)});
  return out;
}

std::vector<FlatRange> wholeParamBuckets(const std::vector<FlatRange> &params,
                                         int64_t bucketElements) {
  std::vector<FlatRange> out;
  for (const FlatRange &p : params) {
    if (!out.empty() && out.back().end == p.begin &&
        out.back().size() + p.size() <= bucketElements)
      out.back().end = p.end;
    else
      out.push_back(p);
  }
  return out;
}

std::vector<FlatRange> paramBuckets(const std::vector<int64_t> &numels,
                                    int64_t bucketElements) {
  std::vector<FlatRange> out;
  int64_t at = 0;
  for (int64_t n : numels) {
    if (out.empty() || out.back().size() + n > bucketElements ||
        out.back().end != at)
      out.push_back({at, at + n});
    else
      out.back().end += n;
    at += n;
  }
  return out;
}

bool stepAccumulatesGradients(int64_t stage, int64_t gradAccumSteps) {
  return stage <= 1 && gradAccumSteps > 1;
}

bool ZeroPlan::gradientsInPlace() const { return stage <= 1; }

int64_t ZeroPlan::bytesPerStep() const {
  int64_t total = 0;
  for (const PlannedCollective &c : collectives)
    total += c.bytes();
  return total;
}

llvm::Expected<ZeroPlan> planZero(const ZeroInputs &in) {
  if (in.stage < 0 || in.stage > 3)
    return makeError("zero_optimization.stage must be 0, 1, 2 or 3, got " +
                     llvm::Twine(in.stage));
  if (in.dpSize < 1 || in.gradAccumSteps < 1)
    return makeError("the data-parallel size and the accumulation steps "
                     "must be >= 1");
  if (in.reduceBucketElements < 1)
    return makeError("zero_optimization.reduce_bucket_size must be >= 1, got " +
                     llvm::Twine(in.reduceBucketElements));
  if (in.allgatherBucketElements < 1)
    return makeError(
        "zero_optimization.allgather_bucket_size must be >= 1, got " +
        llvm::Twine(in.allgatherBucketElements));

  ZeroPlan plan;
  plan.stage = in.stage;
  plan.dpSize = in.dpSize;
  plan.gradAccumSteps = in.gradAccumSteps;
  plan.elementBytes = in.elementBytes;
  plan.reduceBucketElements = in.reduceBucketElements;
  plan.allgatherBucketElements = in.allgatherBucketElements;
  for (size_t i = 0; i < in.params.size(); ++i) {
    const auto &[name, numel] = in.params[i];
    FlatParam p{name, numel, plan.flatElements, {numel}, true};
    if (i < in.shapes.size())
      p.shape = in.shapes[i];
    if (i < in.whole.size())
      p.whole = in.whole[i];
    plan.params.push_back(std::move(p));
    plan.flatElements += numel;
  }
  const int64_t total = plan.flatElements;
  plan.partitions = partitionsOf(total, in.dpSize);

  auto add = [&](CollectiveKind kind, CollectivePhase phase, int64_t micro,
                 CollectivePayload payload, FlatRange range) {
    PlannedCollective c;
    c.seq = static_cast<int64_t>(plan.collectives.size());
    c.kind = kind;
    c.phase = phase;
    c.micro = micro;
    c.payload = payload;
    c.range = range;
    if (kind != CollectiveKind::AllReduce)
      c.counts = countsIn(range, plan.partitions);
    bool scalar = payload == CollectivePayload::GradNormSquared ||
                  payload == CollectivePayload::Loss;
    c.elementBytes = scalar ? 8 : in.elementBytes;
    c.dtype = scalar ? "float64" : in.dtype;
    plan.collectives.push_back(std::move(c));
  };

  // One rank has nothing to exchange.
  std::vector<int64_t> numels;
  for (const FlatParam &p : plan.params)
    numels.push_back(p.numel);
  std::vector<FlatRange> reduceBuckets =
      paramBuckets(numels, in.reduceBucketElements);

  // Stages 2 and 3: what the step itself calls, in its order, once per
  // micro-step (also on one rank: the step calls them).
  if (in.stage >= 2) {
    std::vector<FlatRange> sorted;
    for (const ZeroInputs::InStep &c : in.inStep)
      if (c.kind == CollectiveKind::ReduceScatter)
        sorted.push_back(c.range);
    std::sort(sorted.begin(), sorted.end(),
              [](const FlatRange &a, const FlatRange &b) {
                return a.begin < b.begin;
              });
    int64_t at = 0;
    for (const FlatRange &b : sorted) {
      if (b.begin != at)
        return makeError("the step's gradient buckets do not cover the "
                         "params once (at flat element " +
                         llvm::Twine(at) + ")");
      at = b.end;
    }
    if (at != total)
      return makeError("the step's gradient buckets cover " + llvm::Twine(at) +
                       " of " + llvm::Twine(total) +
                       " flat elements (run zero-reduce-gradients)");
    for (int64_t m = 0; m < in.gradAccumSteps; ++m)
      for (const ZeroInputs::InStep &c : in.inStep) {
        add(c.kind, CollectivePhase::MicroStep, m,
            c.kind == CollectiveKind::ReduceScatter
                ? CollectivePayload::Gradients
                : CollectivePayload::Parameters,
            c.range);
        plan.collectives.back().async = c.async;
      }
  }
  // Several ranks exchange the rest outside the step, as the plan's
  // @boundary says.
  if (in.dpSize > 1 && in.boundary.empty())
    return makeError("the plan has no exchange at the accumulation boundary "
                     "for its " +
                     llvm::Twine(in.dpSize) +
                     " ranks (run zero-boundary-exchange)");
  for (const ZeroInputs::Outside &c : in.boundary)
    add(c.kind, c.phase, -1, c.payload, c.range);

  for (int64_t r = 0; r < in.dpSize; ++r) {
    // Everything lives in the arena, which every rank allocates alike:
    // its update buffers have room for the largest partition, and what a
    // smaller one leaves over counts as workspace.
    MemorySplit m;
    m.parameters = in.arenaParamBytes;
    const int64_t accumulator =
        in.arenaAccumulatorBytes > 0
            ? plan.partitions[r].size() * in.elementBytes
            : 0;
    m.gradients = in.arenaGradBytes + accumulator;
    int64_t updated = in.stage == 0 ? total : plan.partitions[r].size();
    m.optimizerStates =
        updated * in.optimizerStatesPerElement * in.stateElementBytes;
    m.workspace = in.arenaWorkspaceBytes +
                  (in.arenaAccumulatorBytes - accumulator) +
                  (in.arenaStateBytes - m.optimizerStates);
    m.activations = in.arenaBytes - m.parameters - m.gradients -
                    m.optimizerStates - m.workspace;
    plan.memory.push_back(m);
  }
  return plan;
}

void printZeroPlan(llvm::raw_ostream &os, const ZeroPlan &plan) {
  os << "zero: stage " << plan.stage << " over " << plan.dpSize
     << " data-parallel rank(s); " << plan.flatElements
     << " trainable elements in " << plan.params.size() << " params\n";
  for (size_t r = 0; r < plan.partitions.size(); ++r) {
    const FlatRange &p = plan.partitions[r];
    const MemorySplit &m = plan.memory[r];
    os << "  rank " << r << ": partition [" << p.begin << ", " << p.end
       << "); memory bytes: parameters " << m.parameters << ", gradients "
       << m.gradients << ", optimizer states " << m.optimizerStates
       << ", activations " << m.activations << ", workspace " << m.workspace
       << ", total " << m.total() << "\n";
  }
  os << "collectives per optimizer step: " << plan.collectives.size() << " ("
     << plan.bytesPerStep() << " bytes per rank)\n";
  for (const PlannedCollective &c : plan.collectives) {
    os << "  #" << c.seq << " " << runtime::collectiveOpName(c.kind) << " dp "
       << runtime::collectivePayloadName(c.payload) << " [" << c.range.begin
       << ", " << c.range.end << ") " << c.bytes() << " bytes, "
       << runtime::collectivePhaseName(c.phase);
    if (c.micro >= 0)
      os << " " << c.micro;
    if (c.async)
      os << " (prefetched)";
    os << "\n";
  }
}

std::vector<ZeroInputs::Outside> boundaryExchange(
    int64_t stage, int64_t dpSize, const std::vector<int64_t> &numels,
    const std::vector<FlatRange> &persistentParams,
    int64_t reduceBucketElements, int64_t allgatherBucketElements) {
  std::vector<ZeroInputs::Outside> out;
  if (dpSize <= 1)
    return out;
  int64_t total = 0;
  for (int64_t n : numels)
    total += n;
  auto add = [&](CollectiveKind kind, CollectivePhase phase,
                 CollectivePayload payload, FlatRange range) {
    out.push_back({kind, phase, payload, range});
  };
  if (stage <= 1)
    for (const FlatRange &b : paramBuckets(numels, reduceBucketElements))
      add(stage == 0 ? CollectiveKind::AllReduce
                     : CollectiveKind::ReduceScatter,
          CollectivePhase::Boundary, CollectivePayload::Gradients, b);
  add(CollectiveKind::AllReduce, CollectivePhase::Boundary,
      CollectivePayload::GradNormSquared, {0, 1});
  add(CollectiveKind::AllReduce, CollectivePhase::Boundary,
      CollectivePayload::Loss, {0, 1});
  if (stage == 1 || stage == 2)
    for (const FlatRange &b : buckets(total, allgatherBucketElements))
      add(CollectiveKind::AllGather, CollectivePhase::AfterOptimizer,
          CollectivePayload::Parameters, b);
  if (stage == 3)
    for (const FlatRange &b :
         wholeParamBuckets(persistentParams, allgatherBucketElements))
      add(CollectiveKind::AllGather, CollectivePhase::AfterOptimizer,
          CollectivePayload::Parameters, b);
  return out;
}

std::vector<bool> keepGatheredBetween(const std::vector<UseCluster> &clusters,
                                      int64_t maxReuseDistance,
                                      int64_t maxLiveElements) {
  std::vector<bool> keep(clusters.size(), false);
  int64_t end = 0;
  for (const UseCluster &c : clusters)
    end = std::max(end, c.last + 1);
  // The gathered elements alive at each position, one gather per cluster.
  std::vector<int64_t> live(end + 1, 0);
  for (const UseCluster &c : clusters)
    for (int64_t k = c.first; k <= c.last; ++k)
      live[k] += c.numel;

  // Each pair of consecutive clusters of a param, with the elements of
  // other params gathered between them.
  struct Reuse {
    size_t next;
    int64_t distance;
  };
  std::vector<Reuse> reuses;
  for (size_t i = 0; i < clusters.size(); ++i) {
    const UseCluster &c = clusters[i];
    for (size_t j = i + 1; j < clusters.size(); ++j) {
      if (clusters[j].param != c.param)
        continue;
      int64_t distance = 0;
      for (const UseCluster &other : clusters)
        if (other.param != c.param && other.first > c.last &&
            other.first < clusters[j].first)
          distance += other.numel;
      reuses.push_back({j, distance});
      break;
    }
  }
  std::stable_sort(
      reuses.begin(), reuses.end(),
      [](const Reuse &a, const Reuse &b) { return a.distance < b.distance; });
  for (const Reuse &r : reuses) {
    if (r.distance >= maxReuseDistance)
      break;
    const UseCluster &c = clusters[r.next];
    // The param's previous cluster ends where its last use was.
    int64_t from = 0;
    for (const UseCluster &p : clusters)
      if (p.param == c.param && p.last < c.first)
        from = std::max(from, p.last + 1);
    int64_t peak = 0;
    for (int64_t k = from; k < c.first; ++k)
      peak = std::max(peak, live[k]);
    if (peak + c.numel > maxLiveElements)
      continue;
    for (int64_t k = from; k < c.first; ++k)
      live[k] += c.numel;
    keep[r.next] = true;
  }
  return keep;
}

} // namespace dsc::partition
