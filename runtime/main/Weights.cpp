//===- Weights.cpp - Params in and out of safetensors files ---------------===//

#include "runtime/main/Weights.h"

#include "runtime/io/FloatConversion.h"
#include "runtime/io/ParamInit.h"
#include "runtime/io/RankWeightsFormat.h"
#include "runtime/io/Safetensors.h"

#include <algorithm>
#include <cstring>

namespace dsc::runtime {

namespace {

/// A weights file written without the params' values.
bool omitsParamValues(const SafetensorsFile &file) {
  auto it = file.metadata().find(std::string(kParamValuesKey));
  return it != file.metadata().end() && it->second == "omitted";
}

Status noParamValues(const std::string &path) {
  return Status::error(path + ": holds no param values (ds-compile "
                              "--no-param-weights): give --init-seed N or "
                              "--weights FILE");
}

} // namespace

Status loadWeights(const Plan &plan, const std::string &weightsPath,
                   char *arena, WeightsToLoad what) {
  auto wanted = [&](const PlanBuffer &b) {
    return (b.role == BufferRole::Param && what != WeightsToLoad::Constants) ||
           (b.role == BufferRole::Constant && what != WeightsToLoad::Params);
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
    if (!t && b.role == BufferRole::Param && omitsParamValues(*file))
      return noParamValues(weightsPath);
    if (!t)
      return Status::error(weightsPath + ": no tensor '" + b.name + "' (" +
                           what + " " + std::string(dtypeName(b.dtype)) + " " +
                           formatShape(b.shape) + ")");
    // A float tensor loads into a float buffer of another width (the
    // model's float32 weights into an fp16 / bf16 plan), rounded.
    const bool converts =
        t->dtype != b.dtype && isFloatDType(t->dtype) && isFloatDType(b.dtype);
    if (t->dtype != b.dtype && !converts)
      return Status::error(weightsPath + ": tensor '" + b.name + "' is " +
                           std::string(dtypeName(t->dtype)) + ", " + what +
                           " is " + std::string(dtypeName(b.dtype)));
    if (t->shape != b.shape)
      return Status::error(weightsPath + ": tensor '" + b.name +
                           "' has shape " + formatShape(t->shape) + ", " +
                           what + " has " + formatShape(b.shape));
    if (t->byteSize() != static_cast<size_t>(b.numel) * dtypeSize(t->dtype))
      return Status::error(weightsPath + ": tensor '" + b.name + "' holds " +
                           std::to_string(t->byteSize()) + " bytes, " + what +
                           " needs " +
                           std::to_string(b.numel * dtypeSize(t->dtype)));
    if (b.bytes)
      convertFloats(t->data, t->dtype, arena + b.offset, b.dtype, b.numel);
  }
  return Status::success();
}

namespace {

/// The frozen initializers (the plan's "constant" buffers, read from the
/// weights file and never trained), then the tied copies, after `tensors`:
/// what every writer of a model's weights adds to its params, in this order.
Status writeWithFrozenAndTies(const Plan &plan, const char *arena,
                              std::vector<TensorToWrite> tensors,
                              const std::string &path) {
  std::vector<TensorToWrite> frozen;
  for (const PlanBuffer &b : plan.buffers)
    if (b.role == BufferRole::Constant)
      frozen.push_back({b.name, b.dtype, b.shape, arena + b.offset});
  std::vector<std::vector<char>> transposed;
  if (Status s =
          appendFrozenAndTiedCopies(tensors, frozen, plan.ties, transposed);
      !s.ok())
    return Status::error(path + ": " + s.message());
  return writeSafetensors(path, tensors, {{"format", "pt"}});
}

} // namespace

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
  return writeWithFrozenAndTies(plan, arena, std::move(tensors), path);
}

