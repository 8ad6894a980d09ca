//===- DeviceBackend.h - What a GPU backend gives the rank ------*- C++ -*-===//
//
// The table the CUDA backend (kernels/cuda's libdsc_cuda.so, loaded at run
// time so that a rank executable needs no CUDA library to run on a CPU)
// exports as dsrt_cuda_backend(): its device, memory, stream, kernel entry
// points and optimizer updates. Both sides are this project's code, built
// together: the table's version guards a stale library.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_RUNTIME_DEVICE_DEVICEBACKEND_H
#define DSC_RUNTIME_DEVICE_DEVICEBACKEND_H

#include "kernels/optimizer/Optimizer.h"
#include "runtime/include/dsrt.h"

#include <cstddef>
#include <cstdint>

namespace dsc::runtime {

class Communicator;
struct WorldInfo;

inline constexpr int kDeviceBackendVersion = 2;

struct DeviceBackend {
  int version;
  /// Takes GPU `localRank` (modulo the visible ones); 0, or -1 with the
  /// reason in `message`. On success `message` names the device
  /// ("NVIDIA H100 80GB HBM3 (cuda:0)").
  int (*init)(int localRank, char *message, size_t size);
  /// Memory both the host and the device address (the arena, the
  /// runtime's buffers): null when it cannot be had.
  void *(*alloc)(size_t bytes);
  void (*free)(void *p);
  /// The object's constants the kernels read (its DSRT_CONSTANT_SECTION):
  /// 0, or -1 when the device has no memory for a copy.
  int (*hostConstants)(const void *begin, const void *end);
  /// Moves `bytes` at `p` to the device ahead of the first step.
  void (*prefetch)(const void *p, size_t bytes);
  /// Waits for everything launched on the kernels' stream: null, or the
  /// CUDA error a kernel hit (an illegal address ...).
  const char *(*synchronize)();
  void (*copy)(void *dst, const void *src, size_t bytes);
  void (*zero)(void *dst, size_t bytes);
  /// The device entry point of the CPU entry point `symbol` (dsrt_k_...).
  dsrt_kernel_fn (*kernel)(const char *symbol);
  /// The first data error a kernel recorded (a kernels/cpu KernelError),
  /// cleared; 0 when none. Synchronises.
  int (*takeKernelStatus)();
  /// kernels/optimizer's updates on device memory (float: the masters).
  void (*adam)(float *param, const float *grad, float *m, float *v, int64_t n,
               const kernels::cpu::AdamParams &p, int64_t step);
  void (*sgd)(float *param, const float *grad, float *buffer, int64_t n,
              const kernels::cpu::SgdParams &p, int64_t step);
  kernels::cpu::LambNorms (*lambUpdate)(const float *param, const float *grad,
                                        float *m, float *v, float *update,
                                        int64_t n,
                                        const kernels::cpu::LambParams &p,
                                        int64_t step);
  void (*lambApply)(float *param, const float *update, int64_t n, double lr,
                    double ratio);
  double (*sumOfSquares)(const float *x, int64_t n);
  void (*scale)(float *x, int64_t n, float factor);
  /// The rank's NCCL communicator on its GPU (host buffers staged), joined
  /// through `world`'s rendezvous within `timeoutMs`; the caller owns it.
  /// Null with the reason in `message`. The member is null in a backend
  /// built without NCCL (the rank then uses Gloo).
  Communicator *(*createCommunicator)(const WorldInfo &world, int64_t timeoutMs,
                                      char *message, size_t size);
};

} // namespace dsc::runtime

extern "C" {
/// libdsc_cuda.so's table.
const dsc::runtime::DeviceBackend *dsrt_cuda_backend();
}

#endif // DSC_RUNTIME_DEVICE_DEVICEBACKEND_H
