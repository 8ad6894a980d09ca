//===- Loss.cpp - softmax cross-entropy and NLL losses with gradients -----===//

#include "kernels/cpu/Indexing.h"

#include <algorithm>
#include <cmath>

namespace dsc::kernels::cpu {

using detail::product;
using detail::reportRangeError;

namespace {

/// Input [N, C, d1...] seen as N x C x D; sample s = n * D + d.
struct LossLayout {
  int64_t n, c, d;
  int64_t samples() const { return n * d; }
  int64_t at(int64_t s, int64_t cls) const {
    return ((s / d) * c + cls) * d + s % d;
  }
};

LossLayout layoutOf(Shape in) {
  return {in.dims[0], in.dims[1], product(in, 2, in.rank)};
}

/// Checks every target; ignored samples are fine whatever their value.
int checkTargets(const LossLayout &l, const int64_t *target, IgnoreIndex ignore,
                 const char *op) {
  for (int64_t s = 0; s < l.samples(); ++s) {
    int64_t t = target[s];
    if (ignore.enabled && t == ignore.value)
      continue;
    if (t < 0 || t >= l.c)
      return reportRangeError(KernelTargetOutOfRange, "target", t, 0, l.c, op);
  }
  return KernelOk;
}

/// The weight of sample s: 0 when ignored, else weight[t] (1 without).
template <typename T>
double sampleWeight(const int64_t *target, const T *weight, IgnoreIndex ignore,
                    int64_t s) {
  int64_t t = target[s];
  if (ignore.enabled && t == ignore.value)
    return 0.0;
  return weight ? double(weight[t]) : 1.0;
}

/// loss from per-sample -logp[target] * w.
template <typename T>
void reduceNll(const T *logp, const LossLayout &l, const int64_t *target,
               const T *weight, LossReduction reduction, IgnoreIndex ignore,
               T *loss) {
  double sum = 0, totalWeight = 0;
  for (int64_t s = 0; s < l.samples(); ++s) {
    double w = sampleWeight(target, weight, ignore, s);
    double v = w == 0.0 ? 0.0 : -double(logp[l.at(s, target[s])]) * w;
    if (reduction == LossReduction::None)
      loss[s] = static_cast<T>(v);
    sum += v;
    totalWeight += w;
  }
  if (reduction == LossReduction::Sum)
    *loss = static_cast<T>(sum);
  else if (reduction == LossReduction::Mean)
    *loss = static_cast<T>(sum / totalWeight);
}

/// d loss / d (per-sample loss) for each sample, times the sample's weight.
template <typename T>
std::vector<double> sampleScales(const LossLayout &l, const int64_t *target,
                                 const T *weight, const T *dloss,
                                 LossReduction reduction, IgnoreIndex ignore) {
  std::vector<double> scales(l.samples());
  double totalWeight = 0;
  for (int64_t s = 0; s < l.samples(); ++s) {
    scales[s] = sampleWeight(target, weight, ignore, s);
    totalWeight += scales[s];
  }
  for (int64_t s = 0; s < l.samples(); ++s) {
    if (scales[s] == 0.0)
      continue;
    if (reduction == LossReduction::None)
      scales[s] *= dloss[s];
    else if (reduction == LossReduction::Sum)
      scales[s] *= dloss[0];
    else
      scales[s] *= dloss[0] / totalWeight;
  }
  return scales;
}

} // namespace

template <typename T>
int softmaxCrossEntropyLoss(const T *input, Shape inShape,
                            const int64_t *target, const T *weight,
                            LossReduction reduction, IgnoreIndex ignore,
                            T *loss, T *logProb) {
  LossLayout l = layoutOf(inShape);
  if (int err = checkTargets(l, target, ignore, "softmax_cross_entropy_loss"))
    return err;
  std::vector<T> storage;
  if (!logProb) {
    storage.resize(inShape.numel());
    logProb = storage.data();
  }
  logSoftmax(input, inShape, 1, logProb);
  reduceNll(logProb, l, target, weight, reduction, ignore, loss);
  return KernelOk;
}

template <typename T>
int softmaxCrossEntropyLossGrad(const T *logProb, Shape inShape,
                                const int64_t *target, const T *weight,
                                const T *dloss, LossReduction reduction,
                                IgnoreIndex ignore, T *dInput) {
  LossLayout l = layoutOf(inShape);
  if (int err =
          checkTargets(l, target, ignore, "softmax_cross_entropy_loss_grad"))
    return err;
  std::vector<double> scales =
      sampleScales(l, target, weight, dloss, reduction, ignore);
  // d_input = scale * (softmax - onehot(target)) per sample.
  for (int64_t s = 0; s < l.samples(); ++s) {
    T scale = static_cast<T>(scales[s]);
    for (int64_t c = 0; c < l.c; ++c) {
      int64_t k = l.at(s, c);
      dInput[k] = scale == T(0) ? T(0) : scale * std::exp(logProb[k]);
    }
    if (scale != T(0))
      dInput[l.at(s, target[s])] -= scale;
  }
  return KernelOk;
}

template <typename T>
int nllLoss(const T *input, Shape inShape, const int64_t *target,
            const T *weight, LossReduction reduction, IgnoreIndex ignore,
            T *loss) {
  LossLayout l = layoutOf(inShape);
  if (int err = checkTargets(l, target, ignore, "nll_loss"))
    return err;
  reduceNll(input, l, target, weight, reduction, ignore, loss);
  return KernelOk;
}

template <typename T>
int nllLossGrad(const int64_t *target, const T *weight, const T *dloss,
                LossReduction reduction, IgnoreIndex ignore, T *dInput,
                Shape inShape) {
  LossLayout l = layoutOf(inShape);
  if (int err = checkTargets(l, target, ignore, "nll_loss_grad"))
    return err;
  std::vector<double> scales =
      sampleScales(l, target, weight, dloss, reduction, ignore);
  std::fill(dInput, dInput + inShape.numel(), T(0));
  for (int64_t s = 0; s < l.samples(); ++s)
    if (scales[s] != 0.0)
      dInput[l.at(s, target[s])] = static_cast<T>(-scales[s]);
  return KernelOk;
}

#define DSC_LOSS(T)                                                            \
  template int softmaxCrossEntropyLoss<T>(const T *, Shape, const int64_t *,   \
                                          const T *, LossReduction,            \
                                          IgnoreIndex, T *, T *);              \
  template int softmaxCrossEntropyLossGrad<T>(                                 \
      const T *, Shape, const int64_t *, const T *, const T *, LossReduction,  \
      IgnoreIndex, T *);                                                       \
  template int nllLoss<T>(const T *, Shape, const int64_t *, const T *,        \
                          LossReduction, IgnoreIndex, T *);                    \
  template int nllLossGrad<T>(const int64_t *, const T *, const T *,           \
                              LossReduction, IgnoreIndex, T *, Shape);
DSC_LOSS(float)
DSC_LOSS(double)
#undef DSC_LOSS

} // namespace dsc::kernels::cpu
