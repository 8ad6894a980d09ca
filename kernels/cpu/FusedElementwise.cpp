//===- FusedElementwise.cpp - A chain of elementwise ops in one pass ------===//
//
// fused_elementwise (FusedProgram.h): the result in chunks of elements,
// each op over a whole chunk (a loop with the op a constant, which
// vectorises as the unfused kernel's does), the intermediate values in a
// chunk-sized buffer per op instead of passing through memory in full.
//
//===----------------------------------------------------------------------===//

#include "kernels/cpu/FusedProgram.h"
#include "kernels/cpu/Indexing.h"

#include <algorithm>
#include <type_traits>
#include <vector>

namespace dsc::kernels::cpu {

using detail::broadcastStrides;

namespace {

constexpr int64_t kChunk = 256;

bool sameDims(Shape a, Shape b) {
  return a.rank == b.rank && std::equal(a.dims, a.dims + a.rank, b.dims);
}

/// Whether `in` is `out`'s trailing axes (leading ones aside): a bias.
bool isTrailing(Shape in, Shape out) {
  int r = in.rank;
  while (r > 0 && in.dims[in.rank - r] == 1)
    --r;
  if (r > out.rank)
    return false;
  for (int d = 1; d <= r; ++d)
    if (in.dims[in.rank - d] != out.dims[out.rank - d])
      return false;
  return true;
}

/// dst[e] = op(a[e], b[e]) for e < m, the op a constant of each loop (so
/// the loop vectorises where the op does).
template <typename T>
void runInstruction(const int64_t *word, const T *a, const T *b, T *dst,
                    int64_t m) {
  if (static_cast<FusedKind>(word[0]) == FusedKind::Unary) {
    switch (static_cast<UnaryOp>(word[1])) {
#define DSC_UNARY_OP(Enum, name, integers)                                     \
  case UnaryOp::Enum:                                                          \
    for (int64_t e = 0; e < m; ++e)                                            \
      dst[e] = unaryFloatValue(UnaryOp::Enum, a[e]);                           \
    return;
#include "kernels/cpu/UnaryOps.def"
    }
    return;
  }
  switch (static_cast<BinaryOp>(word[1])) {
#define DSC_BINARY_OP(Enum, name)                                              \
  case BinaryOp::Enum:                                                         \
    for (int64_t e = 0; e < m; ++e)                                            \
      dst[e] = binaryValue(BinaryOp::Enum, a[e], b[e]);                        \
    return;
#include "kernels/cpu/BinaryOps.def"
  }
}

} // namespace

template <typename T>
void fusedElementwise(const int64_t *program, const T *const *inputs,
                      const Shape *inShapes, int numInputs, T *out,
                      Shape outShape) {
  // 16-bit storage computes in float and rounds after every op, as the
  // unfused kernels store each result.
  constexpr bool kNarrow = kIsFloat16<T>;
  using C = std::conditional_t<kNarrow, float, T>;
  const int64_t instructions = program[0];
  const int64_t n = outShape.numel();
  // How each input is read: in place, one value, repeating (a bias: element
  // i reads i % period), or through broadcast strides. Everything on the
  // stack: a call allocates only for the general broadcast.
  enum class Access { Whole, Scalar, Repeat, Strided };
  Access access[kFusedMaxInputs];
  int64_t period[kFusedMaxInputs] = {};
  int64_t strides[kFusedMaxInputs][kFusedMaxRank] = {};
  // A chunk-sized buffer per register (a scalar input's is filled once).
  alignas(64) C buffers[kFusedMaxInputs + kFusedMaxInstructions][kChunk];
  auto widen = [](T v) { return convertValue<T, C>(v); };
  for (int j = 0; j < numInputs; ++j) {
    if (sameDims(inShapes[j], outShape)) {
      access[j] = Access::Whole;
    } else if (inShapes[j].numel() == 1) {
      access[j] = Access::Scalar;
      std::fill(buffers[j], buffers[j] + kChunk, widen(inputs[j][0]));
    } else if (isTrailing(inShapes[j], outShape)) {
      access[j] = Access::Repeat;
      period[j] = inShapes[j].numel();
    } else {
      access[j] = Access::Strided;
      std::vector<int64_t> s = broadcastStrides(inShapes[j], outShape);
      std::copy(s.begin(), s.end(), strides[j]);
    }
  }
  auto offsetOf = [&](int j, int64_t index) {
    int64_t offset = 0;
    for (int d = outShape.rank - 1; d >= 0; --d) {
      offset += (index % outShape.dims[d]) * strides[j][d];
      index /= outShape.dims[d];
    }
    return offset;
  };
  const C *reg[kFusedMaxInputs + kFusedMaxInstructions];
  for (int64_t base = 0; base < n; base += kChunk) {
    const int64_t m = std::min(kChunk, n - base);
    for (int j = 0; j < numInputs; ++j) {
      const T *in = inputs[j];
      C *r = buffers[j];
      switch (access[j]) {
      case Access::Whole:
        if constexpr (!kNarrow) {
          reg[j] = in + base;
          continue;
        }
        for (int64_t e = 0; e < m; ++e)
          r[e] = widen(in[base + e]);
        break;
      case Access::Scalar:
        break;
      case Access::Repeat:
        for (int64_t e = 0, at = base % period[j]; e < m; ++e) {
          r[e] = widen(in[at]);
          if (++at == period[j])
            at = 0;
        }
        break;
      case Access::Strided:
        for (int64_t e = 0; e < m; ++e)
          r[e] = widen(in[offsetOf(j, base + e)]);
        break;
      }
      reg[j] = r;
    }
    for (int64_t i = 0; i < instructions; ++i) {
      const int64_t *word = program + 1 + i * kFusedWordsPerInstruction;
      // The last op writes the result in place (in full precision).
      C *dst = !kNarrow && i + 1 == instructions
                   ? reinterpret_cast<C *>(out + base)
                   : buffers[numInputs + i];
      runInstruction(word, reg[word[2]],
                     static_cast<FusedKind>(word[0]) == FusedKind::Binary
                         ? reg[word[3]]
                         : nullptr,
                     dst, m);
      if constexpr (kNarrow)
        for (int64_t e = 0; e < m; ++e)
          dst[e] = widen(convertValue<C, T>(dst[e]));
      reg[numInputs + i] = dst;
    }
    if constexpr (kNarrow)
      for (int64_t e = 0; e < m; ++e)
        out[base + e] =
            convertValue<C, T>(reg[numInputs + instructions - 1][e]);
  }
}

template void fusedElementwise<float>(const int64_t *, const float *const *,
                                      const Shape *, int, float *, Shape);
template void fusedElementwise<double>(const int64_t *, const double *const *,
                                       const Shape *, int, double *, Shape);
template void fusedElementwise<Half>(const int64_t *, const Half *const *,
                                     const Shape *, int, Half *, Shape);
template void fusedElementwise<BFloat16>(const int64_t *,
                                         const BFloat16 *const *, const Shape *,
                                         int, BFloat16 *, Shape);

} // namespace dsc::kernels::cpu
