//===- CheckpointFormat.h - The checkpoint directory and metadata -*- C++
//-*-===//
//
// A checkpoint directory as DeepSpeed lays it out, with safetensors and JSON
// instead of pickles (loading one never runs code):
//
//   DIR/latest                    the newest tag, e.g. "global_step3"
//   DIR/global_step3/state.json   CheckpointMeta (below)
//   DIR/global_step3/plan.json    the report of the plan that wrote it (with
//                                 its ds_config), when OUT/plan.json is there
//   DIR/global_step3/model.safetensors
//                                 every param, fp32, by its ONNX name
//   DIR/global_step3/optim_states_<i>.safetensors
//                                 shard i of the optimizer states: one 1-D
//                                 tensor per state ("exp_avg", ...) over the
//                                 flat elements [begin, end) of the shard
//
// The flat space is the params in plan order (each param's flat_offset is in
// state.json), so the shards do not depend on how many ranks wrote them: a
// job with another data-parallel size reads the elements it owns from
// whichever shards hold them. A tag directory appears complete or not at all
// (written under "<tag>.tmp", renamed), and `latest` is replaced last.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_RUNTIME_CHECKPOINT_CHECKPOINTFORMAT_H
#define DSC_RUNTIME_CHECKPOINT_CHECKPOINTFORMAT_H

#include "runtime/io/DType.h"
#include "runtime/io/Status.h"
#include "runtime/io/TiedCopies.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dsc::runtime {

/// The value of state.json's "format".
inline constexpr const char *kCheckpointFormat = "ds-compile checkpoint 1";

struct CheckpointParam {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  int64_t flatOffset = 0;
  int64_t numel = 0;
};

struct CheckpointShard {
  std::string file;
  int64_t begin = 0;
  int64_t end = 0;
};

struct CheckpointMeta {
  std::string tag;
  /// Optimizer steps done.
  int64_t globalSteps = 0;
  /// Samples consumed: where the data continues.
  int64_t globalSamples = 0;
  int64_t trainBatchSize = 0;
  /// The last step's loss.
  double loss = 0.0;
  /// The dynamic loss scale (fp16); none in fp32 training. With it, the
  /// scaler's iteration, last overflow and hysteresis left.
  std::optional<double> lossScale;
  int64_t lossScaleIteration = 0;
  int64_t lossScaleLastOverflow = -1;
  int64_t lossScaleHysteresis = 0;
  /// The scheduler's step count (the next step's t).
  int64_t schedulerStep = 0;
  std::string optimizer;
  std::vector<std::string> stateNames;
  /// The layout that wrote it (informational: readers need not match).
  int64_t zeroStage = 0;
  int64_t dpSize = 1;
  /// The params' element type, and the optimizer states' (float32 with
  /// 16-bit params, whose float32 master copy is the state
  /// "master_params").
  DType dtype = DType::F32;
  DType stateDtype = DType::F32;
  int64_t flatElements = 0;
  std::vector<CheckpointParam> params;
  std::vector<CheckpointShard> shards;
  /// Frozen initializers (never trained), in model.safetensors after the
  /// params.
  std::vector<std::string> frozen;
  /// Initializers that are a param, written in model.safetensors last.
  std::vector<TiedCopy> ties;
};

/// "global_step<N>".
std::string checkpointTag(int64_t globalSteps);

/// The tag of `dir`'s newest checkpoint (DIR/latest). Errors: "ckpt: not a
/// checkpoint directory (no 'latest')", a tag that is not a directory.
Expected<std::string> latestTag(const std::string &dir);

/// Reads and checks `tagDir`/state.json.
Expected<CheckpointMeta> readCheckpointMeta(const std::string &tagDir);
/// Checks the text of a state.json; `path` names it in messages.
Expected<CheckpointMeta> parseCheckpointMeta(std::string_view text,
                                             const std::string &path);
Status writeCheckpointMeta(const std::string &tagDir,
                           const CheckpointMeta &meta);

/// Copies flat elements [begin, end) of optimizer state `state` into `out`
/// (meta.stateDtype elements), from the shards that hold them. Error when the
/// shards do not cover the range or a shard is missing or corrupt.
Status readStateRange(const std::string &tagDir, const CheckpointMeta &meta,
                      const std::string &state, int64_t begin, int64_t end,
                      char *out);

/// Checks every optimizer shard state.json lists: each is there, whole, and
/// holds each state over its flat range, and together they cover the flat
/// space (readStateRange's checks, reading no data).
Status verifyOptimizerShards(const std::string &tagDir,
                             const CheckpointMeta &meta);

/// Points DIR/latest at `tag` (written to a temporary name, renamed).
Status writeLatest(const std::string &dir, const std::string &tag);

} // namespace dsc::runtime

#endif // DSC_RUNTIME_CHECKPOINT_CHECKPOINTFORMAT_H
