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

} // namespace dsc::kernels::cpu

#endif // DSC_KERNELS_CPU_ELEMENTWISEMATH_H
