//===- RankState.cpp - One rank's plan and arena ------------------------===//

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
  state->ctx.step = 0;
  return state;
}

} // namespace dsc::runtime
