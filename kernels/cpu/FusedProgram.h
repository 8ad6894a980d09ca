//===- FusedProgram.h - An elementwise chain as one kernel ------*- C++ -*-===//
//
// fused_elementwise runs a chain of elementwise ops (the plan-fuse-
// elementwise pass finds them) per element, without storing what one op
// hands the next. Its program attribute: the instruction count, then four
// words per instruction: kind, selector, a, b. Registers 0 .. inputs-1 hold
// the inputs' elements (each broadcast to the result's shape); instruction
// i writes register inputs + i from registers a (and b) below it; the last
// one is the result. Kinds: unary (selector a UnaryOp; b unused) and binary
// (a BinaryOp). Each op rounds to the element type as the unfused kernel
// stores it, so the chain's result is the unfused ops' bit for bit.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_KERNELS_CPU_FUSEDPROGRAM_H
#define DSC_KERNELS_CPU_FUSEDPROGRAM_H

#include "kernels/cpu/ElementwiseMath.h"

#include <cstdint>
#include <string>

namespace dsc::kernels::cpu {

enum class FusedKind : int64_t { Unary = 0, Binary = 1 };

inline constexpr int64_t kNumUnaryOps = 0
#define DSC_UNARY_OP(Enum, name, integers) +1
#include "kernels/cpu/UnaryOps.def"
    ;
inline constexpr int64_t kNumBinaryOps = 0
#define DSC_BINARY_OP(Enum, name) +1
#include "kernels/cpu/BinaryOps.def"
    ;

inline constexpr int kFusedMaxInputs = 8;
/// The result's rank at most (the inputs' broadcast strides).
inline constexpr int kFusedMaxRank = 8;
inline constexpr int kFusedMaxInstructions = 24;
inline constexpr int kFusedWordsPerInstruction = 4;

/// Instruction `i`'s result from the registers (T: the arithmetic type).
template <typename T>
DSC_HOST_DEVICE inline T fusedInstruction(const int64_t *word, const T *regs) {
  const T a = regs[word[2]];
  if (static_cast<FusedKind>(word[0]) == FusedKind::Unary)
    return unaryFloatValue(static_cast<UnaryOp>(word[1]), a);
  return binaryValue(static_cast<BinaryOp>(word[1]), a, regs[word[3]]);
}

/// "" when `program` (`size` words) is well formed for `inputs` inputs,
/// else the problem.
inline std::string fusedProgramProblem(const int64_t *program, int64_t size,
                                       int inputs) {
  if (inputs < 1 || inputs > kFusedMaxInputs)
    return "has " + std::to_string(inputs) + " inputs, expected 1 to " +
           std::to_string(kFusedMaxInputs);
  if (size < 1 || program[0] < 1 || program[0] > kFusedMaxInstructions ||
      size != 1 + program[0] * kFusedWordsPerInstruction)
    return "has a program of " + std::to_string(size) +
           " words, expected 1 + 4 per instruction (1 to " +
           std::to_string(kFusedMaxInstructions) + ")";
  for (int64_t i = 0; i < program[0]; ++i) {
    const int64_t *w = program + 1 + i * kFusedWordsPerInstruction;
    const int64_t defined = inputs + i;
    const bool unary = w[0] == static_cast<int64_t>(FusedKind::Unary);
    const bool binary = w[0] == static_cast<int64_t>(FusedKind::Binary);
    const int64_t ops = unary ? kNumUnaryOps : kNumBinaryOps;
    if ((!unary && !binary) || w[1] < 0 || w[1] >= ops || w[2] < 0 ||
        w[2] >= defined || (binary && (w[3] < 0 || w[3] >= defined)))
      return "has a malformed instruction " + std::to_string(i);
  }
  return "";
}

} // namespace dsc::kernels::cpu

#endif // DSC_KERNELS_CPU_FUSEDPROGRAM_H
