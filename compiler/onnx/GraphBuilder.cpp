//===- GraphBuilder.cpp - state of one ONNX graph import ------------------===//

#include "compiler/onnx/GraphBuilder.h"

using namespace mlir;
using llvm::Expected;
using llvm::SmallVector;
using llvm::StringRef;

namespace dsc::onnx_import {

std::string tensorTypeString(Type type) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << type;
  return s;
}

GraphBuilder::GraphBuilder(OpBuilder &builder, StringRef baseDir, int64_t opset)
    : builder(builder), modelDir(baseDir.str()), opsetVersion(opset),
      location(builder.getUnknownLoc()) {}

void GraphBuilder::beginNode(const onnx::NodeProto &node, size_t index) {
  current = &node;
  currentIndex = index;
  currentName = node.name().empty()
                    ? node.op_type() + "_" + std::to_string(index)
                    : node.name();
  nodeLabel = "node '" + currentName + "' (" + node.op_type() + ")";
  location = NameLoc::get(builder.getStringAttr(currentName));
  diagnostic.clear();
}

StringRef GraphBuilder::inputName(int i) const {
  if (i >= current->input_size())
    return "";
  auto it = renames.find({currentIndex, i});
  return it != renames.end() ? StringRef(it->second)
                             : StringRef(current->input(i));
}

Value GraphBuilder::input(int i) const {
  StringRef name = inputName(i);
  if (name.empty())
    return {};
  return values.lookup(name);
}

void GraphBuilder::setOutput(int i, Value value) {
  if (i < current->output_size() && !current->output(i).empty())
    values[current->output(i)] = value;
}

DenseElementsAttr GraphBuilder::constantOf(Value v) const {
  if (!v)
    return {};
  if (auto c = v.getDefiningOp<graph::ConstantOp>())
    return dyn_cast<DenseElementsAttr>(c.getValue());
  return {};
}

Expected<SmallVector<int64_t>> GraphBuilder::constantInts(int i,
                                                          StringRef role) {
  DenseElementsAttr c = constantOf(input(i));
  if (!c)
    return nodeError("input '" + role +
                     "' must be known at compile time (a constant or "
                     "computed from shapes), but it depends on the values "
                     "of graph inputs");
  if (!isa<IntegerType>(c.getElementType()))
    return nodeError("input '" + role + "' must be an integer tensor");
  SmallVector<int64_t> out;
  for (const APInt &v : c.getValues<APInt>())
    out.push_back(v.getSExtValue());
  return out;
}

const onnx::AttributeProto *GraphBuilder::attr(StringRef name) const {
  for (const onnx::AttributeProto &a : current->attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

int64_t GraphBuilder::attrInt(StringRef name, int64_t dflt) const {
  const onnx::AttributeProto *a = attr(name);
  return a ? a->i() : dflt;
}

double GraphBuilder::attrFloat(StringRef name, double dflt) const {
  const onnx::AttributeProto *a = attr(name);
  return a ? a->f() : dflt;
}

std::string GraphBuilder::attrString(StringRef name, StringRef dflt) const {
  const onnx::AttributeProto *a = attr(name);
  return a ? a->s() : dflt.str();
}

std::optional<SmallVector<int64_t>>
GraphBuilder::attrInts(StringRef name) const {
  const onnx::AttributeProto *a = attr(name);
  if (!a)
    return std::nullopt;
  return SmallVector<int64_t>(a->ints().begin(), a->ints().end());
}

llvm::Error GraphBuilder::nodeError(const llvm::Twine &message) const {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 nodeLabel + ": " + message);
}

void GraphBuilder::recordDiagnostic(Diagnostic &diag) {
  if (!diagnostic.empty())
    diagnostic += "; ";
  diagnostic += diag.str();
}

std::string GraphBuilder::takeDiagnostic() {
  std::string message = std::move(diagnostic);
  diagnostic.clear();
  return message.empty() ? "invalid operands" : message;
}

llvm::Error GraphBuilder::checkSize(Type type) const {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor)
    return llvm::Error::success();
  if (!isReasonableShape(tensor.getShape()))
    return nodeError("result shape " + llvm::Twine(tensorTypeString(tensor)) +
                     " has a negative dimension or more than 2^40 elements");
  return llvm::Error::success();
}

Value GraphBuilder::constant(DenseElementsAttr value) {
  return graph::ConstantOp::create(builder, location, value);
}

Value GraphBuilder::constantI64(llvm::ArrayRef<int64_t> values) {
  auto type = RankedTensorType::get({static_cast<int64_t>(values.size())},
                                    builder.getI64Type());
  return constant(DenseElementsAttr::get(type, values));
}

SmallVector<Value> GraphBuilder::finish(Operation *op) {
  SmallVector<OpFoldResult> folded;
  if (failed(op->fold(folded)) || folded.empty())
    return SmallVector<Value>(op->getResults());
  SmallVector<Value> results;
  for (auto [result, fold] : llvm::zip(op->getResults(), folded)) {
    if (auto value = dyn_cast<Value>(fold)) {
      results.push_back(value);
      continue;
    }
    auto attr = cast<DenseElementsAttr>(cast<Attribute>(fold));
    results.push_back(constant(attr));
  }
  // An in-place fold (the op rewired its operands) returns the op itself.
  if (llvm::any_of(results, [&](Value v) { return v.getDefiningOp() == op; }))
    return results;
  op->erase();
  return results;
}

} // namespace dsc::onnx_import
