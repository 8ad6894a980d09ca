//===- StepCalls.cpp - The runtime entry points the step calls ------------===//
//
// dsrt_collective_at, dsrt_collective_wait and
// dsrt_boundary_collective (runtime/include/dsrt.h): the generated step's
// and update's calls into the rank, found through the dsrt_ctx that
// RankState sets up; the update's typed kernels and the step's copies, on
// the rank's device (runtime/device).
//
//===----------------------------------------------------------------------===//

#include "kernels/optimizer/Optimizer.h"
#include "runtime/device/Device.h"
#include "runtime/dispatch/KernelDispatch.h"
#include "runtime/schedule/LrSchedule.h"
#include "runtime/schedule/ScheduleAbi.h"

#include <cstring>
#include <string>
#include <type_traits>

namespace {

/// The hook `slot` of the context (ctx->collectives, ctx->microSteps) as a
/// T, or null after reporting that `what` happened without one.
template <typename T>
T *hook(dsrt_ctx *ctx, void *dsrt_ctx::*slot, const char *field,
        const std::string &what) {
  if (ctx && ctx->*slot)
    return static_cast<T *>(ctx->*slot);
  dsc::runtime::reportError(1,
                            "dsrt: " + what + " (ctx->" + field + " is null)");
  return nullptr;
}

dsc::runtime::CollectiveRunner *collectives(dsrt_ctx *ctx, const char *verb,
                                            int32_t index) {
  return hook<dsc::runtime::CollectiveRunner>(
      ctx, &dsrt_ctx::collectives, "collectives",
      std::string(verb) + " collective " + std::to_string(index) +
          " but this rank runs no collectives");
}

dsc::runtime::MicroSteps *microSteps(dsrt_ctx *ctx, const char *what) {
  return hook<dsc::runtime::MicroSteps>(
      ctx, &dsrt_ctx::microSteps, "microSteps",
      std::string("a micro-step ") + what + " outside a training run");
}

} // namespace

// The collectives and the micro-steps' hooks work on the arena from the
// host: on a GPU they wait for the kernels first.
extern "C" void dsrt_collective_at(dsrt_ctx *ctx, int32_t index,
                                   void *const *data) {
  dsc::runtime::deviceSynchronize();
  if (auto *runner = collectives(ctx, "the step calls", index))
    runner->run(index, data);
}

extern "C" void dsrt_collective_wait(dsrt_ctx *ctx, int32_t index) {
  dsc::runtime::deviceSynchronize();
  if (auto *runner = collectives(ctx, "the step waits for", index))
    runner->wait(index);
}

extern "C" void dsrt_boundary_collective(dsrt_ctx *ctx, int32_t index,
                                         void *data) {
  dsc::runtime::deviceSynchronize();
  if (auto *runner = collectives(ctx, "the update calls", index))
    runner->runOutside(index, data);
}

extern "C" void dsrt_micro_step(dsrt_ctx *ctx, int64_t step, int64_t micro) {
  dsc::runtime::deviceSynchronize();
  if (auto *hooks = microSteps(ctx, "begins"))
    hooks->begin(step, micro);
}

extern "C" void dsrt_micro_step_end(dsrt_ctx *ctx, int64_t micro) {
  dsc::runtime::deviceSynchronize();
  if (auto *hooks = microSteps(ctx, "ends"))
    hooks->end(micro);
}

extern "C" void dsrt_copy(dsrt_ctx *, void *dst, const void *src,
                          int64_t bytes) {
  if (const dsc::runtime::DeviceBackend *gpu = dsc::runtime::gpu())
    gpu->copy(dst, src, static_cast<size_t>(bytes));
  else if (dst != src)
    std::memmove(dst, src, static_cast<size_t>(bytes));
}

extern "C" void dsrt_zero(dsrt_ctx *, void *dst, int64_t bytes) {
  if (const dsc::runtime::DeviceBackend *gpu = dsc::runtime::gpu())
    gpu->zero(dst, static_cast<size_t>(bytes));
  else
    std::memset(dst, 0, static_cast<size_t>(bytes));
}

