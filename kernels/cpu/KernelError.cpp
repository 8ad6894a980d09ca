//===- KernelError.cpp - error codes of the CPU kernels -------------------===//

#include "kernels/cpu/Indexing.h"

#include <cinttypes>
#include <cstdio>

namespace dsc::kernels::cpu {

namespace {
thread_local char errorDetail[256] = "";
} // namespace

const char *kernelErrorMessage(int code) {
  switch (code) {
  case KernelOk:
    return "ok";
  case KernelIndexOutOfRange:
    return "index out of range";
  case KernelTargetOutOfRange:
    return "loss target out of range";
  case KernelDeviceError:
    return "device error";
  }
  return "unknown kernel error";
}

const char *lastKernelErrorDetail() { return errorDetail; }

int raiseKernelError(int code, const char *detail) {
  std::snprintf(errorDetail, sizeof(errorDetail), "%s", detail);
  return code;
}

int detail::reportRangeError(int code, const char *what, int64_t value,
                             int64_t lo, int64_t hi, const char *op) {
  std::snprintf(errorDetail, sizeof(errorDetail),
                "%s %" PRId64 " out of range [%" PRId64 ", %" PRId64 ") in %s",
                what, value, lo, hi, op);
  return code;
}

} // namespace dsc::kernels::cpu
