//===- RankWeightsFormat.h - ZeRO-3's per-rank weights file -----*- C++ -*-===//
//
// Where each rank's weights file is, and what the compiler writes into a
// ZeRO-3 rank's one and the rank reads back (header only: the compiler does
// not link the runtime): the rank's partition of the flat parameter space as
// one 1-D tensor, and the flat range it covers in the file's metadata under the
// same name, as
// "<begin>,<end>".
//
//===----------------------------------------------------------------------===//

#ifndef DSC_RUNTIME_IO_RANKWEIGHTSFORMAT_H
#define DSC_RUNTIME_IO_RANKWEIGHTSFORMAT_H

#include <string>
#include <string_view>

namespace dsc::runtime {

/// Rank r's weights file, relative to the output directory.
inline std::string rankWeightsFile(int rank) {
  return "weights/rank_" + std::to_string(rank) + ".safetensors";
}

inline constexpr std::string_view kZeroPartitionTensor = "dsc.zero_partition";

} // namespace dsc::runtime

#endif // DSC_RUNTIME_IO_RANKWEIGHTSFORMAT_H
