//===- FusedElementwise.cpp - A chain of elementwise ops in one pass ------===//
//
// fused_elementwise (FusedProgram.h): each result element from its
// inputs' elements through the program, the intermediate values in
// registers instead of passing through memory in full.
//
//===----------------------------------------------------------------------===//

#include "kernels/cpu/FusedProgram.h"
#include "kernels/cpu/Indexing.h"

#include <algorithm>
#include <vector>

namespace dsc::kernels::cpu {

using detail::broadcastStrides;

namespace {

bool sameDims(Shape a, Shape b) {
  return a.rank == b.rank && std::equal(a.dims, a.dims + a.rank, b.dims);
}

} // namespace

template <typename T>
void fusedElementwise(const int64_t *program, const T *const *inputs,
                      const Shape *inShapes, int numInputs, T *out,
                      Shape outShape) {
  const int64_t instructions = program[0];
  const int64_t n = outShape.numel();
  // How each input is read: whole, one value, or through broadcast strides.
  enum class Access { Whole, Scalar, Strided };
  std::vector<Access> access(numInputs);
  std::vector<std::vector<int64_t>> strides(numInputs);
  for (int j = 0; j < numInputs; ++j) {
    if (sameDims(inShapes[j], outShape))
      access[j] = Access::Whole;
    else if (inShapes[j].numel() == 1)
      access[j] = Access::Scalar;
    else {
      access[j] = Access::Strided;
      strides[j] = broadcastStrides(inShapes[j], outShape);
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
  T element[kFusedMaxInputs + kFusedMaxInstructions];
  for (int64_t i = 0; i < n; ++i) {
    for (int j = 0; j < numInputs; ++j) {
      const T *in = inputs[j];
      element[j] = access[j] == Access::Whole    ? in[i]
                   : access[j] == Access::Scalar ? in[0]
                                                 : in[offsetOf(j, i)];
    }
    for (int64_t k = 0; k < instructions; ++k)
      element[numInputs + k] = fusedInstruction(
          program + 1 + k * kFusedWordsPerInstruction, element);
    out[i] = element[numInputs + instructions - 1];
  }
}

template void fusedElementwise<float>(const int64_t *, const float *const *,
                                      const Shape *, int, float *, Shape);
template void fusedElementwise<double>(const int64_t *, const double *const *,
                                       const Shape *, int, double *, Shape);

} // namespace dsc::kernels::cpu