extern "C" void dsrt_host_sync(dsrt_ctx *) {
  dsc::runtime::deviceSynchronize();
}

namespace {

namespace k = dsc::kernels::cpu;
using dsc::runtime::DeviceBackend;

/// The GPU backend when the rank runs on one; a float64 update there is
/// reported (the backend updates float32 masters).
template <typename T> const DeviceBackend *deviceFor(const char *what) {
  const DeviceBackend *gpu = dsc::runtime::gpu();
  if (gpu && !std::is_same_v<T, float>)
    dsc::runtime::reportError(
        1, std::string("dsrt: ") + what +
               " of float64 params on a GPU: run this plan on the CPU "
               "(DSC_DEVICE=cpu)");
  return gpu;
}

template <typename T> void scaleBy(T *x, int64_t n, double factor) {
  // Rounded to the element type first; 1 changes nothing.
  const T f = static_cast<T>(factor);
  if (f == T(1))
    return;
  if (const DeviceBackend *gpu = deviceFor<T>("scaling"))
    gpu->scale(reinterpret_cast<float *>(x), n, static_cast<float>(f));
  else
    k::scale(x, n, f);
}

template <typename T> double squaresOf(const T *x, int64_t n) {
  if (const DeviceBackend *gpu = deviceFor<T>("the gradient norm"))
    return gpu->sumOfSquares(reinterpret_cast<const float *>(x), n);
  return k::sumOfSquares(x, n);
}

k::AdamParams adamParams(double lr, double beta1, double beta2, double eps,
                         double weightDecay, int64_t adamWMode,
                         int64_t biasCorrection) {
  k::AdamParams p;
  p.lr = lr;
  p.beta1 = beta1;
  p.beta2 = beta2;
  p.eps = eps;
  p.weightDecay = weightDecay;
  p.adamWMode = adamWMode != 0;
  p.biasCorrection = biasCorrection != 0;
  return p;
}

k::SgdParams sgdParams(double lr, double momentum, double dampening,
                       double weightDecay, int64_t nesterov) {
  k::SgdParams p;
  p.lr = lr;
  p.momentum = momentum;
  p.dampening = dampening;
  p.weightDecay = weightDecay;
  p.nesterov = nesterov != 0;
  return p;
}

template <typename T>
void lambStep(T *param, T *grad, T *m, T *v, int64_t n, double lr, double beta1,
              double beta2, double eps, double weightDecay,
              int64_t biasCorrection, double maxCoeff, double minCoeff,
              int64_t step) {
  k::LambParams p;
  p.lr = lr;
  p.beta1 = beta1;
  p.beta2 = beta2;
  p.eps = eps;
  p.weightDecay = weightDecay;
  p.biasCorrection = biasCorrection != 0;
  p.maxCoeff = maxCoeff;
  p.minCoeff = minCoeff;
  // The gradient's storage holds the update.
  const DeviceBackend *gpu = deviceFor<T>("Lamb");
  k::LambNorms norms =
      gpu ? gpu->lambUpdate(reinterpret_cast<const float *>(param),
                            reinterpret_cast<const float *>(grad),
                            reinterpret_cast<float *>(m),
                            reinterpret_cast<float *>(v),
                            reinterpret_cast<float *>(grad), n, p, step)
          : k::lambComputeUpdate(param, grad, m, v, grad, n, p, step);
  double ratio = k::lambTrustRatio(norms.paramNormSq, norms.updateNormSq,
                                   p.minCoeff, p.maxCoeff);
  if (gpu)
    gpu->lambApply(reinterpret_cast<float *>(param),
                   reinterpret_cast<const float *>(grad), n, p.lr, ratio);
  else
    k::lambApply(param, grad, n, p.lr, ratio);
}

} // namespace

