//===- FloatConversion.h - Float buffers between element types -*- C++ -*-===//
//
// fp16 / bf16 plans keep 16-bit params beside float32 master copies, while
// weights files hold the model's float32 values: the rank converts them
// where it loads or copies them.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_RUNTIME_IO_FLOATCONVERSION_H
#define DSC_RUNTIME_IO_FLOATCONVERSION_H

#include "runtime/io/DType.h"

#include <cstdint>

namespace dsc::runtime {

/// float16, bfloat16, float32 or float64.
bool isFloatDType(DType type);

/// Writes `count` elements of float type `from` at `source` to `target` as
/// float type `to`: narrowing rounds to nearest even (beyond the 16-bit
/// range to infinity), widening is exact, equal types copy.
void convertFloats(const void *source, DType from, void *target, DType to,
                   int64_t count);

} // namespace dsc::runtime

#endif // DSC_RUNTIME_IO_FLOATCONVERSION_H
