//===- ParamInit.h - Initial params drawn from a seed -----------*- C++ -*-===//
//
// A big model's initial weights need not travel with its executables: the
// compiler records each trainable param's initial distribution in the
// weights files' metadata, and a rank given --init-seed N draws the params
// from it. The rule: a param whose ONNX initializer holds one value (a
// norm's ones, a bias's zeros) keeps that value; any other is drawn from a
// normal distribution with its initializer's mean and standard deviation
// (Hugging Face's normal(0, initializer_range) weights, GPT-2's scaled
// projections, and PyTorch's uniform defaults by their moments).
//
// Each element is a pure function of (seed, the param's name, the element's
// index): a rank draws any range of any param alone, so one rank, ZeRO-3's
// partitions on any number of ranks, and 16-bit params all start from the
// same numbers.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_RUNTIME_IO_PARAMINIT_H
#define DSC_RUNTIME_IO_PARAMINIT_H

#include "runtime/io/Status.h"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace dsc::runtime {

/// A param's initial distribution: `value` everywhere when `constant`, else
/// normal(mean, std).
struct ParamInit {
  bool constant = false;
  double value = 0;
  double mean = 0;
  double std = 0;
};

/// The distribution of an initializer's `n` float32 values: constant when
/// they are all equal (bit for bit, so -0 and 0 differ), else their mean and
/// population standard deviation.
ParamInit paramInitOf(const float *values, int64_t n);

/// Weights-file metadata: "dsc.init.<param>" holds the param's ParamInit as
/// "constant <value>" or "normal <mean> <std>" (17 significant digits), and
/// kParamValuesKey is "omitted" when the file leaves out the trainable
/// params' values (ds-compile --no-param-weights).
inline constexpr std::string_view kParamInitPrefix = "dsc.init.";
inline constexpr std::string_view kParamValuesKey = "dsc.param_values";
std::string formatParamInit(const ParamInit &init);

/// The ParamInit of `param` from a weights file's metadata; an error naming
/// the param when it is missing or malformed.
Expected<ParamInit>
paramInitFrom(const std::map<std::string, std::string> &metadata,
              const std::string &param);

/// Elements [begin, begin + count) of param `name` drawn with `seed`.
void drawParam(uint64_t seed, const std::string &name, const ParamInit &init,
               int64_t begin, int64_t count, float *out);

} // namespace dsc::runtime

#endif // DSC_RUNTIME_IO_PARAMINIT_H
