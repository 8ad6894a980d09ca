//===- RankConstants.h - What the rank reads from its own object -*- C++
//-*-===//
//
// Settings the compiler resolves from ds_config go into the rank's object as
// constants declared in runtime/include/dsrt.h, so the rank reads them from
// its own binary, not from plan.json (which reports them):
//   dsc_schedule   the learning-rate schedule (dsrt_lr_schedule)
//   dsc_optimizer  the optimizer and gradient clipping (dsrt_optimizer)
//   dsc_plan       the checked plan (runtime/main/PlanCodec.h), and
//                  dsc_plan_bytes its size
//
//===----------------------------------------------------------------------===//

#ifndef DSC_COMPILER_CODEGEN_RANKCONSTANTS_H
#define DSC_COMPILER_CODEGEN_RANKCONSTANTS_H

#include "compiler/config/DsConfig.h"
#include "runtime/include/dsrt.h"

#include "mlir/IR/BuiltinOps.h"

namespace dsc::codegen {

/// The optimizer block of `config` (zeros without one: an inference plan)
/// with its gradient clipping.
dsrt_optimizer optimizerConstant(const config::DsConfig &config);

/// Adds `llvm.mlir.global external constant @dsc_schedule` and
/// `@dsc_optimizer` to the LLVM-dialect `module` (each struct's bytes as
/// 8-byte words: every field of them is 8 bytes, so the arrays and the
/// structs agree), and `@dsc_plan` holding `plan` (encodePlan's bytes) with
/// `@dsc_plan_bytes`.
void addRankConstants(mlir::ModuleOp module, const config::DsConfig &config,
                      llvm::ArrayRef<uint8_t> plan);

} // namespace dsc::codegen

#endif // DSC_COMPILER_CODEGEN_RANKCONSTANTS_H
