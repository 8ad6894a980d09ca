//===- Trainer.h - The training and inference step loops -------*- C++ -*-===//
//
// Training (plan mode "training"), for optimizer step s = 0 .. steps-1:
//   for micro-batch m in [0, GAS): copy each input's micro-batch (DataFeeder,
//     step s, micro m) into its buffer, set ctx.step = s * GAS + m (the
//     micro-step counter: dropout draws a fresh stream per micro-batch; with
//     GAS = 1 it is s), run dsc_step, then accumulate
//       accum[p] = grad[p] / GAS (m = 0), accum[p] += grad[p] / GAS (m > 0)
//       loss    += loss / GAS                   (in double)
//   grad_norm = sqrt(sum over params of sumOfSquares(accum[p])) (pre-clip,
//     as DeepSpeed reports it); with gradient_clipping > 0 the accumulators
//     are scaled by clipCoefficient(norm^2, clip);
//   lr (and OneCycle's momentum) = lrAt(schedule, optimizer lr, beta1, s);
//   the optimizer updates every param in the arena (OptimizerDriver, step
//     s + 1);
//   one metrics line {"step": s+1, "loss", "lr", "grad_norm",
//     "samples_per_s": train_batch_size / the step's wall seconds}, and
//     every steps_per_print steps DeepSpeed's progress line on `log`.
// With a save directory, DIR/model.safetensors then holds every param.
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
};

/// Runs `options.steps` optimizer steps of `state`'s training plan (weights
/// already loaded). Allocates the gradient accumulators and optimizer states
/// through state.memory.
Status runTraining(RankState &state, const TrainOptions &options,
                   StepFunction step);

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
