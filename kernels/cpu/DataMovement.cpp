//===- DataMovement.cpp - transpose, slice, gather, scatter, pad, ... -----===//

#include "kernels/cpu/DataMovementIndex.h"
#include "kernels/cpu/Indexing.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>

namespace dsc::kernels::cpu {

using detail::broadcastStrides;
using detail::dimsOf;
using detail::forEachRow;
using detail::normalizeIndex;
using detail::padSource;
using detail::product;
using detail::reportRangeError;
using detail::SliceWalk;
using detail::sliceWalk;
using detail::stridesOf;

namespace {

/// Whether `perm` only swaps the last two axes.
bool swapsLastTwo(const int64_t *perm, int rank) {
  if (rank < 2 || perm[rank - 2] != rank - 1 || perm[rank - 1] != rank - 2)
    return false;
  for (int i = 0; i < rank - 2; ++i)
    if (perm[i] != i)
      return false;
  return true;
}

/// out[b][j][i] = in[b][i][j] for `batches` matrices [rows, cols], in tiles
/// so that both sides stay in cache.
template <typename T>
void transposeMatrices(const T *in, int64_t batches, int64_t rows, int64_t cols,
                       T *out) {
  constexpr int64_t kTile = 32;
  for (int64_t b = 0; b < batches; ++b) {
    const T *src = in + b * rows * cols;
    T *dst = out + b * rows * cols;
    for (int64_t i0 = 0; i0 < rows; i0 += kTile)
      for (int64_t j0 = 0; j0 < cols; j0 += kTile) {
        int64_t i1 = std::min(rows, i0 + kTile),
                j1 = std::min(cols, j0 + kTile);
        for (int64_t j = j0; j < j1; ++j)
          for (int64_t i = i0; i < i1; ++i)
            dst[j * rows + i] = src[i * cols + j];
      }
  }
}

} // namespace

template <typename T>
void transpose(const T *in, Shape inShape, const int64_t *perm, T *out) {
  if (swapsLastTwo(perm, inShape.rank)) {
    int r = inShape.rank;
    transposeMatrices(in, product(inShape, 0, r - 2), inShape.dims[r - 2],
                      inShape.dims[r - 1], out);
    return;
  }
  std::vector<int64_t> inStrides = stridesOf(inShape);
  std::vector<int64_t> outDims(inShape.rank), permStrides(inShape.rank);
  for (int i = 0; i < inShape.rank; ++i) {
    outDims[i] = inShape.dims[perm[i]];
    permStrides[i] = inStrides[perm[i]];
  }
  Shape outShape{outDims.data(), inShape.rank};
  forEachRow<2>(outDims, {permStrides, stridesOf(outShape)},
                [&](const std::array<int64_t, 2> &off, int64_t n,
                    const std::array<int64_t, 2> &st) {
                  const T *src = in + off[0];
                  T *dst = out + off[1];
                  for (int64_t i = 0; i < n; ++i)
                    dst[i] = src[i * st[0]];
                });
}

template <typename T>
void slice(const T *in, Shape inShape, const int64_t *starts,
           const int64_t *ends, const int64_t *steps, T *out) {
  SliceWalk walk = sliceWalk(inShape, starts, ends, steps);
  Shape outShape{walk.dims.data(), inShape.rank};
  forEachRow<2>(walk.dims, {walk.inStrides, stridesOf(outShape)},
                [&](const std::array<int64_t, 2> &off, int64_t n,
                    const std::array<int64_t, 2> &st) {
                  const T *src = in + walk.base + off[0];
                  T *dst = out + off[1];
                  for (int64_t i = 0; i < n; ++i)
                    dst[i] = src[i * st[0]];
                });
}

template <typename T>
void sliceGrad(const T *dy, const int64_t *starts, const int64_t *ends,
               const int64_t *steps, T *dIn, Shape inShape) {
  std::fill(dIn, dIn + inShape.numel(), T(0));
  SliceWalk walk = sliceWalk(inShape, starts, ends, steps);
  Shape outShape{walk.dims.data(), inShape.rank};
  forEachRow<2>(walk.dims, {walk.inStrides, stridesOf(outShape)},
                [&](const std::array<int64_t, 2> &off, int64_t n,
                    const std::array<int64_t, 2> &st) {
                  T *dst = dIn + walk.base + off[0];
                  const T *src = dy + off[1];
                  for (int64_t i = 0; i < n; ++i)
                    dst[i * st[0]] = src[i];
                });
}

template <typename T>
void concat(const T *const *inputs, const Shape *inShapes, int numInputs,
            int axis, T *out) {
  if (numInputs == 0)
    return;
  int64_t outer = product(inShapes[0], 0, axis);
  std::vector<int64_t> chunks(numInputs);
  int64_t row = 0;
  for (int k = 0; k < numInputs; ++k) {
    chunks[k] = product(inShapes[k], axis, inShapes[k].rank);
    row += chunks[k];
  }
  for (int64_t o = 0; o < outer; ++o) {
    T *dst = out + o * row;
    for (int k = 0; k < numInputs; ++k) {
      if (chunks[k])
        std::memcpy(dst, inputs[k] + o * chunks[k], chunks[k] * sizeof(T));
      dst += chunks[k];
    }
  }
}

template <typename T>
void expand(const T *in, Shape inShape, T *out, Shape outShape) {
  forEachRow<2>(dimsOf(outShape),
                {broadcastStrides(inShape, outShape), stridesOf(outShape)},
                [&](const std::array<int64_t, 2> &off, int64_t n,
                    const std::array<int64_t, 2> &st) {
                  const T *src = in + off[0];
                  T *dst = out + off[1];
                  if (st[0] == 1)
                    std::copy(src, src + n, dst);
                  else if (st[0] == 0)
                    std::fill(dst, dst + n, *src);
                  else
                    for (int64_t i = 0; i < n; ++i)
                      dst[i] = src[i * st[0]];
                });
}

namespace {

/// Normalises all `indices` into `out` for an axis of `size`, or reports the
/// first bad one.
int normalizeAll(const int64_t *indices, int64_t count, int64_t size,
                 const char *op, std::vector<int64_t> &out) {
  out.resize(count);
  for (int64_t i = 0; i < count; ++i) {
    int64_t index = indices[i];
    if (!normalizeIndex(index, size))
      return reportRangeError(KernelIndexOutOfRange, "index", indices[i], -size,
                              size, op);
    out[i] = index;
  }
  return KernelOk;
}

} // namespace

template <typename T>
int gather(const T *in, Shape inShape, const int64_t *indices,
           Shape indicesShape, int axis, T *out) {
  int64_t outer = product(inShape, 0, axis);
  int64_t size = inShape.dims[axis];
  int64_t inner = product(inShape, axis + 1, inShape.rank);
  int64_t count = indicesShape.numel();
  std::vector<int64_t> idx;
  if (int err = normalizeAll(indices, count, size, "gather", idx))
    return err;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < count; ++j) {
      const T *src = in + (o * size + idx[j]) * inner;
      std::copy(src, src + inner, out + (o * count + j) * inner);
    }
  return KernelOk;
}

