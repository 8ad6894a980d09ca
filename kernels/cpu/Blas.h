//===- Blas.h - typed row-major GEMM over OpenBLAS (internal) ---*- C++ -*-===//

#ifndef DSC_KERNELS_CPU_BLAS_H
#define DSC_KERNELS_CPU_BLAS_H

#include <cblas.h>
#include <cstdint>

namespace dsc::kernels::cpu::detail {

/// C[m, n] = alpha op(A) op(B) + beta C, row-major with leading dimensions.
inline void gemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k,
                 float alpha, const float *a, int64_t lda, const float *b,
                 int64_t ldb, float beta, float *c, int64_t ldc) {
  cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans,
              transB ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b,
              ldb, beta, c, ldc);
}

inline void gemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k,
                 double alpha, const double *a, int64_t lda, const double *b,
                 int64_t ldb, double beta, double *c, int64_t ldc) {
  cblas_dgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans,
              transB ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b,
              ldb, beta, c, ldc);
}

} // namespace dsc::kernels::cpu::detail

#endif // DSC_KERNELS_CPU_BLAS_H
