//===- GraphBuilder.h - state of one ONNX graph import ----------*- C++ -*-===//
//
// The importer's working state, shared by the driver (OnnxImporter.cpp) and
// the per-op conversions (OnnxOpConversions.cpp): the ONNX-name -> Value map,
// attribute access, and creation of graph ops with checked, inferred types
// that fold on the spot (which is how shape sub-graphs become constants).
//
//===----------------------------------------------------------------------===//

#ifndef DSC_COMPILER_ONNX_GRAPHBUILDER_H
#define DSC_COMPILER_ONNX_GRAPHBUILDER_H

#include "compiler/onnx/OnnxTensor.h"
#include "dialects/graph/GraphOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <onnx/onnx_pb.h>

#include <map>
#include <string>

namespace dsc::onnx_import {

class GraphBuilder {
public:
  GraphBuilder(mlir::OpBuilder &builder, llvm::StringRef baseDir,
               int64_t opset);

  mlir::MLIRContext *context() { return builder.getContext(); }
  mlir::OpBuilder &b() { return builder; }
  int64_t opset() const { return opsetVersion; }
  llvm::StringRef baseDir() const { return modelDir; }

  //===--- Values ---------------------------------------------------------===//

  void define(llvm::StringRef name, mlir::Value value) { values[name] = value; }
  /// The value named `name`, or null when the name is unknown.
  mlir::Value lookup(llvm::StringRef name) const { return values.lookup(name); }

  //===--- The node being converted ---------------------------------------===//

  /// Starts converting `node`: sets the location and clears the error.
  void beginNode(const onnx::NodeProto &node, size_t index);
  const onnx::NodeProto &node() const { return *current; }
  /// The node's name, or `<op type>_<index>` when it has none.
  llvm::StringRef nodeName() const { return currentName; }
  mlir::Location loc() const { return location; }

  /// Input `i` of the node; null when absent or empty (optional input).
  mlir::Value input(int i) const;
  /// The name input `i` of the node reads, after renaming (see renameInput).
  llvm::StringRef inputName(int i) const;
  /// Makes input `input` of node `node` read `name` instead (untied
  /// parameters).
  void renameInput(size_t node, int input, llvm::StringRef name) {
    renames[{node, input}] = name.str();
  }
  int numInputs() const { return current->input_size(); }
  int numOutputs() const { return current->output_size(); }
  /// Names output `i` of the node (empty names are skipped).
  void setOutput(int i, mlir::Value value);

  /// Integer values of a constant input (shapes, axes, pads ...).
  llvm::Expected<llvm::SmallVector<int64_t>> constantInts(int i,
                                                          llvm::StringRef role);
  /// The constant behind `v`, if it is one.
  mlir::DenseElementsAttr constantOf(mlir::Value v) const;

  const onnx::AttributeProto *attr(llvm::StringRef name) const;
  int64_t attrInt(llvm::StringRef name, int64_t dflt) const;
  double attrFloat(llvm::StringRef name, double dflt) const;
  std::string attrString(llvm::StringRef name, llvm::StringRef dflt) const;
  std::optional<llvm::SmallVector<int64_t>>
  attrInts(llvm::StringRef name) const;

  //===--- Errors ---------------------------------------------------------===//

  /// An error about the current node: "node 'n' (Op): <message>".
  llvm::Error nodeError(const llvm::Twine &message) const;
  /// Records an MLIR diagnostic emitted while building ops.
  void recordDiagnostic(mlir::Diagnostic &diag);
  /// The diagnostics recorded since the last call, as one message.
  std::string takeDiagnostic();

  //===--- Creating ops ---------------------------------------------------===//

  /// Builds `OpTy` with `numResults` results whose types are inferred and
  /// checked; a rule violation becomes an error on the current node. The op
  /// is folded at once when its operands allow.
  template <typename OpTy, typename... Args>
  llvm::Expected<llvm::SmallVector<mlir::Value>> createN(unsigned numResults,
                                                         Args &&...args) {
    mlir::OperationState state(location, OpTy::getOperationName());
    llvm::SmallVector<mlir::Type> placeholder(numResults,
                                              builder.getNoneType());
    OpTy::build(builder, state, mlir::TypeRange(placeholder),
                std::forward<Args>(args)...);
    llvm::SmallVector<mlir::Type> types;
    if (mlir::failed(OpTy::inferReturnTypes(
            context(), location, state.operands,
            state.attributes.getDictionary(context()), state.getRawProperties(),
            state.regions, types)))
      return nodeError(takeDiagnostic());
    for (mlir::Type type : types)
      if (llvm::Error err = checkSize(type))
        return std::move(err);
    state.types.assign(types.begin(), types.end());
    return finish(builder.create(state));
  }

  template <typename OpTy, typename... Args>
  llvm::Expected<mlir::Value> create(Args &&...args) {
    auto results = createN<OpTy>(1, std::forward<Args>(args)...);
    if (!results)
      return results.takeError();
    return (*results)[0];
  }

  /// Builds an op whose result type is given (reshape, expand, cast); the op
  /// verifier checks it.
  template <typename OpTy>
  llvm::Expected<mlir::Value> createTyped(mlir::Type type, mlir::Value input) {
    if (llvm::Error err = checkSize(type))
      return std::move(err);
    auto op = OpTy::create(builder, location, type, input);
    if (mlir::failed(mlir::verify(op))) {
      std::string message = takeDiagnostic();
      op->erase();
      return nodeError(message);
    }
    return finish(op.getOperation()).front();
  }

  /// Fails on a result type with a negative dimension or more elements than
  /// any real model has (which also keeps shape arithmetic from overflowing).
  llvm::Error checkSize(mlir::Type type) const;

  mlir::Value constant(mlir::DenseElementsAttr value);
  mlir::Value constantI64(llvm::ArrayRef<int64_t> values);

private:
  /// Folds `op` when possible, returning its (possibly folded) results.
  llvm::SmallVector<mlir::Value> finish(mlir::Operation *op);

  mlir::OpBuilder &builder;
  std::string modelDir;
  int64_t opsetVersion;
  llvm::StringMap<mlir::Value> values;
  std::map<std::pair<size_t, int>, std::string> renames;
  const onnx::NodeProto *current = nullptr;
  size_t currentIndex = 0;
  std::string currentName;
  std::string nodeLabel;
  mlir::Location location;
  std::string diagnostic;
};

/// The printed form of a type, for messages.
std::string tensorTypeString(mlir::Type type);

/// Converts the current node of `gb` into graph ops.
using OpConversion = llvm::Error (*)(GraphBuilder &gb);

/// The conversion for `opType` (default domain), or null.
OpConversion findOpConversion(llvm::StringRef opType);

} // namespace dsc::onnx_import

#endif // DSC_COMPILER_ONNX_GRAPHBUILDER_H
