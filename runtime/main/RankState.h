//===- RankState.h - One rank's plan and arena ------------------*- C++ -*-===//
//
// What every mode shares: the parsed plan, the arena dsc_step addresses
// (64-byte aligned, zeroed, arena_bytes long), the dsrt_ctx handed to
// dsc_step and the tracker of the runtime's allocations.
// Not movable once created (ctx points into it): hold it by unique_ptr.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_RUNTIME_MAIN_RANKSTATE_H
#define DSC_RUNTIME_MAIN_RANKSTATE_H

#include "runtime/dispatch/KernelDispatch.h"
#include "runtime/main/Memory.h"
#include "runtime/main/PlanFile.h"

#include <memory>

namespace dsc::runtime {

/// The generated step: `void dsc_step(dsrt_ctx *ctx, char *arena)`.
using StepFunction = void (*)(dsrt_ctx *, char *);

/// What the rank takes from its generated object: the step (inference), the
/// training step of each data-parallel rank, and the constants the compiler
/// resolved: the optimizer (training needs it, to name it) and the plan
/// (dsc_plan, PlanCodec.h; null: the rank needs --plan FILE). Tests pass
/// their own.
struct RankProgram {
  RankProgram(StepFunction step, const dsrt_optimizer *optimizer = nullptr,
              const unsigned char *plan = nullptr, int64_t planBytes = 0,
              const dsrt_train_step_fn *trainSteps = nullptr,
              int64_t trainStepCount = 0)
      : step(step), optimizer(optimizer), plan(plan), planBytes(planBytes),
        trainSteps(trainSteps), trainStepCount(trainStepCount) {}
  StepFunction step;
  const dsrt_optimizer *optimizer;
  const unsigned char *plan;
  int64_t planBytes;
  /// The training step of each data-parallel rank (dsc_train_step_table).
  const dsrt_train_step_fn *trainSteps;
  int64_t trainStepCount;
};

struct RankState {
  /// Allocates the arena for `plan`.
  static Expected<std::unique_ptr<RankState>> create(Plan plan);

  RankState(const RankState &) = delete;
  RankState &operator=(const RankState &) = delete;

  /// The address of `buffer` (one of plan.buffers) in the arena.
  char *at(const PlanBuffer &buffer) { return arena.data() + buffer.offset; }

  Plan plan;
  MemoryTracker memory;
  AlignedBuffer arena;
  dsrt_ctx ctx;

private:
  RankState() = default;
};

} // namespace dsc::runtime

#endif // DSC_RUNTIME_MAIN_RANKSTATE_H
