//===- RankMain.cpp - The rank executable's command line and main ---------===//

#include "runtime/main/RankMain.h"
#include "kernels/cpu/BlasCore.h"

#include "runtime/comm/GlooCommunicator.h"
#include "runtime/comm/WorldEnv.h"
#include "runtime/device/Device.h"
#include "runtime/dispatch/KernelDispatch.h"
#include "runtime/io/RankOptions.h"
#include "runtime/main/OptimizerAbi.h"
#include "runtime/main/PlanCodec.h"
#include "runtime/main/Trainer.h"
#include "runtime/main/Weights.h"

#include <cctype>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

/// Defined by the generated object file.
extern "C" void dsc_step(dsrt_ctx *ctx, char *arena);

namespace dsc::runtime {

namespace {

/// Set to the rank in jobs of several ranks, so each error names its rank.
int gRankLabel = -1;

void printReport(const std::string &message, bool stopped) {
  std::string line = formatRankReport({gRankLabel, stopped, message}) + "\n";
  std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
}

void printError(const std::string &message) { printReport(message, false); }

/// How long a collective or the rendezvous may wait for the other ranks:
/// DSC_COMM_TIMEOUT seconds, 120 by default.
Expected<std::chrono::milliseconds> commTimeout() {
  const char *text = std::getenv("DSC_COMM_TIMEOUT");
  if (!text || !*text)
    return std::chrono::milliseconds(120000);
  char *end = nullptr;
  double seconds = std::strtod(text, &end);
  if (*end != '\0' || !(seconds > 0.0) || seconds > 86400.0)
    return Status::error(std::string("DSC_COMM_TIMEOUT: '") + text +
                         "' is not a number of seconds in (0, 86400]");
  return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000.0));
}

bool isRankOption(const std::string &name) {
  for (const char *known : kRankOptionNames)
    if (name == known)
      return true;
  return false;
}

} // namespace

Expected<RankArgs> parseRankArgs(int argc, const char *const *argv) {
  RankArgs args;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      args.help = true;
      continue;
    }
    if (arg.size() < 3 || arg.compare(0, 2, "--") != 0)
      return Status::error("unexpected argument '" + arg + "' (see --help)");
    std::string name = arg;
    std::optional<std::string> value;
    size_t eq = arg.find('=');
    if (eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    }
    // runtime/io/RankOptions.h lists them (ds-run reads the list too).
    if (!isRankOption(name))
      return Status::error("unknown option '" + name + "' (see --help)");
    std::optional<std::string> *slot = nullptr;
    std::optional<int64_t> *number = nullptr;
    if (name == "--plan")
      slot = &args.plan;
    else if (name == "--data")
      slot = &args.data;
    else if (name == "--metrics")
      slot = &args.metrics;
    else if (name == "--save")
      slot = &args.save;
    else if (name == "--out")
      slot = &args.out;
    else if (name == "--save-dir")
      slot = &args.saveDir;
    else if (name == "--resume")
      slot = &args.resume;
    else if (name == "--weights")
      slot = &args.weights;
    else if (name == "--steps")
      number = &args.steps;
    else if (name == "--save-every")
      number = &args.saveEvery;
    else if (name == "--init-seed")
      number = &args.initSeed;
    else
      return Status::error("unknown option '" + name + "' (see --help)");
    if (!value) {
      if (i + 1 >= argc)
        return Status::error(name + " needs a value");
      value = argv[++i];
    }
    if (value->empty())
      return Status::error(name + " needs a non-empty value");
    if ((slot && *slot) || (number && *number))
      return Status::error(name + " given twice");
    if (slot) {
      *slot = *value;
      continue;
    }
    errno = 0;
    char *end = nullptr;
    long long n = std::strtoll(value->c_str(), &end, 10);
    if (errno != 0 || *end != '\0' || n < 0 || !std::isdigit((*value)[0]))
      return Status::error(name + ": '" + *value +
                           "' is not a whole number >= 0");
    *number = static_cast<int64_t>(n);
  }
  return args;
}

