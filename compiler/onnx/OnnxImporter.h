//===- OnnxImporter.h - ONNX model -> graph dialect -------------*- C++ -*-===//
//
// Imports an ONNX ModelProto into a module holding one `func.func @main` of
// `graph` ops on statically shaped tensors. Graph inputs come first in the
// signature (arg attribute `graph.input = "<onnx name>"`), then the float
// initializers as parameters (`graph.param = "<onnx name>"`); results carry
// `graph.output = "<onnx name>"`. Integer, boolean and single-element
// initializers, masks and bounds are constants. The graph is checked against
// ONNX's structural rules first.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_COMPILER_ONNX_ONNXIMPORTER_H
#define DSC_COMPILER_ONNX_ONNXIMPORTER_H

#include "runtime/io/TiedCopies.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mlir {
class MLIRContext;
} // namespace mlir

namespace dsc::onnx_import {

/// How symbolic dimensions of graph inputs become static.
struct ImportOptions {
  /// Binds the first dimension of every graph input (the micro-batch size).
  std::optional<int64_t> batchSize;
  /// Whole shapes given on the command line (`--input-shape ids=2x48`); they
  /// take precedence over `batchSize`, except that in training
  /// (`batchedInputs`) their first dimension must be `batchSize`.
  llvm::StringMap<llvm::SmallVector<int64_t>> inputShapes;
  /// Every graph input is fed in micro-batches along its first axis
  /// (training); inference may read an input whole.
  bool batchedInputs = false;
  /// Trains initializers that are exact copies or transposes of another as
  /// independent parameters (--keep-copies) instead of restoring the tie.
  bool keepCopies = false;
  /// --freeze patterns: initializers whose names (or whose tied copies'
  /// names) any of them matches (anywhere in the name, POSIX extended
  /// syntax) are not trained. Each must match one; not all may be frozen.
  std::vector<std::string> freeze;
};

/// A float initializer: a parameter of the model, in ONNX's little-endian
/// layout.
struct Parameter {
  std::string name;
  mlir::RankedTensorType type;
  std::vector<char> data;
  /// Why it is not trained (FrozenInitializers.h, --freeze); empty when it
  /// is. A frozen one is an argument of `@main` with `graph.frozen` in place
  /// of `graph.param`.
  std::string frozen;
};

struct ImportedModel {
  mlir::OwningOpRef<mlir::ModuleOp> module;
  /// In the order of the parameters of `@main` that follow the graph inputs.
  std::vector<Parameter> parameters;
  /// The ties restored (TiedInitializers.h), in initializer order: each copy
  /// is not a parameter; the graph reads its source (transposed) instead.
  std::vector<runtime::TiedCopy> ties;
};

/// Imports the model at `path`; external data files are read relative to its
/// directory. Every failure is one message naming what is wrong.
llvm::Expected<ImportedModel> importOnnxFile(mlir::MLIRContext &context,
                                             llvm::StringRef path,
                                             const ImportOptions &options);

/// Imports a serialized ModelProto; `baseDir` resolves external data.
llvm::Expected<ImportedModel> importOnnxBuffer(mlir::MLIRContext &context,
                                               llvm::StringRef bytes,
                                               llvm::StringRef baseDir,
                                               const ImportOptions &options);

/// Parses a serialized ModelProto; `label` prefixes the error.
llvm::Expected<onnx::ModelProto> parseOnnxModel(llvm::StringRef bytes,
                                                llvm::StringRef label);

/// Every (node index, input index) of `graph` that reads `name`, in node
/// order.
std::vector<std::pair<size_t, int>>
initializerUses(const onnx::GraphProto &graph, llvm::StringRef name);

/// The parameter that the k-th use (k >= 1, initializerUses order) of a
/// merged constant initializer reads after import: "<name>#<k>".
std::string untiedName(llvm::StringRef name, size_t k);

/// The ONNX op types (default domain) the importer converts, sorted.
llvm::ArrayRef<llvm::StringRef> supportedOps();
bool isSupportedOp(llvm::StringRef opType);

/// Loads every dialect the importer creates ops of.
void loadImporterDialects(mlir::MLIRContext &context);

} // namespace dsc::onnx_import

#endif // DSC_COMPILER_ONNX_ONNXIMPORTER_H
