//===- ZeroPartition.h - Data-parallel ZeRO layout and collectives -*- C++
//-*-===//
//
// Decides, before launch, how a data-parallel job of N ranks shares its
// model states (ZeRO stages 0-2, deepspeed.md) and which collectives every
// rank runs in one optimizer step, in order:
//
// - The trainable params, in plan order, form one flat space of P elements
//   (a param's `flatOffset` is its first element there). Rank r owns the
//   partition [r*S, (r+1)*S) clipped to P, S = ceil(P / N): with 3 ranks and
//   P = 10 the partitions hold 4, 4 and 2 elements.
// - Stage 0: at the accumulation boundary, all_reduce of the flat gradient in
//   buckets of reduce_bucket_size elements.
// - Stage 1: at the boundary, reduce_scatter of the flat gradient in the same
//   buckets (each rank keeps the sums of its partition); after the optimizer
//   has updated the partition, all_gather of the params in buckets of
//   allgather_bucket_size elements.
// - Stage 2: as stage 1, but the reduce_scatters run inside the step of
//   every micro-step, as soon as a bucket's gradients are computed (the
//   zero-reduce-gradients pass places them), so each rank keeps only its
//   partition's gradient sum and the step's gradients live no longer than
//   their bucket.
// - Stage 3: as stage 2, and every rank keeps only its partition of the
//   params (zero-partition-params): the step all-gathers each param before
//   the uses that need it; params below the persistence threshold stay whole
//   and are all-gathered after the optimizer.
// - Every stage: one all_reduce (sum, float64) of the squared gradient norm
//   of each rank's partition, so every rank clips with the global norm, and
//   one of the ranks' losses, so every rank reports the global batch's.
//
// Reduce buckets hold whole consecutive params (one larger than
// reduce_bucket_size is a bucket of its own), as DeepSpeed's; all-gather
// buckets are flat ranges. A bucket's reduce_scatter / all_gather hands rank
// r the part of the bucket inside r's partition (`counts`, possibly 0). The
// per-rank memory split divides the arena, the rank's only block, by kind:
// params, their gradients (and the stage-2/3 accumulator of the partition's
// sums), the optimizer states of the elements the rank updates, workspace
// (the staging buffer for collectives on buffers that do not lie
// contiguously in the arena, the norm and loss scalars, and the room a
// smaller partition leaves in the update's buffers) and activations (the
// rest).
//
//===----------------------------------------------------------------------===//

#ifndef DSC_COMPILER_PARTITION_ZEROPARTITION_H
#define DSC_COMPILER_PARTITION_ZEROPARTITION_H

#include "runtime/comm/CollectiveNames.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <string>
#include <vector>

