//===- FloatConversion.cpp - Float buffers between element types ----------===//

#include "runtime/io/FloatConversion.h"

#include <cstring>

namespace dsc::runtime {

bool isFloatDType(DType type) {
  return type == DType::F16 || type == DType::BF16 || type == DType::F32 ||
         type == DType::F64;
}

void convertFloats(const void *source, DType from, void *target, DType to,
                   int64_t count) {
  if (from == to) {
    std::memcpy(target, source, static_cast<size_t>(count) * dtypeSize(to));
    return;
  }
  withFloatType(from, [&](auto f) {
    using From = decltype(f);
    withFloatType(to, [&](auto t) {
      using To = decltype(t);
      const From *in = static_cast<const From *>(source);
      To *out = static_cast<To *>(target);
      for (int64_t i = 0; i < count; ++i)
        out[i] = kernels::cpu::convertValue<From, To>(in[i]);
    });
  });
}

} // namespace dsc::runtime
