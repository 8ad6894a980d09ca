//===- DataMovementKernels.cpp - transpose, slice, gather, pad ... --------===//
//
// The entry points of KernelDecls.def's DataMovement kernels.
//
//===----------------------------------------------------------------------===//

#include "runtime/dispatch/DispatchInternal.h"

namespace dsc::runtime::detail {
namespace {

namespace K = dsc::kernels::cpu;
#include "runtime/dispatch/DataMovementRuns.inc"

} // namespace

#define DSC_KERNEL(Group, Id, name, Types, Ins, Outs, MinInputs, Run, Sel,     \
                   Check, AttrList)                                            \
  DSC_KERNELS_OF_##Group(Id, name, Types, Run, Sel)
#define DSC_KERNELS_OF_Elementwise(...)
#define DSC_KERNELS_OF_Numeric(...)
#define DSC_KERNELS_OF_DataMovement DSC_DEFINE_ENTRIES
#include "kernels/KernelDecls.def"

} // namespace dsc::runtime::detail
