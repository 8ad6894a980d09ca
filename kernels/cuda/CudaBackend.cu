//===- CudaBackend.cu - The rank's GPU, as libdsc_cuda.so -----------------===//
//
// runtime/device's DeviceBackend over this directory's kernels: one GPU
// (LOCAL_RANK among the visible ones), one non-blocking stream for every
// kernel and copy, memory both sides address (managed), and the entry
// points by their CPU twins' symbols, NCCL for the collectives (when built
// with it). Built as a shared library that the
// rank loads at run time, so that a rank executable needs no CUDA library
// on a machine without a GPU.
//
//===----------------------------------------------------------------------===//

#include "kernels/cuda/CudaKernels.h"
#include "kernels/cuda/CudaOptimizer.h"
#include "runtime/device/DeviceBackend.h"
#ifdef DSC_HAVE_NCCL
#include "runtime/comm/NcclCommunicator.h"
#endif

#include <cuda_runtime.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <unordered_map>

namespace {

using dsc::runtime::DeviceBackend;
namespace cuda = dsc::kernels::cuda;
namespace cpu = dsc::kernels::cpu;

int gDevice = 0;
cudaStream_t gStream = nullptr;

int init(int localRank, char *message, size_t size) {
  int count = 0;
  cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess || count == 0) {
    std::snprintf(message, size, "no GPU (%s)",
                  err != cudaSuccess ? cudaGetErrorString(err)
                                     : "no CUDA device");
    return -1;
  }
  gDevice = localRank % count;
  if ((err = cudaSetDevice(gDevice)) != cudaSuccess ||
      (err = cudaStreamCreateWithFlags(&gStream, cudaStreamNonBlocking)) !=
          cudaSuccess) {
    std::snprintf(message, size, "GPU %d: %s", gDevice,
                  cudaGetErrorString(err));
    return -1;
  }
  cuda::setKernelStream(gStream);
  cudaDeviceProp props;
  cudaGetDeviceProperties(&props, gDevice);
  std::snprintf(message, size, "%s (cuda:%d)", props.name, gDevice);
  return 0;
}

void *alloc(size_t bytes) {
  void *p = nullptr;
  return cudaMallocManaged(&p, bytes) == cudaSuccess ? p : nullptr;
}

void release(void *p) { cudaFree(p); }

int hostConstants(const void *begin, const void *end) {
  return cuda::setHostConstants(begin, end) ? 0 : -1;
}

void prefetch(const void *p, size_t bytes) {
  cudaMemLocation location = {};
  location.type = cudaMemLocationTypeDevice;
  location.id = gDevice;
  cudaMemPrefetchAsync(p, bytes, location, 0, gStream);
}

const char *synchronize() {
  cudaError_t err = cudaStreamSynchronize(gStream);
  return err == cudaSuccess ? nullptr : cudaGetErrorString(err);
}

void copy(void *dst, const void *src, size_t bytes) {
  if (dst != src && bytes > 0)
    cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDefault, gStream);
}

void zero(void *dst, size_t bytes) {
  if (bytes > 0)
    cudaMemsetAsync(dst, 0, bytes, gStream);
}

dsrt_kernel_fn kernel(const char *symbol) {
  static const std::unordered_map<std::string, dsrt_kernel_fn> byCpuSymbol =
      [] {
        std::unordered_map<std::string, dsrt_kernel_fn> map;
        // dsrt_cuda_k_<kernel>_<types> serves dsrt_k_<kernel>_<types>.
        for (const auto &[name, fn] : cuda::cudaKernelEntries())
          map.emplace("dsrt_k_" + name.substr(12), fn);
        return map;
      }();
  auto it = byCpuSymbol.find(symbol);
  return it == byCpuSymbol.end() ? nullptr : it->second;
}

void adam(float *param, const float *grad, float *m, float *v, int64_t n,
          const cpu::AdamParams &p, int64_t step) {
  cuda::adamStep(param, grad, m, v, n, p, step);
}

void sgd(float *param, const float *grad, float *buffer, int64_t n,
         const cpu::SgdParams &p, int64_t step) {
  cuda::sgdStep(param, grad, buffer, n, p, step);
}

cpu::LambNorms lambUpdate(const float *param, const float *grad, float *m,
                          float *v, float *update, int64_t n,
                          const cpu::LambParams &p, int64_t step) {
  return cuda::lambComputeUpdate(param, grad, m, v, update, n, p, step);
}

void lambApply(float *param, const float *update, int64_t n, double lr,
               double ratio) {
  cuda::lambApply(param, update, n, lr, ratio);
}

double sumOfSquares(const float *x, int64_t n) {
  return cuda::sumOfSquares(x, n);
}

void scale(float *x, int64_t n, float factor) { cuda::scale(x, n, factor); }

#ifdef DSC_HAVE_NCCL
dsc::runtime::Communicator *
createCommunicator(const dsc::runtime::WorldInfo &world, int64_t timeoutMs,
                   char *message, size_t size) {
  auto made = dsc::runtime::createStagedNcclCommunicator(
      world, std::chrono::milliseconds(timeoutMs), gDevice);
  if (!made) {
    std::snprintf(message, size, "%s", made.message().c_str());
    return nullptr;
  }
  return std::move(made).value().release();
}
#endif

} // namespace

extern "C" const DeviceBackend *dsrt_cuda_backend() {
  static const DeviceBackend table = {
      dsc::runtime::kDeviceBackendVersion,
      init,
      alloc,
      release,
      hostConstants,
      prefetch,
      synchronize,
      copy,
      zero,
      kernel,
      cuda::takeDeviceKernelStatus,
      adam,
      sgd,
      lambUpdate,
      lambApply,
      sumOfSquares,
      scale,
#ifdef DSC_HAVE_NCCL
      createCommunicator,
#else
      nullptr,
#endif
  };
  return &table;
}
