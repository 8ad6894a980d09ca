//===- ZeroOptimizer.h - The step's collectives and its update -*- C++ -*-===//
//
// What a training step needs from the rank around the generated code, for
// one data-parallel rank of a ZeRO stage 0-3 plan (one rank is the
// degenerate case with no collectives):
//
//   run(k, data)        (dsrt_collective_at, inside the step) the k-th
//                       collective of the micro-step: a ZeRO-2 gradient
//                       bucket reduced onto its owners, whose chunk this rank
//                       adds / GAS to its accumulator, or a ZeRO-3 param
//                       gather (issued ahead when the plan prefetches);
//   trainStep(step)     the object's training step of this rank: its
//                       micro-steps, the boundary collectives (runOutside,
//                       in place on the buffers the object gives), the mean,
//                       norm, clipping and the optimizer, all in generated
//                       code;
//   afterMicroStep(m)   checks that the step called every collective of the
//                       micro-step.
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
#include "runtime/main/RankState.h"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace dsc::runtime {

class ZeroOptimizer : public CollectiveRunner {
public:
  /// Finds the update's buffers in the arena; `trainStep` is the object's
  /// training step of this rank (comm.rank()).
  static Expected<ZeroOptimizer> create(RankState &state, Communicator &comm,
                                        dsrt_train_step_fn trainStep);

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
  /// dsrt_boundary_collective: the index-th collective outside the step,
  /// in place on `data` (a failure ends the process as in run()).
  void runOutside(int32_t index, void *data) override;
  Status afterMicroStep(int64_t micro);

  /// What the training step reports.
  struct Reduced {
    /// The global gradient norm before clipping.
    double gradNorm = 0.0;
    /// The mean of the ranks' losses: the global batch's loss.
    double loss = 0.0;
    /// The schedule's learning rate and betas for the step.
    double lr = 0.0, beta1 = 0.0, beta2 = 0.0;
    /// An inf or NaN gradient (fp16) made the step skip its update.
    bool overflow = false;
  };
  /// The object's training step of 0-based step `step`, after `skipped`
  /// skipped ones (its micro-steps call beforeMicroStep and afterMicroStep
  /// through dsrt_micro_step).
  Expected<Reduced> trainStep(int64_t step, int64_t skipped,
                              double lossScale = 1.0);

  /// The optimizer state tensors, by checkpoint name: "exp_avg",
  /// "exp_avg_sq" (Adam, AdamW, Lamb), "momentum_buffer" (SGD with
  /// momentum), none (plain SGD).
  const std::vector<std::string> &stateNames() const { return names; }
  /// The flat elements whose optimizer states this rank holds: every
  /// element in stage 0, its partition otherwise.
  PlanRange ownedRange() const;
  /// Copies optimizer state `which` (of stateNames()) of the owned range to
  /// `flat` (ownedRange().size() elements), or back from it.
  void copyState(size_t which, char *flat, bool toFlat);
  /// The params' element type, and the optimizer states' (float32 for
  /// 16-bit params, whose master copy is the state "master_params").
  DType elementType() const { return dtype; }
  DType stateType() const { return stateDtype; }
  /// fp16 / bf16 on a fresh start: the owned range's master params become
  /// the params' values (as DeepSpeed copies the 16-bit model's); without
  /// master params, nothing.
  void initMasterParams();
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
  /// Runs in-step collective `c` of the plan on `data`.
  Status runInStep(const PlanCollective &c, char *data);
  /// Calls fn(param index, first element in the param, element in the flat
  /// space, count) for every param piece inside flat [lo, hi).
  template <typename Fn> void forEachPiece(int64_t lo, int64_t hi, Fn fn);
  /// Where the param value of flat element `flat` (element `first` of param
  /// `p`) lives: the arena's param buffer, or (stage 3) this rank's
  /// partition buffer.
  char *paramAt(size_t p, int64_t first, int64_t flat);
  /// All-gathers the params of flat range c.range into `output` (this
  /// rank's pieces from paramAt, then every rank's).
  Status gatherParam(const PlanCollective &c, char *output);
  /// "collective #3 (all_gather of 80 bytes on group dp) failed: ...".
  static Status failed(const PlanCollective &c, const Status &s);

  RankState *state;
  Communicator *comm;
  dsrt_train_step_fn trainStepFn = nullptr;
  PlanZero zero;
  PlanRange part;
  int64_t rankIndex = 0;
  DType dtype = DType::F32;
  size_t elemBytes = 4;
  DType stateDtype = DType::F32;
  /// Per param of the flat space: its buffer (null when stage 3 keeps only
  /// partitions of it).
  std::vector<const PlanBuffer *> params;
  /// Stages 2 and 3: this rank's gradient sums, in the arena.
  char *accumulator = nullptr;
  /// Stage 3: this rank's partition of the params, in the arena.
  char *shard = nullptr;
  /// The optimizer states in the arena, by name.
  std::vector<char *> states;
  std::vector<std::string> names;
  /// Position in the plan's collectives; the first outside the step.
  size_t cursor = 0;
  size_t firstOutside = 0;
  /// Every collective runs on it once any is asynchronous (prefetch).
  std::unique_ptr<CommWorker> worker;
  /// In-step index -> ticket of the started, not yet waited collectives.
  std::map<int32_t, uint64_t> pending;
  int64_t currentMicro = 0;
  int32_t inStepIndex = 0;
  uint64_t ranBytes = 0;
};

} // namespace dsc::runtime

#endif // DSC_RUNTIME_MAIN_ZEROOPTIMIZER_H
