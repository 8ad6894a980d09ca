//===- Trainer.cpp - The training and inference step loops ----------------===//

#include "runtime/main/Trainer.h"

#include "kernels/optimizer/Optimizer.h"
#include "runtime/device/Device.h"
#include "runtime/io/DataFeeder.h"
#include "runtime/io/FileUtil.h"
#include "runtime/io/Metrics.h"
#include "runtime/io/Npy.h"
#include "runtime/io/OutputDir.h"
#include "runtime/main/Checkpoint.h"
#include "runtime/main/Weights.h"
#include "runtime/main/ZeroOptimizer.h"
#include "runtime/schedule/LrSchedule.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <optional>

namespace dsc::runtime {

namespace {

/// A loss scale as Python prints DeepSpeed's floats: 65536.0, 0.5,
/// 1.361129467683754e+39 (the shortest text that reads back the same).
std::string formatScale(double scale) {
  char text[64];
  if (scale == std::floor(scale) && std::fabs(scale) < 1e16) {
    std::snprintf(text, sizeof text, "%.1f", scale);
    return text;
  }
  for (int digits = 1; digits <= 17; ++digits) {
    std::snprintf(text, sizeof text, "%.*g", digits, scale);
    if (std::strtod(text, nullptr) == scale)
      break;
  }
  return text;
}

/// Opens the feeder for the plan's inputs, or none when it has no inputs.
Expected<std::optional<DataFeeder>> openFeeder(const Plan &plan,
                                               const std::string &dataDir,
                                               const FeedLayout &layout) {
  std::vector<FeedInput> inputs;
  std::string names;
  for (size_t i : plan.buffersWithRole(BufferRole::Input)) {
    const PlanBuffer &b = plan.buffers[i];
    FeedInput in;
    in.name = b.name;
    in.dtype = b.dtype;
    in.sampleShape.assign(b.shape.begin() + 1, b.shape.end());
    inputs.push_back(std::move(in));
    names += (names.empty() ? "'" : ", '") + b.name + "'";
  }
  if (inputs.empty())
    return std::optional<DataFeeder>();
  if (dataDir.empty())
    return Status::error("--data DIR is required: the plan reads inputs " +
                         names + " from DIR/<name>.npy");
  Expected<DataFeeder> feeder =
      DataFeeder::open(dataDir, std::move(inputs), layout);
  if (!feeder)
    return feeder.status();
  return std::optional<DataFeeder>(std::move(feeder).value());
}

/// Inference reads each input on its own: a file shaped exactly like the
/// input is copied whole (scalars, inputs without a batch axis); otherwise
/// its first samples fill the input's batch (the first micro-batch).
Status feedInferenceInputs(RankState &state, const std::string &dataDir) {
  const Plan &plan = state.plan;
  for (size_t i : plan.buffersWithRole(BufferRole::Input)) {
    const PlanBuffer &b = plan.buffers[i];
    if (dataDir.empty())
      return Status::error("--data DIR is required: the plan reads input '" +
                           b.name + "' from DIR/" + b.name + ".npy");
    std::string path = dataDir + "/" + b.name + ".npy";
    Expected<NpyArray> npy = NpyArray::open(path);
    if (!npy)
      return npy.status();
    if (npy->dtype() != b.dtype)
      return Status::error(path + ": dtype " +
                           std::string(dtypeName(npy->dtype())) +
                           ", expected " + std::string(dtypeName(b.dtype)));
    const std::vector<int64_t> &shape = npy->shape();
    bool whole = shape == b.shape;
    bool batched =
        !b.shape.empty() && shape.size() == b.shape.size() &&
        std::equal(shape.begin() + 1, shape.end(), b.shape.begin() + 1) &&
        shape[0] >= b.shape[0];
    if (!whole && !batched)
      return Status::error(path + ": shape " + formatShape(shape) +
                           ", expected " + formatShape(b.shape) +
                           " or more samples of the same shape");
    std::memcpy(state.at(b), npy->data(), b.bytes);
  }
  return Status::success();
}

/// Copies micro-batch (step, micro) of every input into its buffer.
Status feed(RankState &state, const DataFeeder &feeder, int64_t step,
            int64_t micro) {
  size_t i = 0;
  for (size_t b : state.plan.buffersWithRole(BufferRole::Input)) {
    const PlanBuffer &buf = state.plan.buffers[b];
    if (feeder.microBatchBytes(i) != buf.bytes)
      return Status::error("input '" + buf.name + "': a micro-batch holds " +
                           std::to_string(feeder.microBatchBytes(i)) +
                           " bytes, its buffer " + std::to_string(buf.bytes));
    if (Status s = feeder.copyMicroBatch(step, micro, i, state.at(buf));
        !s.ok())
      return s;
    ++i;
  }
  return Status::success();
}

/// The runtime's part of each micro-step of the object's training step:
/// this rank's micro-batch into the input buffers, the micro-step's dropout
/// stream, the collectives' bookkeeping. A failure ends the process, as a
/// kernel's does.
class RuntimeMicroSteps : public MicroSteps {
public:
  RuntimeMicroSteps(RankState &state, const DataFeeder *feeder,
                    ZeroOptimizer &zero, int64_t gas)
      : state(&state), feeder(feeder), zero(&zero), gas(gas) {}
  void begin(int64_t step, int64_t micro) override {
    if (feeder)
      if (Status st = feed(*state, *feeder, step, micro); !st.ok()) {
        reportError(1, st.message());
        return;
      }
    state->ctx.step = step * gas + micro;
    zero->beforeMicroStep(micro);
  }
  void end(int64_t micro) override {
    if (Status st = zero->afterMicroStep(micro); !st.ok())
      reportError(1, st.message());
  }

private:
  RankState *state;
  const DataFeeder *feeder;
  ZeroOptimizer *zero;
  int64_t gas;
};

} // namespace

Status runTraining(RankState &state, const TrainOptions &options,
                   dsrt_train_step_fn trainStep) {
  const Plan &plan = state.plan;
  if (!plan.training || !plan.optimizer || !plan.batch)
    return Status::error(plan.path + ": not a training plan");
  if (options.steps < 0)
    return Status::error("--steps must be >= 0");
  if (options.steps == 0)
    return Status::error("--steps 0: nothing to train; --steps is the "
                         "optimizer step to stop after, counted from the "
                         "start of training (default 1)");
  const PlanBatch &batch = *plan.batch;
  const int64_t gas = batch.gradAccumSteps;

  // Check every destination before the first step.
  if (!options.saveDir.empty())
    if (Status s = ensureWritableDir(options.saveDir); !s.ok())
      return s;
  // Rank 0 writes the metrics, the progress lines, the checkpoints and the
  // final params; every rank learns below whether it can.
  const bool leader = !options.comm || options.comm->rank() == 0;
  Status leaderReady;
  std::optional<MetricsWriter> metrics;
  if (!options.metricsPath.empty() && leader) {
    leaderReady = ensureWritableDir(parentDirOf(options.metricsPath));
    if (leaderReady.ok()) {
      Expected<MetricsWriter> w = MetricsWriter::open(options.metricsPath);
      if (w)
        metrics.emplace(std::move(w).value());
      else
        leaderReady = w.status();
    }
  }

  FeedLayout layout;
  layout.trainBatchSize = batch.trainBatchSize;
  layout.microBatchSize = batch.microBatchSize;
  layout.gradAccumSteps = gas;
  layout.dpRank = options.comm ? options.comm->rank() : 0;
  layout.dpSize = batch.dpSize;
  Expected<std::optional<DataFeeder>> feeder =
      openFeeder(plan, options.dataDir, layout);
  if (!feeder)
    return feeder.status();

  // Gradient accumulator, staging and optimizer states; the ranks check
  // that they run the same collectives before the first one.
  std::unique_ptr<Communicator> single;
  Communicator *comm = options.comm;
  if (!comm) {
    single = createSingleRankCommunicator();
    comm = single.get();
  }
  Expected<ZeroOptimizer> zero = ZeroOptimizer::create(state, *comm, trainStep);
  if (!zero)
    return zero.status();
  if (Status st = zero->checkManifest(); !st.ok())
    return st;
  // The checkpoint directory is this job's alone while it runs.
  std::optional<CheckpointDirLock> lock;
  if (!options.checkpointDir.empty() && leader && leaderReady.ok()) {
    Expected<CheckpointDirLock> taken =
        lockCheckpointDir(options.checkpointDir, state, *zero);
    if (taken)
      lock.emplace(std::move(taken).value());
    else
      leaderReady = taken.status();
  }
  // Every rank learns whether rank 0 could prepare what it writes.
  if (Status st = agreeOnFailure(
          *comm, leaderReady, "",
          "rank 0 cannot write the job's outputs (see its message)");
      !st.ok())
    return st;
  // Collectives the step calls (ZeRO-2's gradient buckets) go to it.
  state.ctx.collectives = static_cast<CollectiveRunner *>(&*zero);
  int64_t first = 0;
  // Steps whose update an inf or NaN gradient skipped (fp16's overflow).
  int64_t skipped = 0;
  std::optional<LossScalerState> resumedScaler;
  // A resumed run reads its master params from the checkpoint.
  if (options.resumeDir.empty())
    zero->initMasterParams();
  if (!options.resumeDir.empty()) {
    Expected<TrainingProgress> resumed =
        resumeCheckpoint(state, *zero, options.resumeDir);
    if (!resumed)
      return resumed.status();
    first = resumed->globalSteps;
    skipped = resumed->skippedSteps;
    resumedScaler = resumed->lossScaler;
    if (first >= options.steps)
      return Status::error("--steps " + std::to_string(options.steps) +
                           " is not past the checkpoint's step " +
                           std::to_string(first) + " (" + options.resumeDir +
                           "): nothing to train; --steps counts " +
                           "from the start of training, so --steps " +
                           std::to_string(first + 1) + " trains one more step");
  }

  // fp16: DeepSpeed's loss scaler, fed each step's overflow. A resumed run
  // continues from the checkpoint's scaler.
  std::optional<LossScaler> scaler;
  if (plan.optimizer->lossScaling) {
    scaler.emplace(*plan.optimizer->lossScaling);
    if (resumedScaler)
      scaler->restore(*resumedScaler);
  }

  // The object runs each step whole; the runtime feeds its micro-steps.
  RuntimeMicroSteps hooks(state, *feeder ? &**feeder : nullptr, *zero, gas);
  state.ctx.microSteps = static_cast<MicroSteps *>(&hooks);
  int64_t divergedAt = 0;
  for (int64_t s = first; s < options.steps; ++s) {
    auto start = std::chrono::steady_clock::now();
    const double scale = scaler ? scaler->scale() : 1.0;
    Expected<ZeroOptimizer::Reduced> reduced =
        zero->trainStep(s, skipped, scale);
    if (!reduced)
      return reduced.status();
    if (reduced->overflow)
      ++skipped;
    if (scaler) {
      LossScaleUpdate update = scaler->update(reduced->overflow);
      if (update.atMinimumError)
        return Status::error(std::string("step ") + std::to_string(s + 1) +
                             ": " + kLossScaleAtMinimumMessage);
      // DeepSpeed's line, on rank 0.
      if (update.skipStep && leader && options.log) {
        std::fprintf(options.log,
                     "[deepspeed] OVERFLOW! Rank 0 Skipping step. Attempted "
                     "loss scale: %s, reducing to %s\n",
                     formatScale(scale).c_str(),
                     formatScale(scaler->scale()).c_str());
        std::fflush(options.log);
      }
    }
    const double loss = reduced->loss;
    const double norm = reduced->gradNorm;
    // In fp32 nothing skips such a step: the run has diverged, and every
    // later step trains on NaN. Said once, on rank 0, as it happens.
    if (leader && !divergedAt && !reduced->overflow &&
        (!std::isfinite(loss) || !std::isfinite(norm))) {
      divergedAt = s + 1;
      auto shown = [](double v) {
        if (std::isnan(v))
          return std::string("NaN");
        char text[32];
        std::snprintf(text, sizeof text, "%g", v);
        return std::string(text);
      };
      // Rank 0 says it, labelled as every rank line of a job of several.
      std::string who = plan.worldSize > 1 ? "ds-rank 0" : "ds-rank";
      std::fprintf(stderr,
                   "%s: warning: step %lld: the loss is %s and the "
                   "gradient norm %s: the run has diverged (fp32 skips no "
                   "step; the weights are no longer finite). Lower the "
                   "learning rate, clip gradients or check the data.\n",
                   who.c_str(), static_cast<long long>(s + 1),
                   shown(loss).c_str(), shown(norm).c_str());
      std::fflush(stderr);
    }

    // Every block is alive and the step has touched what it uses.
    state.memory.sample();

    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    double samplesPerSec =
        seconds > 0.0 ? static_cast<double>(batch.trainBatchSize) / seconds
                      : 0.0;
    if (metrics) {
      StepMetrics sm;
      sm.step = s + 1;
      sm.loss = loss;
      sm.lr = reduced->lr;
      sm.gradNorm = norm;
      sm.samplesPerSec = samplesPerSec;
      if (Status st = metrics->write(sm); !st.ok())
        return st;
    }
    // Every steps_per_print steps, and the last step (a run shorter than
    // steps_per_print shows its loss too).
    if (options.log && leader && plan.stepsPerPrint > 0 &&
        ((s + 1) % plan.stepsPerPrint == 0 || s + 1 == options.steps)) {
      ProgressLine line;
      line.rank = plan.rank;
      line.step = s + 1;
      line.skipped = skipped;
      line.lr = {reduced->lr};
      // DeepSpeed prints SGD's momentum, or the betas the step used.
      line.mom = {plan.optimizer->kind == OptimizerKind::Sgd
                      ? std::vector<double>{plan.optimizer->momentum}
                      : std::vector<double>{reduced->beta1, reduced->beta2}};
      line.loss = loss;
      line.gradNorm = norm;
      line.samplesPerSec = samplesPerSec;
      std::fprintf(options.log, "%s\n", formatProgressLine(line).c_str());
      std::fflush(options.log);
    }
    if (options.checkpointEvery > 0 && (s + 1) % options.checkpointEvery == 0)
      if (Status st = saveCheckpoint(
              state, *zero, *comm, options.checkpointDir,
              TrainingProgress{s + 1, skipped,
                               scaler ? std::optional(scaler->state())
                                      : std::nullopt},
              loss);
          !st.ok())
        return st;
  }
  if (options.collectiveBytes)
    *options.collectiveBytes = zero->collectiveBytes();
  if (options.stepsRun)
    *options.stepsRun = std::max<int64_t>(0, options.steps - first);
  if (metrics)
    if (Status st = metrics->close(); !st.ok())
      return st;
  // Rank 0 writes the params (ZeRO-3 gathers them from every rank first).
  if (!options.saveDir.empty())
    return writeAllParams(state, *zero, *comm,
                          options.saveDir + "/model.safetensors");
  return Status::success();
}

std::string outputFileName(const std::string &outDir, const std::string &name) {
  std::string file = name;
  for (char &c : file)
    if (c == '/')
      c = '_';
  return outDir + "/" + file + ".npy";
}

Status runInference(RankState &state, const InferenceOptions &options,
                    StepFunction step) {
  const Plan &plan = state.plan;
  if (options.outDir.empty())
    return Status::error("--out DIR is required for an inference plan");
  if (Status s = ensureWritableDir(options.outDir); !s.ok())
    return s;
  if (Status s = feedInferenceInputs(state, options.dataDir); !s.ok())
    return s;
  state.ctx.step = 0;
  step(&state.ctx, state.arena.data());
  if (Status s = deviceStepDone(); !s.ok())
    return s;
  state.memory.sample();
  for (size_t i : plan.buffersWithRole(BufferRole::Output)) {
    const PlanBuffer &b = plan.buffers[i];
    if (Status s = writeNpy(outputFileName(options.outDir, b.name), b.dtype,
                            b.shape, state.at(b));
        !s.ok())
      return s;
  }
  return Status::success();
}

} // namespace dsc::runtime
