//===- MatMul.cpp - NumPy matmul through OpenBLAS -------------------------===//

#include "kernels/cpu/Blas.h"
#include "kernels/cpu/Indexing.h"

#include <algorithm>

namespace dsc::kernels::cpu {

using detail::broadcastStrides;
using detail::forEachRow;
using detail::stridesOf;

namespace {

/// C[M, N] = op(A) * op(B), row-major and contiguous; A is stored [M, K]
/// (or [K, M] when transposed), B [K, N] (or [N, K]).
template <typename T>
void productInto(int64_t m, int64_t n, int64_t k, const T *a, const T *b, T *c,
                 bool transA, bool transB) {
  detail::gemm(transA, transB, m, n, k, T(1), a, transA ? m : k, b,
               transB ? k : n, T(0), c, n);
}

} // namespace

template <typename T>
void matmul(const T *lhs, Shape lhsShape, const T *rhs, Shape rhsShape, T *out,
            Shape outShape, bool transposeLhs, bool transposeRhs) {
  // A 1-D lhs is [1, K] and a 1-D rhs is [K, 1]; the batch axes lead.
  bool lhsVector = lhsShape.rank == 1, rhsVector = rhsShape.rank == 1;
  const int64_t *ld = lhsShape.dims + lhsShape.rank;
  const int64_t *rd = rhsShape.dims + rhsShape.rank;
  int64_t m = lhsVector ? 1 : (transposeLhs ? ld[-1] : ld[-2]);
  int64_t k = lhsVector ? ld[-1] : (transposeLhs ? ld[-2] : ld[-1]);
  int64_t n = rhsVector ? 1 : (transposeRhs ? rd[-2] : rd[-1]);
  Shape lhsBatch{lhsShape.dims, lhsVector ? 0 : lhsShape.rank - 2};
  Shape rhsBatch{rhsShape.dims, rhsVector ? 0 : rhsShape.rank - 2};
  int batchRank = std::max(lhsBatch.rank, rhsBatch.rank);
  Shape batch{outShape.dims, batchRank};
  int64_t numBatches = batch.numel();
  if (numBatches == 0 || m == 0 || n == 0)
    return;
  if (k == 0) {
    std::fill(out, out + numBatches * m * n, T(0));
    return;
  }
  // An unbroadcast lhs (rows contiguous) against one rhs matrix is a
  // single taller product.
  if (!transposeLhs && rhsBatch.numel() == 1 &&
      lhsBatch.numel() == numBatches) {
    productInto(numBatches * m, n, k, lhs, rhs, out, false, transposeRhs);
    return;
  }
  std::vector<int64_t> lhsStrides = broadcastStrides(lhsBatch, batch);
  std::vector<int64_t> rhsStrides = broadcastStrides(rhsBatch, batch);
  std::vector<int64_t> outStrides = stridesOf(batch);
  forEachRow<3>(std::vector<int64_t>(batch.dims, batch.dims + batch.rank),
                {lhsStrides, rhsStrides, outStrides},
                [&](const std::array<int64_t, 3> &off, int64_t count,
                    const std::array<int64_t, 3> &st) {
                  for (int64_t i = 0; i < count; ++i)
                    productInto(m, n, k, lhs + (off[0] + i * st[0]) * m * k,
                                rhs + (off[1] + i * st[1]) * k * n,
                                out + (off[2] + i * st[2]) * m * n,
                                transposeLhs, transposeRhs);
                });
}

template void matmul<float>(const float *, Shape, const float *, Shape, float *,
                            Shape, bool, bool);
template void matmul<double>(const double *, Shape, const double *, Shape,
                             double *, Shape, bool, bool);

} // namespace dsc::kernels::cpu