std::string rankUsage(const std::string &program) {
  return "usage: " + program +
         " [--plan FILE] [--data DIR] [--steps N] [--metrics FILE]\n"
         "       [--save DIR] [--save-every K --save-dir DIR] [--resume DIR]\n"
         "       [--weights FILE | --init-seed N] [--out DIR]\n"
         "\n"
         "Runs one rank of a ds-compile plan.\n"
         "\n"
         "  --plan FILE     run with this plan.json instead of the plan in\n"
         "                  the executable (tests, debugging)\n"
         "  --data DIR      inputs, one <input>.npy per graph input (first\n"
         "                  dimension: samples)\n"
         "  --steps N       training: the optimizer step to stop after "
         "(default\n"
         "                  1; counted from the start, also when resuming)\n"
         "  --metrics FILE  training: one JSON line per optimizer step\n"
         "  --save DIR      training: write DIR/model.safetensors at the end\n"
         "  --save-every K  training: a checkpoint every K optimizer steps\n"
         "  --save-dir DIR  training: where checkpoints go (DIR/latest,\n"
         "                  DIR/global_step<N>/)\n"
         "  --resume DIR    training: continue from DIR's latest checkpoint\n"
         "  --weights FILE  the initial params and constants from FILE, a\n"
         "                  safetensors file of the whole model by ONNX names\n"
         "                  (a --save, PyTorch's initial weights), instead of\n"
         "                  the rank's own weights file; with ZeRO-3 each "
         "rank\n"
         "                  reads its partition\n"
         "  --init-seed N   training: draw the initial params with seed N,\n"
         "                  each from its ONNX initializer's mean and\n"
         "                  standard deviation (one value stays that value);\n"
         "                  the same numbers on any number of ranks\n"
         "  --out DIR       inference: write <output>.npy files here\n"
         "  --help          this text\n"
         "Ranks of a data-parallel plan (started by ds-run) meet through\n"
         "RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT (or OMPI_COMM_WORLD_* /\n"
         "SLURM_*), proving the job's token (DSC_JOB_TOKEN or\n"
         "DSC_JOB_TOKEN_FILE; ds-run draws one per job); DSC_COMM_TIMEOUT:\n"
         "seconds a rank waits for the others (default 120).\n";
}

