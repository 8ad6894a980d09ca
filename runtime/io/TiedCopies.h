//===- TiedCopies.h - Initializers written as their source ------*- C++ -*-===//
//
// ds-compile trains an initializer that is an exact copy or transpose of
// another (an exported tied LM head) as that parameter (the importer's
// TiedInitializers.h). Everything that writes a model's weights by name
// (--save, checkpoints, ds-ckpt consolidate and export-onnx) still writes
// every original name, the copy as the trained source (transposed), so the
// result has the exported file's structure. The compiler lists the ties in
// plan.json and a checkpoint's state.json; both sides use this file.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_RUNTIME_IO_TIEDCOPIES_H
#define DSC_RUNTIME_IO_TIEDCOPIES_H

#include "runtime/io/JsonReader.h"
#include "runtime/io/Safetensors.h"
#include "runtime/io/Status.h"

#include <string>
#include <vector>

namespace dsc::runtime {

struct TiedCopy {
  /// The initializer that is not a parameter of its own.
  std::string name;
  /// The parameter it is, transposed (2-D) or not.
  std::string source;
  bool transposed = false;
};

/// The "ties" list of plan.json and state.json:
/// [{"name": ..., "source": ..., "transposed": true}, ...].
nlohmann::ordered_json tiedCopiesToJson(const std::vector<TiedCopy> &ties);
/// Reads `obj`'s optional "ties" list (`at` is its key path for messages).
std::vector<TiedCopy> readTiedCopies(JsonReader &r, const nlohmann::json &obj,
                                     const std::string &at);

/// Adds each tie's copy to `tensors`, made from its source among them;
/// `storage` keeps transposed bytes alive as long as `tensors` is used.
/// Errors: a source that is not among `tensors`, a transpose of a tensor
/// that is not 2-D, a name that is there already.
Status appendTiedCopies(std::vector<TensorToWrite> &tensors,
                        const std::vector<TiedCopy> &ties,
                        std::vector<std::vector<char>> &storage);

/// What every writer of a model's weights (--save, checkpoints, ds-ckpt)
/// writes after the params in `tensors`, in this order: the frozen
/// initializers, then the tied copies (made from either).
Status appendFrozenAndTiedCopies(std::vector<TensorToWrite> &tensors,
                                 const std::vector<TensorToWrite> &frozen,
                                 const std::vector<TiedCopy> &ties,
                                 std::vector<std::vector<char>> &storage);

} // namespace dsc::runtime

#endif // DSC_RUNTIME_IO_TIEDCOPIES_H
