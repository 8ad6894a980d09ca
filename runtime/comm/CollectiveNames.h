//===- CollectiveNames.h - The collectives plan.json names ------*- C++ -*-===//
//
// The compiler writes each collective of a step into plan.json as an op, a
// phase and a payload; the runtime reads them back. Both sides use these
// enums and spellings, so they cannot drift apart. Header only, no LLVM:
// compiler/partition includes it as the runtime does.
//
//   op       all_reduce | reduce_scatter | all_gather
//   phase    in_step (called by dsc_step) | boundary (before the optimizer)
//            | after_optimizer
//   payload  gradients | parameters | grad_norm_squared | loss
//
//===----------------------------------------------------------------------===//

#ifndef DSC_RUNTIME_COMM_COLLECTIVENAMES_H
#define DSC_RUNTIME_COMM_COLLECTIVENAMES_H

#include <optional>
#include <string_view>

namespace dsc::runtime {

enum class CollectiveOp { AllReduce, ReduceScatter, AllGather };
/// MicroStep: inside the step of one micro-step ("in_step").
enum class CollectivePhase { MicroStep, Boundary, AfterOptimizer };
enum class CollectivePayload { Gradients, Parameters, GradNormSquared, Loss };

inline constexpr std::string_view kCollectiveOpNames[] = {
    "all_reduce", "reduce_scatter", "all_gather"};
inline constexpr std::string_view kCollectivePhaseNames[] = {
    "in_step", "boundary", "after_optimizer"};
inline constexpr std::string_view kCollectivePayloadNames[] = {
    "gradients", "parameters", "grad_norm_squared", "loss"};

inline std::string_view collectiveOpName(CollectiveOp op) {
  return kCollectiveOpNames[static_cast<int>(op)];
}
inline std::string_view collectivePhaseName(CollectivePhase phase) {
  return kCollectivePhaseNames[static_cast<int>(phase)];
}
inline std::string_view collectivePayloadName(CollectivePayload payload) {
  return kCollectivePayloadNames[static_cast<int>(payload)];
}

/// The enum value spelled `name` in `names`; none for an unknown name.
template <typename Enum, size_t N>
std::optional<Enum> collectiveFromName(const std::string_view (&names)[N],
                                       std::string_view name) {
  for (size_t i = 0; i < N; ++i)
    if (names[i] == name)
      return static_cast<Enum>(i);
  return std::nullopt;
}

} // namespace dsc::runtime

#endif // DSC_RUNTIME_COMM_COLLECTIVENAMES_H
