//===- ScheduleSpecFromConfig.h - Runtime specs from a config ---*- C++ -*-===//
//
// Turns the parsed ds_config (compiler side, LLVM types) into the plain
// structs the runtime's LrSchedule and LossScaler take (runtime side, no
// LLVM).
//
//===----------------------------------------------------------------------===//

#ifndef DSC_COMPILER_CONFIG_SCHEDULESPECFROMCONFIG_H
#define DSC_COMPILER_CONFIG_SCHEDULESPECFROMCONFIG_H

#include "compiler/config/DsConfig.h"
#include "runtime/schedule/LossScaler.h"
#include "runtime/schedule/LrSchedule.h"

namespace dsc::config {

/// The `scheduler` block as a runtime ScheduleSpec; no block gives
/// ScheduleKind::Constant. "auto" values must be resolved before this: an
/// unresolved one contributes its stored default.
runtime::ScheduleSpec scheduleSpecFrom(const DsConfig &config);

/// The `fp16` block as a LossScalerSpec: dynamic when fp16 is enabled with
/// loss_scale 0, static loss_scale when it is > 0, and a static scale of 1
/// (no scaling) when fp16 is off (fp32 or bf16 training).
runtime::LossScalerSpec lossScalerSpecFrom(const DsConfig &config);

} // namespace dsc::config

#endif // DSC_COMPILER_CONFIG_SCHEDULESPECFROMCONFIG_H
