//===- PlanFile.h - OUT/plan.json as the rank runtime reads it -*- C++ -*-===//
//
// The compiler writes OUT/plan.json ("format": "ds-compile plan 1") next to
// the rank executables as a report, and runs parsePlan on it: the rank reads
// the same plan from its object (PlanCodec.h), or a plan.json given with
// --plan FILE: the arena size, where every named buffer lives in the arena,
// the batch layout, the ZeRO layout and collectives, and where the weights
// are. Its "kernels" list is a report only: the object calls the kernels.
// parsePlan checks everything the runtime relies on (buffers inside the arena,
// a grad for every param in training, a float scalar loss, TBS = MBS * GAS *
// dp, ...) so that the step loop can trust the plan. Errors name the file and
// the key, e.g. "out/plan.json: buffers[3].offset: 8000000 + 4096 bytes lies
// outside the arena (7943488 bytes)".
//
//===----------------------------------------------------------------------===//

#ifndef DSC_RUNTIME_MAIN_PLANFILE_H
#define DSC_RUNTIME_MAIN_PLANFILE_H

#include "runtime/comm/CollectiveNames.h"
#include "runtime/io/DType.h"
#include "runtime/io/PlanFormat.h"
#include "runtime/io/Status.h"
#include "runtime/io/TiedCopies.h"
#include "runtime/schedule/LossScaler.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dsc::runtime {

/// ParamShard: ZeRO-3's partition of the flat parameter space.
enum class BufferRole {
  Input,
  Param,
  Output,
  Grad,
  Constant,
  ParamShard,
  /// The optimizer step's (build-optimizer-step): the optimizer states of
  /// the owned elements ("exp_avg" ...), the ZeRO-2/3 gradient accumulator,
  /// the collectives' staging buffer, the norm and loss scalars.
  OptimizerState,
  Accumulator,
  Staging,
  Scalar
};
/// Every role, in declaration order.
inline constexpr BufferRole kBufferRoles[] = {
    BufferRole::Input,          BufferRole::Param,       BufferRole::Output,
    BufferRole::Grad,           BufferRole::Constant,    BufferRole::ParamShard,
    BufferRole::OptimizerState, BufferRole::Accumulator, BufferRole::Staging,
    BufferRole::Scalar};

/// "input", "param", ...
std::string_view bufferRoleName(BufferRole role);

/// A named buffer at a static arena offset.
struct PlanBuffer {
  std::string name;
  BufferRole role = BufferRole::Input;
  int64_t offset = 0;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  int64_t numel = 0;
  /// numel * dtypeSize(dtype).
  size_t bytes = 0;
};

struct PlanBatch {
  int64_t trainBatchSize = 1;
  int64_t microBatchSize = 1;
  int64_t gradAccumSteps = 1;
  int64_t dpSize = 1;
};

enum class OptimizerKind { Adam, AdamW, Sgd, Lamb };

/// "adam", "adamw", "sgd", "lamb".
std::string_view optimizerKindName(OptimizerKind kind);

/// The optimizer, as the compiler resolved it (DeepSpeed's defaults
/// applied): the rank takes it from its object's dsc_optimizer.
/// The object's optimizer constant (dsrt_optimizer) as the rank reads it.
/// The compiler resolved every value, DeepSpeed's defaults included.
struct PlanOptimizer {
  OptimizerKind kind = OptimizerKind::AdamW;
  double lr = 0;
  double beta1 = 0;
  double beta2 = 0;
  double eps = 0;
  double weightDecay = 0;
  bool adamWMode = false;
  bool biasCorrection = false;
  double momentum = 0;
  bool nesterov = false;
  double dampening = 0;
  double maxCoeff = 0;
  double minCoeff = 0;
  /// fp16: the loss scaler's settings; none without fp16.
  std::optional<LossScalerSpec> lossScaling;
};

/// Half-open range of elements of the flat parameter space.
struct PlanRange {
  int64_t begin = 0;
  int64_t end = 0;
  int64_t size() const { return end - begin; }
};

/// One entry of "collectives": what every data-parallel rank runs, in order,
/// in each optimizer step.
struct PlanCollective {
  int64_t seq = 0;
  CollectiveOp op = CollectiveOp::AllReduce;
  std::string group = "dp";
  CollectivePhase phase = CollectivePhase::Boundary;
  /// The micro-step of a MicroStep collective; -1 otherwise.
  int64_t micro = -1;
  CollectivePayload payload = CollectivePayload::Gradients;
  DType dtype = DType::F32;
  /// Flat elements; {0, 1} for the norm and the loss.
  PlanRange range;
  /// reduce_scatter / all_gather: elements per data-parallel rank.
  std::vector<int64_t> counts;
  int64_t bytes = 0;
  /// Started by the step and waited for later (a prefetched gather).
  bool async = false;
};

