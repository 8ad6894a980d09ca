//===- TiedInitializers.cpp - Ties exporters wrote as copies --------------===//

#include "compiler/onnx/TiedInitializers.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringRef.h"

#include <cstring>
#include <utility>

namespace dsc::onnx_import {

namespace {

size_t elementBytes(const Parameter &p) {
  return p.data.size() / std::max<int64_t>(p.type.getNumElements(), 1);
}

bool sameBytes(const Parameter &a, const Parameter &b) {
  return a.data.size() == b.data.size() &&
         std::memcmp(a.data.data(), b.data.data(), a.data.size()) == 0;
}

/// Whether `b` (shape [cols, rows]) is the transpose of `a` ([rows, cols]),
/// bit for bit. A few elements spread over the tensor are compared first,
/// so unrelated tensors of the same size cost next to nothing.
bool isTranspose(const Parameter &a, const Parameter &b) {
  if (a.type.getRank() != 2 || b.type.getRank() != 2 ||
      a.type.getDimSize(0) != b.type.getDimSize(1) ||
      a.type.getDimSize(1) != b.type.getDimSize(0) ||
      a.data.size() != b.data.size())
    return false;
  const int64_t rows = a.type.getDimSize(0), cols = a.type.getDimSize(1);
  const size_t width = elementBytes(a);
  auto equalAt = [&](int64_t r, int64_t c) {
    return std::memcmp(a.data.data() + (r * cols + c) * width,
                       b.data.data() + (c * rows + r) * width, width) == 0;
  };
  for (int64_t k = 0; k < 16; ++k) {
    int64_t flat = (rows * cols - 1) * k / 15;
    if (!equalAt(flat / cols, flat % cols))
      return false;
  }
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      if (!equalAt(r, c))
        return false;
  return true;
}

bool isFoldedName(llvm::StringRef name) { return name.starts_with("onnx::"); }

} // namespace

std::vector<TieIndex>
findTiedInitializers(llvm::ArrayRef<Parameter> params,
                     llvm::function_ref<bool(size_t)> eligible) {
  // Candidates of equal size and element type only.
  llvm::DenseMap<std::pair<int64_t, mlir::Type>, std::vector<size_t>> bySize;
  for (size_t i = 0; i < params.size(); ++i)
    if (eligible(i) && params[i].type.getNumElements() >= kMinTiedElements)
      bySize[{params[i].type.getNumElements(), params[i].type.getElementType()}]
          .push_back(i);
  std::vector<TieIndex> ties;
  std::vector<bool> isCopy(params.size(), false),
      isSource(params.size(), false);
  for (auto &entry : bySize) {
    const std::vector<size_t> &group = entry.second;
    for (size_t jj = 0; jj < group.size(); ++jj) {
      size_t j = group[jj];
      for (size_t ii = 0; ii < jj && !isCopy[j]; ++ii) {
        size_t i = group[ii];
        if (isCopy[i])
          continue;
        const Parameter &a = params[i], &b = params[j];
        bool copy = a.type.getShape() == b.type.getShape() && sameBytes(a, b);
        bool transposed = !copy && isTranspose(a, b);
        if (!copy && !transposed)
          continue;
        // Keep the model's own name; the exporter's folded one is the copy.
        bool keepLater =
            isFoldedName(a.name) && !isFoldedName(b.name) && !isSource[i];
        size_t source = keepLater ? j : i, copyIndex = keepLater ? i : j;
        isCopy[copyIndex] = true;
        isSource[source] = true;
        ties.push_back({copyIndex, source, transposed});
      }
    }
  }
  llvm::sort(ties, [](const TieIndex &x, const TieIndex &y) {
    return x.copy < y.copy;
  });
  return ties;
}

} // namespace dsc::onnx_import
