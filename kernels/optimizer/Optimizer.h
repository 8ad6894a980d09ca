//===- Optimizer.h - Fused in-place optimizer update kernels ----*- C++ -*-===//
//
// Plain functions on raw pointers, one call per parameter tensor (or per
// contiguous shard of one), that the generated training programs call. None of
// them allocates. Every kernel exists for float (what the programs use) and
// for double (what the tests use to check the algebra).
//
// Semantics follow DeepSpeed's optimizers (FusedAdam, FusedLamb) and
// torch.optim.SGD; the float Adam path keeps torch.optim.AdamW's order of
// floating-point operations so that losses match PyTorch closely.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_KERNELS_OPTIMIZER_OPTIMIZER_H
#define DSC_KERNELS_OPTIMIZER_OPTIMIZER_H

#include <cstdint>

namespace dsc::kernels::cpu {

/// What the moment-based optimizers (Adam, AdamW, Lamb) share.
struct MomentParams {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weightDecay = 0.0;
  bool biasCorrection = true;
};

/// Adam / AdamW hyper-parameters (DeepSpeed `adam`, `adamw`).
struct AdamParams : MomentParams {
  /// true: decoupled weight decay (AdamW, DeepSpeed's default for `adam`);
  /// false: L2 weight decay added to the gradient before the moments.
  bool adamWMode = true;
};

/// One Adam step on `n` elements; `step` is the 1-based count of optimizer
/// steps taken including this one (for bias correction). Updates `param`,
/// `expAvg` (m) and `expAvgSq` (v) in place; `grad` is read only.
///
///   AdamW: p = p * (1 - lr * wd)
///   L2:    g = g + wd * p
///   m = beta1 * m + (1 - beta1) * g
///   v = beta2 * v + (1 - beta2) * g * g
///   p = p - (lr / bc1) * m / (sqrt(v) / sqrt(bc2) + eps)
/// with bc_i = 1 - beta_i^step, or 1 without bias correction.
void adamStep(float *param, const float *grad, float *expAvg, float *expAvgSq,
              int64_t n, const AdamParams &p, int64_t step);
void adamStep(double *param, const double *grad, double *expAvg,
              double *expAvgSq, int64_t n, const AdamParams &p, int64_t step);

/// torch.optim.SGD hyper-parameters (DeepSpeed `sgd`).
struct SgdParams {
  double lr = 1e-3;
  double momentum = 0.0;
  double dampening = 0.0;
  double weightDecay = 0.0;
  bool nesterov = false;
};

/// One torch.optim.SGD step; `step` is 1-based. With momentum, the first step
/// sets buf = d_p (no dampening), later ones buf = momentum * buf +
/// (1 - dampening) * d_p; `momentumBuf` may be null when momentum == 0.
void sgdStep(float *param, const float *grad, float *momentumBuf, int64_t n,
             const SgdParams &p, int64_t step);
void sgdStep(double *param, const double *grad, double *momentumBuf, int64_t n,
             const SgdParams &p, int64_t step);

/// Lamb hyper-parameters (DeepSpeed `lamb`, FusedLamb).
struct LambParams : MomentParams {
  double maxCoeff = 10.0;
  double minCoeff = 0.01;
};

/// Squared L2 norms of one tensor (or of one shard: sum the shards' values
/// across ranks before taking the trust ratio).
struct LambNorms {
  double paramNormSq = 0.0;
  double updateNormSq = 0.0;
};

/// First half of a Lamb step: updates m and v in place and writes
///   update = mhat / (sqrt(vhat) + eps) + wd * param
/// into `update` (scratch of n elements), returning ||param||^2 and
/// ||update||^2 accumulated in double. `param` is not modified.
LambNorms lambComputeUpdate(const float *param, const float *grad,
                            float *expAvg, float *expAvgSq, float *update,
                            int64_t n, const LambParams &p, int64_t step);
LambNorms lambComputeUpdate(const double *param, const double *grad,
                            double *expAvg, double *expAvgSq, double *update,
                            int64_t n, const LambParams &p, int64_t step);

/// ||param|| / ||update|| clamped to [minCoeff, maxCoeff]; 1 when either norm
/// is 0.
double lambTrustRatio(double paramNormSq, double updateNormSq, double minCoeff,
                      double maxCoeff);

/// Second half of a Lamb step: param -= lr * ratio * update.
void lambApply(float *param, const float *update, int64_t n, double lr,
               double ratio);
void lambApply(double *param, const double *update, int64_t n, double lr,
               double ratio);

/// Sum of x[i]^2, accumulated in double (global-norm clipping).
double sumOfSquares(const float *x, int64_t n);
double sumOfSquares(const double *x, int64_t n);

/// x[i] *= factor.
void scale(float *x, int64_t n, float factor);
void scale(double *x, int64_t n, double factor);

/// torch.nn.utils.clip_grad_norm_ / DeepSpeed gradient_clipping: with
/// norm = sqrt(globalNormSq), coef = maxNorm / (norm + 1e-6); returns coef
/// when it is < 1 and 1 otherwise (also 1 when maxNorm <= 0, clipping off).
float clipCoefficient(double globalNormSq, double maxNorm);

/// Whether any element is +-inf or NaN (fp16 overflow check).
bool hasInfOrNaN(const float *x, int64_t n);
bool hasInfOrNaN(const double *x, int64_t n);

} // namespace dsc::kernels::cpu

#endif // DSC_KERNELS_OPTIMIZER_OPTIMIZER_H
