//===- Reduction.cu - reduce_sum, reduce_mean, reduce_max on a GPU --------===//
//
// One block per result element walks the reduced axes; a reduction of the
// leading axes (a bias gradient) runs per column in two stages instead
// (coalesced reads, many blocks). Floats add in double, as the CPU kernel
// does, so long sums agree to the rounding of the result. Max propagates
// NaN.
//
//===----------------------------------------------------------------------===//

#include "kernels/cuda/CudaLaunch.cuh"
#include "kernels/cuda/CudaOps.h"

#include <algorithm>
#include <cfloat>
#include <climits>

namespace dsc::kernels::cuda {
namespace {

template <typename V> __device__ V lowest() {
  if constexpr (std::is_integral_v<V>)
    return LLONG_MIN;
  else
    return -INFINITY;
}

struct MaxOp {
  template <typename V> __device__ V operator()(V acc, V v) const {
    if constexpr (std::is_floating_point_v<V>)
      return (v > acc || isnan(v)) ? v : acc;
    else
      return v > acc ? v : acc;
  }
};

/// Result element blockIdx.x: its input offset from `kept`, the reduced
/// elements from `reduced` (count of them).
template <typename T>
__global__ void reduceKernel(ReduceOp op, const T *in, AxisMap kept,
                             AxisMap reduced, int64_t count, T *out) {
  using W = Wide<Acc<T>>;
  __shared__ W shared[32];
  const T *base = in + kept.offsetOf(blockIdx.x);
  if (op == ReduceOp::Max) {
    W m = lowest<W>();
    for (int64_t r = threadIdx.x; r < count; r += blockDim.x)
      m = MaxOp()(m, W(load(base[reduced.offsetOf(r)])));
    m = blockReduce(m, MaxOp(), shared);
    if (threadIdx.x == 0)
      out[blockIdx.x] = store<T>(static_cast<Acc<T>>(m));
    return;
  }
  W sum = 0;
  for (int64_t r = threadIdx.x; r < count; r += blockDim.x)
    sum += W(load(base[reduced.offsetOf(r)]));
  sum = blockReduce(sum, SumOp(), shared);
  if (threadIdx.x != 0)
    return;
  if (op == ReduceOp::Mean) {
    if constexpr (std::is_integral_v<W>)
      sum = count == 0 ? W(0) : sum / count;
    else
      sum = sum / static_cast<double>(count);
  }
  out[blockIdx.x] = store<T>(static_cast<Acc<T>>(sum));
}

/// Rows per block of the column reduction's first stage.
constexpr int64_t kRowsPerChunk = 64;
constexpr int64_t kMaxChunks = 65535;

/// Reducing the leading axes of [rows, columns] (a bias gradient): the
/// first stage reduces chunk blockIdx.y of the rows per column, threads
/// over the columns (coalesced), into partials[chunk][column].
template <typename T>
__global__ void columnPartialsKernel(ReduceOp op, const T *in, int64_t rows,
                                     int64_t columns, int64_t rowsPerChunk,
                                     Wide<Acc<T>> *partials) {
  using W = Wide<Acc<T>>;
  const int64_t j = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (j >= columns)
    return;
  const int64_t first = blockIdx.y * rowsPerChunk;
  const int64_t last = min(rows, first + rowsPerChunk);
  W acc = op == ReduceOp::Max ? lowest<W>() : W(0);
  for (int64_t r = first; r < last; ++r) {
    W v = W(load(in[r * columns + j]));
    acc = op == ReduceOp::Max ? MaxOp()(acc, v) : acc + v;
  }
  partials[blockIdx.y * columns + j] = acc;
}

/// The second stage: each column over the chunks, in order.
template <typename T>
__global__ void columnResultKernel(int64_t columns, ReduceOp op,
                                   const Wide<Acc<T>> *partials, int64_t chunks,
                                   int64_t count, T *out) {
  using W = Wide<Acc<T>>;
  const int64_t j = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (j >= columns)
    return;
  W acc = op == ReduceOp::Max ? lowest<W>() : W(0);
  for (int64_t c = 0; c < chunks; ++c) {
    W v = partials[c * columns + j];
    acc = op == ReduceOp::Max ? MaxOp()(acc, v) : acc + v;
  }
  if (op == ReduceOp::Mean) {
    if constexpr (std::is_integral_v<W>)
      acc = count == 0 ? W(0) : acc / count;
    else
      acc = acc / static_cast<double>(count);
  }
  out[j] = store<T>(static_cast<Acc<T>>(acc));
}

/// Reduces the leading `rows` of [rows, columns] in two stages; false when
/// there is no scratch memory.
template <typename T>
bool reduceColumns(ReduceOp op, const T *in, int64_t rows, int64_t columns,
                   T *out) {
  using W = Wide<Acc<T>>;
  const int64_t rowsPerChunk =
      std::max(kRowsPerChunk, (rows + kMaxChunks - 1) / kMaxChunks);
  const int64_t chunks = (rows + rowsPerChunk - 1) / rowsPerChunk;
  auto *partials = static_cast<W *>(
      scratch(static_cast<size_t>(chunks * columns) * sizeof(W)));
  if (!partials)
    return false;
  dim3 grid(blocksFor(columns), static_cast<unsigned>(chunks));
  columnPartialsKernel<<<grid, kThreads, 0, stream()>>>(op, in, rows, columns,
                                                        rowsPerChunk, partials);
  launchOver(columnResultKernel<T>, columns, op, partials, chunks, rows, out);
  releaseScratch(partials);
  return true;
}

} // namespace

template <typename T>
void reduce(ReduceOp op, const T *in, Shape inShape, const int64_t *axes,
            int numAxes, T *out) {
  if (inShape.rank > kMaxRank) {
    unsupported("reduce: more than 8 axes");
    return;
  }
  bool isReduced[kMaxRank] = {};
  for (int i = 0; i < numAxes; ++i)
    isReduced[axes[i]] = true;
  int64_t strides[kMaxRank];
  rowMajorStrides(inShape, strides);
  AxisMap kept, reduced;
  for (int d = 0; d < inShape.rank; ++d)
    (isReduced[d] ? reduced : kept).push(inShape.dims[d], strides[d]);
  const int64_t results = kept.numel(), count = reduced.numel();
  if (results == 0)
    return;
  if (results > INT_MAX) {
    unsupported("reduce: more than 2^31 results");
    return;
  }
  // Only leading axes reduced, over more rows than a block's share: the
  // column reduction (one block per result would read across rows).
  int lastReduced = -1, firstKept = inShape.rank;
  for (int d = 0; d < inShape.rank; ++d) {
    if (isReduced[d])
      lastReduced = d;
    else if (firstKept == inShape.rank)
      firstKept = d;
  }
  if (numAxes > 0 && lastReduced < firstKept && results > 1 &&
      count >= kRowsPerChunk) {
    if (!reduceColumns(op, in, count, results, out))
      unsupported("reduce: no device memory for the partial sums");
    launched();
    return;
  }
  reduceKernel<<<static_cast<unsigned>(results), kThreads, 0, stream()>>>(
      op, in, kept, reduced, count, out);
  launched();
}

#define DSC_REDUCE(T)                                                          \
  template void reduce<T>(ReduceOp, const T *, Shape, const int64_t *, int,    \
                          T *);
DSC_REDUCE(float)
DSC_REDUCE(double)
DSC_REDUCE(int64_t)
DSC_REDUCE(Half)
DSC_REDUCE(BFloat16)
#undef DSC_REDUCE

} // namespace dsc::kernels::cuda
