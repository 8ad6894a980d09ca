//===- Trainer.h - The training and inference step loops -------*- C++ -*-===//
//
// Training (plan mode "training"), for optimizer step s = 0 .. steps-1, the
// object's training step of this rank (build-optimizer-step) runs whole:
//   for micro-batch m in [0, GAS): the runtime copies this data-parallel
//     rank's micro-batch of each input (DataFeeder, step s, micro m) into
//     its buffer and sets ctx.step = s * GAS + m (the micro-step counter:
//     dropout draws a fresh stream per micro-batch; with GAS = 1 it is s)
//     (dsrt_micro_step); dsc_step runs (summing the micro-steps' gradients,
//     or reducing them in buckets through ZeroOptimizer's collectives), and
//     loss / GAS adds up in double;
//   then the gradients are averaged over the ranks and micro-steps,
//     grad_norm is the global norm before clipping (as DeepSpeed reports
//     it), gradient_clipping > 0 clips, the loss is the mean over the
//     ranks, the schedule gives lr (and OneCycle's momentum), the optimizer
//     updates this rank's elements (step s + 1) and the ranks gather the
//     updated params;
//   rank 0 writes one metrics line {"step": s+1, "loss", "lr", "grad_norm",
//     "samples_per_s": train_batch_size / the step's wall seconds}, and
//     every steps_per_print steps DeepSpeed's progress line on `log`.
// With a save directory, rank 0 then writes every param to
// DIR/model.safetensors.
//
// Inference (mode "inference"): micro-batch 0 of step 0 of every input, one
// dsc_step, then each "output" buffer as <out>/<name>.npy ('/' in a name
// becomes '_').
//
// Every failure comes back as a Status whose message names the file or
// buffer (the caller prefixes "ds-rank: "); kernel errors are reported by
// the dispatcher's error handler.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_RUNTIME_MAIN_TRAINER_H
#define DSC_RUNTIME_MAIN_TRAINER_H

#include "runtime/comm/Communicator.h"
#include "runtime/io/Status.h"
#include "runtime/main/RankState.h"

#include <cstdint>
#include <cstdio>
#include <string>

namespace dsc::runtime {

struct TrainOptions {
  /// Where <input>.npy live; required when the plan has inputs.
  std::string dataDir;
  int64_t steps = 1;
  /// JSON-lines metrics file; empty: none.
  std::string metricsPath;
  /// Directory for model.safetensors after training; empty: no save.
  std::string saveDir;
  /// Where progress lines go; null: nowhere.
  std::FILE *log = stdout;
  /// Checkpoints every `checkpointEvery` steps (0: none) into
  /// `checkpointDir`; a non-empty `resumeDir` continues from its latest
  /// checkpoint (runs steps globalSteps .. steps-1).
  int64_t checkpointEvery = 0;
  std::string checkpointDir;
  std::string resumeDir;
  /// The data-parallel group; null: one rank.
  Communicator *comm = nullptr;
  /// When set, receive the payload bytes of the plan's collectives run and
  /// the number of optimizer steps run.
  uint64_t *collectiveBytes = nullptr;
  int64_t *stepsRun = nullptr;
};

/// Runs `options.steps` optimizer steps of `state`'s training plan (weights
/// already loaded): `step` for each micro-step, then `update`, this rank's
/// update function of the object (collectives, norm, clipping, optimizer).
Status runTraining(RankState &state, const TrainOptions &options,
                   dsrt_train_step_fn trainStep);

struct InferenceOptions {
  std::string dataDir;
  /// Required: where the outputs go (created if missing).
  std::string outDir;
};

/// Runs one step of `state`'s inference plan and writes the outputs.
Status runInference(RankState &state, const InferenceOptions &options,
                    StepFunction step);

/// "<out>/<name>.npy" with '/' in the name replaced by '_'.
std::string outputFileName(const std::string &outDir, const std::string &name);

} // namespace dsc::runtime

#endif // DSC_RUNTIME_MAIN_TRAINER_H
