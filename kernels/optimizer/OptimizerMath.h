//===- OptimizerMath.h - One element of each optimizer update ---*- C++ -*-===//
//
// The optimizers' per-element arithmetic, for the CPU loops
// (Optimizer.cpp) and the CUDA kernels (kernels/cuda/Optimizer.cu) alike:
// the coefficients computed once in double and rounded to the element type
// (as torch.optim computes them in Python), then the element's sequence of
// roundings, torch's:
//   mul_(s)            x = s * x
//   add_(y, alpha=a)   x = x + a * y
//   addcmul_(y, z, a)  x = x + a * y * z      ((a * y) * z)
//   addcdiv_(y, z, a)  x = x + a * y / z      ((a * y) / z)
//
//===----------------------------------------------------------------------===//

#ifndef DSC_KERNELS_OPTIMIZER_OPTIMIZERMATH_H
#define DSC_KERNELS_OPTIMIZER_OPTIMIZERMATH_H

#include "kernels/optimizer/Optimizer.h"

#include <cmath>

#ifdef __CUDACC__
#define DSC_OPT_HOST_DEVICE __host__ __device__
#else
#define DSC_OPT_HOST_DEVICE
#endif

namespace dsc::kernels::optimizer_math {

using cpu::AdamParams;
using cpu::LambParams;
using cpu::SgdParams;

template <typename T> struct AdamCoefficients {
  T beta1, oneMinusBeta1, beta2, oneMinusBeta2, negStepSize, bc2Sqrt, eps, wd;
  /// torch.optim.AdamW: param.mul_(1 - lr * weight_decay), done even when
  /// the decay is 0 (a multiplication by exactly 1).
  T decoupledDecay;
  bool adamW, l2;
};

template <typename T>
AdamCoefficients<T> adamCoefficients(const AdamParams &p, int64_t step) {
  const double stepD = static_cast<double>(step);
  const double bc1 = p.biasCorrection ? 1.0 - std::pow(p.beta1, stepD) : 1.0;
  const double bc2 = p.biasCorrection ? 1.0 - std::pow(p.beta2, stepD) : 1.0;
  AdamCoefficients<T> c;
  c.beta1 = static_cast<T>(p.beta1);
  c.oneMinusBeta1 = static_cast<T>(1.0 - p.beta1);
  c.beta2 = static_cast<T>(p.beta2);
  c.oneMinusBeta2 = static_cast<T>(1.0 - p.beta2);
  c.negStepSize = static_cast<T>(-(p.lr / bc1));
  c.bc2Sqrt = static_cast<T>(std::sqrt(bc2));
  c.eps = static_cast<T>(p.eps);
  c.wd = static_cast<T>(p.weightDecay);
  c.decoupledDecay = static_cast<T>(1.0 - p.lr * p.weightDecay);
  c.adamW = p.adamWMode;
  c.l2 = !p.adamWMode && p.weightDecay != 0.0;
  return c;
}

/// Element i of an Adam step.
template <typename T>
DSC_OPT_HOST_DEVICE inline void adamElement(const AdamCoefficients<T> &c,
                                            T &param, T grad, T &expAvg,
                                            T &expAvgSq) {
  T x = param;
  T g = grad;
  if (c.adamW)
    x = x * c.decoupledDecay;
  else if (c.l2)
    g = g + c.wd * x; // torch.optim.Adam: grad.add(param, alpha=wd)
  T m = c.beta1 * expAvg;
  m = m + c.oneMinusBeta1 * g;
  T v = c.beta2 * expAvgSq;
  v = v + c.oneMinusBeta2 * g * g;
  T denom = std::sqrt(v) / c.bc2Sqrt;
  denom = denom + c.eps;
  x = x + c.negStepSize * m / denom;
  expAvg = m;
  expAvgSq = v;
  param = x;
}

template <typename T> struct SgdCoefficients {
  T wd, momentum, oneMinusDampening, negLr;
  bool decay, useMomentum, firstStep, nesterov;
};

template <typename T>
SgdCoefficients<T> sgdCoefficients(const SgdParams &p, int64_t step) {
  SgdCoefficients<T> c;
  c.wd = static_cast<T>(p.weightDecay);
  c.momentum = static_cast<T>(p.momentum);
  c.oneMinusDampening = static_cast<T>(1.0 - p.dampening);
  c.negLr = static_cast<T>(-p.lr);
  c.decay = p.weightDecay != 0.0;
  c.useMomentum = p.momentum != 0.0;
  c.firstStep = step <= 1;
  c.nesterov = p.nesterov;
  return c;
}

/// Element i of a torch.optim.SGD step (`momentumBuf` unused without
/// momentum).
template <typename T>
DSC_OPT_HOST_DEVICE inline void sgdElement(const SgdCoefficients<T> &c,
                                           T &param, T grad, T *momentumBuf) {
  T dp = grad;
  if (c.decay)
    dp = dp + c.wd * param;
  if (c.useMomentum) {
    T buf;
    if (c.firstStep) {
      buf = dp;
    } else {
      buf = c.momentum * *momentumBuf;
      buf = buf + c.oneMinusDampening * dp;
    }
    *momentumBuf = buf;
    dp = c.nesterov ? dp + c.momentum * buf : buf;
  }
  param = param + c.negLr * dp;
}

template <typename T> struct LambCoefficients {
  T beta1, oneMinusBeta1, beta2, oneMinusBeta2, bc1, bc2, eps, wd;
};

template <typename T>
LambCoefficients<T> lambCoefficients(const LambParams &p, int64_t step) {
  const double stepD = static_cast<double>(step);
  LambCoefficients<T> c;
  c.beta1 = static_cast<T>(p.beta1);
  c.oneMinusBeta1 = static_cast<T>(1.0 - p.beta1);
  c.beta2 = static_cast<T>(p.beta2);
  c.oneMinusBeta2 = static_cast<T>(1.0 - p.beta2);
  c.bc1 =
      static_cast<T>(p.biasCorrection ? 1.0 - std::pow(p.beta1, stepD) : 1.0);
  c.bc2 =
      static_cast<T>(p.biasCorrection ? 1.0 - std::pow(p.beta2, stepD) : 1.0);
  c.eps = static_cast<T>(p.eps);
  c.wd = static_cast<T>(p.weightDecay);
  return c;
}

/// Element i of Lamb's first half: the moments, and the update it returns.
template <typename T>
DSC_OPT_HOST_DEVICE inline T lambElement(const LambCoefficients<T> &c, T param,
                                         T grad, T &expAvg, T &expAvgSq) {
  T m = c.beta1 * expAvg;
  m = m + c.oneMinusBeta1 * grad;
  T v = c.beta2 * expAvgSq;
  v = v + c.oneMinusBeta2 * grad * grad;
  expAvg = m;
  expAvgSq = v;
  const T mHat = m / c.bc1;
  const T vHat = v / c.bc2;
  return mHat / (std::sqrt(vHat) + c.eps) + c.wd * param;
}

} // namespace dsc::kernels::optimizer_math

#undef DSC_OPT_HOST_DEVICE

#endif // DSC_KERNELS_OPTIMIZER_OPTIMIZERMATH_H
