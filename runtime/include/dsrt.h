/*===- dsrt.h - the C API between generated rank code and the runtime ------===*
 *
 * The one header both sides share. The generated object defines dsc_step
 * functions (straight-line calls of the kernels' entry points on buffers at
 * static arena offsets), the ranks' update functions (the collectives,
 * norm, clipping and optimizer after the micro-steps, as direct calls of
 * typed kernels) and constants the rank needs (dsc_schedule, dsc_optimizer,
 * dsc_plan); the runtime owns main, the arena, data, weights and logging,
 * and implements the entry points.
 *
 *===----------------------------------------------------------------------===*/

#ifndef DSRT_H
#define DSRT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Element types of buffers. */
enum dsrt_dtype {
  DSRT_F32 = 0,
  DSRT_F64 = 1,
  DSRT_F16 = 2,
  DSRT_BF16 = 3,
  DSRT_I64 = 4,
  DSRT_I32 = 5,
  DSRT_I16 = 6,
  DSRT_I8 = 7,
  DSRT_U8 = 8,
  DSRT_BOOL = 9 /* one byte, 0 or 1 */
};

typedef struct dsrt_ctx dsrt_ctx;

/* The section of the object's constants that kernels read (the graph's
 * constant tensors): the linker's __start_dsc_consts and __stop_dsc_consts
 * bound it, and a GPU rank hands its kernels a device copy of it. */
#define DSRT_CONSTANT_SECTION "dsc_consts"

/* A kernel's entry point: one per kernel and element type of
 * kernels/KernelDecls.def, named dsrt_k_<kernel>_<types> (dsrt_k_add_f32,
 * dsrt_k_cast_i64_f32, dsrt_k_copy). `data` holds the buffers' addresses,
 * inputs then outputs; `site` the call site's constants, which the
 * compiler checked (the buffers' shapes, then the attributes in declaration
 * order; kernels/KernelDecls.h has the layout); `location` names the ONNX
 * node for messages. On a data error (an index out of range ...) the
 * runtime reports the kernel, its location and the problem, and exits with
 * a non-zero code. */
typedef void (*dsrt_kernel_fn)(dsrt_ctx *ctx, void *const *data,
                               const int64_t *site, const char *location);

/* Runs the index-th collective the step calls (the in-step entries of the
 * plan's collectives, in order) on `data` (inputs, then outputs) over
 * the rank's communicator. A failure (a peer that died, a plan that does
 * not list the call) is reported and the process exits non-zero. */
void dsrt_collective_at(dsrt_ctx *ctx, int32_t index, void *const *data);

/* Blocks until the index-th collective of the step, started asynchronously
 * (an async one of the plan: a prefetched ZeRO-3 gather), has finished. */
void dsrt_collective_wait(dsrt_ctx *ctx, int32_t index);

/* Runs the index-th collective outside the step (the plan's collectives at
 * the accumulation boundary and after the optimizer, in order) in place on
 * `data`, from the rank's update function. A failure, or a call out of the
 * plan's order, is reported and the process exits non-zero. */
void dsrt_boundary_collective(dsrt_ctx *ctx, int32_t index, void *data);

/* Byte copies and zeroing of arena buffers (a gradient into the staging
 * buffer, the accumulators' reset) and the point before the generated code
 * reads or writes a scalar of the arena itself (the loss, the report): on a
 * GPU the first two run on the kernels' stream and the third waits for it;
 * on the CPU they are memmove, memset and nothing. */
void dsrt_copy(dsrt_ctx *ctx, void *dst, const void *src, int64_t bytes);
void dsrt_zero(dsrt_ctx *ctx, void *dst, int64_t bytes);
void dsrt_host_sync(dsrt_ctx *ctx);

/* The optimizer step's kernels, which the update functions call directly
 * (kernels/optimizer has their semantics). `step` is the 1-based optimizer
 * step; flags are 0 or 1. */
void dsrt_scale_f32(float *x, int64_t n, double factor);
void dsrt_scale_f64(double *x, int64_t n, double factor);
double dsrt_sum_squares_f32(const float *x, int64_t n);
double dsrt_sum_squares_f64(const double *x, int64_t n);
double dsrt_clip_coefficient(double norm_squared, double max_norm);
void dsrt_adam_f32(float *param, const float *grad, float *exp_avg,
                   float *exp_avg_sq, int64_t n, double lr, double beta1,
                   double beta2, double eps, double weight_decay,
                   int64_t adam_w_mode, int64_t bias_correction, int64_t step);
