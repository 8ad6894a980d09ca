//===- Conv.cu - 2-D convolution and its gradients on a GPU ---------------===//
//
// kernels/cpu/Conv.cpp's NCHW convolution (pads top, left, bottom, right;
// groups; dilations) computed directly, one thread per result element with
// the sum in double. The transformer models this compiler trains have no
// convolutions on their hot path; this is the correct baseline, not a fast
// one.
//
//===----------------------------------------------------------------------===//

#include "kernels/cuda/CudaLaunch.cuh"
#include "kernels/cuda/CudaOps.h"

namespace dsc::kernels::cuda {
namespace {

/// One convolution's sizes and parameters, by value into the kernels.
struct Geometry {
  int64_t n, c, h, w;    // input
  int64_t m, kh, kw;     // filter
  int64_t oh, ow;        // output
  int64_t group, cg, mg; // groups, channels and filters per group
  int64_t sh, sw, top, left, dh, dw;
};

Geometry geometry(Shape x, Shape w, Shape y, const ConvParams &p) {
  Geometry g;
  g.n = x.dims[0], g.c = x.dims[1], g.h = x.dims[2], g.w = x.dims[3];
  g.m = w.dims[0], g.kh = w.dims[2], g.kw = w.dims[3];
  g.oh = y.dims[2], g.ow = y.dims[3];
  g.group = p.group, g.cg = g.c / p.group, g.mg = g.m / p.group;
  g.sh = p.strides[0], g.sw = p.strides[1];
  g.top = p.pads[0], g.left = p.pads[1];
  g.dh = p.dilations[0], g.dw = p.dilations[1];
  return g;
}

template <typename T>
__global__ void convKernel(int64_t total, const T *x, const T *w, const T *bias,
                           T *y, Geometry g) {
  int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (i >= total)
    return;
  const int64_t ox = i % g.ow, oy = (i / g.ow) % g.oh;
  const int64_t m = (i / (g.ow * g.oh)) % g.m, n = i / (g.ow * g.oh * g.m);
  const int64_t grp = m / g.mg;
  double sum = 0;
  for (int64_t c = 0; c < g.cg; ++c)
    for (int64_t a = 0; a < g.kh; ++a) {
      int64_t iy = oy * g.sh - g.top + a * g.dh;
      if (iy < 0 || iy >= g.h)
        continue;
      for (int64_t b = 0; b < g.kw; ++b) {
        int64_t ix = ox * g.sw - g.left + b * g.dw;
        if (ix < 0 || ix >= g.w)
          continue;
        sum += double(load(
                   x[((n * g.c + grp * g.cg + c) * g.h + iy) * g.w + ix])) *
               double(load(w[((m * g.cg + c) * g.kh + a) * g.kw + b]));
      }
    }
  Acc<T> v = static_cast<Acc<T>>(sum);
  if (bias)
    v = v + load(bias[m]);
  y[i] = store<T>(v);
}

template <typename T>
__global__ void convGradInputKernel(int64_t total, const T *dy, const T *w,
                                    T *dx, Geometry g) {
  int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (i >= total)
    return;
  const int64_t ix = i % g.w, iy = (i / g.w) % g.h;
  const int64_t cFull = (i / (g.w * g.h)) % g.c, n = i / (g.w * g.h * g.c);
  const int64_t grp = cFull / g.cg, c = cFull % g.cg;
  double sum = 0;
  for (int64_t mm = 0; mm < g.mg; ++mm) {
    const int64_t m = grp * g.mg + mm;
    for (int64_t a = 0; a < g.kh; ++a) {
      // iy = oy * sh - top + a * dh.
      int64_t ty = iy + g.top - a * g.dh;
      if (ty < 0 || ty % g.sh != 0 || ty / g.sh >= g.oh)
        continue;
      for (int64_t b = 0; b < g.kw; ++b) {
        int64_t tx = ix + g.left - b * g.dw;
        if (tx < 0 || tx % g.sw != 0 || tx / g.sw >= g.ow)
          continue;
        sum += double(load(
                   dy[((n * g.m + m) * g.oh + ty / g.sh) * g.ow + tx / g.sw])) *
               double(load(w[((m * g.cg + c) * g.kh + a) * g.kw + b]));
      }
    }
  }
  dx[i] = store<T>(static_cast<Acc<T>>(sum));
}

template <typename T>
__global__ void convGradFilterKernel(int64_t total, const T *x, const T *dy,
                                     T *dw, Geometry g) {
  int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (i >= total)
    return;
  const int64_t b = i % g.kw, a = (i / g.kw) % g.kh;
  const int64_t c = (i / (g.kw * g.kh)) % g.cg, m = i / (g.kw * g.kh * g.cg);
  const int64_t grp = m / g.mg;
  double sum = 0;
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t oy = 0; oy < g.oh; ++oy) {
      int64_t iy = oy * g.sh - g.top + a * g.dh;
      if (iy < 0 || iy >= g.h)
        continue;
      for (int64_t ox = 0; ox < g.ow; ++ox) {
        int64_t ix = ox * g.sw - g.left + b * g.dw;
        if (ix < 0 || ix >= g.w)
          continue;
        sum +=
            double(load(dy[((n * g.m + m) * g.oh + oy) * g.ow + ox])) *
            double(load(x[((n * g.c + grp * g.cg + c) * g.h + iy) * g.w + ix]));
      }
    }
  dw[i] = store<T>(static_cast<Acc<T>>(sum));
}

} // namespace

template <typename T>
void conv2d(const T *x, Shape xShape, const T *w, Shape wShape, const T *bias,
            T *y, Shape yShape, const ConvParams &params) {
  launchOver(convKernel<T>, yShape.numel(), x, w, bias, y,
             geometry(xShape, wShape, yShape, params));
}

template <typename T>
void conv2dGradInput(const T *dy, Shape dyShape, const T *w, Shape wShape,
                     T *dx, Shape xShape, const ConvParams &params) {
  launchOver(convGradInputKernel<T>, xShape.numel(), dy, w, dx,
             geometry(xShape, wShape, dyShape, params));
}

template <typename T>
void conv2dGradFilter(const T *x, Shape xShape, const T *dy, Shape dyShape,
                      T *dw, Shape wShape, const ConvParams &params) {
  launchOver(convGradFilterKernel<T>, wShape.numel(), x, dy, dw,
             geometry(xShape, wShape, dyShape, params));
}

#define DSC_CONV(T)                                                            \
  template void conv2d<T>(const T *, Shape, const T *, Shape, const T *, T *,  \
                          Shape, const ConvParams &);                          \
  template void conv2dGradInput<T>(const T *, Shape, const T *, Shape, T *,    \
                                   Shape, const ConvParams &);                 \
  template void conv2dGradFilter<T>(const T *, Shape, const T *, Shape, T *,   \
                                    Shape, const ConvParams &);
DSC_CONV(float)
DSC_CONV(double)
DSC_CONV(Half)
DSC_CONV(BFloat16)
#undef DSC_CONV

} // namespace dsc::kernels::cuda
