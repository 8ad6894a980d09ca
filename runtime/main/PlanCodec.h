//===- PlanCodec.h - The rank's plan as bytes in its own object -*- C++ -*-===//
//
// ds-compile checks the plan it writes with the runtime's own parsePlan and
// encodes the result into the rank's object (dsc_plan in dsrt.h), so the
// rank learns its buffers, batch, ZeRO layout, collectives and weights
// from its own binary (its code calls the kernels); plan.json is a report for
// people and tools. The layout of the bytes is declared once (one field list
// serves the encoder and the decoder, PlanCodec.cpp), and the object and the
// runtime that reads it are linked into the same executable, so they never
// disagree on it; the decoder still checks every read against the end.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_RUNTIME_MAIN_PLANCODEC_H
#define DSC_RUNTIME_MAIN_PLANCODEC_H

#include "runtime/io/Status.h"
#include "runtime/main/PlanFile.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace dsc::runtime {

/// The bytes of `plan` (a plan parsePlan accepted). Weights file names are
/// written relative to the plan's directory (`plan.dir` is stripped), as
/// plan.json names them. Not encoded: the optimizer and the schedule (the
/// object's dsc_optimizer and dsc_schedule) and path/dir.
std::vector<uint8_t> encodePlan(const Plan &plan);

/// The plan `bytes` hold. `dir` ("" or ending in '/') resolves the weights
/// file names, as a plan.json's directory does; `label` names the plan in
/// messages (the executable). Errors: bytes that are not an encoded plan or
/// end early.
Expected<Plan> decodePlan(const uint8_t *bytes, size_t size,
                          const std::string &dir, const std::string &label);

} // namespace dsc::runtime

#endif // DSC_RUNTIME_MAIN_PLANCODEC_H
