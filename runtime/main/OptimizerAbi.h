//===- OptimizerAbi.h - The object's optimizer constant ---------*- C++ -*-===//
//
// The optimizer and gradient clipping travel from the compiler to the rank
// inside the object, as dsrt_optimizer (runtime/include/dsrt.h). These are
// the rank's side of it.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_RUNTIME_MAIN_OPTIMIZERABI_H
#define DSC_RUNTIME_MAIN_OPTIMIZERABI_H

#include "runtime/include/dsrt.h"
#include "runtime/main/PlanFile.h"

namespace dsc::runtime {

/// The optimizer of `abi`; an unknown kind is an error naming it.
Expected<PlanOptimizer> optimizerFromAbi(const dsrt_optimizer &abi);

} // namespace dsc::runtime

#endif // DSC_RUNTIME_MAIN_OPTIMIZERABI_H
