//===- FrozenInitializers.cpp - Float initializers that are not trained ---===//

#include "compiler/onnx/FrozenInitializers.h"

#include <cmath>
#include <cstring>

namespace dsc::onnx_import {

namespace {

/// Whether `table` ([rows, cols], row-major, float32) holds cos (or sin) of
/// p * f_j in every column j.
bool isRotary(const float *table, int64_t rows, int64_t cols, bool sine) {
  if (rows < 3 || cols < 1)
    return false;
  // Row 0 (position 0) first: it rejects every other tensor at once.
  for (int64_t j = 0; j < cols; ++j)
    if (std::fabs(table[j] - (sine ? 0.0 : 1.0)) > 1e-6)
      return false;
  double largest = 0.0;
  for (int64_t j = 0; j < cols; ++j) {
    auto at = [&](int64_t p) {
      return static_cast<double>(table[p * cols + j]);
    };
    // f_j: asin is accurate at row 1 (sin f ~ f for low frequencies); acos
    // is flat near 1, so a low frequency is read from the first row whose
    // cosine is below 0.5 in magnitude (p * f is then in (pi/3, 2pi/3), so
    // acos is single-valued there): row 1 alone loses it to float32.
    int64_t from = sine ? 1 : rows - 1;
    for (int64_t p = 1; !sine && p < rows; ++p)
      if (std::fabs(at(p)) < 0.5) {
        from = p;
        break;
      }
    if (std::fabs(at(from)) > 1.0)
      return false;
    double f = (sine ? std::asin(at(from)) : std::acos(at(from))) /
               static_cast<double>(from);
    largest = std::max(largest, f);
    for (int64_t p = 1; p < rows; ++p) {
      double expected = sine ? std::sin(p * f) : std::cos(p * f);
      // float32 positions times frequencies lose about p * f * 2^-24.
      double tolerance = 1e-5 + 1e-6 * static_cast<double>(p);
      if (std::fabs(at(p) - expected) > tolerance)
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
  const float *data = reinterpret_cast<const float *>(p.data.data());
  if (isRotary(data, rows, cols, /*sine=*/false))
    return std::string("a rotary position table (cos of positions)");
  if (isRotary(data, rows, cols, /*sine=*/true))
    return std::string("a rotary position table (sin of positions)");
  return std::nullopt;
}

} // namespace dsc::onnx_import