template <typename T>
int gatherGrad(const int64_t *indices, Shape indicesShape, const T *dy,
               int axis, T *dIn, Shape inShape) {
  int64_t outer = product(inShape, 0, axis);
  int64_t size = inShape.dims[axis];
  int64_t inner = product(inShape, axis + 1, inShape.rank);
  int64_t count = indicesShape.numel();
  std::vector<int64_t> idx;
  if (int err = normalizeAll(indices, count, size, "gather_grad", idx))
    return err;
  std::fill(dIn, dIn + inShape.numel(), T(0));
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < count; ++j) {
      T *dst = dIn + (o * size + idx[j]) * inner;
      const T *src = dy + (o * count + j) * inner;
      for (int64_t t = 0; t < inner; ++t)
        dst[t] += src[t];
    }
  return KernelOk;
}

namespace {

/// Calls visit(inOffset, indexOffset) for every element of `indices`, where
/// inOffset is the input element it selects along `axis`.
template <typename Visit>
int forEachElementIndex(Shape inShape, const int64_t *indices,
                        Shape indicesShape, int axis, const char *op,
                        Visit visit) {
  std::vector<int64_t> inStrides = stridesOf(inShape);
  int64_t axisStride = inStrides[axis], size = inShape.dims[axis];
  inStrides[axis] = 0;
  int err = KernelOk;
  forEachRow<2>(dimsOf(indicesShape), {inStrides, stridesOf(indicesShape)},
                [&](const std::array<int64_t, 2> &off, int64_t n,
                    const std::array<int64_t, 2> &st) {
                  for (int64_t i = 0; i < n && !err; ++i) {
                    int64_t at = off[1] + i * st[1];
                    int64_t index = indices[at];
                    if (!normalizeIndex(index, size)) {
                      err = reportRangeError(KernelIndexOutOfRange, "index",
                                             indices[at], -size, size, op);
                      return;
                    }
                    visit(off[0] + i * st[0] + index * axisStride, at);
                  }
                });
  return err;
}

} // namespace

