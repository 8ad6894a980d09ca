//===- KernelChecks.h - The kernels' own checks of a call site --*- C++ -*-===//
//
// What a kernel needs of its call site beyond its buffers' count and types
// (KernelDecls.def names one per kernel): an axis in range (normalised when
// negative), a permutation, bounds per axis. The compiler runs them on every
// plan.kernel, so the runtime's entry points trust their constants.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_KERNELS_KERNELCHECKS_H
#define DSC_KERNELS_KERNELCHECKS_H

#include "kernels/KernelDecls.h"

namespace dsc::kernels::checks {

std::string checkNothing(KernelSite &site);
/// copy: as many bytes in as out; fills `bytes`.
std::string checkCopy(KernelSite &site);
/// reduce_*: `axes` sorted, unique, in [0, rank).
std::string checkReduceAxes(KernelSite &site);
/// `axis` of input 0 / of the first result, normalised into [0, rank).
std::string checkInputAxis(KernelSite &site);
std::string checkResultAxis(KernelSite &site);
/// conv*: 2 strides, 4 pads, 2 dilations, group >= 1, 4-D buffers.
std::string checkConv(KernelSite &site);
/// dropout: ratio in [0, 1].
std::string checkDropout(KernelSite &site);
/// transpose: `perm` a permutation of the input's axes.
std::string checkPerm(KernelSite &site);
/// slice / slice_grad: one start, end and non-zero step per axis of the
/// input / of the result.
std::string checkInputSlice(KernelSite &site);
std::string checkResultSlice(KernelSite &site);
/// concat: `axis` normalised; every input of the same rank.
std::string checkConcat(KernelSite &site);
/// pad / pad_grad: two pads per axis of the input / of the result.
std::string checkInputPads(KernelSite &site);
std::string checkResultPads(KernelSite &site);
/// trilu: rank >= 2; k, when given, a scalar.
std::string checkTrilu(KernelSite &site);
/// fused_elementwise: a well-formed program (kernels/cpu/FusedProgram.h)
/// and every input broadcast to the result's shape.
std::string checkFusedProgram(KernelSite &site);

} // namespace dsc::kernels::checks

#endif // DSC_KERNELS_KERNELCHECKS_H