extern "C" {

void dsrt_scale_f32(float *x, int64_t n, double factor) {
  scaleBy(x, n, factor);
}
void dsrt_scale_f64(double *x, int64_t n, double factor) {
  scaleBy(x, n, factor);
}
double dsrt_sum_squares_f32(const float *x, int64_t n) {
  return squaresOf(x, n);
}
double dsrt_sum_squares_f64(const double *x, int64_t n) {
  return squaresOf(x, n);
}
double dsrt_clip_coefficient(double normSquared, double maxNorm) {
  return k::clipCoefficient(normSquared, maxNorm);
}

void dsrt_adam_f32(float *param, const float *grad, float *m, float *v,
                   int64_t n, double lr, double beta1, double beta2, double eps,
                   double weightDecay, int64_t adamWMode,
                   int64_t biasCorrection, int64_t step) {
  const k::AdamParams p =
      adamParams(lr, beta1, beta2, eps, weightDecay, adamWMode, biasCorrection);
  if (const DeviceBackend *gpu = dsc::runtime::gpu())
    gpu->adam(param, grad, m, v, n, p, step);
  else
    k::adamStep(param, grad, m, v, n, p, step);
}
void dsrt_adam_f64(double *param, const double *grad, double *m, double *v,
                   int64_t n, double lr, double beta1, double beta2, double eps,
                   double weightDecay, int64_t adamWMode,
                   int64_t biasCorrection, int64_t step) {
  if (!deviceFor<double>("Adam"))
    k::adamStep(param, grad, m, v, n,
                adamParams(lr, beta1, beta2, eps, weightDecay, adamWMode,
                           biasCorrection),
                step);
}

void dsrt_sgd_f32(float *param, const float *grad, float *buffer, int64_t n,
                  double lr, double momentum, double dampening,
                  double weightDecay, int64_t nesterov, int64_t step) {
  const k::SgdParams p =
      sgdParams(lr, momentum, dampening, weightDecay, nesterov);
  if (const DeviceBackend *gpu = dsc::runtime::gpu())
    gpu->sgd(param, grad, buffer, n, p, step);
  else
    k::sgdStep(param, grad, buffer, n, p, step);
}
void dsrt_sgd_f64(double *param, const double *grad, double *buffer, int64_t n,
                  double lr, double momentum, double dampening,
                  double weightDecay, int64_t nesterov, int64_t step) {
  if (!deviceFor<double>("SGD"))
    k::sgdStep(param, grad, buffer, n,
               sgdParams(lr, momentum, dampening, weightDecay, nesterov), step);
}

void dsrt_lamb_f32(float *param, float *grad, float *m, float *v, int64_t n,
                   double lr, double beta1, double beta2, double eps,
                   double weightDecay, int64_t biasCorrection, double maxCoeff,
                   double minCoeff, int64_t step) {
  lambStep(param, grad, m, v, n, lr, beta1, beta2, eps, weightDecay,
           biasCorrection, maxCoeff, minCoeff, step);
}
void dsrt_lamb_f64(double *param, double *grad, double *m, double *v, int64_t n,
                   double lr, double beta1, double beta2, double eps,
                   double weightDecay, int64_t biasCorrection, double maxCoeff,
                   double minCoeff, int64_t step) {
  lambStep(param, grad, m, v, n, lr, beta1, beta2, eps, weightDecay,
           biasCorrection, maxCoeff, minCoeff, step);
}

void dsrt_lr_at(const dsrt_lr_schedule *schedule, double baseLr,
                double baseBeta1, double baseBeta2, int64_t step, double *out) {
  dsc::runtime::LrState lr = dsc::runtime::lrAt(
      dsc::runtime::scheduleFromAbi(*schedule), baseLr, baseBeta1, step);
  out[0] = lr.lr;
  out[1] = lr.beta1.value_or(baseBeta1);
  out[2] = lr.beta2.value_or(baseBeta2);
}

} // extern "C"