template <typename T>
int gatherElements(const T *in, Shape inShape, const int64_t *indices,
                   Shape indicesShape, int axis, T *out) {
  return forEachElementIndex(
      inShape, indices, indicesShape, axis, "gather_elements",
      [&](int64_t src, int64_t dst) { out[dst] = in[src]; });
}

template <typename T>
int gatherElementsGrad(const int64_t *indices, Shape indicesShape, const T *dy,
                       int axis, T *dIn, Shape inShape) {
  std::fill(dIn, dIn + inShape.numel(), T(0));
  return forEachElementIndex(
      inShape, indices, indicesShape, axis, "gather_elements_grad",
      [&](int64_t dst, int64_t src) { dIn[dst] += dy[src]; });
}

namespace {

template <typename T> T combine(ScatterReduction r, T old, T update) {
  auto isNan = [](T v) {
    if constexpr (std::is_floating_point_v<T>)
      return std::isnan(v);
    else
      return false;
  };
  switch (r) {
  case ScatterReduction::None:
    return update;
  case ScatterReduction::Add:
    return old + update;
  case ScatterReduction::Mul:
    return old * update;
  case ScatterReduction::Max:
    return (update > old || isNan(update)) ? update : old;
  case ScatterReduction::Min:
    return (update < old || isNan(update)) ? update : old;
  }
  return update;
}

} // namespace

template <typename T>
int scatterND(const T *in, Shape inShape, const int64_t *indices,
              Shape indicesShape, const T *updates, ScatterReduction reduction,
              T *out) {
  int k = static_cast<int>(indicesShape.dims[indicesShape.rank - 1]);
  int64_t tuples = product(indicesShape, 0, indicesShape.rank - 1);
  int64_t sliceSize = product(inShape, k, inShape.rank);
  std::vector<int64_t> strides = stridesOf(inShape);
  // Check every index before writing, so a failure leaves `out` untouched.
  std::vector<int64_t> offsets(tuples, 0);
  for (int64_t t = 0; t < tuples; ++t)
    for (int i = 0; i < k; ++i) {
      int64_t index = indices[t * k + i];
      if (!normalizeIndex(index, inShape.dims[i]))
        return reportRangeError(KernelIndexOutOfRange, "index",
                                indices[t * k + i], -inShape.dims[i],
                                inShape.dims[i], "scatter_nd");
      offsets[t] += index * strides[i];
    }
  if (out != in)
    std::copy(in, in + inShape.numel(), out);
  for (int64_t t = 0; t < tuples; ++t) {
    T *dst = out + offsets[t];
    const T *src = updates + t * sliceSize;
    for (int64_t s = 0; s < sliceSize; ++s)
      dst[s] = combine(reduction, dst[s], src[s]);
  }
  return KernelOk;
}

