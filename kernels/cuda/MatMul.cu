//===- MatMul.cu - NumPy matmul on cuBLASLt -------------------------------===//
//
// kernels/cpu/MatMul.cpp's semantics (1-D operands, broadcast batch axes,
// operands stored transposed) on cuBLASLt. cuBLASLt is column-major: the
// row-major C[M, N] = A[M, K] B[K, N] is the column-major C^T = B^T A^T, so
// the rhs is cuBLASLt's first operand and the lhs its second, each read as
// stored. float32 computes in float32 (no TF32: the CPU's answer to 1e-5),
// 16-bit in float32, float64 in float64. Batches run as one strided-batched
// product when each operand is either whole or one matrix; other
// broadcasts, one product per batch.
//
//===----------------------------------------------------------------------===//

#include "kernels/cuda/CudaLaunch.cuh"
#include "kernels/cuda/CudaOps.h"

#include <cublasLt.h>

#include <algorithm>
#include <string>

namespace dsc::kernels::cuda {
namespace {

constexpr size_t kWorkspaceBytes = size_t(32) << 20;

struct Lt {
  cublasLtHandle_t handle = nullptr;
  void *workspace = nullptr;
};

/// The handle and workspace, made on the first product (before a step is
/// captured as a graph).
Lt &lt() {
  static Lt instance = [] {
    Lt l;
    cublasLtCreate(&l.handle);
    cudaMalloc(&l.workspace, kWorkspaceBytes);
    return l;
  }();
  return instance;
}

template <typename T> struct LtTypes;
template <> struct LtTypes<float> {
  static constexpr cudaDataType_t data = CUDA_R_32F, scale = CUDA_R_32F;
  static constexpr cublasComputeType_t compute = CUBLAS_COMPUTE_32F;
  using Scale = float;
};
template <> struct LtTypes<double> {
  static constexpr cudaDataType_t data = CUDA_R_64F, scale = CUDA_R_64F;
  static constexpr cublasComputeType_t compute = CUBLAS_COMPUTE_64F;
  using Scale = double;
};
template <> struct LtTypes<Half> {
  static constexpr cudaDataType_t data = CUDA_R_16F, scale = CUDA_R_32F;
  static constexpr cublasComputeType_t compute = CUBLAS_COMPUTE_32F;
  using Scale = float;
};
template <> struct LtTypes<BFloat16> {
  static constexpr cudaDataType_t data = CUDA_R_16BF, scale = CUDA_R_32F;
  static constexpr cublasComputeType_t compute = CUBLAS_COMPUTE_32F;
  using Scale = float;
};

int failed(const char *what, cublasStatus_t status) {
  std::string message = std::string("cuBLASLt ") + what + ": status " +
                        std::to_string(static_cast<int>(status));
  return unsupported(message.c_str());
}

/// One (batched) product in cuBLASLt's terms: D[m, n] (column-major, ld m)
/// = op(A) op(B), A stored rowsA x colsA (ld rowsA), B likewise.
struct Product {
  int64_t m, n, k;
  bool transA, transB;
  int64_t batches = 1, strideA = 0, strideB = 0, strideC = 0;
};

template <typename T> int run(const Product &p, const T *a, const T *b, T *c) {
  using L = LtTypes<T>;
  Lt &l = lt();
  cublasLtMatmulDesc_t desc = nullptr;
  cublasLtMatrixLayout_t layoutA = nullptr, layoutB = nullptr,
                         layoutC = nullptr;
  cublasLtMatmulPreference_t preference = nullptr;
  int status = 0;
  auto check = [&](const char *what, cublasStatus_t s) {
    if (s != CUBLAS_STATUS_SUCCESS && !status)
      status = failed(what, s);
    return s == CUBLAS_STATUS_SUCCESS;
  };
  cublasOperation_t opA = p.transA ? CUBLAS_OP_T : CUBLAS_OP_N;
  cublasOperation_t opB = p.transB ? CUBLAS_OP_T : CUBLAS_OP_N;
  const uint64_t rowsA = p.transA ? p.k : p.m, colsA = p.transA ? p.m : p.k;
  const uint64_t rowsB = p.transB ? p.n : p.k, colsB = p.transB ? p.k : p.n;
  int batches = static_cast<int>(p.batches);
  cublasLtMatmulHeuristicResult_t heuristic = {};
  int found = 0;
  size_t workspace = kWorkspaceBytes;
  if (check("desc", cublasLtMatmulDescCreate(&desc, L::compute, L::scale)) &&
      check("transa",
            cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_TRANSA,
                                           &opA, sizeof opA)) &&
      check("transb",
            cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_TRANSB,
                                           &opB, sizeof opB)) &&
      check("layout", cublasLtMatrixLayoutCreate(&layoutA, L::data, rowsA,
                                                 colsA, rowsA)) &&
      check("layout", cublasLtMatrixLayoutCreate(&layoutB, L::data, rowsB,
                                                 colsB, rowsB)) &&
      check("layout",
            cublasLtMatrixLayoutCreate(&layoutC, L::data, p.m, p.n, p.m))) {
    for (auto [layout, stride] : {std::pair{layoutA, p.strideA},
                                  {layoutB, p.strideB},
                                  {layoutC, p.strideC}}) {
      check("batch", cublasLtMatrixLayoutSetAttribute(
                         layout, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &batches,
                         sizeof batches));
      check("stride", cublasLtMatrixLayoutSetAttribute(
                          layout, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET,
                          &stride, sizeof stride));
    }
    if (!status &&
        check("preference", cublasLtMatmulPreferenceCreate(&preference)) &&
        check("workspace",
              cublasLtMatmulPreferenceSetAttribute(
                  preference, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                  &workspace, sizeof workspace)) &&
        check("heuristic", cublasLtMatmulAlgoGetHeuristic(
                               l.handle, desc, layoutA, layoutB, layoutC,
                               layoutC, preference, 1, &heuristic, &found))) {
      if (found == 0) {
        status = unsupported("cuBLASLt: no algorithm for this product");
      } else {
        typename L::Scale alpha = 1, beta = 0;
        check("matmul",
              cublasLtMatmul(l.handle, desc, &alpha, a, layoutA, b, layoutB,
                             &beta, c, layoutC, c, layoutC, &heuristic.algo,
                             l.workspace, kWorkspaceBytes, stream()));
      }
    }
  }
  if (preference)
    cublasLtMatmulPreferenceDestroy(preference);
  for (cublasLtMatrixLayout_t layout : {layoutA, layoutB, layoutC})
    if (layout)
      cublasLtMatrixLayoutDestroy(layout);
  if (desc)
    cublasLtMatmulDescDestroy(desc);
  return status;
}

