//===- ZeroOptimizer.h - Accumulation, collectives and the update -*- C++
//-*-===//
//
// The part of a training step after dsc_step, for one data-parallel rank of
// a ZeRO stage 0-3 plan (the plan's "zero" and "collectives"; one rank is
// the degenerate case with no collectives):
//
//   run(k, data)        (dsrt_collective_at, inside the step; stage 2) the
//                       k-th reduce_scatter of the micro-step on a gradient
//                       bucket in the arena; this rank adds its chunk / GAS
//                       to its partition's sum;
//   beforeMicroStep(m)  zeroes the gradient sums at the first micro-step
//                       (stages 0 and 1 sum the micro-steps in the arena's
//                       gradient buffers: accumulate-gradients; stages 2 and
//                       3 in the partition's accumulator);
//   afterMicroStep(m)   checks that the step called every collective of the
//                       micro-step;
//   reduceGradients()   the boundary collectives (stage 0 all_reduce, stage 1
//                       reduce_scatter), the mean over the data-parallel
//                       ranks, the global gradient norm (all_reduce of each
//                       partition's squared norm), clipping, and the mean
//                       loss over the ranks;
//   update(lr, step)    the optimizer on the elements this rank owns (stage 0:
//                       every param; stages 1, 2: its partition, whose
//                       optimizer states are all it allocates), then the
//                       all_gathers that give every rank the updated params.
//
// Collectives run exactly in the plan's order. Before the first step, the
// ranks compare their collective manifests (checkManifest), so ranks started
// from different plans fail with the first differing sequence number instead
// of hanging in mismatched collectives.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_RUNTIME_MAIN_ZEROOPTIMIZER_H
#define DSC_RUNTIME_MAIN_ZEROOPTIMIZER_H

#include "runtime/comm/Communicator.h"
#include "runtime/dispatch/KernelDispatch.h"
#include "runtime/main/CommWorker.h"
#include "runtime/main/OptimizerDriver.h"
#include "runtime/main/RankState.h"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

namespace dsc::runtime {

class ZeroOptimizer : public CollectiveRunner {
public:
  /// Allocates the accumulator, the staging buffer and the optimizer states
  /// of the elements this rank (comm.rank()) owns.
  static Expected<ZeroOptimizer> create(RankState &state, Communicator &comm);

  /// Compares this rank's collective manifest with every other rank's.
  /// Error: "collective #3: rank 0 runs reduce_scatter of 80000 bytes
  /// (boundary), rank 1 runs all_reduce of 80000 bytes (boundary)".
  Status checkManifest();

  /// Before dsc_step of micro-step `micro`.
  void beforeMicroStep(int64_t micro);
  /// dsrt_collective_at from inside the step: the next in-step collective
  /// of the plan on `data` (the bucket); a failure is reported through the
  /// dispatcher's error handler, which ends the process.
  void run(int32_t index, void *const *data) override;
  /// dsrt_collective_wait: blocks until the prefetched collective `index`
  /// of the micro-step is done (a failure ends the process as in run()).
  void wait(int32_t index) override;
  Status afterMicroStep(int64_t micro);
  struct Reduced {
    /// The global gradient norm before clipping.
    double gradNorm = 0.0;
    /// The mean of the ranks' losses: the global batch's loss.
    double loss = 0.0;
  };
  /// `localLoss`: this rank's mean loss over its micro-batches.
  Expected<Reduced> reduceGradients(double localLoss);
  Status update(const LrState &lr, int64_t step);

  const OptimizerDriver &optimizer() const { return *driver; }
  /// The flat elements whose optimizer states this rank holds: every
  /// element in stage 0, its partition otherwise.
  PlanRange ownedRange() const;
  /// Copies optimizer state `which` (of optimizer().stateNames()) of the
  /// owned range to `flat` (ownedRange().size() elements), or back from it.
  void copyState(size_t which, char *flat, bool toFlat);
  DType elementType() const { return dtype; }
  /// This rank's place among the data-parallel ranks.
  int64_t rank() const { return rankIndex; }
  /// Stage 3: the whole flat parameter space, gathered from every rank's
  /// partition (a collective: every rank calls it); stages 0-2: empty.
  Expected<std::vector<char>> gatherAllParams();
  /// Payload bytes of the plan's collectives this rank ran.
  uint64_t collectiveBytes() const { return ranBytes; }

private:
  ZeroOptimizer(RankState &state, Communicator &comm)
      : state(&state), comm(&comm) {}

  /// Runs `task` (a collective) on the worker when the plan prefetches,
  /// else here.
  Status exec(const std::function<Status()> &task);
  /// Runs the next plan collective, which must be `phase` (and `micro`).
  Status runCollective(const PlanCollective &c);
  /// The collectives of `phase` carrying `payload` (and of micro-step
  /// `micro`) at the cursor.
  Status runPhase(CollectivePhase phase, CollectivePayload payload,
                  int64_t micro = -1);
  /// Calls fn(param index, first element in the param, element in the flat
  /// space, count) for every param piece inside flat [lo, hi).
  template <typename Fn> void forEachPiece(int64_t lo, int64_t hi, Fn fn);
  /// Copies flat [lo, hi) of the arena's params (fromParams) or gradients
  /// to staging + (flat - base) (toStaging), or from there back.
  void copyPieces(int64_t lo, int64_t hi, int64_t base, bool fromParams,
                  bool toStaging);
  /// Where the gradient of flat element `flat` (element `first` of param
  /// `p`) lives: the arena's grad buffer when the step's gradients are used
  /// directly, else the accumulator.
  char *gradientAt(size_t p, int64_t first, int64_t flat);
  /// Where the param value of flat element `flat` lives: the arena's param
  /// buffer, or (stage 3) this rank's partition buffer.
  char *paramAt(size_t p, int64_t first, int64_t flat);
  /// All-gathers the params of flat range c.range into `output` (this
  /// rank's pieces from paramAt, then every rank's).
  Status gatherParam(const PlanCollective &c, char *output);
  /// fn(gradient, count) for every piece of the gradient in flat range `r`.
  template <typename Fn> void forEachGradient(PlanRange r, Fn fn);

  RankState *state;
  Communicator *comm;
  PlanZero zero;
  PlanRange part;
  int64_t rankIndex = 0;
  DType dtype = DType::F32;
  size_t elemBytes = 4;
  /// Per param of the flat space: its buffer (null when stage 3 keeps only
  /// partitions of it) and its gradient buffer (null when the step reduces
  /// the gradients itself).
  std::vector<const PlanBuffer *> params;
  std::vector<const PlanBuffer *> grads;
  /// Stages 0 and 1 use the arena's gradients in place (the step sums the
  /// micro-steps into them); stages 2 and 3 sum their partition in
  /// `accumulator`.
  bool direct = false;
  AlignedBuffer accumulator;
  /// Stage 3: this rank's partition of the params, in the arena.
  char *shard = nullptr;
  AlignedBuffer staging;
  std::optional<OptimizerDriver> driver;
  size_t cursor = 0;
  /// Every collective runs on it once any is asynchronous (prefetch).
  std::unique_ptr<CommWorker> worker;
  /// In-step index -> ticket of the started, not yet waited collectives.
  std::map<int32_t, uint64_t> pending;
  int64_t currentMicro = 0;
  int32_t inStepIndex = 0;
  char *inStepBuffer = nullptr;
  double normSq = 0.0;
  double lossSum = 0.0;
  uint64_t ranBytes = 0;
};

} // namespace dsc::runtime

#endif // DSC_RUNTIME_MAIN_ZEROOPTIMIZER_H
