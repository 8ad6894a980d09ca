//===- BlasCore.h - The OpenBLAS kernels this CPU should run ----*- C++ -*-===//
//
// Debian's OpenBLAS picks its kernels when it loads, by the CPU's model. A
// virtual machine that reports a generic model ("Intel(R) Xeon(R)
// Processor") gets its fallback, Prescott (SSE3), even with AVX-512: the
// anchor GPT-2 step ran 2.4x slower (bench/README.md). The choice can only
// be changed before the library loads, by OPENBLAS_CORETYPE.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_KERNELS_CPU_BLASCORE_H
#define DSC_KERNELS_CPU_BLASCORE_H

#include <string>

namespace dsc::kernels::cpu {

/// The OPENBLAS_CORETYPE this process should have had: "SkylakeX" with
/// AVX-512 (F, BW, DQ, VL), "Haswell" with AVX2 and FMA, when OpenBLAS took
/// an older core than that; "" when its choice stands (a good core, a CPU
/// without those, or OPENBLAS_CORETYPE set by the user).
std::string betterBlasCore();

/// The core OpenBLAS runs ("Prescott", "SkylakeX" ...).
std::string blasCoreName();

} // namespace dsc::kernels::cpu

#endif // DSC_KERNELS_CPU_BLASCORE_H
