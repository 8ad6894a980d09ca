//===- RankState.cpp - One rank's plan, arena and kernel table ------------===//

#include "runtime/main/RankState.h"

namespace dsc::runtime {

Expected<std::unique_ptr<RankState>> RankState::create(Plan plan) {
  std::unique_ptr<RankState> state(new RankState());
  state->plan = std::move(plan);
  Expected<AlignedBuffer> arena = AlignedBuffer::allocate(
      static_cast<size_t>(state->plan.arenaBytes), "the arena", &state->memory);
  if (!arena)
    return arena.status();
  state->arena = std::move(arena).value();
  state->kernels = std::make_unique<KernelTable>(state->plan.kernels);
  // Every call site once, before the first step: a step calls kernels only.
  if (std::string problem = state->kernels->resolveAll(); !problem.empty())
    return Status::error(state->plan.path + ": " + problem);
  state->ctx.step = 0;
  state->ctx.runtime = state->kernels.get();
  return state;
}

} // namespace dsc::runtime
