//===- BlasCore.cpp - The OpenBLAS kernels this CPU should run ------------===//

#include "kernels/cpu/BlasCore.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

// OpenBLAS's own (in its cblas.h, which the system's cblas.h may not be).
extern "C" char *openblas_get_corename(void);

namespace dsc::kernels::cpu {

std::string blasCoreName() {
  const char *name = openblas_get_corename();
  return name ? name : "";
}

std::string betterBlasCore() {
  if (std::getenv("OPENBLAS_CORETYPE"))
    return "";
  std::string wanted;
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
    wanted = "SkylakeX";
  else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    wanted = "Haswell";
#endif
  if (wanted.empty())
    return "";
  // The cores OpenBLAS falls back to, all older than AVX2.
  std::string have = blasCoreName();
  std::transform(have.begin(), have.end(), have.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  for (const char *old : {"prescott", "core2", "penryn", "dunnington",
                          "nehalem", "atom", "katmai", "coppermine",
                          "northwood", "banias", "sandybridge", "unknown"})
    if (have == old)
      return wanted;
  return "";
}

} // namespace dsc::kernels::cpu
