//===- FrozenInitializers.cpp - Float initializers that are not trained ---===//

#include "compiler/onnx/FrozenInitializers.h"

#include <cmath>
#include <cstring>
#include <vector>

namespace dsc::onnx_import {

namespace {

/// Whether `table` ([rows, cols], row-major) holds cos (or sin) of p * f_j,
/// with f_j read from row 1.
bool isRotary(const std::vector<double> &table, int64_t rows, int64_t cols,
              bool sine) {
  if (rows < 3 || cols < 1)
    return false;
  double largest = 0.0;
  for (int64_t j = 0; j < cols; ++j) {
    double first = table[j], second = table[cols + j];
    if (std::fabs(first - (sine ? 0.0 : 1.0)) > 1e-6 || std::fabs(second) > 1.0)
      return false;
    // f_j from row 1; RoPE frequencies are at most 1 (sin is invertible).
    double f = sine ? std::asin(second) : std::acos(second);
    largest = std::max(largest, f);
    for (int64_t p = 2; p < rows; ++p) {
      double expected = sine ? std::sin(p * f) : std::cos(p * f);
      // float32 positions times frequencies lose about p * f * 2^-24.
      double tolerance = 1e-5 + 1e-6 * static_cast<double>(p);
      if (std::fabs(table[p * cols + j] - expected) > tolerance)
        return false;
    }
  }
  // All-ones and all-zeros tensors fit with f = 0; they are no tables.
  return largest > 1e-3;
}

} // namespace

std::optional<std::string> provenBuffer(const Parameter &p) {
  auto type = p.type;
  if (!type.getElementType().isF32() || type.getRank() < 2)
    return std::nullopt;
  for (int64_t d = 0; d + 2 < type.getRank(); ++d)
    if (type.getDimSize(d) != 1)
      return std::nullopt;
  const int64_t rows = type.getDimSize(type.getRank() - 2);
  const int64_t cols = type.getDimSize(type.getRank() - 1);
  std::vector<double> table(rows * cols);
  const float *data = reinterpret_cast<const float *>(p.data.data());
  for (int64_t i = 0; i < rows * cols; ++i)
    table[i] = data[i];
  if (isRotary(table, rows, cols, /*sine=*/false))
    return std::string("a rotary position table (cos of positions)");
  if (isRotary(table, rows, cols, /*sine=*/true))
    return std::string("a rotary position table (sin of positions)");
  return std::nullopt;
}

} // namespace dsc::onnx_import
