//===- Weights.h - Params in and out of safetensors files ------*- C++ -*-===//
//
// At start-up every "param" and "constant" buffer of the plan is filled
// from the plan's weights file (OUT/weights/rank_<r>.safetensors) by name;
// after training, --save writes every param back out under its name.
// Tensors in the file that the plan does not name are ignored.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_RUNTIME_MAIN_WEIGHTS_H
#define DSC_RUNTIME_MAIN_WEIGHTS_H

#include "runtime/io/Status.h"
#include "runtime/main/PlanFile.h"

#include <string>

namespace dsc::runtime {

/// Copies each param and constant tensor of `weightsPath` into its buffer in
/// `arena`. Errors (one message naming the file and the tensor): the file
/// is missing or corrupt (the safetensors reader's message), "<file>: no
/// tensor 'm.wte' (the plan's param float32 (512, 96))", "<file>: tensor
/// 'm.wte' is float16, the plan's param is float32", "<file>: tensor 'm.wte'
/// has shape (96, 512), the plan's param has (512, 96)".
/// A file of a plan compiled with --no-param-weights holds no param values:
/// "<file>: holds no param values (ds-compile --no-param-weights): give
/// --init-seed N or --weights FILE".
enum class WeightsToLoad {
  ParamsAndConstants,
  /// A checkpoint holds params.
  Params,
  /// The params come from a seed (initParamsFromSeed).
  Constants,
};
Status loadWeights(const Plan &plan, const std::string &weightsPath,
                   char *arena,
                   WeightsToLoad what = WeightsToLoad::ParamsAndConstants);

/// --init-seed: draws every param buffer, and ZeRO-3 rank `rank`'s
/// partition, with `seed` from the initial distributions in
/// `weightsPath`'s metadata (runtime/io/ParamInit.h), rounded to the
/// params' type.
Status initParamsFromSeed(const Plan &plan, const std::string &weightsPath,
                          uint64_t seed, char *arena, int64_t rank);

/// Writes every param of `arena` to `path` as safetensors (atomically), then
/// the frozen initializers and the tied copies (TiedCopies.h): every
/// initializer of the model that is not a constant of the graph.
Status saveParams(const Plan &plan, const char *arena, const std::string &path);

/// ZeRO-3: copies data-parallel rank `rank`'s partition of the params that
/// no rank holds whole from `path` into the plan's partition buffer: the
/// rank's own weights file holds it as one tensor (RankWeightsFormat.h;
/// error if it is another rank's range), a checkpoint's model.safetensors as
/// whole params (memory-mapped: a rank reads only its partition's pages).
Status loadParamPartition(const Plan &plan, const std::string &path,
                          char *arena, int64_t rank);

/// As saveParams, the params from `flat`, the whole flat parameter space
/// (plan.zero's params in order), the frozen initializers from `arena`.
Status saveFlatParams(const Plan &plan, const char *flat, const char *arena,
                      const std::string &path);

} // namespace dsc::runtime

#endif // DSC_RUNTIME_MAIN_WEIGHTS_H