namespace dsc::partition {

/// Half-open range of flat elements.
struct FlatRange {
  int64_t begin = 0;
  int64_t end = 0;
  int64_t size() const { return end - begin; }
};

struct FlatParam {
  std::string name;
  int64_t numel = 0;
  int64_t flatOffset = 0;
  std::vector<int64_t> shape;
  /// Whether every rank holds the whole param (stages 0-2, and stage 3's
  /// params below the persistence threshold).
  bool whole = true;
};

/// The collectives' op, phase (when it runs: inside the step of micro-step
/// `micro`, at the accumulation boundary, after the optimizer) and payload,
/// as plan.json spells them for the runtime (runtime/comm/CollectiveNames.h).
using CollectiveKind = runtime::CollectiveOp;
using runtime::CollectivePayload;
using runtime::CollectivePhase;

struct PlannedCollective {
  /// 0-based position in the step's sequence.
  int64_t seq = 0;
  CollectiveKind kind = CollectiveKind::AllReduce;
  CollectivePhase phase = CollectivePhase::Boundary;
  /// The micro-step of a MicroStep collective; -1 otherwise.
  int64_t micro = -1;
  CollectivePayload payload = CollectivePayload::Gradients;
  /// Flat elements (Gradients / Parameters); {0, 1} for the norm and loss.
  FlatRange range;
  /// Per rank: elements of `range` in its partition (reduce_scatter,
  /// all_gather); empty for all_reduce.
  std::vector<int64_t> counts;
  /// Stage 3's prefetched gathers: the step starts them and waits later.
  bool async = false;
  /// Element type and size: the params' for Gradients / Parameters,
  /// float64 for the norm and the loss.
  std::string dtype = "float32";
  int64_t elementBytes = 4;
  /// range.size() * elementBytes.
  int64_t bytes() const { return range.size() * elementBytes; }
};

/// Bytes a rank holds, by kind.
struct MemorySplit {
  int64_t parameters = 0;
  int64_t gradients = 0;
  int64_t optimizerStates = 0;
  int64_t activations = 0;
  int64_t workspace = 0;
  int64_t total() const {
    return parameters + gradients + optimizerStates + activations + workspace;
  }
};

struct ZeroInputs {
  /// name, elements; in plan order.
  std::vector<std::pair<std::string, int64_t>> params;
  /// Per param (when given): its shape, and whether every rank holds it
  /// whole (see FlatParam::whole).
  std::vector<std::vector<int64_t>> shapes;
  std::vector<bool> whole;
  /// The params' element type (plan.json's name) and its bytes.
  std::string dtype = "float32";
  int64_t elementBytes = 4;
  /// Bytes of one optimizer state element: the params', or 4 for 16-bit
  /// params (whose float32 master copy counts as one more state).
  int64_t stateElementBytes = 4;
  int64_t stage = 0;
  int64_t dpSize = 1;
  int64_t gradAccumSteps = 1;
  int64_t reduceBucketElements = 500000000;
  int64_t allgatherBucketElements = 500000000;
  /// Optimizer state tensors per param element (Adam: 2, SGD with
  /// momentum: 1, plain SGD: 0).
  int64_t optimizerStatesPerElement = 2;
  /// The arena: its size and the bytes of params and of their gradients in
  /// it.
  int64_t arenaBytes = 0;
  int64_t arenaParamBytes = 0;
  int64_t arenaGradBytes = 0;
  /// The optimizer step's buffers in the arena (build-optimizer-step): the
  /// ZeRO-2/3 gradient accumulator, the optimizer states, and the staging
  /// buffer with the norm and loss scalars.
  int64_t arenaAccumulatorBytes = 0;
  int64_t arenaStateBytes = 0;
  int64_t arenaWorkspaceBytes = 0;
  /// Stages 2 and 3: the collectives the step itself calls, in its order
  /// (zero-reduce-gradients' bucket reduce-scatters, zero-partition-params'
  /// parameter gathers) and the flat range each covers.
  struct InStep {
    CollectiveKind kind = CollectiveKind::ReduceScatter;
    FlatRange range;
    /// Started ahead of its use (prefetch) and waited for later.
    bool async = false;
  };
  std::vector<InStep> inStep;
  /// Stage 3: the params below the persistence threshold, which every rank
  /// holds whole and refreshes after each optimizer step.
  std::vector<FlatRange> persistentParams;
  /// Several ranks: what they exchange outside the step, in order (the
  /// plan's @boundary, placed by zero-boundary-exchange; see
  /// boundaryExchange).
  struct Outside {
    CollectiveKind kind = CollectiveKind::AllReduce;
    CollectivePhase phase = CollectivePhase::Boundary;
    CollectivePayload payload = CollectivePayload::Gradients;
    /// Flat elements; {0, 1} for the norm and the loss.
    FlatRange range;
  };
  std::vector<Outside> boundary;
};

struct ZeroPlan {
  int64_t stage = 0;
  int64_t dpSize = 1;
  int64_t gradAccumSteps = 1;
  int64_t elementBytes = 4;
  int64_t flatElements = 0;
  int64_t reduceBucketElements = 0;
  int64_t allgatherBucketElements = 0;
  std::vector<FlatParam> params;
  /// Indexed by data-parallel rank.
  std::vector<FlatRange> partitions;
  /// One optimizer step, in the order every rank runs them.
  std::vector<PlannedCollective> collectives;
  /// Stages 0 and 1 need no accumulator: the step accumulates micro-steps
  /// in its gradient buffers (accumulate-gradients), and the collectives and
  /// the optimizer use them in place.
  bool gradientsInPlace() const;
  /// Indexed by data-parallel rank.
  std::vector<MemorySplit> memory;

