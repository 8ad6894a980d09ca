//===- Checkpoint.h - A rank's part of saving and resuming ------*- C++ -*-===//
//
// Every rank of the job takes part in a save (CheckpointFormat.h has the
// layout): rank 0 prepares DIR/<tag>.tmp, each rank that holds optimizer
// states writes its shard (stage 0: rank 0 alone, the states are the same on
// every rank; stages 1-2: every rank its partition), rank 0 writes the
// params, state.json and a copy of plan.json (the report, when it is
// there), renames the directory to DIR/<tag> and
// replaces DIR/latest. Between the phases the ranks agree on success (an
// all-reduce of a failure flag), so one rank's failure stops every rank with
// a message instead of a hang, and a crash leaves the previous `latest`.
//
// Resuming reads DIR/latest's checkpoint: the params (by name, checked
// against the plan's), the optimizer states of the flat elements this rank
// now owns (from whichever shards hold them: any data-parallel size), and
// the step; the data continues at the checkpoint's sample count.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_RUNTIME_MAIN_CHECKPOINT_H
#define DSC_RUNTIME_MAIN_CHECKPOINT_H

#include "runtime/checkpoint/CheckpointFormat.h"
#include "runtime/comm/Communicator.h"
#include "runtime/main/RankState.h"
#include "runtime/main/ZeroOptimizer.h"

#include <string>

namespace dsc::runtime {

/// The name of the lock file in a checkpoint directory.
inline constexpr const char *kCheckpointLockFile = ".lock";

/// Rank 0's hold on a checkpoint directory while its job saves there;
/// released when the process ends, however it ends.
class CheckpointDirLock {
public:
  CheckpointDirLock() = default;
  CheckpointDirLock(CheckpointDirLock &&other) : fd(other.fd) { other.fd = -1; }
  CheckpointDirLock &operator=(CheckpointDirLock &&) = delete;
  ~CheckpointDirLock();

  int fd = -1;
};

/// Takes DIR for this job's checkpoints (creating it): refused while another
/// process holds it (the message names that process and its host), and when
/// DIR's latest checkpoint is of another model or optimizer, or unreadable.
Expected<CheckpointDirLock> lockCheckpointDir(const std::string &dir,
                                              const RankState &state,
                                              const ZeroOptimizer &zero);

/// A checkpoint holds this plan's params (names, shapes, flat order, dtype)
/// and optimizer states; `where` names the checkpoint in the message.
Status checkSameModel(const CheckpointMeta &meta, const RankState &state,
                      const ZeroOptimizer &zero, const std::string &where);

/// Writes every param to `path` (rank 0 writes; every rank calls it:
/// ZeRO-3 gathers the partitions first).
Status writeAllParams(RankState &state, ZeroOptimizer &zero, Communicator &comm,
                      const std::string &path);

/// Where training stands: the steps run, and how many of them skipped
/// their update (an fp16 overflow); the scheduler has taken the others.
struct TrainingProgress {
  int64_t globalSteps = 0;
  int64_t skippedSteps = 0;
  /// fp16: the loss scaler's state for the next step.
  std::optional<LossScalerState> lossScaler;
};

/// Writes DIR/global_step<globalSteps>; every rank calls it.
Status saveCheckpoint(RankState &state, ZeroOptimizer &zero, Communicator &comm,
                      const std::string &dir, TrainingProgress progress,
                      double loss);

/// Loads DIR/latest into the arena and `zero`; returns where the
/// checkpoint's training stood.
Expected<TrainingProgress>
resumeCheckpoint(RankState &state, ZeroOptimizer &zero, const std::string &dir);

} // namespace dsc::runtime

#endif // DSC_RUNTIME_MAIN_CHECKPOINT_H
