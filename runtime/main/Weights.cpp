//===- Weights.cpp - Params in and out of safetensors files ---------------===//

#include "runtime/main/Weights.h"

#include "runtime/io/Safetensors.h"

#include <cstring>

namespace dsc::runtime {

Status loadWeights(const Plan &plan, const std::string &weightsPath,
                   char *arena, bool paramsOnly) {
  auto wanted = [&](const PlanBuffer &b) {
    return b.role == BufferRole::Param ||
           (!paramsOnly && b.role == BufferRole::Constant);
  };
  bool any = false;
  for (const PlanBuffer &b : plan.buffers)
    any |= wanted(b);
  if (!any)
    return Status::success();
  Expected<SafetensorsFile> file = SafetensorsFile::open(weightsPath);
  if (!file)
    return file.status();
  for (const PlanBuffer &b : plan.buffers) {
    if (!wanted(b))
      continue;
    const std::string what =
        std::string("the plan's ") + std::string(bufferRoleName(b.role));
    const SafetensorsTensor *t = file->find(b.name);
    if (!t)
      return Status::error(weightsPath + ": no tensor '" + b.name + "' (" +
                           what + " " + std::string(dtypeName(b.dtype)) + " " +
                           formatShape(b.shape) + ")");
    if (t->dtype != b.dtype)
      return Status::error(weightsPath + ": tensor '" + b.name + "' is " +
                           std::string(dtypeName(t->dtype)) + ", " + what +
                           " is " + std::string(dtypeName(b.dtype)));
    if (t->shape != b.shape)
      return Status::error(weightsPath + ": tensor '" + b.name +
                           "' has shape " + formatShape(t->shape) + ", " +
                           what + " has " + formatShape(b.shape));
    if (t->byteSize() != b.bytes)
      return Status::error(weightsPath + ": tensor '" + b.name + "' holds " +
                           std::to_string(t->byteSize()) + " bytes, " + what +
                           " needs " + std::to_string(b.bytes));
    if (b.bytes)
      std::memcpy(arena + b.offset, t->data, b.bytes);
  }
  return Status::success();
}

Status saveParams(const Plan &plan, const char *arena,
                  const std::string &path) {
  std::vector<TensorToWrite> tensors;
  for (const PlanBuffer &b : plan.buffers) {
    if (b.role != BufferRole::Param)
      continue;
    TensorToWrite t;
    t.name = b.name;
    t.dtype = b.dtype;
    t.shape = b.shape;
    t.data = arena + b.offset;
    tensors.push_back(std::move(t));
  }
  return writeSafetensors(path, tensors, {{"format", "pt"}});
}

} // namespace dsc::runtime
