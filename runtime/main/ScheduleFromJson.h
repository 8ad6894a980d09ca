//===- ScheduleFromJson.h - plan.json's scheduler block ---------*- C++ -*-===//
//
// The compiler copies the ds_config "scheduler" block into plan.json with
// DeepSpeed's key names:
//   {"type": "WarmupLR", "params": {"warmup_min_lr": 0, "warmup_max_lr":
//    0.001, "warmup_num_steps": 1000, "warmup_type": "log"}}
// This turns it into the runtime's ScheduleSpec (runtime/schedule), the same
// mapping compiler/config/ScheduleSpecFromConfig does from a parsed config,
// without the compiler's (LLVM) types. Absent, null or "auto" params keep
// DeepSpeed's defaults (warmup_max_lr: the optimizer lr), except the
// required total_num_steps (WarmupDecayLR, WarmupCosineLR) and cycle_min_lr /
// cycle_max_lr (OneCycle); the type is case-sensitive as DeepSpeed's is; an
// unknown type or key is an error (the plan is machine-written, so a key
// the runtime does not know means the two disagree).
//
//===----------------------------------------------------------------------===//

#ifndef DSC_RUNTIME_MAIN_SCHEDULEFROMJSON_H
#define DSC_RUNTIME_MAIN_SCHEDULEFROMJSON_H

#include "runtime/io/Status.h"
#include "runtime/schedule/LrSchedule.h"

#include <nlohmann/json.hpp>

#include <string>

namespace dsc::runtime {

/// `scheduler` is the block's value (null: no scheduler, a constant lr).
/// `where` prefixes messages, e.g. "out/plan.json: scheduler".
Expected<ScheduleSpec> scheduleSpecFromJson(const nlohmann::json &scheduler,
                                            const std::string &where);

} // namespace dsc::runtime

#endif // DSC_RUNTIME_MAIN_SCHEDULEFROMJSON_H
