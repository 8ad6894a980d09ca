//===- Conv.cpp - 2-D convolution by im2col + GEMM, and its gradients -----===//

#include "kernels/cpu/Blas.h"
#include "kernels/cpu/Indexing.h"

#include <algorithm>

namespace dsc::kernels::cpu {

using detail::gemm;

namespace {

/// Sizes of one convolution, per group.
struct ConvGeometry {
  int64_t n, c, h, w;    // input
  int64_t m, kh, kw;     // filter
  int64_t oh, ow;        // output
  int64_t group, cg, mg; // groups, channels and filters per group
  int64_t ckk() const { return cg * kh * kw; }
  int64_t pixels() const { return oh * ow; }
};

ConvGeometry geometry(Shape x, Shape w, Shape y, const ConvParams &p) {
  ConvGeometry g;
  g.n = x.dims[0], g.c = x.dims[1], g.h = x.dims[2], g.w = x.dims[3];
  g.m = w.dims[0], g.kh = w.dims[2], g.kw = w.dims[3];
  g.oh = y.dims[2], g.ow = y.dims[3];
  g.group = p.group;
  g.cg = g.c / p.group;
  g.mg = g.m / p.group;
  return g;
}

/// A 1x1 unstrided, unpadded convolution reads the input as its own columns.
bool isPointwise(const ConvGeometry &g, const ConvParams &p) {
  return g.kh == 1 && g.kw == 1 && p.strides[0] == 1 && p.strides[1] == 1 &&
         p.pads[0] == 0 && p.pads[1] == 0 && p.pads[2] == 0 && p.pads[3] == 0;
}

/// col[(c, i, j), (oy, ox)] = x[c, oy*sh - top + i*dh, ox*sw - left + j*dw]
/// (zero outside) for one image's group of channels `x` ([cg, h, w]).
template <typename T>
void im2col(const T *x, const ConvGeometry &g, const ConvParams &p, T *col) {
  for (int64_t c = 0; c < g.cg; ++c)
    for (int64_t i = 0; i < g.kh; ++i)
      for (int64_t j = 0; j < g.kw; ++j) {
        T *row = col + ((c * g.kh + i) * g.kw + j) * g.pixels();
        const T *plane = x + c * g.h * g.w;
        for (int64_t oy = 0; oy < g.oh; ++oy) {
          int64_t iy = oy * p.strides[0] - p.pads[0] + i * p.dilations[0];
          T *out = row + oy * g.ow;
          if (iy < 0 || iy >= g.h) {
            std::fill(out, out + g.ow, T(0));
            continue;
          }
          const T *line = plane + iy * g.w;
          for (int64_t ox = 0; ox < g.ow; ++ox) {
            int64_t ix = ox * p.strides[1] - p.pads[1] + j * p.dilations[1];
            out[ox] = (ix >= 0 && ix < g.w) ? line[ix] : T(0);
          }
        }
      }
}

/// The adjoint of im2col: x[c, iy, ix] += col[(c, i, j), (oy, ox)].
template <typename T>
void col2imAdd(const T *col, const ConvGeometry &g, const ConvParams &p, T *x) {
  for (int64_t c = 0; c < g.cg; ++c)
    for (int64_t i = 0; i < g.kh; ++i)
      for (int64_t j = 0; j < g.kw; ++j) {
        const T *row = col + ((c * g.kh + i) * g.kw + j) * g.pixels();
        T *plane = x + c * g.h * g.w;
        for (int64_t oy = 0; oy < g.oh; ++oy) {
          int64_t iy = oy * p.strides[0] - p.pads[0] + i * p.dilations[0];
          if (iy < 0 || iy >= g.h)
            continue;
          T *line = plane + iy * g.w;
          const T *in = row + oy * g.ow;
          for (int64_t ox = 0; ox < g.ow; ++ox) {
            int64_t ix = ox * p.strides[1] - p.pads[1] + j * p.dilations[1];
            if (ix >= 0 && ix < g.w)
              line[ix] += in[ox];
          }
        }
      }
}

} // namespace

template <typename T>
void conv2d(const T *x, Shape xShape, const T *w, Shape wShape, const T *bias,
            T *y, Shape yShape, const ConvParams &params) {
  ConvGeometry g = geometry(xShape, wShape, yShape, params);
  if (g.pixels() == 0)
    return;
  // Without input channels the product is empty: zeros (plus bias).
  if (g.ckk() == 0)
    std::fill(y, y + yShape.numel(), T(0));
  bool pointwise = isPointwise(g, params);
  std::vector<T> col(pointwise ? 0 : g.ckk() * g.pixels());
  for (int64_t n = 0; n < g.n && g.ckk() > 0; ++n)
    for (int64_t grp = 0; grp < g.group; ++grp) {
      const T *xg = x + (n * g.c + grp * g.cg) * g.h * g.w;
      if (!pointwise)
        im2col(xg, g, params, col.data());
      const T *cols = pointwise ? xg : col.data();
      T *yg = y + (n * g.m + grp * g.mg) * g.pixels();
      // y_g[mg, P] = w_g[mg, ckk] * col[ckk, P].
      gemm(false, false, g.mg, g.pixels(), g.ckk(), T(1),
           w + grp * g.mg * g.ckk(), g.ckk(), cols, g.pixels(), T(0), yg,
           g.pixels());
    }
  if (!bias)
    return;
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t m = 0; m < g.m; ++m) {
      T *plane = y + (n * g.m + m) * g.pixels();
      for (int64_t i = 0; i < g.pixels(); ++i)
        plane[i] += bias[m];
    }
}

