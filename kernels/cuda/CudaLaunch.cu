//===- CudaLaunch.cu - The CUDA kernels' stream, errors and scratch -------===//

#include "kernels/cuda/CudaLaunch.cuh"

namespace dsc::kernels::cuda {
namespace {

cudaStream_t gStream = nullptr;
int *gStatus = nullptr;

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
