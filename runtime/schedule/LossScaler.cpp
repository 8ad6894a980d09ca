//===- LossScaler.cpp - fp16 loss scaling (DeepSpeed) ---------------------===//
//
// The growth rule is deepspeed.md's (stable = iter - last_overflow - 1, grow
// when stable > 0 and stable % window == 0), which is DeepSpeed's
// FP16_Optimizer._update_scale. DeepSpeed's DynamicLossScaler.update_scale
// instead grows when (iter - last_overflow) % window == 0, one step earlier.
//
//===----------------------------------------------------------------------===//

#include "runtime/schedule/LossScaler.h"

#include <algorithm>
#include <cmath>

namespace dsc::runtime {

LossScaler::LossScaler(const LossScalerSpec &spec)
    : spec(spec), dynamic(spec.staticScale <= 0.0),
      curScale(dynamic
                   ? std::ldexp(1.0, static_cast<int>(spec.initialScalePower))
                   : spec.staticScale),
      curHysteresis(spec.hysteresis) {
  changes.push_back({0, curScale});
}

void LossScaler::setScale(double scale) {
  if (scale == curScale)
    return;
  curScale = scale;
  changes.push_back({curIter + 1, curScale});
}

LossScaleUpdate LossScaler::update(bool overflow) {
  LossScaleUpdate result;
  result.skipStep = overflow;
  if (!dynamic) {
    ++curIter;
    return result;
  }

  if (overflow) {
    if (spec.hysteresis <= 1 || curHysteresis <= 1) {
      if (curScale == spec.minLossScale) {
        result.atMinimumError = true;
        return result;
      }
      setScale(std::max(curScale / spec.scaleFactor, spec.minLossScale));
    } else {
      --curHysteresis;
    }
    lastOverflowIter = curIter;
  } else {
    if (spec.consecutiveHysteresis)
      curHysteresis = spec.hysteresis;
    const int64_t stable = curIter - lastOverflowIter - 1;
    if (stable > 0 && spec.lossScaleWindow > 0 &&
        stable % spec.lossScaleWindow == 0) {
      curHysteresis = spec.hysteresis;
      setScale(curScale * spec.scaleFactor);
    }
  }
  ++curIter;
  return result;
}

} // namespace dsc::runtime