namespace {

/// Calls visit(inOffset or -1, outOffset) for every output element of pad.
template <typename Visit>
void forEachPadded(Shape inShape, const int64_t *pads, PadMode mode,
                   Visit visit) {
  int rank = inShape.rank;
  std::vector<int64_t> inStrides = stridesOf(inShape);
  std::vector<std::vector<int64_t>> sources(rank);
  std::vector<int64_t> outDims(rank);
  for (int d = 0; d < rank; ++d) {
    outDims[d] = inShape.dims[d] + pads[d] + pads[rank + d];
    for (int64_t o = 0; o < outDims[d]; ++o) {
      int64_t s = padSource(o, pads[d], inShape.dims[d], mode);
      sources[d].push_back(s < 0 ? -1 : s * inStrides[d]);
    }
  }
  if (rank == 0) {
    visit(int64_t(0), int64_t(0));
    return;
  }
  for (int64_t d : outDims)
    if (d <= 0)
      return;
  // Walk the output rows; `base` is the input offset of the outer coords.
  std::vector<int64_t> counter(rank, 0);
  int64_t rowLength = outDims[rank - 1], outOffset = 0;
  const std::vector<int64_t> &last = sources[rank - 1];
  while (true) {
    int64_t base = 0;
    for (int d = 0; d < rank - 1 && base >= 0; ++d) {
      int64_t s = sources[d][counter[d]];
      base = s < 0 ? -1 : base + s;
    }
    for (int64_t o = 0; o < rowLength; ++o)
      visit(base < 0 || last[o] < 0 ? int64_t(-1) : base + last[o],
            outOffset + o);
    outOffset += rowLength;
    int d = rank - 2;
    for (; d >= 0; --d) {
      if (++counter[d] < outDims[d])
        break;
      counter[d] = 0;
    }
    if (d < 0)
      return;
  }
}

} // namespace

template <typename T>
void pad(const T *in, Shape inShape, const int64_t *pads, PadMode mode,
         double value, T *out) {
  T fill = static_cast<T>(value);
  forEachPadded(inShape, pads, mode, [&](int64_t src, int64_t dst) {
    out[dst] = src < 0 ? fill : in[src];
  });
}

template <typename T>
void padGrad(const T *dy, const int64_t *pads, PadMode mode, T *dIn,
             Shape inShape) {
  std::fill(dIn, dIn + inShape.numel(), T(0));
  forEachPadded(inShape, pads, mode, [&](int64_t src, int64_t dst) {
    if (src >= 0)
      dIn[src] += dy[dst];
  });
}

template <typename T>
void trilu(const T *in, Shape shape, int64_t k, bool upper, T *out) {
  int64_t rows = shape.dims[shape.rank - 2], cols = shape.dims[shape.rank - 1];
  int64_t batches = product(shape, 0, shape.rank - 2);
  for (int64_t b = 0; b < batches; ++b)
    for (int64_t i = 0; i < rows; ++i) {
      const T *src = in + (b * rows + i) * cols;
      T *dst = out + (b * rows + i) * cols;
      for (int64_t j = 0; j < cols; ++j) {
        bool keep = upper ? j - i >= k : j - i <= k;
        dst[j] = keep ? src[j] : T(0);
      }
    }
}

#define DSC_DATA_MOVEMENT(T)                                                   \
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
  template void trilu<T>(const T *, Shape, int64_t, bool, T *);
DSC_DATA_MOVEMENT(float)
DSC_DATA_MOVEMENT(double)
DSC_DATA_MOVEMENT(int64_t)
DSC_DATA_MOVEMENT(uint8_t)
#undef DSC_DATA_MOVEMENT

#define DSC_DATA_MOVEMENT_GRAD(T)                                              \
  template void sliceGrad<T>(const T *, const int64_t *, const int64_t *,      \
                             const int64_t *, T *, Shape);                     \
  template int gatherGrad<T>(const int64_t *, Shape, const T *, int, T *,      \
                             Shape);                                           \
  template int gatherElementsGrad<T>(const int64_t *, Shape, const T *, int,   \
                                     T *, Shape);                              \
  template void padGrad<T>(const T *, const int64_t *, PadMode, T *, Shape);
DSC_DATA_MOVEMENT_GRAD(float)
DSC_DATA_MOVEMENT_GRAD(double)
#undef DSC_DATA_MOVEMENT_GRAD

} // namespace dsc::kernels::cpu
