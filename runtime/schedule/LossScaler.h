//===- LossScaler.h - fp16 loss scaling (DeepSpeed) ------------*- C++ -*-===//
//
// DeepSpeed's loss scaler as deepspeed.md ("fp16 / bf16") describes it:
// dynamic scaling with hysteresis and a growth window, or a static scale.
// Call update() once per optimizer step with the overflow flag already
// max-reduced over the data-parallel ranks; it says whether to skip the step.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_RUNTIME_SCHEDULE_LOSSSCALER_H
#define DSC_RUNTIME_SCHEDULE_LOSSSCALER_H

#include <cstdint>
#include <vector>

namespace dsc::runtime {

/// The `fp16` block's scaling keys with DeepSpeed's defaults.
struct LossScalerSpec {
  /// > 0: a static scale (DeepSpeed `loss_scale`); 0: dynamic scaling.
  double staticScale = 0.0;
  int64_t initialScalePower = 16;
  int64_t lossScaleWindow = 1000;
  int64_t hysteresis = 2;
  bool consecutiveHysteresis = false;
  double minLossScale = 1.0;
  /// DeepSpeed's scale_factor (not a config key).
  double scaleFactor = 2.0;
};

/// One entry of the scale history: steps `iteration` (0-based) and later use
/// `scale`. The update() of step k that changes the scale records k + 1.
struct LossScaleChange {
  int64_t iteration;
  double scale;
};

/// The scaler's state, as a checkpoint keeps it.
struct LossScalerState {
  double scale = 1.0;
  int64_t iteration = 0;
  int64_t lastOverflowIteration = -1;
  int64_t hysteresisLeft = 0;
};

struct LossScaleUpdate {
  /// Skip this optimizer step (and its scheduler step): the gradients
  /// overflowed.
  bool skipStep = false;
  /// Overflow with the scale already at min_loss_scale: DeepSpeed stops the
  /// run here. The scaler's state is left unchanged.
  bool atMinimumError = false;
};

/// The error DeepSpeed raises when it cannot lower the scale further.
inline constexpr const char *kLossScaleAtMinimumMessage =
    "loss scale already at minimum - cannot decrease scale anymore";

class LossScaler {
public:
  explicit LossScaler(const LossScalerSpec &spec = LossScalerSpec());

  /// Multiply the loss by this before backward; divide the gradients by it.
  double scale() const { return curScale; }
  bool isDynamic() const { return dynamic; }
  /// update() calls so far.
  int64_t iteration() const { return curIter; }
  /// Overflows still tolerated before the scale halves.
  int64_t hysteresisLeft() const { return curHysteresis; }
  /// The iteration of the last overflow, -1 before any.
  int64_t lastOverflowIteration() const { return lastOverflowIter; }

  /// Advances the state machine by one optimizer step:
  ///  overflow: the step is skipped; if hysteresis is used up (or the
  ///    configured hysteresis is 1) the scale halves, down to min_loss_scale
  ///    (already at the minimum: atMinimumError); otherwise one hysteresis is
  ///    used up.
  ///  no overflow: with consecutive_hysteresis the hysteresis refills;
  ///    stable = iteration - last overflow - 1; when stable > 0 and
  ///    stable % window == 0 the scale doubles and the hysteresis refills.
  /// A static scaler never changes its scale but still skips overflowed
  /// steps.
  LossScaleUpdate update(bool overflow);

  /// Where the scaler stands, and a resumed run's continuation from it.
  LossScalerState state() const {
    return {curScale, curIter, lastOverflowIter, curHysteresis};
  }
  void restore(const LossScalerState &s) {
    setScale(s.scale);
    curIter = s.iteration;
    lastOverflowIter = s.lastOverflowIteration;
    curHysteresis = s.hysteresisLeft;
  }

  /// The initial scale (iteration 0) followed by every change.
  const std::vector<LossScaleChange> &history() const { return changes; }

private:
  void setScale(double scale);

  LossScalerSpec spec;
  bool dynamic;
  double curScale;
  int64_t curIter = 0;
  int64_t lastOverflowIter = -1;
  int64_t curHysteresis;
  std::vector<LossScaleChange> changes;
};

} // namespace dsc::runtime

#endif // DSC_RUNTIME_SCHEDULE_LOSSSCALER_H
