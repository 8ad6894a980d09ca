//===- FloatConversion.h - Float buffers between element types -*- C++ -*-===//
//
// fp16 / bf16 plans keep 16-bit params beside float32 master copies, while
// weights files hold the model's float32 values: the rank converts them
// where it loads or copies them.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_RUNTIME_IO_FLOATCONVERSION_H
#define DSC_RUNTIME_IO_FLOATCONVERSION_H

#include "kernels/cpu/CpuKernels.h"
#include "runtime/io/DType.h"

#include <cstdint>
#include <type_traits>

namespace dsc::runtime {

/// fn(T()) with T the C++ type of float type `type` (double, Half,
/// BFloat16; float for float32 and anything else).
template <typename Fn> void withFloatType(DType type, Fn fn) {
  switch (type) {
  case DType::F64:
    return fn(double());
  case DType::F16:
    return fn(kernels::cpu::Half());
  case DType::BF16:
    return fn(kernels::cpu::BFloat16());
  default:
    return fn(float());
  }
}

/// The type elements of T are added in: float for the 16-bit floats, T
/// itself otherwise.
template <typename T>
using ArithmeticOf = std::conditional_t<kernels::cpu::kIsFloat16<T>, float, T>;

/// An element of T as its arithmetic type, and back (rounding to nearest
/// even into a 16-bit float).
template <typename T> ArithmeticOf<T> widen(T v) {
  return kernels::cpu::convertValue<T, ArithmeticOf<T>>(v);
}
template <typename T> T narrow(ArithmeticOf<T> v) {
  return kernels::cpu::convertValue<ArithmeticOf<T>, T>(v);
}

/// float16, bfloat16, float32 or float64.
bool isFloatDType(DType type);

/// Writes `count` elements of float type `from` at `source` to `target` as
/// float type `to`: narrowing rounds to nearest even (beyond the 16-bit
/// range to infinity), widening is exact, equal types copy.
void convertFloats(const void *source, DType from, void *target, DType to,
                   int64_t count);

} // namespace dsc::runtime

#endif // DSC_RUNTIME_IO_FLOATCONVERSION_H