Status loadParamPartition(const Plan &plan, const std::string &path,
                          char *arena, int64_t rank) {
  if (!plan.zero || !plan.zero->shard)
    return Status::success();
  const PlanZero &zero = *plan.zero;
  const PlanBuffer &shard = plan.buffers[*zero.shard];
  const PlanRange part = zero.partitions[rank];
  const size_t elem = dtypeSize(shard.dtype);
  Expected<SafetensorsFile> file = SafetensorsFile::open(path);
  if (!file)
    return file.status();
  if (omitsParamValues(*file))
    return noParamValues(path);
  // The rank's own weights file holds its partition as one tensor.
  if (const SafetensorsTensor *t = file->find(kZeroPartitionTensor)) {
    auto range = file->metadata().find(std::string(kZeroPartitionTensor));
    const std::string expected =
        std::to_string(part.begin) + "," + std::to_string(part.end);
    if (range == file->metadata().end() || range->second != expected)
      return Status::error(
          path + ": holds the flat range [" +
          (range == file->metadata().end() ? std::string("?") : range->second) +
          "), rank " + std::to_string(rank) + "'s partition is [" + expected +
          ")");
    if (!isFloatDType(t->dtype) || t->numel != part.size() ||
        t->byteSize() != static_cast<size_t>(part.size()) * dtypeSize(t->dtype))
      return Status::error(path + ": its partition is not " +
                           std::to_string(part.size()) + " float elements");
    convertFloats(t->data, t->dtype, arena + shard.offset, shard.dtype,
                  part.size());
    return Status::success();
  }
  for (const ZeroParam &p : zero.params) {
    int64_t lo = std::max(part.begin, p.flatOffset);
    int64_t hi = std::min(part.end, p.flatOffset + p.numel);
    if (lo >= hi)
      continue;
    const SafetensorsTensor *t = file->find(p.name);
    if (!t || t->shape != p.shape || !isFloatDType(t->dtype) ||
        t->byteSize() != static_cast<size_t>(p.numel) * dtypeSize(t->dtype))
      return Status::error(path + ": no float tensor '" + p.name +
                           "' of shape " + formatShape(p.shape));
    convertFloats(static_cast<const char *>(t->data) +
                      (lo - p.flatOffset) * dtypeSize(t->dtype),
                  t->dtype, arena + shard.offset + (lo - part.begin) * elem,
                  shard.dtype, hi - lo);
  }
  return Status::success();
}

Status initParamsFromSeed(const Plan &plan, const std::string &weightsPath,
                          uint64_t seed, char *arena, int64_t rank) {
  Expected<SafetensorsFile> file = SafetensorsFile::open(weightsPath);
  if (!file)
    return file.status();
  std::vector<float> drawn;
  // Draws [begin, begin + count) of `name` into `dst` of type `dtype`.
  auto draw = [&](const std::string &name, int64_t begin, int64_t count,
                  char *dst, DType dtype) -> Status {
    Expected<ParamInit> init = paramInitFrom(file->metadata(), name);
    if (!init)
      return Status::error(weightsPath + ": " + init.message());
    drawn.resize(static_cast<size_t>(count));
    drawParam(seed, name, *init, begin, count, drawn.data());
    convertFloats(drawn.data(), DType::F32, dst, dtype, count);
    return Status::success();
  };
  for (const PlanBuffer &b : plan.buffers)
    if (b.role == BufferRole::Param && b.bytes)
      if (Status s = draw(b.name, 0, b.numel, arena + b.offset, b.dtype);
          !s.ok())
        return s;
  if (!plan.zero || !plan.zero->shard)
    return Status::success();
  // ZeRO-3: the rank's range of each param its partition overlaps.
  const PlanZero &zero = *plan.zero;
  const PlanBuffer &shard = plan.buffers[*zero.shard];
  const PlanRange part = zero.partitions[rank];
  const size_t elem = dtypeSize(shard.dtype);
  for (const ZeroParam &p : zero.params) {
    int64_t lo = std::max(part.begin, p.flatOffset);
    int64_t hi = std::min(part.end, p.flatOffset + p.numel);
    if (lo < hi)
      if (Status s = draw(p.name, lo - p.flatOffset, hi - lo,
                          arena + shard.offset + (lo - part.begin) * elem,
                          shard.dtype);
          !s.ok())
        return s;
  }
  return Status::success();
}

Status saveFlatParams(const Plan &plan, const char *flat, const char *arena,
                      const std::string &path) {
  const PlanZero &zero = *plan.zero;
  const DType dtype = zero.shard ? plan.buffers[*zero.shard].dtype : DType::F32;
  std::vector<TensorToWrite> tensors;
  for (const ZeroParam &p : zero.params)
    tensors.push_back(
        {p.name, dtype, p.shape, flat + p.flatOffset * dtypeSize(dtype)});
  return writeWithFrozenAndTies(plan, arena, std::move(tensors), path);
}

} // namespace dsc::runtime
