//===- TiedInitializers.h - Ties exporters wrote as copies ------*- C++ -*-===//
//
// A PyTorch model whose LM head shares the embedding's weight (GPT-2, BERT's
// MLM decoder, T5) is one parameter in PyTorch. The TorchScript exporter
// constant-folds the head's `weight.T` into an initializer of its own (e.g.
// `onnx::MatMul_561`, an exact transpose of `wte.weight`), so an importer
// that trusts the file trains two independent tensors and leaves PyTorch's
// losses from the second step on. A float initializer that is a bit-exact
// copy, or a bit-exact transpose, of another trainable one, and large enough
// that the coincidence is impossible, is such a tie.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_COMPILER_ONNX_TIEDINITIALIZERS_H
#define DSC_COMPILER_ONNX_TIEDINITIALIZERS_H

#include "compiler/onnx/OnnxImporter.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <cstddef>
#include <vector>

namespace dsc::onnx_import {

/// Fewer elements than this are never taken for a tie: small tensors
/// (biases of structured values, tables) may coincide.
inline constexpr int64_t kMinTiedElements = 4096;

/// The ties among `params`: for each, the index of the copy and of the
/// parameter it copies (never itself a copy), and whether the copy is the
/// transpose (2-D only). Only parameters for which `eligible` holds take
/// part. The kept one is the earlier, unless only the later has a name of
/// the model's own (exporters name folded constants "onnx::...").
struct TieIndex {
  size_t copy;
  size_t source;
  bool transposed;
};
std::vector<TieIndex>
findTiedInitializers(llvm::ArrayRef<Parameter> params,
                     llvm::function_ref<bool(size_t)> eligible);

} // namespace dsc::onnx_import

#endif // DSC_COMPILER_ONNX_TIEDINITIALIZERS_H
