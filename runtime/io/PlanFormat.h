//===- PlanFormat.h - Names plan.json and checkpoints share ----*- C++ -*-===//
//
// ds-compile writes them, and the rank, ds-plan, ds-ckpt and ds-compile
// itself (before replacing an output directory) read them: one definition
// for all of them.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_RUNTIME_IO_PLANFORMAT_H
#define DSC_RUNTIME_IO_PLANFORMAT_H

namespace dsc::runtime {

/// plan.json's "format".
inline constexpr const char *kPlanFormat = "ds-compile plan 1";

/// The optimizer state that holds the float32 master copy of 16-bit params
/// (fp16 / bf16): build-optimizer-step names it, the rank fills it on a
/// fresh start, checkpoints keep it, ds-ckpt consolidates it.
inline constexpr const char *kMasterParamsState = "master_params";

} // namespace dsc::runtime

#endif // DSC_RUNTIME_IO_PLANFORMAT_H
