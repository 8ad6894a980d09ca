//===- ScheduleGlobal.h - The schedule as a constant of the object -*- C++
//-*-===//
//
// The learning-rate schedule, resolved from ds_config in the compiler, goes
// into the rank's object as the constant dsc_schedule (runtime/include/
// dsrt.h: dsrt_lr_schedule), so the rank reads it from its own binary, not
// from plan.json.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_COMPILER_CODEGEN_SCHEDULEGLOBAL_H
#define DSC_COMPILER_CODEGEN_SCHEDULEGLOBAL_H

#include "runtime/schedule/LrSchedule.h"

#include "mlir/IR/BuiltinOps.h"

namespace dsc::codegen {

/// Adds `llvm.mlir.global external constant @dsc_schedule` to the
/// LLVM-dialect `module`: dsrt_lr_schedule's bytes as 8-byte words (every
/// field of the struct is 8 bytes, so the array and the struct agree).
void addScheduleGlobal(mlir::ModuleOp module,
                       const runtime::ScheduleSpec &spec);

} // namespace dsc::codegen

#endif // DSC_COMPILER_CODEGEN_SCHEDULEGLOBAL_H
