//===- LayerNorm.cu - layer normalisation and its gradient on a GPU -------===//
//
// One block per normalised row; the row's mean and variance in double and
// each element in Acc<T>, as kernels/cpu/LayerNorm.cpp computes them. The
// scale and bias broadcast over the normalised axes through an AxisMap; the
// parameter gradients sum over rows in double, in two stages (column sums
// over chunks of rows, then over the chunks per parameter element).
//
//===----------------------------------------------------------------------===//

#include "kernels/cuda/CudaLaunch.cuh"
#include "kernels/cuda/CudaOps.h"

#include <algorithm>
#include <climits>

namespace dsc::kernels::cuda {
namespace {

/// The normalised axes [axis, rank) of `x` and a parameter broadcast over
/// them: param element of column j is param[map.offsetOf(j)].
struct Norm {
  int64_t rows = 1, d = 1;
  Shape shape;
};

Norm normOf(Shape x, int axis) {
  Norm n;
  for (int i = 0; i < axis; ++i)
    n.rows *= x.dims[i];
  n.shape = Shape{x.dims + axis, x.rank - axis};
  n.d = n.shape.numel();
  return n;
}

/// `param` without leading axes beyond the normalised rank (they are 1).
Shape aligned(Shape param, Shape norm) {
  while (param.rank > norm.rank) {
    ++param.dims;
    --param.rank;
  }
  return param;
}

template <typename T>
__global__ void layerNormKernel(const T *x, const T *scale, AxisMap scaleMap,
                                const T *bias, AxisMap biasMap, int64_t d,
                                double epsilon, T *y, T *mean, T *invStdDev) {
  using A = Acc<T>;
  __shared__ double shared[32];
  const int64_t r = blockIdx.x;
  const T *xr = x + r * d;
  double sum = 0;
  for (int64_t j = threadIdx.x; j < d; j += blockDim.x)
    sum += static_cast<double>(load(xr[j]));
  sum = blockReduce(sum, SumOp(), shared);
  const double mu = d ? sum / d : 0.0;
  double sq = 0;
  for (int64_t j = threadIdx.x; j < d; j += blockDim.x) {
    double c = static_cast<double>(load(xr[j])) - mu;
    sq += c * c;
  }
  sq = blockReduce(sq, SumOp(), shared);
  const double rstd = 1.0 / sqrt((d ? sq / d : 0.0) + epsilon);
  const A m = static_cast<A>(mu), rs = static_cast<A>(rstd);
  if (threadIdx.x == 0) {
    if (mean)
      mean[r] = store<T>(m);
    if (invStdDev)
      invStdDev[r] = store<T>(rs);
  }
  for (int64_t j = threadIdx.x; j < d; j += blockDim.x) {
    A v = (load(xr[j]) - m) * rs * load(scale[scaleMap.offsetOf(j)]);
    if (bias)
      v = v + load(bias[biasMap.offsetOf(j)]);
    y[r * d + j] = store<T>(v);
  }
}

template <typename T>
__global__ void
layerNormGradKernel(const T *x, const T *scale, AxisMap scaleMap, const T *mean,
                    const T *invStdDev, const T *dy, int64_t d, T *dx) {
  using A = Acc<T>;
  __shared__ double shared[32];
  const int64_t r = blockIdx.x;
  const T *xr = x + r * d, *dyr = dy + r * d;
  const A m = load(mean[r]), rs = load(invStdDev[r]);
  double sumG = 0, sumGX = 0;
  for (int64_t j = threadIdx.x; j < d; j += blockDim.x) {
    A g = load(dyr[j]) * load(scale[scaleMap.offsetOf(j)]);
    sumG += static_cast<double>(g);
    sumGX += static_cast<double>(g * ((load(xr[j]) - m) * rs));
  }
  sumG = blockReduce(sumG, SumOp(), shared);
  sumGX = blockReduce(sumGX, SumOp(), shared);
  const A meanG = static_cast<A>(sumG / d), meanGX = static_cast<A>(sumGX / d);
  for (int64_t j = threadIdx.x; j < d; j += blockDim.x) {
    A xj = load(xr[j]);
    dx[r * d + j] =
        store<T>(rs * (load(dyr[j]) * load(scale[scaleMap.offsetOf(j)]) -
                       meanG - (xj - m) * rs * meanGX));
  }
}

/// Rows per block of the parameter gradients' first stage (more when the
/// chunks would pass the grid's 65535 in y).
constexpr int64_t kRowsPerChunk = 64;
constexpr int64_t kMaxChunks = 65535;

/// The parameter gradients' first stage: column j's sums of dy * xh and dy
/// over chunk blockIdx.y of the rows, in double, into partials[chunk][j]
/// (threads over the columns: coalesced).
template <typename T>
__global__ void
columnPartialsKernel(const T *x, const T *mean, const T *invStdDev, const T *dy,
                     int64_t rows, int64_t d, int64_t rowsPerChunk,
                     double *scalePartials, double *biasPartials) {
  using A = Acc<T>;
  const int64_t j = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (j >= d)
    return;
  const int64_t first = blockIdx.y * rowsPerChunk;
  const int64_t last = min(rows, first + rowsPerChunk);
  double cs = 0, cb = 0;
  for (int64_t r = first; r < last; ++r) {
    A g = load(dy[r * d + j]);
    cs += static_cast<double>(
        g * ((load(x[r * d + j]) - load(mean[r])) * load(invStdDev[r])));
    cb += static_cast<double>(g);
  }
  scalePartials[blockIdx.y * d + j] = cs;
  biasPartials[blockIdx.y * d + j] = cb;
}

/// The second stage: parameter element p's gradients, the chunks' sums of
/// every column j that reads p (scaleMap.offsetOf(j) == p), in order.
template <typename T>
__global__ void paramGradKernel(int64_t params, const double *scalePartials,
                                const double *biasPartials, int64_t chunks,
                                int64_t d, AxisMap scaleMap, T *dscale,
                                T *dbias) {
  using A = Acc<T>;
  const int64_t p = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (p >= params)
    return;
  const bool direct = params == d; // one column per element
  double ds = 0, db = 0;
  for (int64_t j = direct ? p : 0; j < (direct ? p + 1 : d); ++j) {
    if (!direct && scaleMap.offsetOf(j) != p)
      continue;
    // Column j's sum first, then added, as the CPU sums each column over
    // the rows first.
    double cs = 0, cb = 0;
    for (int64_t c = 0; c < chunks; ++c) {
      cs += scalePartials[c * d + j];
      cb += biasPartials[c * d + j];
    }
    ds += cs;
    db += cb;
  }
  if (dscale)
    dscale[p] = store<T>(static_cast<A>(ds));
  if (dbias)
    dbias[p] = store<T>(static_cast<A>(db));
}

bool paramMap(Shape param, Shape norm, AxisMap &map) {
  return broadcastMap(aligned(param, norm), norm, map);
}

bool tooManyRows(int64_t rows) {
  if (rows <= INT_MAX)
    return false;
  unsupported("layer_norm: more than 2^31 rows");
  return true;
}

} // namespace

template <typename T>
void layerNorm(const T *x, Shape xShape, const T *scale, Shape scaleShape,
               const T *bias, Shape biasShape, int axis, double epsilon, T *y,
               T *mean, T *invStdDev) {
  Norm n = normOf(xShape, axis);
  AxisMap scaleMap, biasMap;
  if (!paramMap(scaleShape, n.shape, scaleMap) ||
      (bias && !paramMap(biasShape, n.shape, biasMap))) {
    unsupported("layer_norm: more than 8 normalised axes");
    return;
  }
  if (n.rows == 0 || tooManyRows(n.rows))
    return;
  layerNormKernel<<<static_cast<unsigned>(n.rows), kThreads, 0, stream()>>>(
      x, scale, scaleMap, bias, biasMap, n.d, epsilon, y, mean, invStdDev);
  launched();
}

template <typename T>
void layerNormGrad(const T *x, Shape xShape, const T *scale, Shape scaleShape,
                   const T *mean, const T *invStdDev, const T *dy, int axis,
                   T *dx, T *dscale, T *dbias) {
  Norm n = normOf(xShape, axis);
  AxisMap scaleMap;
  if (!paramMap(scaleShape, n.shape, scaleMap)) {
    unsupported("layer_norm_grad: more than 8 normalised axes");
    return;
  }
  if (tooManyRows(n.rows))
    return;
  if (dx && n.rows > 0)
    layerNormGradKernel<<<static_cast<unsigned>(n.rows), kThreads, 0,
                          stream()>>>(x, scale, scaleMap, mean, invStdDev, dy,
                                      n.d, dx);
  if (dscale || dbias) {
    // Two stages, so that many blocks share the rows (one thread per column
    // over every row leaves most of the GPU idle).
    const int64_t rowsPerChunk =
        std::max(kRowsPerChunk, (n.rows + kMaxChunks - 1) / kMaxChunks);
    const int64_t chunks =
        std::max<int64_t>(1, (n.rows + rowsPerChunk - 1) / rowsPerChunk);
    auto *partials = static_cast<double *>(
        scratch(2 * static_cast<size_t>(chunks * n.d) * sizeof(double)));
    if (!partials) {
      unsupported("layer_norm_grad: no device memory for the partial sums");
      return;
    }
    double *biasPartials = partials + chunks * n.d;
    if (n.rows > 0 && n.d > 0) {
      dim3 grid(blocksFor(n.d), static_cast<unsigned>(chunks));
      columnPartialsKernel<<<grid, kThreads, 0, stream()>>>(
          x, mean, invStdDev, dy, n.rows, n.d, rowsPerChunk, partials,
          biasPartials);
    } else {
      cudaMemsetAsync(partials, 0,
                      2 * static_cast<size_t>(chunks * n.d) * sizeof(double),
                      stream());
    }
    launchOver(paramGradKernel<T>, scaleShape.numel(), partials, biasPartials,
               chunks, n.d, scaleMap, dscale, dbias);
    releaseScratch(partials);
  }
  launched();
}

#define DSC_LAYER_NORM(T)                                                      \
  template void layerNorm<T>(const T *, Shape, const T *, Shape, const T *,    \
                             Shape, int, double, T *, T *, T *);               \
  template void layerNormGrad<T>(const T *, Shape, const T *, Shape,           \
                                 const T *, const T *, const T *, int, T *,    \
                                 T *, T *);
DSC_LAYER_NORM(float)
DSC_LAYER_NORM(double)
DSC_LAYER_NORM(Half)
DSC_LAYER_NORM(BFloat16)
#undef DSC_LAYER_NORM

} // namespace dsc::kernels::cuda
