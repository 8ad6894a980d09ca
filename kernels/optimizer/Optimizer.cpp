//===- Optimizer.cpp - Fused in-place optimizer update kernels ------------===//
//
// The scalar coefficients are computed in double (as Python computes them in
// torch.optim) and rounded once to the element type, then each element goes
// through the same sequence of roundings as torch's CPU kernels:
//   mul_(s)            x = s * x
//   add_(y, alpha=a)   x = x + a * y
//   addcmul_(y, z, a)  x = x + a * y * z      ((a * y) * z)
//   addcdiv_(y, z, a)  x = x + a * y / z      ((a * y) / z)
//
//===----------------------------------------------------------------------===//

#include "kernels/optimizer/Optimizer.h"

#include <algorithm>
#include <cmath>

namespace dsc::kernels::cpu {
namespace {

template <typename T>
void adamStepImpl(T *param, const T *grad, T *expAvg, T *expAvgSq, int64_t n,
                  const AdamParams &p, int64_t step) {
  const double stepD = static_cast<double>(step);
  const double bc1 = p.biasCorrection ? 1.0 - std::pow(p.beta1, stepD) : 1.0;
  const double bc2 = p.biasCorrection ? 1.0 - std::pow(p.beta2, stepD) : 1.0;
  const T beta1 = static_cast<T>(p.beta1);
  const T oneMinusBeta1 = static_cast<T>(1.0 - p.beta1);
  const T beta2 = static_cast<T>(p.beta2);
  const T oneMinusBeta2 = static_cast<T>(1.0 - p.beta2);
  const T negStepSize = static_cast<T>(-(p.lr / bc1));
  const T bc2Sqrt = static_cast<T>(std::sqrt(bc2));
  const T eps = static_cast<T>(p.eps);
  const T wd = static_cast<T>(p.weightDecay);
  // torch.optim.AdamW: param.mul_(1 - lr * weight_decay), done even when the
  // decay is 0 (a multiplication by exactly 1).
  const T decoupledDecay = static_cast<T>(1.0 - p.lr * p.weightDecay);
  const bool l2 = !p.adamWMode && p.weightDecay != 0.0;

  for (int64_t i = 0; i < n; ++i) {
    T x = param[i];
    T g = grad[i];
    if (p.adamWMode)
      x = x * decoupledDecay;
    else if (l2)
      g = g + wd * x; // torch.optim.Adam: grad.add(param, alpha=wd)
    T m = beta1 * expAvg[i];
    m = m + oneMinusBeta1 * g;
    T v = beta2 * expAvgSq[i];
    v = v + oneMinusBeta2 * g * g;
    T denom = std::sqrt(v) / bc2Sqrt;
    denom = denom + eps;
    x = x + negStepSize * m / denom;
    expAvg[i] = m;
    expAvgSq[i] = v;
    param[i] = x;
  }
}

template <typename T>
void sgdStepImpl(T *param, const T *grad, T *momentumBuf, int64_t n,
                 const SgdParams &p, int64_t step) {
  const T wd = static_cast<T>(p.weightDecay);
  const T momentum = static_cast<T>(p.momentum);
  const T oneMinusDampening = static_cast<T>(1.0 - p.dampening);
  const T negLr = static_cast<T>(-p.lr);
  const bool useMomentum = p.momentum != 0.0;
  const bool firstStep = step <= 1;

  for (int64_t i = 0; i < n; ++i) {
    T dp = grad[i];
    if (p.weightDecay != 0.0)
      dp = dp + wd * param[i];
    if (useMomentum) {
      T buf;
      if (firstStep) {
        buf = dp;
      } else {
        buf = momentum * momentumBuf[i];
        buf = buf + oneMinusDampening * dp;
      }
      momentumBuf[i] = buf;
      dp = p.nesterov ? dp + momentum * buf : buf;
    }
    param[i] = param[i] + negLr * dp;
  }
}

template <typename T>
LambNorms lambComputeUpdateImpl(const T *param, const T *grad, T *expAvg,
                                T *expAvgSq, T *update, int64_t n,
                                const LambParams &p, int64_t step) {
  const double stepD = static_cast<double>(step);
  const double bc1 = p.biasCorrection ? 1.0 - std::pow(p.beta1, stepD) : 1.0;
  const double bc2 = p.biasCorrection ? 1.0 - std::pow(p.beta2, stepD) : 1.0;
  const T beta1 = static_cast<T>(p.beta1);
  const T oneMinusBeta1 = static_cast<T>(1.0 - p.beta1);
  const T beta2 = static_cast<T>(p.beta2);
  const T oneMinusBeta2 = static_cast<T>(1.0 - p.beta2);
  const T bc1T = static_cast<T>(bc1);
  const T bc2T = static_cast<T>(bc2);
  const T eps = static_cast<T>(p.eps);
  const T wd = static_cast<T>(p.weightDecay);

  LambNorms norms;
  for (int64_t i = 0; i < n; ++i) {
    const T x = param[i];
    const T g = grad[i];
    T m = beta1 * expAvg[i];
    m = m + oneMinusBeta1 * g;
    T v = beta2 * expAvgSq[i];
    v = v + oneMinusBeta2 * g * g;
    expAvg[i] = m;
    expAvgSq[i] = v;
    const T mHat = m / bc1T;
    const T vHat = v / bc2T;
    const T u = mHat / (std::sqrt(vHat) + eps) + wd * x;
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
