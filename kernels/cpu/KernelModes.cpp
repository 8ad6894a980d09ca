//===- KernelModes.cpp - The kernels' enum attributes from their names ----===//
//
// Attributes such as a pad's mode arrive as their ONNX spelling, and unary
// kernels by their name. Each is decoded here, once, for the runtime's
// dispatch and the reference interpreter alike, so the two cannot disagree
// on a name.
//
//===----------------------------------------------------------------------===//

#include "kernels/cpu/CpuKernels.h"

namespace dsc::kernels::cpu {

const std::vector<UnaryOpInfo> &unaryOps() {
  static const std::vector<UnaryOpInfo> ops = {
#define DSC_UNARY_OP(Enum, name, integers) {UnaryOp::Enum, name, integers},
#include "kernels/cpu/UnaryOps.def"
  };
  return ops;
}

std::optional<UnaryOp> parseUnaryOp(std::string_view name) {
  for (const UnaryOpInfo &info : unaryOps())
    if (info.name == name)
      return info.op;
  return std::nullopt;
}

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
