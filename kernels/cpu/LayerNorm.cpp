//===- LayerNorm.cpp - layer normalisation and its gradient ---------------===//

#include "kernels/cpu/Indexing.h"

#include <cmath>

namespace dsc::kernels::cpu {

using detail::product;

namespace {

/// The normalised axes [axis, rank) of `xShape`.
Shape normalisedShape(Shape xShape, int axis) {
  return Shape{xShape.dims + axis, xShape.rank - axis};
}

/// `param` without leading axes beyond the normalised rank (they are 1).
Shape alignedParamShape(Shape param, Shape norm) {
  while (param.rank > norm.rank) {
    ++param.dims;
    --param.rank;
  }
  return param;
}

/// A pointer to D = |normalised axes| values of `param` broadcast over them:
/// `param` itself when it already has D elements, else a copy in `storage`.
template <typename T>
const T *expandParam(const T *param, Shape paramShape, Shape norm,
                     std::vector<T> &storage) {
  int64_t d = norm.numel();
  if (paramShape.numel() == d)
    return param;
  storage.resize(d);
  expand(param, alignedParamShape(paramShape, norm), storage.data(), norm);
  return storage.data();
}

/// Sums a full-length row `full` (normalised shape) down to `paramShape`.
template <typename T>
void sumToParam(const std::vector<double> &full, Shape norm, Shape paramShape,
                T *out) {
  Shape aligned = alignedParamShape(paramShape, norm);
  std::vector<int64_t> axes;
  int shift = norm.rank - aligned.rank;
  for (int i = 0; i < norm.rank; ++i)
    if (i < shift || (aligned.dims[i - shift] == 1 && norm.dims[i] != 1))
      axes.push_back(i);
  std::vector<double> reduced(paramShape.numel());
  reduce(ReduceOp::Sum, full.data(), norm, axes.data(),
         static_cast<int>(axes.size()), reduced.data());
  for (size_t i = 0; i < reduced.size(); ++i)
    out[i] = static_cast<T>(reduced[i]);
}

} // namespace

template <typename T>
void layerNorm(const T *x, Shape xShape, const T *scale, Shape scaleShape,
               const T *bias, Shape biasShape, int axis, double epsilon, T *y,
               T *mean, T *invStdDev) {
  Shape norm = normalisedShape(xShape, axis);
  int64_t rows = product(xShape, 0, axis);
  int64_t d = norm.numel();
  std::vector<T> scaleStorage, biasStorage;
  const T *s = expandParam(scale, scaleShape, norm, scaleStorage);
  const T *b = bias ? expandParam(bias, biasShape, norm, biasStorage) : nullptr;
  for (int64_t r = 0; r < rows; ++r) {
    const T *xr = x + r * d;
    T *yr = y + r * d;
    double sum = 0;
    for (int64_t j = 0; j < d; ++j)
      sum += xr[j];
    double mu = d ? sum / d : 0.0;
    double sq = 0;
    for (int64_t j = 0; j < d; ++j)
      sq += (xr[j] - mu) * (xr[j] - mu);
    double rstd = 1.0 / std::sqrt((d ? sq / d : 0.0) + epsilon);
    T m = static_cast<T>(mu), rs = static_cast<T>(rstd);
    if (mean)
      mean[r] = m;
    if (invStdDev)
      invStdDev[r] = rs;
    if (b) {
      for (int64_t j = 0; j < d; ++j)
        yr[j] = (xr[j] - m) * rs * s[j] + b[j];
    } else {
      for (int64_t j = 0; j < d; ++j)
        yr[j] = (xr[j] - m) * rs * s[j];
    }
  }
}

template <typename T>
void layerNormGrad(const T *x, Shape xShape, const T *scale, Shape scaleShape,
                   const T *mean, const T *invStdDev, const T *dy, int axis,
                   T *dx, T *dscale, T *dbias) {
  Shape norm = normalisedShape(xShape, axis);
  int64_t rows = product(xShape, 0, axis);
  int64_t d = norm.numel();
  std::vector<T> scaleStorage;
  const T *s = expandParam(scale, scaleShape, norm, scaleStorage);
  std::vector<double> dscaleFull(dscale ? d : 0, 0.0);
  std::vector<double> dbiasFull(dbias ? d : 0, 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    const T *xr = x + r * d;
    const T *dyr = dy + r * d;
    T m = mean[r], rs = invStdDev[r];
    if (dx) {
      // dx = r * (g - mean(g) - xh * mean(g * xh)), g = dy * scale.
      double sumG = 0, sumGX = 0;
      for (int64_t j = 0; j < d; ++j) {
        T g = dyr[j] * s[j];
        sumG += g;
        sumGX += g * ((xr[j] - m) * rs);
      }
      T meanG = static_cast<T>(sumG / d), meanGX = static_cast<T>(sumGX / d);
      T *dxr = dx + r * d;
      for (int64_t j = 0; j < d; ++j)
        dxr[j] = rs * (dyr[j] * s[j] - meanG - (xr[j] - m) * rs * meanGX);
    }
    if (dscale)
      for (int64_t j = 0; j < d; ++j)
        dscaleFull[j] += dyr[j] * ((xr[j] - m) * rs);
    if (dbias)
      for (int64_t j = 0; j < d; ++j)
        dbiasFull[j] += dyr[j];
  }
  if (dscale)
    sumToParam(dscaleFull, norm, scaleShape, dscale);
  if (dbias)
    sumToParam(dbiasFull, norm, scaleShape, dbias);
}

#define DSC_LAYER_NORM(T)                                                      \
  template void layerNorm<T>(const T *, Shape, const T *, Shape, const T *,    \
                             Shape, int, double, T *, T *, T *);               \
  template void layerNormGrad<T>(const T *, Shape, const T *, Shape,           \
                                 const T *, const T *, const T *, int, T *,    \
                                 T *, T *);
DSC_LAYER_NORM(float)
DSC_LAYER_NORM(double)
#undef DSC_LAYER_NORM

} // namespace dsc::kernels::cpu
