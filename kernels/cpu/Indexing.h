//===- Indexing.h - strides and broadcast iteration (internal) --*- C++ -*-===//
//
// Shared by the kernel families: row-major strides, NumPy broadcast strides,
// a row-wise walk over N operands, and index range checks that record an
// error detail.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_KERNELS_CPU_INDEXING_H
#define DSC_KERNELS_CPU_INDEXING_H

#include "kernels/cpu/CpuKernels.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace dsc::kernels::cpu::detail {

inline std::vector<int64_t> stridesOf(Shape s) {
  std::vector<int64_t> strides(s.rank);
  int64_t stride = 1;
  for (int i = s.rank - 1; i >= 0; --i) {
    strides[i] = stride;
    stride *= s.dims[i];
  }
  return strides;
}

/// Strides of `in` seen through `out`'s index space (right-aligned NumPy
/// broadcasting): 0 on broadcast axes.
inline std::vector<int64_t> broadcastStrides(Shape in, Shape out) {
  std::vector<int64_t> strides(out.rank, 0);
  std::vector<int64_t> own = stridesOf(in);
  int shift = out.rank - in.rank;
  for (int i = 0; i < in.rank; ++i)
    if (in.dims[i] != 1)
      strides[i + shift] = own[i];
  return strides;
}

/// Product of dims[begin, end).
inline int64_t product(Shape s, int begin, int end) {
  int64_t n = 1;
  for (int i = begin; i < end; ++i)
    n *= s.dims[i];
  return n;
}

/// Calls body(offsets, n, innerStrides) once per innermost row of `dims`,
/// with offsets[k] the start of operand k (whose strides, over `dims`, are
/// strides[k]). Adjacent axes that are contiguous for every operand are
/// merged first, so same-shape operands make one long row.
template <int K, typename Body>
void forEachRow(std::vector<int64_t> dims,
                std::array<std::vector<int64_t>, K> strides, Body body) {
  for (int64_t d : dims)
    if (d == 0)
      return;
  // Drop size-1 axes and merge contiguous neighbours.
  std::vector<int64_t> cdims;
  std::array<std::vector<int64_t>, K> cstr;
  for (std::size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] == 1)
      continue;
    bool merge = !cdims.empty();
    for (int k = 0; k < K && merge; ++k)
      merge = cstr[k].back() == strides[k][i] * dims[i];
    if (merge) {
      cdims.back() *= dims[i];
      for (int k = 0; k < K; ++k)
        cstr[k].back() = strides[k][i];
      continue;
    }
    cdims.push_back(dims[i]);
    for (int k = 0; k < K; ++k)
      cstr[k].push_back(strides[k][i]);
  }
  std::array<int64_t, K> offsets{};
  std::array<int64_t, K> inner{};
  if (cdims.empty()) {
    body(offsets, int64_t(1), inner);
    return;
  }
  int rank = static_cast<int>(cdims.size());
  int64_t n = cdims[rank - 1];
  for (int k = 0; k < K; ++k)
    inner[k] = cstr[k][rank - 1];
  std::vector<int64_t> counter(rank, 0);
  while (true) {
    body(offsets, n, inner);
    int axis = rank - 2;
    for (; axis >= 0; --axis) {
      for (int k = 0; k < K; ++k)
        offsets[k] += cstr[k][axis];
      if (++counter[axis] < cdims[axis])
        break;
      for (int k = 0; k < K; ++k)
        offsets[k] -= cstr[k][axis] * cdims[axis];
      counter[axis] = 0;
    }
    if (axis < 0)
      return;
  }
}

inline std::vector<int64_t> dimsOf(Shape s) {
  return std::vector<int64_t>(s.dims, s.dims + s.rank);
}

/// Records "<what> <value> out of range [lo, hi) in <op>" as this thread's
/// error detail and returns `code`.
int reportRangeError(int code, const char *what, int64_t value, int64_t lo,
                     int64_t hi, const char *op);

/// Maps a possibly negative index into [0, size); false when out of range.
DSC_HOST_DEVICE inline bool normalizeIndex(int64_t &index, int64_t size) {
  if (index < 0)
    index += size;
  return index >= 0 && index < size;
}

} // namespace dsc::kernels::cpu::detail

#endif // DSC_KERNELS_CPU_INDEXING_H
