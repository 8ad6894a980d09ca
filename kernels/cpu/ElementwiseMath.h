//===- ElementwiseMath.h - One element's math, every backend's --*- C++ -*-===//
//
// The per-element functions whose semantics the elementwise kernels share
// between the CPU (Elementwise.cpp) and the GPU (kernels/cuda): integer
// division by zero gives 0 and wraps on overflow, integer powers by
// squaring (negative exponents as integer division would give them), NaN
// detection for min/max, a sigmoid that does not overflow.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_KERNELS_CPU_ELEMENTWISEMATH_H
#define DSC_KERNELS_CPU_ELEMENTWISEMATH_H

#include "kernels/cpu/CpuKernels.h"

#include <cmath>
#include <type_traits>

namespace dsc::kernels::cpu {

template <typename T> DSC_HOST_DEVICE inline bool isNanValue(T v) {
  if constexpr (std::is_floating_point_v<T>)
    return std::isnan(v);
  else
    return false;
}

template <typename T> DSC_HOST_DEVICE inline T divide(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    // Integer division by zero would trap; the overflow case wraps.
    if (b == 0)
      return 0;
    if (b == -1)
      return static_cast<T>(0 - static_cast<std::make_unsigned_t<T>>(a));
  }
  return a / b;
}

template <typename T> DSC_HOST_DEVICE inline T power(T base, T exponent) {
  if constexpr (std::is_integral_v<T>) {
    if (exponent < 0) {
      if (base == 1)
        return 1;
      if (base == -1)
        return (exponent & 1) ? -1 : 1;
      return 0;
    }
    using U = std::make_unsigned_t<T>;
    U result = 1, b = static_cast<U>(base);
    for (T e = exponent; e > 0; e >>= 1) {
      if (e & 1)
        result *= b;
      b *= b;
    }
    return static_cast<T>(result);
  } else {
    return std::pow(base, exponent);
  }
}

template <typename T> DSC_HOST_DEVICE inline T sigmoid(T x) {
  if (x >= 0)
    return T(1) / (T(1) + std::exp(-x));
  T e = std::exp(x);
  return e / (T(1) + e);
}

/// One element of a binary op.
template <typename T>
DSC_HOST_DEVICE inline T binaryValue(BinaryOp op, T a, T b) {
  switch (op) {
  case BinaryOp::Add:
    return a + b;
  case BinaryOp::Sub:
    return a - b;
  case BinaryOp::Mul:
    return a * b;
  case BinaryOp::Div:
    return divide(a, b);
  case BinaryOp::Pow:
    return power(a, b);
  case BinaryOp::Min:
    return (a < b || isNanValue(a)) ? a : b;
  case BinaryOp::Max:
    return (a > b || isNanValue(a)) ? a : b;
  }
  return a;
}

/// One element of a unary op on a float (integers go through double).
template <typename T>
DSC_HOST_DEVICE inline T unaryFloatValue(UnaryOp op, T x) {
  // Unqualified: std's overloads on the host, CUDA's on the device.
  using std::erf;
  using std::exp;
  using std::log;
  using std::sqrt;
  using std::tanh;
  switch (op) {
  case UnaryOp::Neg:
    return T(-x);
  case UnaryOp::Abs:
    return x < 0 ? T(-x) : x;
  case UnaryOp::Relu:
    // NaN stays NaN, as in PyTorch.
    return x < 0 ? T(0) : x;
  case UnaryOp::Sqrt:
    return sqrt(x);
  case UnaryOp::Reciprocal:
    return T(1) / x;
  case UnaryOp::Exp:
    return exp(x);
  case UnaryOp::Log:
    return log(x);
  case UnaryOp::Tanh:
    return tanh(x);
  case UnaryOp::Sigmoid:
    return sigmoid(x);
  case UnaryOp::Erf:
    return erf(x);
  }
  return x;
}

/// One element of a unary op: neg, abs and relu exact on integers too, the
/// others on a float (integers go through double).
template <typename T> DSC_HOST_DEVICE inline T unaryValue(UnaryOp op, T x) {
  if constexpr (std::is_floating_point_v<T>) {
    return unaryFloatValue(op, x);
  } else {
    switch (op) {
    case UnaryOp::Neg:
      return T(-x);
    case UnaryOp::Abs:
      return x < 0 ? T(-x) : x;
    case UnaryOp::Relu:
      return x < 0 ? T(0) : x;
    default:
      return static_cast<T>(unaryFloatValue(op, static_cast<double>(x)));
    }
  }
}

/// One element of gelu (exact, or the tanh approximation).
template <typename T> DSC_HOST_DEVICE inline T geluValue(T x, bool tanhApprox) {
  using std::erf;
  using std::tanh;
  if (tanhApprox) {
    T u = T(kSqrt2OverPi) * (x + T(kGeluCubic) * x * x * x);
    return T(0.5) * x * (T(1) + tanh(u));
  }
  return T(0.5) * x * (T(1) + erf(x * T(kInvSqrt2)));
}

/// One element of gelu's gradient: dy * d gelu(x) / dx.
template <typename T>
DSC_HOST_DEVICE inline T geluGradValue(T v, T dy, bool tanhApprox) {
  using std::erf;
  using std::exp;
  using std::tanh;
  if (tanhApprox) {
    // d/dx 0.5 x (1 + t) = 0.5 (1 + t) + 0.5 x (1 - t^2) c (1 + 3 a x^2).
    T t = tanh(T(kSqrt2OverPi) * (v + T(kGeluCubic) * v * v * v));
    T du = T(kSqrt2OverPi) * (T(1) + T(3 * kGeluCubic) * v * v);
    return dy * (T(0.5) * (T(1) + t) + T(0.5) * v * (T(1) - t * t) * du);
  }
  // d/dx x Phi(x) = Phi(x) + x phi(x).
  T cdf = T(0.5) * (T(1) + erf(v * T(kInvSqrt2)));
  T pdf = T(kInvSqrt2Pi) * exp(T(-0.5) * v * v);
  return dy * (cdf + v * pdf);
}

} // namespace dsc::kernels::cpu

#endif // DSC_KERNELS_CPU_ELEMENTWISEMATH_H
