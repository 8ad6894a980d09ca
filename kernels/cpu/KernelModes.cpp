//===- KernelModes.cpp - The kernels' enum attributes from their names ----===//
//
// Attributes such as a pad's mode arrive as their ONNX spelling. Each is
// decoded here, once, for the runtime's dispatch and the reference
// interpreter alike, so the two cannot disagree on a name.
//
//===----------------------------------------------------------------------===//

#include "kernels/cpu/CpuKernels.h"

namespace dsc::kernels::cpu {

std::optional<ScatterReduction> parseScatterReduction(std::string_view name) {
  if (name == "none")
    return ScatterReduction::None;
  if (name == "add")
    return ScatterReduction::Add;
  if (name == "mul")
    return ScatterReduction::Mul;
  if (name == "max")
    return ScatterReduction::Max;
  if (name == "min")
    return ScatterReduction::Min;
  return std::nullopt;
}

std::optional<PadMode> parsePadMode(std::string_view name) {
  if (name == "constant")
    return PadMode::Constant;
  if (name == "reflect")
    return PadMode::Reflect;
  if (name == "edge")
    return PadMode::Edge;
  if (name == "wrap")
    return PadMode::Wrap;
  return std::nullopt;
}

std::optional<LossReduction> parseLossReduction(std::string_view name) {
  if (name == "none")
    return LossReduction::None;
  if (name == "sum")
    return LossReduction::Sum;
  if (name == "mean")
    return LossReduction::Mean;
  return std::nullopt;
}

} // namespace dsc::kernels::cpu