/// True when `batch` (an operand's batch axes) is the result's `out`
/// batch, right-aligned with leading ones.
bool sameBatch(Shape batch, Shape out) {
  for (int d = 0; d < out.rank; ++d) {
    int e = d - (out.rank - batch.rank);
    if ((e >= 0 ? batch.dims[e] : 1) != out.dims[d])
      return false;
  }
  return true;
}

} // namespace

template <typename T>
void matmul(const T *lhs, Shape lhsShape, const T *rhs, Shape rhsShape, T *out,
            Shape outShape, bool transposeLhs, bool transposeRhs) {
  // A 1-D lhs is [1, K] and a 1-D rhs is [K, 1]; the batch axes lead.
  const bool lhsVector = lhsShape.rank == 1, rhsVector = rhsShape.rank == 1;
  if (lhsVector)
    transposeLhs = false;
  if (rhsVector)
    transposeRhs = false;
  const int64_t *ld = lhsShape.dims + lhsShape.rank;
  const int64_t *rd = rhsShape.dims + rhsShape.rank;
  const int64_t m = lhsVector ? 1 : (transposeLhs ? ld[-1] : ld[-2]);
  const int64_t k = lhsVector ? ld[-1] : (transposeLhs ? ld[-2] : ld[-1]);
  const int64_t n = rhsVector ? 1 : (transposeRhs ? rd[-2] : rd[-1]);
  Shape lhsBatch{lhsShape.dims, lhsVector ? 0 : lhsShape.rank - 2};
  Shape rhsBatch{rhsShape.dims, rhsVector ? 0 : rhsShape.rank - 2};
  Shape batch{outShape.dims, std::max(lhsBatch.rank, rhsBatch.rank)};
  const int64_t numBatches = batch.numel();
  if (numBatches == 0 || m == 0 || n == 0)
    return;
  if (k == 0) {
    cudaMemsetAsync(out, 0, numBatches * m * n * sizeof(T), stream());
    launched();
    return;
  }
  // cuBLASLt's A is our rhs, its B our lhs (see the file comment).
  Product p{n, m, k, transposeRhs, transposeLhs};
  // An unbroadcast lhs (rows contiguous) against one rhs matrix is a
  // single taller product.
  if (!transposeLhs && rhsBatch.numel() == 1 &&
      lhsBatch.numel() == numBatches) {
    p.n = numBatches * m;
    run(p, rhs, lhs, out);
    return;
  }
  const bool lhsWhole = sameBatch(lhsBatch, batch) || lhsBatch.numel() == 1;
  const bool rhsWhole = sameBatch(rhsBatch, batch) || rhsBatch.numel() == 1;
  if (lhsWhole && rhsWhole) {
    p.batches = numBatches;
    p.strideA = rhsBatch.numel() == 1 ? 0 : k * n;
    p.strideB = lhsBatch.numel() == 1 ? 0 : m * k;
    p.strideC = m * n;
    run(p, rhs, lhs, out);
    return;
  }
  AxisMap lhsMap, rhsMap;
  if (!broadcastMap(lhsBatch, batch, lhsMap) ||
      !broadcastMap(rhsBatch, batch, rhsMap)) {
    unsupported("matmul: more than 8 batch axes");
    return;
  }
  for (int64_t b = 0; b < numBatches; ++b)
    if (run(p, rhs + rhsMap.offsetOf(b) * k * n,
            lhs + lhsMap.offsetOf(b) * m * k, out + b * m * n))
      return;
}

#define DSC_MATMUL(T)                                                          \
  template void matmul<T>(const T *, Shape, const T *, Shape, T *, Shape,      \
                          bool, bool);
DSC_MATMUL(float)
DSC_MATMUL(double)
DSC_MATMUL(Half)
DSC_MATMUL(BFloat16)
#undef DSC_MATMUL

} // namespace dsc::kernels::cuda