/// A param of the flat parameter space.
struct ZeroParam {
  std::string name;
  std::vector<int64_t> shape;
  int64_t numel = 0;
  int64_t flatOffset = 0;
  /// Every rank holds it whole (stages 0-2; stage 3 below the persistence
  /// threshold): then `buffer` indexes its param buffer in Plan::buffers;
  /// otherwise it lives only in the ranks' partitions.
  bool whole = true;
  std::optional<size_t> buffer;
};

/// The "zero" block: the flat parameter space and its partitions. Training
/// plans without it are one rank, stage 0, the params laid out in order.
struct PlanZero {
  int64_t stage = 0;
  int64_t dpSize = 1;
  int64_t flatElements = 0;
  /// The step adds each micro-step's gradients into its gradient buffers
  /// (stages 0 and 1 with several micro-steps).
  bool accumulateGradients = false;
  /// Indexed by data-parallel rank.
  std::vector<PlanRange> partitions;
  /// Every param in flat order, and the first flat element of each.
  std::vector<ZeroParam> params;
  std::vector<int64_t> flatOffsets;
  /// Stage 3: the buffer (index in Plan::buffers) holding this rank's
  /// partition.
  std::optional<size_t> shard;
};

/// One rank's predicted memory by kind ("memory" entries).
struct PlanMemory {
  int64_t parameters = 0;
  int64_t gradients = 0;
  int64_t optimizerStates = 0;
  int64_t activations = 0;
  int64_t workspace = 0;
  int64_t total = 0;
};

/// A field added here goes into PlanCodec.cpp's field list too.
struct Plan {
  /// The file as given (or the executable, for the plan in its object),
  /// and its directory ("" or ending in '/'; the output directory).
  std::string path;
  std::string dir;
  /// The plan.json the plan was read from, or the report ds-compile wrote
  /// beside the executable: a checkpoint keeps a copy when it exists.
  std::string reportPath;
  bool training = true;
  /// The rank the plan was written for; data-parallel ranks share one plan
  /// and take their rank from the environment.
  int64_t rank = 0;
  int64_t worldSize = 1;
  int64_t arenaBytes = 0;
  int64_t persistentBytes = 0;
  /// Present in training; in inference when the plan has the block.
  std::optional<PlanBatch> batch;
  std::vector<PlanBuffer> buffers;
  /// Not read from plan.json (its "optimizer" block is a report): a
  /// training rank sets it from its object's dsc_optimizer, to name it in
  /// progress lines and checkpoints. The schedule and clipping are the
  /// training step's own (the object's dsc_schedule and code).
  std::optional<PlanOptimizer> optimizer;
  int64_t stepsPerPrint = 10;
  /// "weights" resolved against `dir`; empty when the plan has none.
  std::string weightsPath;
  /// Several ranks: each rank's own weights file ("weights_by_rank").
  std::vector<std::string> weightsByRank;
  /// Initializers trained as another param ("ties"); written with the params.
  std::vector<TiedCopy> ties;
  /// The file rank `rank` loads at start.
  const std::string &weightsFor(int64_t rank) const {
    return rank >= 0 && static_cast<size_t>(rank) < weightsByRank.size()
               ? weightsByRank[rank]
               : weightsPath;
  }
  std::optional<int64_t> predictedPeakBytes;
  /// Training: always set (synthesized for plans without the block).
  std::optional<PlanZero> zero;
  std::vector<PlanCollective> collectives;
  int64_t collectiveBytesPerStep = 0;
  /// Indexed by rank; empty when the plan has no "memory".
  std::vector<PlanMemory> memory;

  /// Indices into `buffers` of the buffers with `role`, in file order.
  std::vector<size_t> buffersWithRole(BufferRole role) const;
  /// The buffer `name` with `role`; nullptr when there is none.
  const PlanBuffer *find(std::string_view name, BufferRole role) const;
  /// The loss: the first "output" buffer; nullptr when there is none.
  const PlanBuffer *loss() const;
};

/// Parses and validates the text of a plan.json; `path` names the file in
/// messages and its directory resolves "weights".
Expected<Plan> parsePlan(std::string_view text, const std::string &path);

/// Reads `path` and parses it. Errors: "out/plan.json: cannot open: No such
/// file or directory", bad JSON (with line and column), a format mismatch,
/// a missing or ill-typed key, an inconsistent plan.
Expected<Plan> loadPlan(const std::string &path);

} // namespace dsc::runtime

#endif // DSC_RUNTIME_MAIN_PLANFILE_H
