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

namespace {
/// The selector of the entry of `ops` called `name` (entries have `op` and
/// `name`), or nullopt.
template <typename Entry>
auto byName(const std::vector<Entry> &ops, std::string_view name)
    -> std::optional<decltype(Entry::op)> {
  for (const Entry &entry : ops)
    if (entry.name == name)
      return entry.op;
  return std::nullopt;
}
} // namespace

const std::vector<UnaryOpInfo> &unaryOps() {
  static const std::vector<UnaryOpInfo> ops = {
#define DSC_UNARY_OP(Enum, name, integers) {UnaryOp::Enum, name, integers},
#include "kernels/cpu/UnaryOps.def"
  };
  return ops;
}

const std::vector<NamedKernel<BinaryOp>> &binaryOps() {
  static const std::vector<NamedKernel<BinaryOp>> ops = {
#define DSC_BINARY_OP(Enum, name) {BinaryOp::Enum, name},
#include "kernels/cpu/BinaryOps.def"
  };
  return ops;
}

const std::vector<NamedKernel<CompareOp>> &compareOps() {
  static const std::vector<NamedKernel<CompareOp>> ops = {
#define DSC_COMPARE_OP(Enum, name) {CompareOp::Enum, name},
#include "kernels/cpu/BinaryOps.def"
  };
  return ops;
}

std::optional<UnaryOp> parseUnaryOp(std::string_view name) {
  return byName(unaryOps(), name);
}

std::optional<BinaryOp> parseBinaryOp(std::string_view name) {
  return byName(binaryOps(), name);
}

std::optional<CompareOp> parseCompareOp(std::string_view name) {
  return byName(compareOps(), name);
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