void dsrt_adam_f64(double *param, const double *grad, double *exp_avg,
                   double *exp_avg_sq, int64_t n, double lr, double beta1,
                   double beta2, double eps, double weight_decay,
                   int64_t adam_w_mode, int64_t bias_correction, int64_t step);
void dsrt_sgd_f32(float *param, const float *grad, float *momentum_buffer,
                  int64_t n, double lr, double momentum, double dampening,
                  double weight_decay, int64_t nesterov, int64_t step);
void dsrt_sgd_f64(double *param, const double *grad, double *momentum_buffer,
                  int64_t n, double lr, double momentum, double dampening,
                  double weight_decay, int64_t nesterov, int64_t step);
/* The gradient's storage holds Lamb's update: `grad` is clobbered. */
void dsrt_lamb_f32(float *param, float *grad, float *exp_avg, float *exp_avg_sq,
                   int64_t n, double lr, double beta1, double beta2, double eps,
                   double weight_decay, int64_t bias_correction,
                   double max_coeff, double min_coeff, int64_t step);
void dsrt_lamb_f64(double *param, double *grad, double *exp_avg,
                   double *exp_avg_sq, int64_t n, double lr, double beta1,
                   double beta2, double eps, double weight_decay,
                   int64_t bias_correction, double max_coeff, double min_coeff,
                   int64_t step);

struct dsrt_lr_schedule;
/* The learning rate and betas of the 0-based optimizer step `step` under
 * `schedule`, from the optimizer's own: out[0] lr, out[1] beta1, out[2]
 * beta2. */
void dsrt_lr_at(const struct dsrt_lr_schedule *schedule, double base_lr,
                double base_beta1, double base_beta2, int64_t step,
                double *out);

/* Micro-step `micro` of the 0-based optimizer step `step` begins: the
 * runtime copies this rank's micro-batch into the input buffers and sets the
 * micro-step's dropout stream. Then it ends: the runtime checks that the
 * step called the collectives the plan lists for it. A failure is reported
 * and the process exits non-zero. */
void dsrt_micro_step(dsrt_ctx *ctx, int64_t step, int64_t micro);
void dsrt_micro_step_end(dsrt_ctx *ctx, int64_t micro);

/* What a rank's training step reports on return: the global batch's loss,
 * the gradient norm before clipping, the learning rate and the betas. */
enum dsrt_report_field {
  DSRT_REPORT_LOSS = 0,
  DSRT_REPORT_GRAD_NORM = 1,
  DSRT_REPORT_LR = 2,
  DSRT_REPORT_BETA1 = 3,
  DSRT_REPORT_BETA2 = 4,
  /* 1 when the step overflowed (an inf or NaN gradient) and was skipped. */
  DSRT_REPORT_OVERFLOW = 5,
  DSRT_REPORT_FIELDS = 6
};

/* One whole optimizer step of one data-parallel rank: its micro-steps
 * (dsrt_micro_step, dsc_step, the loss), then the collectives, the norm,
 * clipping, the schedule, the optimizer and the gathers; `step` is 0-based,
 * `skipped` the steps before it whose update an overflow skipped (the
 * schedule and the optimizer count step - skipped; report[OVERFLOW] says
 * whether this one was); `loss_scale` the fp16 loss scale (1 otherwise). The
 * object defines one per rank, by rank in dsc_train_step_table
 * (dsc_train_step_count entries; 0 for an inference plan). */
typedef void (*dsrt_train_step_fn)(dsrt_ctx *ctx, char *arena, double *report,
                                   int64_t step, int64_t skipped,
                                   double loss_scale);

/* The learning-rate schedule ds-compile resolved from ds_config (DeepSpeed's
 * defaults applied once, in the compiler): the object defines it as the
 * constant dsc_schedule, so the rank needs no plan.json for it. Its fields,
 * in order, as X(name) for an int64_t and F(name) for a double: every field
 * is 8 bytes, so the struct the compiler emits and this one agree. */
