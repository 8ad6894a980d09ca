//===- CudaLaunch.cuh - What the CUDA kernels share --------------*- CUDA
//-*-===//
//
// The CUDA kernels' common ground: the stream they launch on, launch and
// error checks, the device word data errors go to, scratch memory, shapes by
// value, and arithmetic on 16-bit storage. Every kernel computes in
// Acc<T> (float for fp16 and bf16, as the CPU kernels do) and rounds what it
// stores, so the two backends agree to the rounding.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_KERNELS_CUDA_CUDALAUNCH_CUH
#define DSC_KERNELS_CUDA_CUDALAUNCH_CUH

#include "kernels/cpu/CpuKernels.h"
#include "kernels/cuda/CudaKernels.h"

#include <cuda_runtime.h>

#include <cstdint>
#include <type_traits>

namespace dsc::kernels::cuda {

namespace k = dsc::kernels::cpu;

//===----------------------------------------------------------------------===//
// Types
//===----------------------------------------------------------------------===//

template <typename T> struct AccOf { using type = T; };
template <> struct AccOf<k::Half> { using type = float; };
template <> struct AccOf<k::BFloat16> { using type = float; };
/// The type a kernel computes T in.
template <typename T> using Acc = typename AccOf<T>::type;
/// The type sums of T accumulate in: double for floats (as on the CPU),
/// T for integers.
template <typename T>
using Wide = std::conditional_t<std::is_integral_v<T>, T, double>;

template <typename T> __device__ __forceinline__ Acc<T> load(const T &v) {
  return k::convertValue<T, Acc<T>>(v);
}
template <typename T, typename V> __device__ __forceinline__ T store(V v) {
  return k::convertValue<V, T>(v);
}

//===----------------------------------------------------------------------===//
// Shapes by value
//===----------------------------------------------------------------------===//

constexpr int kMaxRank = 8;

/// Axes and, per axis, an operand's element stride: offsetOf(i) maps a
/// row-major index over `dims` to the operand's element offset.
struct AxisMap {
  int rank = 0;
  int64_t dims[kMaxRank] = {};
  int64_t strides[kMaxRank] = {};

  __host__ __device__ int64_t offsetOf(int64_t index) const {
    int64_t offset = 0;
    for (int d = rank - 1; d >= 0; --d) {
      offset += (index % dims[d]) * strides[d];
      index /= dims[d];
    }
    return offset;
  }
  /// Appends an axis (host); false past kMaxRank.
  bool push(int64_t dim, int64_t stride) {
    if (rank == kMaxRank)
      return false;
    dims[rank] = dim;
    strides[rank++] = stride;
    return true;
  }
  int64_t numel() const {
    int64_t n = 1;
    for (int d = 0; d < rank; ++d)
      n *= dims[d];
    return n;
  }
};

/// Row-major strides of `s` (host).
void rowMajorStrides(k::Shape s, int64_t *strides);

/// `in` broadcast over `out` (right-aligned, NumPy): out's axes with in's
/// strides, 0 where in broadcasts. False past kMaxRank.
bool broadcastMap(k::Shape in, k::Shape out, AxisMap &map);

//===----------------------------------------------------------------------===//
// Launches
//===----------------------------------------------------------------------===//

/// This thread's element in a one-dimensional launch.
__device__ __forceinline__ int64_t threadIndex() {
  return blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
}

constexpr int kThreads = 256;
inline unsigned blocksFor(int64_t n) {
  return static_cast<unsigned>((n + kThreads - 1) / kThreads);
}

/// The stream every kernel launches on (setKernelStream).
cudaStream_t stream();

/// 0, or the last launch's error raised as a KernelDeviceError.
int launched();

/// KernelDeviceError "<what>" (a shape past kMaxRank axes ...).
int unsupported(const char *what);

/// Launches `kernel` with one thread per element of `n` (its first
/// argument) on stream(); 0, or the launch's error.
template <typename... Params, typename... Args>
int launchOver(void (*kernel)(int64_t, Params...), int64_t n, Args... args) {
  if (n > 0)
    kernel<<<blocksFor(n), kThreads, 0, stream()>>>(n, args...);
  return launched();
}

/// The device word data errors are recorded in (deviceKernelStatus()).
int *statusWord();
__device__ __forceinline__ void recordStatus(int *status, int code) {
  atomicCAS(status, 0, code);
}

/// Stream-ordered scratch memory (captured into a CUDA graph as memory
/// nodes); null on failure.
void *scratch(size_t bytes);
void releaseScratch(void *p);

//===----------------------------------------------------------------------===//
// Block reductions (blockDim.x a multiple of 32, at most 1024)
//===----------------------------------------------------------------------===//

template <typename V, typename Op>
__device__ V blockReduce(V v, Op op, V *shared /* [32] */) {
  const unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  for (int offset = 16; offset > 0; offset /= 2)
    v = op(v, __shfl_down_sync(0xffffffffu, v, offset));
  __syncthreads(); // `shared` may still be read from a previous reduction
  if (lane == 0)
    shared[warp] = v;
  __syncthreads();
  const unsigned warps = blockDim.x / 32;
  v = threadIdx.x < warps ? shared[threadIdx.x] : shared[0];
  if (warp == 0)
    for (int offset = 16; offset > 0; offset /= 2) {
      V other = __shfl_down_sync(0xffffffffu, v, offset);
      if (lane + offset < warps)
        v = op(v, other);
    }
  if (threadIdx.x == 0)
    shared[0] = v;
  __syncthreads();
  return shared[0];
}

struct SumOp {
  template <typename V> __device__ V operator()(V a, V b) const {
    return a + b;
  }
};

} // namespace dsc::kernels::cuda

#endif // DSC_KERNELS_CUDA_CUDALAUNCH_CUH
