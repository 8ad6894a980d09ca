//===- GraphInterpreter.h - reference evaluation of graph functions -*- C++
//-*-===//
//
// Evaluates a func.func of graph ops on the host by calling the CPU kernels,
// one op at a time, with every float computed in double. It is the oracle
// of the numeric tests (gradient checks), not a way to run models.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_TEST_NUMERIC_GRAPHINTERPRETER_H
#define DSC_TEST_NUMERIC_GRAPHINTERPRETER_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <vector>

namespace dsc::numeric {

/// A host tensor: floats as double, integers as int64, booleans as uint8.
struct HostTensor {
  std::vector<int64_t> shape;
  enum class Kind { Float, Int, Bool } kind = Kind::Float;
  std::vector<double> f;
  std::vector<int64_t> i;
  std::vector<uint8_t> b;

  int64_t numel() const;
  /// An empty tensor of `type`'s shape and kind.
  static HostTensor zeros(mlir::RankedTensorType type);
};

/// Runs `func` on `args` (one per argument) and returns its results, or the
/// first error (an unsupported op, a kernel error such as a bad index).
llvm::Expected<std::vector<HostTensor>>
evaluate(mlir::func::FuncOp func, const std::vector<HostTensor> &args);

} // namespace dsc::numeric

#endif // DSC_TEST_NUMERIC_GRAPHINTERPRETER_H
