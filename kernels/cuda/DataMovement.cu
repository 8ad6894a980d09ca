//===- DataMovement.cu - transpose, slice, gather, scatter, pad, ... ------===//
//
// The data-movement kernels of CudaOps.h on a GPU, with the semantics of
// kernels/cpu/DataMovement.cpp: one thread per element written, an operand
// reached through an AxisMap (row-major index to element offset). Scatter-add
// gradients zero their output and add with atomics (into a float scratch sum
// for 16-bit types, rounded once at the end, since the storage types have no
// atomics). scatter_nd applies its updates in order, each thread walking the
// update slices for one element offset, so repeated indices resolve as on the
// CPU. An index out of range is recorded in the status word, never written.
//
//===----------------------------------------------------------------------===//

#include "kernels/cpu/DataMovementIndex.h"
#include "kernels/cpu/ElementwiseMath.h"
#include "kernels/cpu/Indexing.h"
#include "kernels/cuda/CudaLaunch.cuh"
#include "kernels/cuda/CudaOps.h"

#include <cstdint>
#include <type_traits>
#include <vector>

namespace dsc::kernels::cuda {
namespace {

// The CPU kernels' index math, shared.
using cpu::detail::broadcastStrides;
using cpu::detail::normalizeIndex;
using cpu::detail::padSource;
using cpu::detail::product;
using cpu::detail::SliceWalk;
using cpu::detail::sliceWalk;
using cpu::detail::stridesOf;

//===----------------------------------------------------------------------===//
// Host helpers
//===----------------------------------------------------------------------===//

/// The map of an operand with element stride strides[d] along each of
/// `rank` row-major axes `dims`. Size-1 axes are dropped and neighbours that
/// one stride walks are merged (fewer divisions per element, and more than
/// kMaxRank axes may still fit); false when they don't. Only for non-empty
/// index spaces.
bool compactMap(int rank, const int64_t *dims, const int64_t *strides,
                AxisMap &map) {
  map = AxisMap();
  for (int d = 0; d < rank; ++d) {
    if (dims[d] == 1)
      continue;
    int last = map.rank - 1;
    if (last >= 0 && map.strides[last] == strides[d] * dims[d]) {
      map.dims[last] *= dims[d];
      map.strides[last] = strides[d];
      continue;
    }
    if (!map.push(dims[d], strides[d]))
      return false;
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Device helpers
//===----------------------------------------------------------------------===//

__device__ __forceinline__ void atomicAccumulate(float *sum, float v) {
  atomicAdd(sum, v);
}
__device__ __forceinline__ void atomicAccumulate(double *sum, double v) {
  atomicAdd(sum, v);
}

//===----------------------------------------------------------------------===//
// Copies through a map
//===----------------------------------------------------------------------===//

/// out[i] = in[base + map(i)]: transpose, slice, expand.
template <typename T>
__global__ void gatherCopyKernel(int64_t n, const T *in, int64_t base,
                                 AxisMap map, T *out) {
  int64_t i = threadIndex();
  if (i < n)
    out[i] = in[base + map.offsetOf(i)];
}

/// out[base + map(i)] = in[i]: slice_grad (a slice hits a cell at most once).
template <typename T>
__global__ void scatterCopyKernel(int64_t n, const T *in, int64_t base,
                                  AxisMap map, T *out) {
  int64_t i = threadIndex();
  if (i < n)
    out[base + map.offsetOf(i)] = in[i];
}

/// Copies `in` (rows of `chunk`) into column range [at, at + chunk) of
/// `out`'s rows of `row`.
template <typename T>
__global__ void concatKernel(int64_t n, const T *in, int64_t chunk, int64_t row,
                             int64_t at, T *out) {
  int64_t i = threadIndex();
  if (i < n)
    out[(i / chunk) * row + at + i % chunk] = in[i];
}

/// Copies `in` unless `failed` (an index check before it failed: the CPU
/// leaves the output untouched then).
template <typename T>
__global__ void copyUnlessKernel(int64_t n, const T *in, T *out,
                                 const int *failed) {
  int64_t i = threadIndex();
  if (i < n && !*failed)
    out[i] = in[i];
}

//===----------------------------------------------------------------------===//
// Scatter-add sums
//===----------------------------------------------------------------------===//

template <typename T>
__global__ void roundKernel(int64_t n, const float *sum, T *out) {
  int64_t i = threadIndex();
  if (i < n)
    out[i] = store<T>(sum[i]);
}

/// Where a scatter-add gradient of `n` elements sums, zeroed: `dIn` itself
/// for float and double, a float scratch buffer for 16-bit types. Null when
/// scratch fails (reported).
template <typename T> Acc<T> *zeroedSum(T *dIn, int64_t n) {
  if constexpr (k::kIsFloat16<T>) {
    auto *sum = static_cast<float *>(scratch(n * sizeof(float)));
    if (!sum) {
      unsupported("no device memory for a gradient's scratch sum");
      return nullptr;
    }
    cudaMemsetAsync(sum, 0, n * sizeof(float), stream());
    return sum;
  } else {
    cudaMemsetAsync(dIn, 0, n * sizeof(T), stream());
    return dIn;
  }
}

/// Rounds a 16-bit gradient's sum into `dIn` and frees it; 0 or the launch
/// error.
template <typename T> int finishSum(Acc<T> *sum, T *dIn, int64_t n) {
  if constexpr (k::kIsFloat16<T>) {
    int err = launchOver(roundKernel<T>, n, sum, dIn);
    releaseScratch(sum);
    return err;
  } else {
    return launched();
  }
}

//===----------------------------------------------------------------------===//
// Gather
//===----------------------------------------------------------------------===//

/// Records a bad index among `indices` (gather with an empty output still
/// checks them, as the CPU does).
__global__ void checkIndicesKernel(int64_t n, const int64_t *indices,
                                   int64_t size, int *status) {
  int64_t i = threadIndex();
  if (i >= n)
    return;
  int64_t index = indices[i];
  if (!normalizeIndex(index, size))
    recordStatus(status, k::KernelIndexOutOfRange);
}

/// One thread per output element [outer, count, inner].
template <typename T>
__global__ void gatherKernel(int64_t n, const T *in, const int64_t *indices,
                             int64_t count, int64_t size, int64_t inner, T *out,
                             int *status) {
  int64_t i = threadIndex();
  if (i >= n)
    return;
  int64_t r = i % inner, j = (i / inner) % count, o = i / inner / count;
  int64_t index = indices[j];
  if (!normalizeIndex(index, size)) {
    recordStatus(status, k::KernelIndexOutOfRange);
    return;
  }
  out[i] = in[(o * size + index) * inner + r];
}

/// One thread per dy element [outer, count, inner], adding into `sum`.
template <typename T, typename S>
__global__ void gatherGradKernel(int64_t n, const T *dy, const int64_t *indices,
                                 int64_t count, int64_t size, int64_t inner,
                                 S *sum, int *status) {
  int64_t i = threadIndex();
  if (i >= n)
    return;
  int64_t r = i % inner, j = (i / inner) % count, o = i / inner / count;
  int64_t index = indices[j];
  if (!normalizeIndex(index, size)) {
    recordStatus(status, k::KernelIndexOutOfRange);
    return;
  }
  atomicAccumulate(sum + (o * size + index) * inner + r, load(dy[i]));
}

/// One thread per index: `map` gives the input offset of the index's
/// coordinates off the axis, the index picks the coordinate on it.
template <typename T>
__global__ void gatherElementsKernel(int64_t n, const T *in,
                                     const int64_t *indices, AxisMap map,
                                     int64_t size, int64_t axisStride, T *out,
                                     int *status) {
  int64_t i = threadIndex();
  if (i >= n)
    return;
  int64_t index = indices[i];
  if (!normalizeIndex(index, size)) {
    recordStatus(status, k::KernelIndexOutOfRange);
    return;
  }
  out[i] = in[map.offsetOf(i) + index * axisStride];
}

template <typename T, typename S>
__global__ void gatherElementsGradKernel(int64_t n, const T *dy,
                                         const int64_t *indices, AxisMap map,
                                         int64_t size, int64_t axisStride,
                                         S *sum, int *status) {
  int64_t i = threadIndex();
  if (i >= n)
    return;
  int64_t index = indices[i];
  if (!normalizeIndex(index, size)) {
    recordStatus(status, k::KernelIndexOutOfRange);
    return;
  }
  atomicAccumulate(sum + map.offsetOf(i) + index * axisStride, load(dy[i]));
}

/// The map over the indices' axes to the input's offsets with the gather
/// axis left out (its stride 0); false past kMaxRank.
bool elementsMap(Shape inShape, Shape indicesShape, int axis, AxisMap &map) {
  std::vector<int64_t> strides = stridesOf(inShape);
  strides[axis] = 0;
  return compactMap(indicesShape.rank, indicesShape.dims, strides.data(), map);
}

//===----------------------------------------------------------------------===//
// ScatterND
//===----------------------------------------------------------------------===//

/// The index axes of scatter_nd: the input's first `depth` dims and strides.
struct IndexAxes {
  int depth = 0;
  int64_t dims[kMaxRank] = {};
  int64_t strides[kMaxRank] = {};
};

/// offsets[t] = the output offset of update slice t; a bad index records
/// the error and sets `failed`, which stops the copy and the updates.
__global__ void scatterOffsetsKernel(int64_t n, const int64_t *indices,
                                     IndexAxes axes, int64_t *offsets,
                                     int *failed, int *status) {
  int64_t t = threadIndex();
  if (t >= n)
    return;
  int64_t offset = 0;
  for (int d = 0; d < axes.depth; ++d) {
    int64_t index = indices[t * axes.depth + d];
    if (!normalizeIndex(index, axes.dims[d])) {
      recordStatus(status, k::KernelIndexOutOfRange);
      *failed = 1;
      return;
    }
    offset += index * axes.strides[d];
  }
  offsets[t] = offset;
}

/// The CPU's combine(): max and min prefer a NaN update and keep the
/// chosen operand's bits; 16-bit types compute in float and round.
template <typename T>
__device__ T combine(ScatterReduction r, T old, T update) {
  const Acc<T> a = load(old), b = load(update);
  // static_cast, not store(), past 16-bit types: uint8_t sums wrap as on
  // the CPU rather than becoming booleans.
  auto narrow = [](auto v) {
    if constexpr (k::kIsFloat16<T>)
      return store<T>(v);
    else
      return static_cast<T>(v);
  };
  switch (r) {
  case ScatterReduction::None:
    return update;
  case ScatterReduction::Add:
    return narrow(a + b);
  case ScatterReduction::Mul:
    return narrow(a * b);
  case ScatterReduction::Max:
    return (b > a || k::isNanValue(b)) ? update : old;
  case ScatterReduction::Min:
    return (b < a || k::isNanValue(b)) ? update : old;
  }
  return update;
}

/// One thread per element offset within a slice, walking the update slices
/// in order: a cell is only ever written by one thread, in the CPU's order.
template <typename T>
__global__ void scatterApplyKernel(int64_t n, const T *updates,
                                   const int64_t *offsets, int64_t tuples,
                                   ScatterReduction reduction, T *out,
                                   const int *failed) {
  int64_t s = threadIndex();
  if (s >= n || *failed)
    return;
  for (int64_t t = 0; t < tuples; ++t) {
    T *dst = out + offsets[t] + s;
    *dst = combine(reduction, *dst, updates[t * n + s]);
  }
}

//===----------------------------------------------------------------------===//
// Pad
//===----------------------------------------------------------------------===//

/// Pad's axes: output element to input offset, or -1 for a constant cell.
struct PadMap {
  int rank = 0;
  PadMode mode = PadMode::Constant;
  int64_t outDims[kMaxRank] = {};
  int64_t before[kMaxRank] = {};
  int64_t inDims[kMaxRank] = {};
  int64_t inStrides[kMaxRank] = {};

  __device__ int64_t sourceOf(int64_t index) const {
    int64_t offset = 0;
    for (int d = rank - 1; d >= 0; --d) {
      int64_t s = padSource(index % outDims[d], before[d], inDims[d], mode);
      if (s < 0)
        return -1;
      offset += s * inStrides[d];
      index /= outDims[d];
    }
    return offset;
  }
};

/// Fills `map`; false past kMaxRank (reported). `n` is the output's element
/// count, 0 when an axis is cropped away.
bool padMap(Shape inShape, const int64_t *pads, PadMode mode, PadMap &map,
            int64_t &n) {
  if (inShape.rank > kMaxRank) {
    unsupported("pad: more than 8 axes");
    return false;
  }
  map.rank = inShape.rank;
  map.mode = mode;
  rowMajorStrides(inShape, map.inStrides);
  n = 1;
  for (int d = 0; d < inShape.rank; ++d) {
    map.inDims[d] = inShape.dims[d];
    map.before[d] = pads[d];
    map.outDims[d] = inShape.dims[d] + pads[d] + pads[inShape.rank + d];
    n = map.outDims[d] <= 0 ? 0 : n * map.outDims[d];
  }
  return true;
}

template <typename T>
__global__ void padKernel(int64_t n, const T *in, PadMap map, T fill, T *out) {
  int64_t i = threadIndex();
  if (i >= n)
    return;
  int64_t src = map.sourceOf(i);
  out[i] = src < 0 ? fill : in[src];
}

/// Constant mode: each input cell has at most one output cell.
template <typename T>
__global__ void padGradCopyKernel(int64_t n, const T *dy, PadMap map, T *dIn) {
  int64_t i = threadIndex();
  if (i >= n)
    return;
  int64_t src = map.sourceOf(i);
  if (src >= 0)
    dIn[src] = dy[i];
}

template <typename T, typename S>
__global__ void padGradAddKernel(int64_t n, const T *dy, PadMap map, S *sum) {
  int64_t i = threadIndex();
  if (i >= n)
    return;
  int64_t src = map.sourceOf(i);
  if (src >= 0)
    atomicAccumulate(sum + src, load(dy[i]));
}

//===----------------------------------------------------------------------===//
// Trilu
//===----------------------------------------------------------------------===//

/// `diagonal` is device memory (null: 0), read here so the host never waits.
template <typename T>
__global__ void triluKernel(int64_t n, const T *in, int64_t rows, int64_t cols,
                            const int64_t *diagonal, bool upper, T *out) {
  int64_t idx = threadIndex();
  if (idx >= n)
    return;
  int64_t kth = diagonal ? *diagonal : 0;
  int64_t i = (idx / cols) % rows, j = idx % cols;
  bool keep = upper ? j - i >= kth : j - i <= kth;
  out[idx] = keep ? in[idx] : T{};
}

} // namespace

//===----------------------------------------------------------------------===//
// Entry points
//===----------------------------------------------------------------------===//

template <typename T>
void transpose(const T *in, Shape inShape, const int64_t *perm, T *out) {
  int64_t n = inShape.numel();
  if (n == 0)
    return;
  std::vector<int64_t> inStrides = stridesOf(inShape);
  std::vector<int64_t> dims(inShape.rank), strides(inShape.rank);
  for (int i = 0; i < inShape.rank; ++i) {
    dims[i] = inShape.dims[perm[i]];
    strides[i] = inStrides[perm[i]];
  }
  AxisMap map;
  if (!compactMap(inShape.rank, dims.data(), strides.data(), map)) {
    unsupported("transpose: more than 8 axes");
    return;
  }
  launchOver(gatherCopyKernel<T>, n, in, int64_t(0), map, out);
}

template <typename T>
void slice(const T *in, Shape inShape, const int64_t *starts,
           const int64_t *ends, const int64_t *steps, T *out) {
  SliceWalk walk = sliceWalk(inShape, starts, ends, steps);
  if (walk.numel == 0)
    return;
  AxisMap map;
  if (!compactMap(inShape.rank, walk.dims.data(), walk.inStrides.data(), map)) {
    unsupported("slice: more than 8 axes");
    return;
  }
  launchOver(gatherCopyKernel<T>, walk.numel, in, walk.base, map, out);
}

template <typename T>
void sliceGrad(const T *dy, const int64_t *starts, const int64_t *ends,
               const int64_t *steps, T *dIn, Shape inShape) {
  int64_t total = inShape.numel();
  if (total == 0)
    return;
  cudaMemsetAsync(dIn, 0, total * sizeof(T), stream());
  SliceWalk walk = sliceWalk(inShape, starts, ends, steps);
  if (walk.numel == 0)
    return;
  AxisMap map;
  if (!compactMap(inShape.rank, walk.dims.data(), walk.inStrides.data(), map)) {
    unsupported("slice_grad: more than 8 axes");
    return;
  }
  launchOver(scatterCopyKernel<T>, walk.numel, dy, walk.base, map, dIn);
}

template <typename T>
void concat(const T *const *inputs, const Shape *inShapes, int numInputs,
            int axis, T *out) {
  if (numInputs == 0)
    return;
  int64_t outer = product(inShapes[0], 0, axis);
  std::vector<int64_t> chunks(numInputs);
  int64_t row = 0;
  for (int i = 0; i < numInputs; ++i) {
    chunks[i] = product(inShapes[i], axis, inShapes[i].rank);
    row += chunks[i];
  }
  // One launch per input; each writes its own columns of every row.
  int64_t at = 0;
  for (int i = 0; i < numInputs; ++i) {
    if (outer * chunks[i] > 0 && launchOver(concatKernel<T>, outer * chunks[i],
                                            inputs[i], chunks[i], row, at, out))
      return;
    at += chunks[i];
  }
}

template <typename T>
void expand(const T *in, Shape inShape, T *out, Shape outShape) {
  int64_t n = outShape.numel();
  if (n == 0)
    return;
  // NumPy broadcasting, right-aligned: stride 0 where `in` has size 1.
  std::vector<int64_t> strides = broadcastStrides(inShape, outShape);
  AxisMap map;
  if (!compactMap(outShape.rank, outShape.dims, strides.data(), map)) {
    unsupported("expand: more than 8 axes");
    return;
  }
  launchOver(gatherCopyKernel<T>, n, in, int64_t(0), map, out);
}

template <typename T>
int gather(const T *in, Shape inShape, const int64_t *indices,
           Shape indicesShape, int axis, T *out) {
  int64_t outer = product(inShape, 0, axis);
  int64_t size = inShape.dims[axis];
  int64_t inner = product(inShape, axis + 1, inShape.rank);
  int64_t count = indicesShape.numel();
  int *status = statusWord();
  if (outer * inner == 0)
    return launchOver(checkIndicesKernel, count, indices, size, status);
  return launchOver(gatherKernel<T>, outer * count * inner, in, indices, count,
                    size, inner, out, status);
}

template <typename T>
int gatherGrad(const int64_t *indices, Shape indicesShape, const T *dy,
               int axis, T *dIn, Shape inShape) {
  int64_t outer = product(inShape, 0, axis);
  int64_t size = inShape.dims[axis];
  int64_t inner = product(inShape, axis + 1, inShape.rank);
  int64_t count = indicesShape.numel();
  int64_t total = inShape.numel();
  int *status = statusWord();
  if (total == 0 || count == 0) {
    if (total > 0)
      cudaMemsetAsync(dIn, 0, total * sizeof(T), stream());
    return launchOver(checkIndicesKernel, count, indices, size, status);
  }
  Acc<T> *sum = zeroedSum(dIn, total);
  if (!sum)
    return k::KernelDeviceError;
  if (int err = launchOver(gatherGradKernel<T, Acc<T>>, outer * count * inner,
                           dy, indices, count, size, inner, sum, status)) {
    if constexpr (k::kIsFloat16<T>)
      releaseScratch(sum);
    return err;
  }
  return finishSum(sum, dIn, total);
}

template <typename T>
int gatherElements(const T *in, Shape inShape, const int64_t *indices,
                   Shape indicesShape, int axis, T *out) {
  int64_t n = indicesShape.numel();
  if (n == 0)
    return 0;
  AxisMap map;
  if (!elementsMap(inShape, indicesShape, axis, map))
    return unsupported("gather_elements: more than 8 axes");
  int64_t axisStride = product(inShape, axis + 1, inShape.rank);
  return launchOver(gatherElementsKernel<T>, n, in, indices, map,
                    inShape.dims[axis], axisStride, out, statusWord());
}

template <typename T>
int gatherElementsGrad(const int64_t *indices, Shape indicesShape, const T *dy,
                       int axis, T *dIn, Shape inShape) {
  int64_t total = inShape.numel(), n = indicesShape.numel();
  int64_t size = inShape.dims[axis];
  int *status = statusWord();
  if (total == 0 || n == 0) {
    if (total > 0)
      cudaMemsetAsync(dIn, 0, total * sizeof(T), stream());
    return launchOver(checkIndicesKernel, n, indices, size, status);
  }
  AxisMap map;
  if (!elementsMap(inShape, indicesShape, axis, map))
    return unsupported("gather_elements_grad: more than 8 axes");
  int64_t axisStride = product(inShape, axis + 1, inShape.rank);
  Acc<T> *sum = zeroedSum(dIn, total);
  if (!sum)
    return k::KernelDeviceError;
  if (int err = launchOver(gatherElementsGradKernel<T, Acc<T>>, n, dy, indices,
                           map, size, axisStride, sum, status)) {
    if constexpr (k::kIsFloat16<T>)
      releaseScratch(sum);
    return err;
  }
  return finishSum(sum, dIn, total);
}

template <typename T>
int scatterND(const T *in, Shape inShape, const int64_t *indices,
              Shape indicesShape, const T *updates, ScatterReduction reduction,
              T *out) {
  if (indicesShape.rank == 0)
    return unsupported("scatter_nd: indices without an index axis");
  int depth = static_cast<int>(indicesShape.dims[indicesShape.rank - 1]);
  int64_t tuples = product(indicesShape, 0, indicesShape.rank - 1);
  int64_t sliceSize = product(inShape, depth, inShape.rank);
  int64_t total = inShape.numel();
  if (depth > kMaxRank)
    return unsupported("scatter_nd: index tuples longer than 8");
  IndexAxes axes;
  axes.depth = depth;
  std::vector<int64_t> strides = stridesOf(inShape);
  for (int d = 0; d < depth; ++d) {
    axes.dims[d] = inShape.dims[d];
    axes.strides[d] = strides[d];
  }
  // Scratch: the slices' offsets, then the flag a bad index sets, so that
  // (as on the CPU) a failure leaves `out` untouched.
  auto *offsets = static_cast<int64_t *>(scratch((tuples + 1) * 8));
  if (!offsets)
    return unsupported("no device memory for scatter_nd's offsets");
  int *failed = reinterpret_cast<int *>(offsets + tuples);
  cudaMemsetAsync(failed, 0, sizeof(int), stream());
  int err = launchOver(scatterOffsetsKernel, tuples, indices, axes, offsets,
                       failed, statusWord());
  if (!err && out != in)
    err = launchOver(copyUnlessKernel<T>, total, in, out, failed);
  if (!err && tuples > 0)
    err = launchOver(scatterApplyKernel<T>, sliceSize, updates, offsets, tuples,
                     reduction, out, failed);
  releaseScratch(offsets);
  return err;
}

template <typename T>
void pad(const T *in, Shape inShape, const int64_t *pads, PadMode mode,
         double value, T *out) {
  PadMap map;
  int64_t n = 0;
  if (!padMap(inShape, pads, mode, map, n) || n == 0)
    return;
  // The CPU's static_cast<T>(value); 16-bit types round through float.
  T fill;
  if constexpr (k::kIsFloat16<T>)
    fill = k::convertValue<double, T>(value);
  else
    fill = static_cast<T>(value);
  launchOver(padKernel<T>, n, in, map, fill, out);
}

template <typename T>
void padGrad(const T *dy, const int64_t *pads, PadMode mode, T *dIn,
             Shape inShape) {
  PadMap map;
  int64_t n = 0, total = inShape.numel();
  if (!padMap(inShape, pads, mode, map, n) || total == 0)
    return;
  if (mode == PadMode::Constant || n == 0) {
    // Cropped cells stay zero; the others take their one dy value.
    cudaMemsetAsync(dIn, 0, total * sizeof(T), stream());
    launchOver(padGradCopyKernel<T>, n, dy, map, dIn);
    return;
  }
  Acc<T> *sum = zeroedSum(dIn, total);
  if (!sum)
    return;
  if (launchOver(padGradAddKernel<T, Acc<T>>, n, dy, map, sum)) {
    if constexpr (k::kIsFloat16<T>)
      releaseScratch(sum);
    return;
  }
  finishSum(sum, dIn, total);
}

template <typename T>
void triluByTensor(const T *in, Shape shape, const int64_t *diagonal,
                   bool upper, T *out) {
  if (shape.rank < 2) {
    unsupported("trilu: fewer than 2 axes");
    return;
  }
  int64_t rows = shape.dims[shape.rank - 2], cols = shape.dims[shape.rank - 1];
  launchOver(triluKernel<T>, shape.numel(), in, rows, cols, diagonal, upper,
             out);
}

#define DSC_CUDA_DATA_MOVEMENT(T)                                              \
  template void transpose<T>(const T *, Shape, const int64_t *, T *);          \
  template void slice<T>(const T *, Shape, const int64_t *, const int64_t *,   \
                         const int64_t *, T *);                                \
  template void concat<T>(const T *const *, const Shape *, int, int, T *);     \
  template void expand<T>(const T *, Shape, T *, Shape);                       \
  template int gather<T>(const T *, Shape, const int64_t *, Shape, int, T *);  \
  template int gatherElements<T>(const T *, Shape, const int64_t *, Shape,     \
                                 int, T *);                                    \
  template int scatterND<T>(const T *, Shape, const int64_t *, Shape,          \
                            const T *, ScatterReduction, T *);                 \
  template void pad<T>(const T *, Shape, const int64_t *, PadMode, double,     \
                       T *);                                                   \
  template void triluByTensor<T>(const T *, Shape, const int64_t *, bool, T *);
DSC_CUDA_DATA_MOVEMENT(float)
DSC_CUDA_DATA_MOVEMENT(double)
DSC_CUDA_DATA_MOVEMENT(int64_t)
DSC_CUDA_DATA_MOVEMENT(uint8_t)
DSC_CUDA_DATA_MOVEMENT(Half)
DSC_CUDA_DATA_MOVEMENT(BFloat16)
#undef DSC_CUDA_DATA_MOVEMENT

#define DSC_CUDA_DATA_MOVEMENT_GRAD(T)                                         \
  template void sliceGrad<T>(const T *, const int64_t *, const int64_t *,      \
                             const int64_t *, T *, Shape);                     \
  template int gatherGrad<T>(const int64_t *, Shape, const T *, int, T *,      \
                             Shape);                                           \
  template int gatherElementsGrad<T>(const int64_t *, Shape, const T *, int,   \
                                     T *, Shape);                              \
  template void padGrad<T>(const T *, const int64_t *, PadMode, T *, Shape);
DSC_CUDA_DATA_MOVEMENT_GRAD(float)
DSC_CUDA_DATA_MOVEMENT_GRAD(double)
DSC_CUDA_DATA_MOVEMENT_GRAD(Half)
DSC_CUDA_DATA_MOVEMENT_GRAD(BFloat16)
#undef DSC_CUDA_DATA_MOVEMENT_GRAD

} // namespace dsc::kernels::cuda
