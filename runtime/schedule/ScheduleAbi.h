//===- ScheduleAbi.h - ScheduleSpec <-> the object's constant ---*- C++ -*-===//
//
// The learning-rate schedule travels from the compiler to the rank inside
// the object, as the C struct dsrt_lr_schedule (runtime/include/dsrt.h).
// These two functions are the only mapping between it and ScheduleSpec.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_RUNTIME_SCHEDULE_SCHEDULEABI_H
#define DSC_RUNTIME_SCHEDULE_SCHEDULEABI_H

#include "runtime/include/dsrt.h"
#include "runtime/schedule/LrSchedule.h"

namespace dsc::runtime {

dsrt_lr_schedule scheduleToAbi(const ScheduleSpec &spec);
ScheduleSpec scheduleFromAbi(const dsrt_lr_schedule &abi);

} // namespace dsc::runtime

#endif // DSC_RUNTIME_SCHEDULE_SCHEDULEABI_H
