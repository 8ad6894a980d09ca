//===- FrozenInitializers.h - Initializers that are not trained -*- C++ -*-===//
//
// ONNX has no notion of a buffer: a PyTorch model's RoPE cos/sin tables, or
// a fine-tuning user's frozen embeddings, arrive as float initializers like
// any weight. A frozen initializer is read from the weights file like a
// parameter but gets no gradient, no optimizer state and no ZeRO partition.
// ds-compile freezes what it can prove is a buffer (rotary tables, by their
// values) and what the user names with --freeze.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_COMPILER_ONNX_FROZENINITIALIZERS_H
#define DSC_COMPILER_ONNX_FROZENINITIALIZERS_H

#include "compiler/onnx/OnnxImporter.h"

#include <optional>
#include <string>

namespace dsc::onnx_import {

/// Why `p` is provably a buffer, or nothing. Today: a rotary position table,
/// a tensor whose last two axes [positions, d] (the others of size 1) hold
/// cos(p * f_j) in every column j (row 0 all ones), or sin(p * f_j) (row 0
/// all zeros), for frequencies f_j not all 0, to float32 precision. No
/// trained or randomly initialised weight has that structure.
std::optional<std::string> provenBuffer(const Parameter &p);

} // namespace dsc::onnx_import

#endif // DSC_COMPILER_ONNX_FROZENINITIALIZERS_H
