//===- RankMain.h - The rank executable's command line and main -*- C++ -*-===//
//
// OUT/bin/rank_<r> is main.cpp (one line: rankMain) + this library + the
// generated object that defines dsc_step and each rank's training step.
// rankMain parses the arguments, takes the plan from the object (dsc_plan;
// --plan FILE reads a plan.json instead, for tests and debugging), loads the
// arena and the weights (file names relative to <dir of the executable>/..),
// and runs the training or inference loop (Trainer.h). It prints every error as
// one line "ds-rank: <message>" on stderr and returns 2 for a usage error, 1
// for any other failure (kernel errors exit through the dispatcher with its
// codes, 65 or 70), 0 on success, after the line
//   ds-rank: memory: predicted P bytes, measured M bytes, peak RSS R bytes
// on stdout (M: the arena's resident bytes, which hold the optimizer states,
// accumulator and staging buffer too; P: the plan's predicted bytes).
//
//===----------------------------------------------------------------------===//

#ifndef DSC_RUNTIME_MAIN_RANKMAIN_H
#define DSC_RUNTIME_MAIN_RANKMAIN_H

#include "runtime/io/RankReport.h"
#include "runtime/io/Status.h"
#include "runtime/main/RankState.h"

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

namespace dsc::runtime {

/// The command line. Each option takes one value, as `--opt VALUE` or
/// `--opt=VALUE`, and may be given once.
struct RankArgs {
  std::optional<std::string> plan;
  std::optional<std::string> data;
  std::optional<int64_t> steps;
  std::optional<std::string> metrics;
  std::optional<std::string> save;
  std::optional<std::string> out;
  /// Checkpoints: every N optimizer steps into --save-dir; --resume DIR
  /// continues from DIR's latest checkpoint (--steps counts from step 0).
  std::optional<int64_t> saveEvery;
  std::optional<std::string> saveDir;
  std::optional<std::string> resume;
  /// The initial params and constants, by their ONNX names, instead of the
  /// rank's own weights file (which then need not exist).
  std::optional<std::string> weights;
  /// The initial params drawn with this seed (runtime/io/ParamInit.h).
  std::optional<int64_t> initSeed;
  bool help = false;
};

/// Parses argv[1..argc). Errors (usage errors, exit 2): "unknown option
/// '--foo' (see --help)", "--steps needs a value", "--steps: 'x' is not a
/// whole number >= 0", "--plan given twice", "unexpected argument 'x'".
Expected<RankArgs> parseRankArgs(int argc, const char *const *argv);

/// The --help text.
std::string rankUsage(const std::string &program);

/// The executable's path (/proc/self/exe); empty if the link cannot be read.
std::string executablePath();

/// The output directory of the executable at `exe` (OUT/bin/rank_0 -> the
/// directory "OUT/bin/../", where plan.json and weights/ lie).
std::string outputDirOf(const std::string &exe);

/// The CUDA backend library the rank loads: DSC_CUDA_BACKEND, else
/// OUT/lib/libdsc_cuda.so beside the executable's OUT/bin when it is
/// there; "" when neither (the rank runs on the CPU).
std::string cudaBackendPath();

/// Everything after argument parsing, with `program` as the generated
/// object's step and constants (tests pass their own). Progress and the
/// memory line go to `out`. Returns the exit code; errors are printed to
/// stderr.
int runRank(const RankArgs &args, const RankProgram &program,
            std::FILE *out = stdout);

/// The rank executable's main, calling the generated dsc_step.
int rankMain(int argc, char **argv);

} // namespace dsc::runtime

#endif // DSC_RUNTIME_MAIN_RANKMAIN_H
