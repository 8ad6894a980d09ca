//===- Optimizer.cpp - Fused in-place optimizer update kernels ------------===//
//
// The loops over the elements; each element's arithmetic (torch's sequence
// of roundings) is OptimizerMath.h's, which the CUDA kernels share.
//
//===----------------------------------------------------------------------===//

#include "kernels/optimizer/Optimizer.h"
#include "kernels/optimizer/OptimizerMath.h"

#include <algorithm>
#include <cmath>

namespace dsc::kernels::cpu {
namespace {

using namespace optimizer_math;

template <typename T>
void adamStepImpl(T *param, const T *grad, T *expAvg, T *expAvgSq, int64_t n,
                  const AdamParams &p, int64_t step) {
  const AdamCoefficients<T> c = adamCoefficients<T>(p, step);
  for (int64_t i = 0; i < n; ++i)
    adamElement(c, param[i], grad[i], expAvg[i], expAvgSq[i]);
}

template <typename T>
void sgdStepImpl(T *param, const T *grad, T *momentumBuf, int64_t n,
                 const SgdParams &p, int64_t step) {
  const SgdCoefficients<T> c = sgdCoefficients<T>(p, step);
  for (int64_t i = 0; i < n; ++i)
    sgdElement(c, param[i], grad[i], momentumBuf ? &momentumBuf[i] : nullptr);
}

template <typename T>
LambNorms lambComputeUpdateImpl(const T *param, const T *grad, T *expAvg,
                                T *expAvgSq, T *update, int64_t n,
                                const LambParams &p, int64_t step) {
  const LambCoefficients<T> c = lambCoefficients<T>(p, step);
  LambNorms norms;
  for (int64_t i = 0; i < n; ++i) {
    const T x = param[i];
    const T u = lambElement(c, x, grad[i], expAvg[i], expAvgSq[i]);
    update[i] = u;
    norms.paramNormSq += static_cast<double>(x) * static_cast<double>(x);
    norms.updateNormSq += static_cast<double>(u) * static_cast<double>(u);
  }
  return norms;
}

template <typename T>
void lambApplyImpl(T *param, const T *update, int64_t n, double lr,
                   double ratio) {
  const T negStep = static_cast<T>(-(lr * ratio));
  for (int64_t i = 0; i < n; ++i)
    param[i] = param[i] + negStep * update[i];
}

template <typename T> double sumOfSquaresImpl(const T *x, int64_t n) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double v = static_cast<double>(x[i]);
    sum += v * v;
  }
  return sum;
}

template <typename T> void scaleImpl(T *x, int64_t n, T factor) {
  for (int64_t i = 0; i < n; ++i)
    x[i] = x[i] * factor;
}

template <typename T> bool hasInfOrNaNImpl(const T *x, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    if (!std::isfinite(x[i]))
      return true;
  return false;
}

} // namespace

void adamStep(float *param, const float *grad, float *expAvg, float *expAvgSq,
              int64_t n, const AdamParams &p, int64_t step) {
  adamStepImpl(param, grad, expAvg, expAvgSq, n, p, step);
}

void adamStep(double *param, const double *grad, double *expAvg,
              double *expAvgSq, int64_t n, const AdamParams &p, int64_t step) {
  adamStepImpl(param, grad, expAvg, expAvgSq, n, p, step);
}

void sgdStep(float *param, const float *grad, float *momentumBuf, int64_t n,
             const SgdParams &p, int64_t step) {
  sgdStepImpl(param, grad, momentumBuf, n, p, step);
}

void sgdStep(double *param, const double *grad, double *momentumBuf, int64_t n,
             const SgdParams &p, int64_t step) {
  sgdStepImpl(param, grad, momentumBuf, n, p, step);
}

LambNorms lambComputeUpdate(const float *param, const float *grad,
                            float *expAvg, float *expAvgSq, float *update,
                            int64_t n, const LambParams &p, int64_t step) {
  return lambComputeUpdateImpl(param, grad, expAvg, expAvgSq, update, n, p,
                               step);
}

LambNorms lambComputeUpdate(const double *param, const double *grad,
                            double *expAvg, double *expAvgSq, double *update,
                            int64_t n, const LambParams &p, int64_t step) {
  return lambComputeUpdateImpl(param, grad, expAvg, expAvgSq, update, n, p,
                               step);
}

double lambTrustRatio(double paramNormSq, double updateNormSq, double minCoeff,
                      double maxCoeff) {
  if (paramNormSq == 0.0 || updateNormSq == 0.0)
    return 1.0;
  const double ratio = std::sqrt(paramNormSq) / std::sqrt(updateNormSq);
  return std::min(std::max(ratio, minCoeff), maxCoeff);
}

void lambApply(float *param, const float *update, int64_t n, double lr,
               double ratio) {
  lambApplyImpl(param, update, n, lr, ratio);
}

void lambApply(double *param, const double *update, int64_t n, double lr,
               double ratio) {
  lambApplyImpl(param, update, n, lr, ratio);
}

double sumOfSquares(const float *x, int64_t n) {
  return sumOfSquaresImpl(x, n);
}

double sumOfSquares(const double *x, int64_t n) {
  return sumOfSquaresImpl(x, n);
}

void scale(float *x, int64_t n, float factor) { scaleImpl(x, n, factor); }

void scale(double *x, int64_t n, double factor) { scaleImpl(x, n, factor); }

float clipCoefficient(double globalNormSq, double maxNorm) {
  if (maxNorm <= 0.0)
    return 1.0f;
  const double coef = maxNorm / (std::sqrt(globalNormSq) + 1e-6);
  return coef < 1.0 ? static_cast<float>(coef) : 1.0f;
}

bool hasInfOrNaN(const float *x, int64_t n) { return hasInfOrNaNImpl(x, n); }

bool hasInfOrNaN(const double *x, int64_t n) { return hasInfOrNaNImpl(x, n); }

} // namespace dsc::kernels::cpu
