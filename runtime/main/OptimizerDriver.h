//===- OptimizerDriver.h - The optimizer step over every param -*- C++ -*-===//
//
// Owns the per-param optimizer state (Adam/AdamW/Lamb: m and v; SGD with
// momentum: the momentum buffer), allocated zeroed through the rank's
// MemoryTracker, and applies one update of the plan's optimizer to every
// param from its (accumulated, clipped) gradient with the kernels of
// kernels/optimizer. Params are float32 or float64 (the plan checks this).
// Lamb needs a scratch vector for its update; the gradient's own storage
// serves (lambComputeUpdate reads each gradient element before writing the
// update), so the gradient is clobbered by a Lamb step.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_RUNTIME_MAIN_OPTIMIZERDRIVER_H
#define DSC_RUNTIME_MAIN_OPTIMIZERDRIVER_H

#include "runtime/io/DType.h"
#include "runtime/io/Status.h"
#include "runtime/main/Memory.h"
#include "runtime/main/PlanFile.h"
#include "runtime/schedule/LrSchedule.h"

#include <cstdint>
#include <string>
#include <vector>

namespace dsc::runtime {

/// One param the optimizer updates: its storage (in the arena) and the
/// gradient to apply (the runtime's accumulator).
struct OptimizerSlot {
  std::string name;
  DType dtype = DType::F32;
  int64_t numel = 0;
  void *param = nullptr;
  void *grad = nullptr;
};

class OptimizerDriver {
public:
  /// Allocates the state for `slots` (float32/float64 only).
  static Expected<OptimizerDriver> create(const PlanOptimizer &optimizer,
                                          std::vector<OptimizerSlot> slots,
                                          MemoryTracker *tracker);

  /// One update of every param. `lr` comes from the schedule (lr, and for
  /// Adam/Lamb beta1/beta2 when the schedule cycles momentum); `step` is the
  /// 1-based number of this optimizer step (bias correction, SGD's first
  /// momentum step).
  void step(const LrState &lr, int64_t step);

  /// The (beta1, beta2) -- or (momentum) for SGD -- a step with `lr` uses,
  /// as DeepSpeed's progress line prints them.
  std::vector<double> momentumFor(const LrState &lr) const;

  const PlanOptimizer &settings() const { return opt; }
  /// The state tensors each slot has, by checkpoint name: "exp_avg",
  /// "exp_avg_sq" (Adam, AdamW, Lamb), "momentum_buffer" (SGD with
  /// momentum), none (plain SGD).
  std::vector<std::string> stateNames() const;
  size_t numSlots() const { return slots.size(); }
  const OptimizerSlot &slot(size_t i) const { return slots[i]; }
  /// State `which` (an index into stateNames()) of slot `i`.
  char *state(size_t which, size_t i) {
    return which == 0 ? first[i].data() : second[i].data();
  }
  /// Bytes of optimizer state allocated.
  size_t stateBytes() const { return bytes; }

private:
  OptimizerDriver() = default;

  PlanOptimizer opt;
  std::vector<OptimizerSlot> slots;
  /// Per slot: m / momentum buffer, and v (empty when unused).
  std::vector<AlignedBuffer> first;
  std::vector<AlignedBuffer> second;
  size_t bytes = 0;
};

} // namespace dsc::runtime

#endif // DSC_RUNTIME_MAIN_OPTIMIZERDRIVER_H