template <typename T>
void conv2dGradInput(const T *dy, Shape dyShape, const T *w, Shape wShape,
                     T *dx, Shape xShape, const ConvParams &params) {
  ConvGeometry g = geometry(xShape, wShape, dyShape, params);
  bool pointwise = isPointwise(g, params);
  std::fill(dx, dx + xShape.numel(), T(0));
  if (g.pixels() == 0 || g.ckk() == 0 || g.mg == 0)
    return;
  std::vector<T> col(pointwise ? 0 : g.ckk() * g.pixels());
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t grp = 0; grp < g.group; ++grp) {
      T *dxg = dx + (n * g.c + grp * g.cg) * g.h * g.w;
      const T *dyg = dy + (n * g.m + grp * g.mg) * g.pixels();
      // dcol[ckk, P] = w_g^T[ckk, mg] * dy_g[mg, P]; pointwise writes dx.
      T *dcol = pointwise ? dxg : col.data();
      gemm(true, false, g.ckk(), g.pixels(), g.mg, T(1),
           w + grp * g.mg * g.ckk(), g.ckk(), dyg, g.pixels(), T(0), dcol,
           g.pixels());
      if (!pointwise)
        col2imAdd(col.data(), g, params, dxg);
    }
}

template <typename T>
void conv2dGradFilter(const T *x, Shape xShape, const T *dy, Shape dyShape,
                      T *dw, Shape wShape, const ConvParams &params) {
  ConvGeometry g = geometry(xShape, wShape, dyShape, params);
  bool pointwise = isPointwise(g, params);
  std::fill(dw, dw + wShape.numel(), T(0));
  if (g.pixels() == 0 || g.ckk() == 0 || g.mg == 0)
    return;
  std::vector<T> col(pointwise ? 0 : g.ckk() * g.pixels());
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t grp = 0; grp < g.group; ++grp) {
      const T *xg = x + (n * g.c + grp * g.cg) * g.h * g.w;
      if (!pointwise)
        im2col(xg, g, params, col.data());
      const T *cols = pointwise ? xg : col.data();
      const T *dyg = dy + (n * g.m + grp * g.mg) * g.pixels();
      // dw_g[mg, ckk] += dy_g[mg, P] * col^T[P, ckk].
      gemm(false, true, g.mg, g.ckk(), g.pixels(), T(1), dyg, g.pixels(), cols,
           g.pixels(), T(1), dw + grp * g.mg * g.ckk(), g.ckk());
    }
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
#undef DSC_CONV

} // namespace dsc::kernels::cpu