std::string executablePath() {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

std::string cudaBackendPath() {
  if (const char *path = std::getenv("DSC_CUDA_BACKEND"))
    return path;
  std::string exe = executablePath();
  if (exe.empty())
    return "";
  std::string path = outputDirOf(exe) + "lib/libdsc_cuda.so";
  return ::access(path.c_str(), F_OK) == 0 ? path : "";
}

std::string outputDirOf(const std::string &exe) {
  size_t slash = exe.rfind('/');
  return (slash == std::string::npos ? "." : exe.substr(0, slash)) + "/../";
}

namespace {

/// The plan the rank runs: --plan FILE, or the one in its object.
Expected<Plan> rankPlan(const RankArgs &args, const RankProgram &program) {
  if (args.plan)
    return loadPlan(*args.plan);
  if (!program.plan)
    return Status::error("this rank program carries no plan (dsc_plan): "
                         "compile the model again, or give --plan FILE");
  std::string exe = executablePath();
  if (exe.empty())
    return Status::error("cannot find the executable (/proc/self/exe), "
                         "whose directory holds the weights");
  return decodePlan(program.plan, static_cast<size_t>(program.planBytes),
                    outputDirOf(exe), exe);
}

} // namespace

int runRank(const RankArgs &args, const RankProgram &program, std::FILE *out) {
  Expected<Plan> plan = rankPlan(args, program);
  if (!plan) {
    printError(plan.message());
    return 1;
  }
  const std::string &planPath = plan->path;
  // The optimizer comes from the object, resolved by the compiler (the
  // training step uses it, and the schedule, itself; the rank names it in
  // progress lines and checkpoints); plan.json only reports it.
  if (plan->training) {
    if (!program.optimizer) {
      printError("this rank program has no optimizer constants "
                 "(dsc_optimizer): compile the model again with ds-compile");
      return 1;
    }
    Expected<PlanOptimizer> optimizer = optimizerFromAbi(*program.optimizer);
    if (!optimizer) {
      printError(optimizer.message());
      return 1;
    }
    plan->optimizer = *optimizer;
  }
  // The job's ranks: from the launcher's environment.
  Expected<WorldInfo> world = worldFromEnvironment();
  if (!world) {
    printError(world.message());
    return 1;
  }
  if (world->size > 1)
    gRankLabel = world->rank;
  if (world->size != plan->worldSize) {
    printError(planPath + ": planned for " + std::to_string(plan->worldSize) +
               " rank(s), but this job has " + std::to_string(world->size) +
               " (WORLD_SIZE, from " + world->source +
               "); start the ranks with ds-run");
    return 1;
  }
  // Options that do not apply to the plan's mode are usage errors.
  const bool training = plan->training;
  auto misuse = [&](const char *option) {
    printError(std::string(option) + " applies to " +
               (training ? "inference" : "training") + "; " + planPath +
               " holds a" + (training ? " training" : "n inference") + " plan");
    return kExitUsage;
  };
  if (training && args.out)
    return misuse("--out");
  if (!training && args.steps)
    return misuse("--steps");
  if (!training && args.metrics)
    return misuse("--metrics");
  if (!training && args.save)
    return misuse("--save");
  if (!training && (args.saveEvery || args.saveDir || args.resume))
    return misuse(args.resume ? "--resume" : "--save-every/--save-dir");
  if (args.saveEvery.has_value() != args.saveDir.has_value()) {
    printError("--save-every and --save-dir go together");
    return kExitUsage;
  }
  if (!training && args.initSeed)
    return misuse("--init-seed");
  if (args.initSeed && args.weights) {
    printError("--init-seed and --weights both give the initial params; "
               "give one");
    return kExitUsage;
  }
  if (args.saveEvery && *args.saveEvery == 0) {
    printError("--save-every must be >= 1");
    return kExitUsage;
  }

  // The device, before anything is allocated: a GPU when the CUDA backend
  // (OUT/lib) loads and sees one, else the CPU (DSC_DEVICE).
  const char *deviceRequest = std::getenv("DSC_DEVICE");
  Expected<std::string> device = selectDevice(
      deviceRequest ? deviceRequest : "", world->localRank, cudaBackendPath());
  if (!device) {
    printError(device.message());
    return 1;
  }
  if (!device->empty()) {
    std::fprintf(out, "%s: device: %s\n",
                 world->size > 1
                     ? ("ds-rank " + std::to_string(world->rank)).c_str()
                     : "ds-rank",
                 device->c_str());
    std::fflush(out);
  }
  Expected<std::unique_ptr<RankState>> created =
      RankState::create(std::move(plan).value());
  if (!created) {
    printError(created.message());
    return 1;
  }
  RankState &state = **created;
  // The rank's own file, or the whole model's given with --weights.
  // The params from it too, or (--init-seed) drawn from the distributions
  // it records.
  const std::string weights =
      args.weights ? *args.weights : state.plan.weightsFor(world->rank);
  if (Status s = loadWeights(state.plan, weights, state.arena.data(),
                             args.initSeed ? WeightsToLoad::Constants
                                           : WeightsToLoad::ParamsAndConstants);
      !s.ok()) {
    printError(s.message());
    return 1;
  }
  // ZeRO-3: this rank's partition of the params.
  if (Status s = args.initSeed
                     ? initParamsFromSeed(state.plan, weights,
                                          static_cast<uint64_t>(*args.initSeed),
                                          state.arena.data(), world->rank)
                     : loadParamPartition(state.plan, weights,
                                          state.arena.data(), world->rank);
      !s.ok()) {
    printError(s.message());
    return 1;
  }
  // On a GPU the weights move there before the first step.
  if (const DeviceBackend *backend = gpu())
    backend->prefetch(state.arena.data(), state.arena.size());
  // Kernel errors: one "ds-rank: " line, then the dispatcher's exit code.
  // A collective of the generated code that failed because another rank
  // did first says so, as a failed step does below.
  std::unique_ptr<Communicator> comm;
  ErrorHandler previous =
      setErrorHandler([&comm](int code, const std::string &message) {
        if (comm && comm->peerFailed()) {
          printReport(message, /*stopped=*/true);
          std::exit(kExitStopped);
        }
        printError(message);
        std::exit(code);
      });
  const DeviceBackend *backend = gpu();
  if (backend && backend->createCommunicator) {
    // A GPU rank's collectives are NCCL's, a world of one's too.
    Expected<std::chrono::milliseconds> timeout = commTimeout();
    if (!timeout) {
      printError(timeout.message());
      return 1;
    }
    char message[512] = {};
    Communicator *made = backend->createCommunicator(*world, timeout->count(),
                                                     message, sizeof message);
    if (!made) {
      printError(message);
      return 1;
    }
    comm.reset(made);
  } else if (world->size > 1) {
    Expected<std::chrono::milliseconds> timeout = commTimeout();
    if (!timeout) {
      printError(timeout.message());
      return 1;
    }
    // A rank or node that falls silent stops every rank within the
    // heartbeat timeout: the step may be blocked in a collective that would
    // wait its whole timeout, so the rank exits from the heartbeat's thread.
    Expected<std::unique_ptr<Communicator>> created = createGlooCommunicator(
        *world, *timeout, [](const std::string &message) {
          printReport(message, /*stopped=*/true);
          std::_Exit(kExitStopped);
        });
    if (!created) {
      printError(created.message());
      return 1;
    }
    comm = std::move(created).value();
  }
  Status result;
  uint64_t collectiveBytes = 0;
  int64_t stepsRun = 0;
  if (training) {
    TrainOptions options;
    options.comm = comm.get();
    options.collectiveBytes = &collectiveBytes;
    options.stepsRun = &stepsRun;
    options.dataDir = args.data.value_or("");
    options.steps = args.steps.value_or(1);
    options.metricsPath = args.metrics.value_or("");
    options.saveDir = args.save.value_or("");
    options.checkpointEvery = args.saveEvery.value_or(0);
    options.checkpointDir = args.saveDir.value_or("");
    options.resumeDir = args.resume.value_or("");
    options.log = out;
    // The object's training step of this data-parallel rank.
    const int64_t dpRank = comm ? comm->rank() : 0;
    dsrt_train_step_fn trainStep =
        dpRank < program.trainStepCount && program.trainSteps
            ? program.trainSteps[dpRank]
            : nullptr;
    result = runTraining(state, options, trainStep);
  } else {
    InferenceOptions options;
    options.dataDir = args.data.value_or("");
    options.outDir = args.out.value_or("");
    result = runInference(state, options, program.step);
  }
  setErrorHandler(std::move(previous));
  if (!result.ok()) {
    // Another rank's failure came first: say so, so that it is the one
    // ds-run reports.
    if (comm && comm->peerFailed()) {
      printReport(result.message(), /*stopped=*/true);
      return kExitStopped;
    }
    printError(result.message());
    return 1;
  }
  std::optional<int64_t> predictedBytes = state.plan.predictedPeakBytes;
  if (static_cast<size_t>(world->rank) < state.plan.memory.size())
    predictedBytes = state.plan.memory[world->rank].total;
  std::string predicted = predictedBytes
                              ? std::to_string(*predictedBytes) + " bytes"
                              : std::string("(none)");
  std::string who =
      world->size > 1 ? "ds-rank " + std::to_string(world->rank) : "ds-rank";
  if (training && world->size > 1)
    std::fprintf(
        out, "%s: collectives: planned %lld bytes, ran %llu bytes\n",
        who.c_str(),
        static_cast<long long>(state.plan.collectiveBytesPerStep * stepsRun),
        static_cast<unsigned long long>(collectiveBytes));
  // Measured: the bytes of the plan's blocks on resident pages at the end of
  // a step; "of A allocated" says when the run left some of them untouched.
  const MemoryTracker &memory = state.memory;
  std::string allocated =
      memory.peakResidentBytes() == memory.peakSampledBytes()
          ? std::string()
          : " of " + std::to_string(memory.peakSampledBytes()) + " allocated";
  std::string growth =
      memory.samples() > 2
          ? " (RSS grew " + std::to_string(memory.rssGrowth()) +
                " bytes over the " + std::to_string(memory.samples() - 2) +
                " steps after the second)"
          : std::string();
  std::fprintf(out,
               "%s: memory: predicted %s, measured %zu bytes%s, peak RSS "
               "%lld bytes%s\n",
               who.c_str(), predicted.c_str(), memory.peakResidentBytes(),
               allocated.c_str(), static_cast<long long>(peakRssBytes()),
               growth.c_str());
  std::fflush(out);
  return 0;
}

namespace {

/// Runs the executable again with OPENBLAS_CORETYPE set when OpenBLAS fell
/// back to older kernels than this CPU runs (kernels/cpu/BlasCore.h): the
/// choice is made when the library loads, before main. Called first, with
/// no thread started and nothing opened; exec keeps the process (its pid,
/// its descriptors, its environment). On a failed exec the rank goes on.
void runWithBetterBlasCore(char **argv) {
  if (std::getenv("DSC_BLAS_CORE_CHOSEN"))
    return;
  std::string core = kernels::cpu::betterBlasCore();
  if (core.empty())
    return;
  ::setenv("OPENBLAS_CORETYPE", core.c_str(), 1);
  ::setenv("DSC_BLAS_CORE_CHOSEN", "1", 1);
  ::execv("/proc/self/exe", argv);
  ::unsetenv("OPENBLAS_CORETYPE");
}

} // namespace

int rankMain(int argc, char **argv) {
  runWithBetterBlasCore(argv);
  Expected<RankArgs> args = parseRankArgs(argc, argv);
  if (!args) {
    printError(args.message());
    return kExitUsage;
  }
  if (args->help) {
    std::string program = argc > 0 ? argv[0] : "rank";
    std::fputs(rankUsage(program).c_str(), stdout);
    return 0;
  }
  return runRank(*args, RankProgram(&dsc_step, &dsc_optimizer, dsc_plan,
                                    dsc_plan_bytes, dsc_train_step_table,
                                    dsc_train_step_count));
}

} // namespace dsc::runtime
