//===- DataFeeder.cpp - Micro-batches from per-input .npy files -----------===//

#include "runtime/io/DataFeeder.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <sys/stat.h>

namespace dsc::runtime {
namespace {

std::string joinPath(const std::string &dir, const std::string &file) {
  if (dir.empty())
    return file;
  if (dir.back() == '/')
    return dir + file;
  return dir + "/" + file;
}

std::string expectedShape(const std::vector<int64_t> &sampleShape) {
  std::string out = "(N";
  for (int64_t d : sampleShape)
    out += ", " + std::to_string(d);
  if (sampleShape.empty())
    out += ",";
  return out + ")";
}

} // namespace

Expected<DataFeeder> DataFeeder::open(const std::string &dir,
                                      std::vector<FeedInput> inputs,
                                      const FeedLayout &layout) {
  const FeedLayout &l = layout;
  if (l.trainBatchSize < 1 || l.microBatchSize < 1 || l.gradAccumSteps < 1 ||
      l.dpSize < 1)
    return Status::error(
        "batch layout: train_batch_size, train_micro_batch_size_per_gpu, "
        "gradient_accumulation_steps and the data-parallel size must be "
        "positive (got " +
        std::to_string(l.trainBatchSize) + ", " +
        std::to_string(l.microBatchSize) + ", " +
        std::to_string(l.gradAccumSteps) + ", " + std::to_string(l.dpSize) +
        ")");
  int64_t product = 0;
  if (__builtin_mul_overflow(l.microBatchSize, l.gradAccumSteps, &product) ||
      __builtin_mul_overflow(product, l.dpSize, &product) ||
      product != l.trainBatchSize)
    return Status::error(
        "batch layout: train_batch_size " + std::to_string(l.trainBatchSize) +
        " != train_micro_batch_size_per_gpu " +
        std::to_string(l.microBatchSize) + " * gradient_accumulation_steps " +
        std::to_string(l.gradAccumSteps) + " * data-parallel size " +
        std::to_string(l.dpSize));
  if (l.dpRank < 0 || l.dpRank >= l.dpSize)
    return Status::error("batch layout: data-parallel rank " +
                         std::to_string(l.dpRank) + " is not in [0, " +
                         std::to_string(l.dpSize) + ")");

  DataFeeder feeder;
  feeder.config = layout;
  std::string firstPath;
  for (const FeedInput &in : inputs) {
    const std::string path = joinPath(dir, in.name + ".npy");
    struct stat st;
    if (::stat(path.c_str(), &st) != 0 && errno == ENOENT)
      return Status::error(joinPath(dir, "") + ": no file for graph input '" +
                           in.name + "': expected '" + path +
                           "' (one .npy per graph input, first dimension = "
                           "samples)");
    Expected<NpyArray> array = NpyArray::open(path);
    if (!array)
      return array.status();
    const NpyArray &a = *array;
    if (a.dtype() != in.dtype) {
      std::string want(dtypeName(in.dtype));
      if (!npyDescr(in.dtype).empty())
        want += " (" + std::string(npyDescr(in.dtype)) + ")";
      else
        want += ", which .npy cannot hold";
      return Status::error(path + ": dtype " +
                           std::string(npyDescr(a.dtype())) + ", expected " +
                           want);
    }
    const std::vector<int64_t> &shape = a.shape();
    bool shapeOk = shape.size() == in.sampleShape.size() + 1;
    for (size_t d = 0; shapeOk && d < in.sampleShape.size(); ++d)
      shapeOk = shape[d + 1] == in.sampleShape[d];
    if (!shapeOk)
      return Status::error(path + ": shape " + formatShape(shape) +
                           ", expected " + expectedShape(in.sampleShape));
    const int64_t n = shape[0];
    if (n < l.trainBatchSize)
      return Status::error(path + ": " + std::to_string(n) +
                           " samples, but one optimizer "
                           "step needs " +
                           std::to_string(l.trainBatchSize) +
                           " (train_batch_size)");
    if (feeder.arrays.empty()) {
      feeder.samples = n;
      firstPath = path;
    } else if (n != feeder.samples) {
      return Status::error(path + ": " + std::to_string(n) + " samples, but " +
                           firstPath + " has " +
                           std::to_string(feeder.samples) +
                           "; all inputs must have the same number of "
                           "samples");
    }
    feeder.bytesPerSample.push_back(a.byteSize() / static_cast<size_t>(n));
    feeder.arrays.push_back(std::move(*array));
  }
  feeder.specs = std::move(inputs);
  return feeder;
}

size_t DataFeeder::microBatchBytes(size_t i) const {
  return bytesPerSample[i] * static_cast<size_t>(config.microBatchSize);
}

std::vector<int64_t> DataFeeder::microBatchShape(size_t i) const {
  std::vector<int64_t> shape{config.microBatchSize};
  shape.insert(shape.end(), specs[i].sampleShape.begin(),
               specs[i].sampleShape.end());
  return shape;
}

int64_t DataFeeder::sampleIndex(int64_t step, int64_t micro, int64_t k) const {
  using u128 = unsigned __int128;
  const u128 n = static_cast<u128>(samples);
  const u128 first =
      static_cast<u128>(step) * static_cast<u128>(config.trainBatchSize) +
      static_cast<u128>(config.dpRank * config.microBatchSize *
                        config.gradAccumSteps) +
      static_cast<u128>(micro * config.microBatchSize + k);
  return static_cast<int64_t>(first % n);
}

Status DataFeeder::copyMicroBatch(int64_t step, int64_t micro,
                                  size_t inputIndex, void *dst) const {
  if (inputIndex >= arrays.size())
    return Status::error("copyMicroBatch: input " + std::to_string(inputIndex) +
                         " of " + std::to_string(arrays.size()));
  const NpyArray &a = arrays[inputIndex];
  if (step < 0 || micro < 0 || micro >= config.gradAccumSteps)
    return Status::error(a.path() + ": no micro-batch " +
                         std::to_string(micro) + " of step " +
                         std::to_string(step) +
                         " (gradient_accumulation_"
                         "steps " +
                         std::to_string(config.gradAccumSteps) + ")");
  if (!dst)
    return Status::error(a.path() + ": copyMicroBatch into a null buffer");
  const size_t sample = bytesPerSample[inputIndex];
  const auto *src = static_cast<const char *>(a.data());
  auto *out = static_cast<char *>(dst);
  // MBS <= TBS <= N, so the micro-batch is one run or two (at the wrap).
  int64_t k = 0;
  while (k < config.microBatchSize) {
    const int64_t row = sampleIndex(step, micro, k);
    const int64_t run = std::min(config.microBatchSize - k, samples - row);
    if (sample > 0)
      std::memcpy(out + static_cast<size_t>(k) * sample,
                  src + static_cast<size_t>(row) * sample,
                  static_cast<size_t>(run) * sample);
    k += run;
  }
  return Status::success();
}

} // namespace dsc::runtime