#define DSRT_LR_SCHEDULE_FIELDS(X, F)                                          \
  X(kind) /* 0 constant, 1 WarmupLR, 2 WarmupDecayLR, 3 WarmupCosineLR,        \
             4 OneCycle */                                                     \
  F(warmup_min_lr)                                                             \
  X(has_warmup_max_lr) /* 0: the optimizer's lr */                             \
  F(warmup_max_lr)                                                             \
  X(warmup_num_steps)                                                          \
  X(warmup_type) /* 0 log, 1 linear */                                         \
  X(total_num_steps)                                                           \
  F(warmup_min_ratio)                                                          \
  F(cos_min_ratio)                                                             \
  F(cycle_min_lr)                                                              \
  F(cycle_max_lr)                                                              \
  X(cycle_first_step_size)                                                     \
  X(has_cycle_second_step_size) /* 0: cycle_first_step_size */                 \
  X(cycle_second_step_size)                                                    \
  X(decay_step_size)                                                           \
  F(decay_lr_rate)                                                             \
  X(cycle_momentum)                                                            \
  F(cycle_min_mom)                                                             \
  F(cycle_max_mom)                                                             \
  F(decay_mom_rate)

#define DSRT_INT_FIELD(name) int64_t name;
#define DSRT_DOUBLE_FIELD(name) double name;
struct dsrt_lr_schedule {
  DSRT_LR_SCHEDULE_FIELDS(DSRT_INT_FIELD, DSRT_DOUBLE_FIELD)
};
typedef struct dsrt_lr_schedule dsrt_lr_schedule;
#undef DSRT_INT_FIELD
#undef DSRT_DOUBLE_FIELD

/* The optimizer of ds_config, resolved by ds-compile (DeepSpeed's defaults
 * applied), with gradient_clipping: the object's constant dsc_optimizer.
 * X(name) is an int64_t, F(name) a double. */
#define DSRT_OPTIMIZER_FIELDS(X, F)                                            \
  X(kind) /* 0 Adam, 1 AdamW, 2 SGD, 3 Lamb */                                 \
  F(lr)                                                                        \
  F(beta1)                                                                     \
  F(beta2)                                                                     \
  F(eps)                                                                       \
  F(weight_decay)                                                              \
  X(adam_w_mode) /* decoupled weight decay (always for AdamW) */               \
  X(bias_correction)                                                           \
  F(momentum) /* SGD */                                                        \
  X(nesterov)                                                                  \
  F(dampening)                                                                 \
  F(max_coeff) /* Lamb's trust-ratio clamp */                                  \
  F(min_coeff)                                                                 \
  F(gradient_clipping) /* the global norm's limit; 0: off */                   \
  X(loss_scaling)      /* fp16: 1 when the step's loss is scaled */            \
  F(static_loss_scale) /* fp16 loss_scale; 0: dynamic */                       \
  X(initial_scale_power)                                                       \
  X(loss_scale_window)                                                         \
  X(hysteresis)                                                                \
  X(consecutive_hysteresis)                                                    \
  F(min_loss_scale)

#define DSRT_INT_FIELD(name) int64_t name;
#define DSRT_DOUBLE_FIELD(name) double name;
typedef struct dsrt_optimizer {
  DSRT_OPTIMIZER_FIELDS(DSRT_INT_FIELD, DSRT_DOUBLE_FIELD)
} dsrt_optimizer;
#undef DSRT_INT_FIELD
#undef DSRT_DOUBLE_FIELD

/* Defined by the generated object. */
extern const dsrt_train_step_fn dsc_train_step_table[];
extern const int64_t dsc_train_step_count;
extern const dsrt_lr_schedule dsc_schedule;
extern const dsrt_optimizer dsc_optimizer;

/* The rank's plan as ds-compile checked it: the buffers, the batch, the
 * ZeRO layout, the collectives and the weights files, in
 * the encoding of runtime/main/PlanCodec.h (dsc_plan_bytes bytes). The rank
 * reads it instead of plan.json, which reports the same plan. */
extern const unsigned char dsc_plan[];
extern const int64_t dsc_plan_bytes;

#ifdef __cplusplus
}
#endif

#endif /* DSRT_H */
