//===- CudaLaunch.cu - The CUDA kernels' stream, errors and scratch -------===//

#include "kernels/cuda/CudaLaunch.cuh"

#include <vector>

namespace dsc::kernels::cuda {
namespace {

cudaStream_t gStream = nullptr;
int *gStatus = nullptr;
const char *gHostConstants = nullptr, *gHostConstantsEnd = nullptr;
char *gDeviceConstants = nullptr;

} // namespace

void setKernelStream(cudaStream_t s) { gStream = s; }
cudaStream_t stream() { return gStream; }

int launched() {
  cudaError_t err = cudaGetLastError();
  if (err == cudaSuccess)
    return 0;
  return k::raiseKernelError(k::KernelDeviceError, cudaGetErrorString(err));
}

int unsupported(const char *what) {
  return k::raiseKernelError(k::KernelDeviceError, what);
}

int *statusWord() {
  if (!gStatus) {
    cudaMalloc(&gStatus, sizeof(int));
    cudaMemset(gStatus, 0, sizeof(int));
  }
  return gStatus;
}

int takeDeviceKernelStatus() {
  int status = 0;
  int *word = statusWord();
  cudaMemcpy(&status, word, sizeof status, cudaMemcpyDeviceToHost);
  if (status)
    cudaMemset(word, 0, sizeof(int));
  return status;
}

bool setHostConstants(const void *begin, const void *end) {
  const char *b = static_cast<const char *>(begin);
  const char *e = static_cast<const char *>(end);
  if (!b || e <= b)
    return true;
  if (cudaMalloc(&gDeviceConstants, e - b) != cudaSuccess ||
      cudaMemcpy(gDeviceConstants, b, e - b, cudaMemcpyHostToDevice) !=
          cudaSuccess)
    return false;
  gHostConstants = b;
  gHostConstantsEnd = e;
  return true;
}

void *const *deviceAddresses(void *const *data, int count) {
  if (!gDeviceConstants)
    return data;
  auto inside = [](void *p) {
    const char *c = static_cast<const char *>(p);
    return c >= gHostConstants && c < gHostConstantsEnd;
  };
  bool any = false;
  for (int i = 0; i < count && !any; ++i)
    any = inside(data[i]);
  if (!any)
    return data;
  // One rank thread launches kernels; its buffer lives until the next call.
  thread_local std::vector<void *> translated;
  translated.assign(data, data + count);
  for (void *&p : translated)
    if (inside(p))
      p = gDeviceConstants + (static_cast<const char *>(p) - gHostConstants);
  return translated.data();
}

void *scratch(size_t bytes) {
  void *p = nullptr;
  if (cudaMallocAsync(&p, bytes ? bytes : 1, gStream) != cudaSuccess)
    return nullptr;
  return p;
}

void releaseScratch(void *p) {
  if (p)
    cudaFreeAsync(p, gStream);
}

void rowMajorStrides(k::Shape s, int64_t *strides) {
  int64_t stride = 1;
  for (int i = s.rank - 1; i >= 0; --i) {
    strides[i] = stride;
    stride *= s.dims[i];
  }
}

bool broadcastMap(k::Shape in, k::Shape out, AxisMap &map) {
  if (out.rank > kMaxRank || in.rank > out.rank)
    return false;
  int64_t own[kMaxRank];
  rowMajorStrides(in, own);
  map = AxisMap();
  const int shift = out.rank - in.rank;
  for (int d = 0; d < out.rank; ++d) {
    int e = d - shift;
    map.push(out.dims[d], e >= 0 && in.dims[e] != 1 ? own[e] : 0);
  }
  return true;
}

} // namespace dsc::kernels::cuda
