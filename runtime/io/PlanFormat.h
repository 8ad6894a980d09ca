//===- PlanFormat.h - The format tag of plan.json ---------------*- C++ -*-===//
//
// ds-compile writes it, and the rank, ds-plan and ds-compile itself (before
// replacing an output directory) check it: one definition for all of them.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_RUNTIME_IO_PLANFORMAT_H
#define DSC_RUNTIME_IO_PLANFORMAT_H

namespace dsc::runtime {

/// plan.json's "format".
inline constexpr const char *kPlanFormat = "ds-compile plan 1";

} // namespace dsc::runtime

#endif // DSC_RUNTIME_IO_PLANFORMAT_H