  int64_t bytesPerStep() const;
};

/// Whether the step adds each micro-step's gradients into its gradient
/// buffers (the accumulate-gradients pass): stages 0 and 1 with several
/// micro-steps.
bool stepAccumulatesGradients(int64_t stage, int64_t gradAccumSteps);

/// Per rank: the elements of `range` inside its partition.
std::vector<int64_t> countsIn(const FlatRange &range,
                              const std::vector<FlatRange> &partitions);
/// Per rank: where its elements of `range` (countsIn) start inside its own
/// partition (a gather from the partition buffers), 0 for a rank without
/// any.
std::vector<int64_t>
pieceStartsInPartitions(const FlatRange &range,
                        const std::vector<FlatRange> &partitions);
/// Per rank: where its elements of `range` start inside `range` (a
/// collective on the range in place), 0 for a rank without any.
std::vector<int64_t>
pieceStartsInRange(const FlatRange &range,
                   const std::vector<FlatRange> &partitions);
/// The partitions of `total` elements over `dpSize` ranks.
std::vector<FlatRange> partitionsOf(int64_t total, int64_t dpSize);
/// Reduce buckets over params of `numels` elements (in flat order): whole
/// consecutive params, at most `bucketElements` unless one param is larger.
std::vector<FlatRange> paramBuckets(const std::vector<int64_t> &numels,
                                    int64_t bucketElements);

/// Buckets of `params` (flat ranges in order): adjacent ones merged up to
/// `bucketElements` (one larger param is a bucket of its own).
std::vector<FlatRange> wholeParamBuckets(const std::vector<FlatRange> &params,
                                         int64_t bucketElements);

/// What several ranks exchange outside the step, in order: at the
/// accumulation boundary the gradient buckets of `reduceBucketElements`
/// (stage 0 all-reduce, stage 1 reduce-scatter; stages 2 and 3 reduced them
/// in the step), the squared gradient norm and the loss (all-reduce); after
/// the optimizer the updated params in all-gather buckets (stages 1 and 2)
/// or, stage 3, the `persistentParams` kept whole, adjacent ones bucketed.
/// `numels` are the params' elements in flat order. Nothing on one rank.
std::vector<ZeroInputs::Outside>
boundaryExchange(int64_t stage, int64_t dpSize,
                 const std::vector<int64_t> &numels,
                 const std::vector<FlatRange> &persistentParams,
                 int64_t reduceBucketElements, int64_t allgatherBucketElements);

/// The uses of a ZeRO-3 param that one gather serves: kernels at positions
/// [first, last] of the step.
struct UseCluster {
  int64_t param = 0;
  int64_t numel = 0;
  int64_t first = 0;
  int64_t last = 0;
};

/// stage3_max_reuse_distance and stage3_max_live_parameters decided at
/// compile time: a param stays gathered from one cluster of its uses to the
/// next (one gather serves both) when fewer than `maxReuseDistance` elements
/// of other params are gathered in between (with one gather per cluster),
/// as long as the gathered elements alive at any kernel stay within
/// `maxLiveElements`; the closest reuses are kept first. `clusters` lists
/// each param's clusters in step order. Returns, per cluster, whether it
/// shares the gather of its param's previous cluster.
std::vector<bool> keepGatheredBetween(const std::vector<UseCluster> &clusters,
                                      int64_t maxReuseDistance,
                                      int64_t maxLiveElements);

/// Lays out the flat space and the collectives: the step's (`inStep`, once
/// per micro-step) and those outside it (`boundary`, from the plan's
/// @boundary). Errors: a stage outside 0-3, bucket sizes < 1, dpSize < 1, a
/// stage-2/3 step whose in-step buckets do not cover the params once,
/// several ranks without a boundary exchange.
llvm::Expected<ZeroPlan> planZero(const ZeroInputs &inputs);

/// The plan for people (plan.txt): the layout, each rank's memory by kind,
/// the collectives of one step.
void printZeroPlan(llvm::raw_ostream &os, const ZeroPlan &plan);

} // namespace dsc::partition

#endif // DSC_COMPILER_PARTITION_ZEROPARTITION_H
