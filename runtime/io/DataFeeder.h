//===- DataFeeder.h - Micro-batches from per-input .npy files --*- C++ -*-===//
//
// Each graph input `name` is fed from `<dir>/<name>.npy`, whose first
// dimension counts samples and whose other dimensions are the per-sample
// shape. All inputs must hold the same number of samples N >= the train
// batch size.
//
// Sample selection (ds-compile's fixed layout; see below for how it relates
// to DeepSpeed's own loader). With TBS = train_batch_size, MBS =
// train_micro_batch_size_per_gpu, GAS = gradient_accumulation_steps and D
// data-parallel ranks (TBS = MBS * GAS * D), optimizer step s (0-based)
// consumes the global batch of samples
//   [s*TBS, (s+1)*TBS)  (indices modulo N: the data wraps around),
// split into D contiguous shards of MBS*GAS samples -- rank r gets the
// step's samples [r*MBS*GAS, (r+1)*MBS*GAS) -- and each shard into GAS
// micro-batches of MBS samples in order. So sample k (0 <= k < MBS) of
// micro-batch m of rank r at step s is file row
//   (s*TBS + r*MBS*GAS + m*MBS + k) mod N.
// Every step thus consumes exactly the global batch [s*TBS, (s+1)*TBS), as
// in DeepSpeed. No shuffling: DeepSpeed's own DeepSpeedDataLoader wraps the
// dataset in a DistributedSampler (shuffled by default, and strided: rank r
// takes rows r, r+D, ...). Unshuffled, that consumes the same global batch
// per step, and so the same averaged gradient, but with D > 1 assigns its
// samples to ranks and micro-batches differently. Shuffle the .npy files
// beforehand if wanted.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_RUNTIME_IO_DATAFEEDER_H
#define DSC_RUNTIME_IO_DATAFEEDER_H

#include "runtime/io/DType.h"
#include "runtime/io/Npy.h"
#include "runtime/io/Status.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace dsc::runtime {

/// A graph input the step reads: its name (the file is `<name>.npy`), its
/// element type and the shape of one sample (without the batch dimension).
struct FeedInput {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> sampleShape;
};

/// The batch sizes of ds_config and this rank's place among the
/// data-parallel ranks.
struct FeedLayout {
  int64_t trainBatchSize = 1;
  int64_t microBatchSize = 1;
  int64_t gradAccumSteps = 1;
  int64_t dpRank = 0;
  int64_t dpSize = 1;
};

class DataFeeder {
public:
  /// Maps `<dir>/<name>.npy` for every input and checks the layout (TBS =
  /// MBS * GAS * dpSize, 0 <= dpRank < dpSize), each file's dtype and
  /// per-sample shape, N >= TBS and that all files have the same N.
  static Expected<DataFeeder> open(const std::string &dir,
                                   std::vector<FeedInput> inputs,
                                   const FeedLayout &layout);

  /// Samples in every file (N).
  int64_t numSamples() const { return samples; }
  size_t numInputs() const { return specs.size(); }
  const FeedInput &input(size_t i) const { return specs[i]; }
  const NpyArray &array(size_t i) const { return arrays[i]; }
  const FeedLayout &layout() const { return config; }
  /// Bytes of one sample / of one micro-batch (MBS samples) of input i.
  size_t sampleBytes(size_t i) const { return bytesPerSample[i]; }
  size_t microBatchBytes(size_t i) const;
  /// (MBS, sampleShape...).
  std::vector<int64_t> microBatchShape(size_t i) const;

  /// The file row of sample k of micro-batch `micro` of this rank at
  /// optimizer step `step` (see the file comment). Arguments must be in
  /// range (step >= 0, 0 <= micro < GAS, 0 <= k < MBS).
  int64_t sampleIndex(int64_t step, int64_t micro, int64_t k) const;

  /// Copies micro-batch `micro` of optimizer step `step` of input
  /// `inputIndex` (microBatchBytes(inputIndex) bytes, C order, samples in
  /// order, wrapping around the end of the file) into `dst`.
  Status copyMicroBatch(int64_t step, int64_t micro, size_t inputIndex,
                        void *dst) const;

private:
  DataFeeder() = default;

  std::vector<FeedInput> specs;
  std::vector<NpyArray> arrays;
  std::vector<size_t> bytesPerSample;
  FeedLayout config;
  int64_t samples = 0;
};

} // namespace dsc::runtime

#endif // DSC_RUNTIME_IO_DATAFEEDER_H
