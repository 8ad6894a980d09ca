//===- OnnxImporter.cpp - ONNX model -> graph dialect ---------------------===//
//
// Parses the ModelProto, checks its versions, binds the shapes of the graph
// inputs, turns initializers into parameters or constants, converts the
// nodes in order (they are topologically sorted in valid ONNX) and returns
// the verified module.
//
//===----------------------------------------------------------------------===//

#include "compiler/onnx/OnnxImporter.h"
#include "compiler/onnx/FrozenInitializers.h"
#include "compiler/onnx/GraphBuilder.h"
#include "compiler/onnx/OnnxTensor.h"
#include "compiler/onnx/TiedInitializers.h"

#include "dialects/graph/GraphDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Regex.h"

#include <google/protobuf/io/coded_stream.h>

#include <cmath>

using namespace mlir;
using llvm::Expected;
using llvm::SmallVector;
using llvm::StringRef;

namespace dsc::onnx_import {

namespace {

constexpr int64_t kMinOpset = 13, kMaxOpset = 21;
constexpr int64_t kMinIrVersion = 7, kMaxIrVersion = 10;

llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

std::string shapeHint(StringRef name, ArrayRef<int64_t> dims) {
  std::string hint = "--input-shape " + name.str() + "=";
  for (size_t i = 0; i < dims.size(); ++i)
    hint += (i ? "x" : "") + ("<d" + std::to_string(i) + ">");
  return hint;
}

/// Turns the declared type of a graph input into a static tensor type.
Expected<RankedTensorType> bindInputType(MLIRContext &ctx,
                                         const onnx::ValueInfoProto &info,
                                         const ImportOptions &options) {
  StringRef name = info.name();
  if (!info.type().has_tensor_type())
    return makeError("graph input '" + name + "' is not a tensor");
  const onnx::TypeProto::Tensor &tensor = info.type().tensor_type();
  Expected<Type> element = elementTypeOf(ctx, tensor.elem_type());
  if (!element)
    return makeError("graph input '" + name +
                     "': " + llvm::toString(element.takeError()));
  auto given = options.inputShapes.find(name);
  if (!tensor.has_shape()) {
    if (given == options.inputShapes.end())
      return makeError("graph input '" + name +
                       "' has no declared shape; pass --input-shape " + name +
                       "=<dims>");
    return RankedTensorType::get(given->second, *element);
  }
  const auto &dims = tensor.shape().dim();
  SmallVector<int64_t> shape;
  if (given != options.inputShapes.end()) {
    if (!isReasonableShape(given->second))
      return makeError("--input-shape " + name +
                       " has more than 2^40 elements");
    if (static_cast<int>(given->second.size()) != dims.size())
      return makeError("--input-shape " + name + " has " +
                       llvm::Twine(given->second.size()) +
                       " dims, but the graph input has rank " +
                       llvm::Twine(dims.size()));
    // Training feeds micro-batches along the first axis.
    if (options.batchedInputs && options.batchSize && !given->second.empty() &&
        given->second[0] != *options.batchSize)
      return makeError("--input-shape " + name + " gives " +
                       llvm::Twine(given->second[0]) +
                       " for the first dimension, but the micro-batch size "
                       "is " +
                       llvm::Twine(*options.batchSize) +
                       "; the first dimension of every graph input is the "
                       "micro-batch (train_micro_batch_size_per_gpu)");
    for (int i = 0; i < dims.size(); ++i)
      if (dims[i].has_dim_value() && dims[i].dim_value() != given->second[i])
        return makeError("--input-shape " + name + " gives " +
                         llvm::Twine(given->second[i]) + " for axis " +
                         llvm::Twine(i) + ", but the model fixes it to " +
                         llvm::Twine(dims[i].dim_value()));
    return RankedTensorType::get(given->second, *element);
  }
  for (int i = 0; i < dims.size(); ++i) {
    const onnx::TensorShapeProto::Dimension &d = dims[i];
    if (d.has_dim_value()) {
      if (i == 0 && options.batchSize && d.dim_value() != *options.batchSize)
        return makeError(
            "graph input '" + name + "' has a static first dimension of " +
            llvm::Twine(d.dim_value()) + ", but the micro-batch size is " +
            llvm::Twine(*options.batchSize) +
            "; export the model with a dynamic batch axis or set "
            "train_micro_batch_size_per_gpu to " +
            llvm::Twine(d.dim_value()));
      shape.push_back(d.dim_value());
      continue;
    }
    if (i == 0 && options.batchSize) {
      shape.push_back(*options.batchSize);
      continue;
    }
    std::string symbol =
        d.has_dim_param() ? "'" + d.dim_param() + "'" : "unnamed";
    SmallVector<int64_t> rank(dims.size());
    return makeError(
        "graph input '" + name + "' axis " + llvm::Twine(i) + " (" + symbol +
        ") is symbolic and cannot be bound; pass " + shapeHint(name, rank));
  }
  if (!isReasonableShape(shape))
    return makeError("graph input '" + name +
                     "' has a negative dimension or more than 2^40 elements");
  return RankedTensorType::get(shape, *element);
}

/// The float elements of an initializer, as doubles (f32 and f64 only).
std::optional<std::vector<double>> floatValues(const TensorData &data) {
  Type element = data.type.getElementType();
  std::vector<double> values;
  if (element.isF32()) {
    const float *p = reinterpret_cast<const float *>(data.bytes.data());
    values.assign(p, p + data.type.getNumElements());
  } else if (element.isF64()) {
    const double *p = reinterpret_cast<const double *>(data.bytes.data());
    values.assign(p, p + data.type.getNumElements());
  } else {
    return std::nullopt;
  }
  return values;
}

/// Values at or beyond this magnitude are float limits, never trained ones.
constexpr double kLimitMagnitude = 1e30;

/// An additive attention mask as exporters write it, or a tensor of bounds:
/// every element is 0 or one value at the float limits (-inf, the lowest
/// float, +inf ...), and at least one element is that value. Nothing else
/// with such an element is: NaN never is, nor a tensor of varied values with
/// one infinity in it.
bool isLimitConstant(ArrayRef<double> values) {
  std::optional<double> limit;
  for (double v : values) {
    if (v == 0.0)
      continue;
    if (std::isnan(v) || std::fabs(v) < kLimitMagnitude)
      return false;
    if (limit && *limit != v)
      return false;
    limit = v;
  }
  return limit.has_value();
}

/// Float initializers with more than one element are trained parameters,
/// except masks and bounds (isLimitConstant): those are constants, like
/// indices, shapes and scalars such as scales and epsilons.
bool isParameter(const TensorData &data) {
  if (!isa<FloatType>(data.type.getElementType()) ||
      data.type.getNumElements() <= 1)
    return false;
  if (auto values = floatValues(data))
    return !isLimitConstant(*values);
  return true;
}

/// A parameter must start finite and trainable: a NaN or an infinity only
/// ever trains to NaN, and 1e38 overflows in its first product. The error
/// names the tensor and the first bad element.
llvm::Error checkFiniteParameter(StringRef name, const TensorData &data) {
  auto values = floatValues(data);
  if (!values)
    return llvm::Error::success();
  for (size_t i = 0; i < values->size(); ++i) {
    double v = (*values)[i];
    if (std::isfinite(v) && std::fabs(v) < kLimitMagnitude)
      continue;
    // The flat index as a multi-index, as a user indexes the tensor.
    SmallVector<int64_t> index(data.type.getRank());
    int64_t rest = static_cast<int64_t>(i);
    for (int64_t d = data.type.getRank() - 1; d >= 0; --d) {
      int64_t dim = data.type.getDimSize(d);
      index[d] = dim ? rest % dim : 0;
      rest = dim ? rest / dim : 0;
    }
    std::string at;
    for (int64_t x : index)
      at += (at.empty() ? "" : ", ") + std::to_string(x);
    std::string value;
    if (std::isnan(v)) {
      value = "NaN";
    } else if (std::isinf(v)) {
      value = v > 0 ? "+inf" : "-inf";
    } else {
      char text[32];
      std::snprintf(text, sizeof text, "%g", v);
      value = text;
    }
    return makeError("initializer '" + name + "' is a trainable weight, but " +
                     "its element [" + at + "] is " + value +
                     "; a model must start with finite weights below 1e30 "
                     "in magnitude (masks and bounds hold only 0 and one "
                     "such value)");
  }
  return llvm::Error::success();
}

/// The structural rules of an ONNX graph that the importer relies on (as
/// onnx.checker states them): unique graph input and initializer names,
/// every value produced once (SSA form), and every node input defined by a
/// graph input, an initializer or an earlier node (topological order).
llvm::Error checkGraphStructure(const onnx::GraphProto &graph) {
  auto nodeLabel = [&](int i) {
    const onnx::NodeProto &node = graph.node(i);
    std::string name = node.name().empty()
                           ? node.op_type() + "_" + std::to_string(i)
                           : node.name();
    return "node '" + name + "' (" + node.op_type() + ", #" +
           std::to_string(i) + ")";
  };
  // Who defines each name: -1 a graph input or initializer, else the node.
  llvm::StringMap<int> definedBy;
  llvm::StringSet<> inputNames;
  for (const onnx::ValueInfoProto &info : graph.input())
    if (!inputNames.insert(info.name()).second)
      return makeError("graph input '" + info.name() + "' is declared twice");
  for (const onnx::TensorProto &init : graph.initializer())
    if (!definedBy.try_emplace(init.name(), -1).second)
      return makeError("initializer '" + init.name() + "' is defined twice");
  for (const auto &name : inputNames.keys())
    definedBy.try_emplace(name, -1);
  for (int i = 0; i < graph.node_size(); ++i)
    for (const std::string &out : graph.node(i).output()) {
      if (out.empty())
        continue;
      auto [it, fresh] = definedBy.try_emplace(out, i);
      if (fresh)
        continue;
      std::string first = it->second < 0 ? "a graph input or initializer"
                                         : nodeLabel(it->second);
      return makeError(nodeLabel(i) + " produces '" + out + "', which " +
                       first +
                       " already defines; an ONNX graph defines each value "
                       "once (SSA form)");
    }
  for (int i = 0; i < graph.node_size(); ++i)
    for (const std::string &in : graph.node(i).input()) {
      if (in.empty())
        continue;
      auto it = definedBy.find(in);
      if (it == definedBy.end())
        return makeError(nodeLabel(i) + " uses '" + in +
                         "', which no node, graph input or initializer "
                         "defines");
      if (it->second >= i)
        return makeError(nodeLabel(i) + " uses '" + in + "', which " +
                         nodeLabel(it->second) +
                         " produces after it; the nodes are not in "
                         "topological order");
    }
  return llvm::Error::success();
}

/// Exporters merge initializers with equal contents, so freshly initialised
/// parameters (LayerNorm ones, zero biases) of many layers arrive as one
/// initializer used in many places. A parameter whose elements are all
/// equal and that several inputs read is such a merge, not a tied weight:
/// each use after the first gets its own copy, `<name>#<k>`. (Tied weights
/// with real values, e.g. an embedding and its LM head, stay tied.)
bool isMergedConstant(const TensorData &data) {
  auto values = floatValues(data);
  return values && !values->empty() &&
         llvm::all_of(*values, [&](double v) { return v == values->front(); });
}

Expected<int64_t> defaultOpset(const onnx::ModelProto &model) {
  for (const onnx::OperatorSetIdProto &set : model.opset_import())
    if (set.domain().empty() || set.domain() == "ai.onnx") {
      int64_t v = set.version();
      if (v < kMinOpset || v > kMaxOpset)
        return makeError("default-domain opset " + llvm::Twine(v) +
                         " is not supported; ds-compile supports opsets " +
                         llvm::Twine(kMinOpset) + " to " +
                         llvm::Twine(kMaxOpset));
      return v;
    }
  return makeError("the model imports no default-domain opset");
}

int64_t domainVersion(const onnx::ModelProto &model, StringRef domain) {
  for (const onnx::OperatorSetIdProto &set : model.opset_import())
    if (set.domain() == domain)
      return set.version();
  return 0;
}

std::string supportedOpList() {
  std::string list;
  for (StringRef op : supportedOps())
    list += (list.empty() ? "" : ", ") + op.str();
  return list;
}

class ModelImporter {
public:
  ModelImporter(MLIRContext &ctx, const onnx::ModelProto &model,
                StringRef baseDir, const ImportOptions &options,
                StringRef label)
      : ctx(ctx), model(model), baseDir(baseDir), options(options),
        label(label) {}

  Expected<ImportedModel> run();

private:
  Expected<func::FuncOp> buildSignature(OpBuilder &b, GraphBuilder &gb);
  /// Marks the parameters that are not trained (FrozenInitializers.h).
  llvm::Error freezeParameters();
  llvm::Error convertNodes(GraphBuilder &gb);

  MLIRContext &ctx;
  const onnx::ModelProto &model;
  StringRef baseDir;
  const ImportOptions &options;
  /// Prefix of messages about the model file as a whole.
  std::string label;
  ImportedModel result;
  /// Initializer tensors that become constants, with their names.
  SmallVector<std::pair<std::string, TensorData>> constants;
};

llvm::Error ModelImporter::freezeParameters() {
  std::vector<llvm::Regex> patterns;
  for (const std::string &text : options.freeze) {
    llvm::Regex regex(text);
    std::string error;
    if (!regex.isValid(error))
      return makeError("--freeze '" + text + "': not a regular expression (" +
                       error + ")");
    patterns.push_back(std::move(regex));
  }
  std::vector<bool> matched(patterns.size(), false);
  for (Parameter &p : result.parameters) {
    if (std::optional<std::string> why = provenBuffer(p))
      p.frozen = *why;
    // A tie is one tensor: naming the copy freezes it too.
    std::vector<StringRef> names = {p.name};
    for (const runtime::TiedCopy &tie : result.ties)
      if (tie.source == p.name)
        names.push_back(tie.name);
    for (size_t k = 0; k < patterns.size(); ++k)
      for (StringRef name : names)
        if (patterns[k].match(name)) {
          matched[k] = true;
          p.frozen = "--freeze '" + options.freeze[k] + "'";
        }
  }
  std::string some;
  for (size_t i = 0; i < result.parameters.size() && i < 5; ++i)
    some += (i ? ", '" : "'") + result.parameters[i].name + "'";
  for (size_t k = 0; k < patterns.size(); ++k)
    if (!matched[k])
      return makeError("--freeze '" + options.freeze[k] +
                       "' matches no trainable initializer (the model's are " +
                       some + (result.parameters.size() > 5 ? ", ..." : "") +
                       ")");
  if (!patterns.empty() &&
      llvm::all_of(result.parameters,
                   [](const Parameter &p) { return !p.frozen.empty(); }))
    return makeError("--freeze freezes every trainable initializer, so "
                     "nothing would train; compile without an optimizer "
                     "for inference");
  return llvm::Error::success();
}

Expected<func::FuncOp> ModelImporter::buildSignature(OpBuilder &b,
                                                     GraphBuilder &gb) {
  const onnx::GraphProto &graph = model.graph();
  llvm::StringSet<> initializerNames;
  SmallVector<Type> argTypes;
  SmallVector<NamedAttribute> argAttrs;
  SmallVector<DictionaryAttr> argDicts;
  // Per parameter: an initializer the exporter merged (isMergedConstant).
  std::vector<bool> fromMergedConstant;

  for (const onnx::TensorProto &init : graph.initializer()) {
    initializerNames.insert(init.name());
    Expected<TensorData> data =
        decodeTensor(ctx, init, baseDir, "initializer '" + init.name() + "'");
    if (!data)
      return data.takeError();
    if (!isParameter(*data)) {
      constants.emplace_back(init.name(), std::move(*data));
      continue;
    }
    if (llvm::Error err = checkFiniteParameter(init.name(), *data))
      return err;
    result.parameters.push_back({init.name(), data->type, data->bytes});
    bool merged = isMergedConstant(*data);
    fromMergedConstant.push_back(merged);
    if (!merged)
      continue;
    auto uses = initializerUses(graph, init.name());
    for (size_t k = 1; k < uses.size(); ++k) {
      std::string copy = untiedName(init.name(), k);
      gb.renameInput(uses[k].first, uses[k].second, copy);
      result.parameters.push_back({copy, data->type, data->bytes});
      fromMergedConstant.push_back(true);
    }
  }
  // Ties the exporter wrote as copies are one parameter again (merged
  // constants are equal by construction, not ties).
  std::vector<TieIndex> ties;
  if (!options.keepCopies)
    ties = findTiedInitializers(
        result.parameters, [&](size_t i) { return !fromMergedConstant[i]; });
  std::vector<bool> isCopy(result.parameters.size(), false);
  for (const TieIndex &t : ties) {
    isCopy[t.copy] = true;
    result.ties.push_back({result.parameters[t.copy].name,
                           result.parameters[t.source].name, t.transposed});
  }
  std::vector<Parameter> kept;
  for (size_t i = 0; i < result.parameters.size(); ++i)
    if (!isCopy[i])
      kept.push_back(std::move(result.parameters[i]));
  result.parameters = std::move(kept);
  if (llvm::Error err = freezeParameters())
    return std::move(err);
  SmallVector<std::string> inputNames;
  for (const onnx::ValueInfoProto &info : graph.input()) {
    if (initializerNames.contains(info.name()))
      continue; // IR < 4 style: initializers are listed as inputs too.
    Expected<RankedTensorType> type = bindInputType(ctx, info, options);
    if (!type)
      return type.takeError();
    argTypes.push_back(*type);
    argDicts.push_back(b.getDictionaryAttr(
        b.getNamedAttr("graph.input", b.getStringAttr(info.name()))));
    inputNames.push_back(info.name());
  }
  for (const Parameter &p : result.parameters) {
    argTypes.push_back(p.type);
    argDicts.push_back(b.getDictionaryAttr(
        b.getNamedAttr(p.frozen.empty() ? "graph.param" : "graph.frozen",
                       b.getStringAttr(p.name))));
  }
  for (const auto &name : options.inputShapes.keys())
    if (!llvm::is_contained(inputNames, name))
      return makeError("--input-shape names '" + name +
                       "', which is not a graph input");

  auto func = func::FuncOp::create(b, b.getUnknownLoc(), "main",
                                   b.getFunctionType(argTypes, {}));
  func.setAllArgAttrs(argDicts);
  Block *entry = func.addEntryBlock();
  b.setInsertionPointToStart(entry);
  for (size_t i = 0; i < inputNames.size(); ++i)
    gb.define(inputNames[i], entry->getArgument(i));
  for (size_t i = 0; i < result.parameters.size(); ++i)
    gb.define(result.parameters[i].name,
              entry->getArgument(inputNames.size() + i));
  for (auto &[name, data] : constants)
    gb.define(name, gb.constant(toElementsAttr(data)));
  // A tied copy reads its source, transposed where the exporter folded
  // `weight.T`; autodiff then sums the gradients of every use.
  for (const runtime::TiedCopy &tie : result.ties) {
    Value source = gb.lookup(tie.source);
    if (tie.transposed) {
      auto type = cast<RankedTensorType>(source.getType());
      auto transposedType = RankedTensorType::get(
          {type.getDimSize(1), type.getDimSize(0)}, type.getElementType());
      source = graph::TransposeOp::create(
          b, NameLoc::get(b.getStringAttr(tie.name)), transposedType, source,
          b.getDenseI64ArrayAttr({1, 0}));
    }
    gb.define(tie.name, source);
  }
  return func;
}

llvm::Error ModelImporter::convertNodes(GraphBuilder &gb) {
  const onnx::GraphProto &graph = model.graph();
  for (int i = 0; i < graph.node_size(); ++i) {
    const onnx::NodeProto &node = graph.node(i);
    gb.beginNode(node, i);
    StringRef domain = node.domain();
    OpConversion convert = (domain.empty() || domain == "ai.onnx")
                               ? findOpConversion(node.op_type())
                               : nullptr;
    if (!convert) {
      bool defaultDomain = domain.empty() || domain == "ai.onnx";
      int64_t version =
          defaultDomain ? gb.opset() : domainVersion(model, domain);
      std::string where =
          defaultDomain ? "" : ", domain '" + domain.str() + "'";
      return makeError(
          "node '" + gb.nodeName() + "' (" + node.op_type() + where +
          ", opset " + llvm::Twine(version) +
          "): unsupported op; supported ops: " + supportedOpList());
    }
    for (int k = 0; k < node.input_size(); ++k)
      if (!gb.inputName(k).empty() && !gb.lookup(gb.inputName(k)))
        return gb.nodeError("input '" + gb.inputName(k) +
                            "' is not defined by any earlier node, graph "
                            "input or initializer");
    if (llvm::Error err = convert(gb))
      return err;
  }
  return llvm::Error::success();
}

Expected<ImportedModel> ModelImporter::run() {
  if (!model.has_graph())
    return makeError(label + "not an ONNX model: it has no graph");
  int64_t ir = model.ir_version();
  if (ir < kMinIrVersion || ir > kMaxIrVersion)
    return makeError(label + "ONNX IR version " + llvm::Twine(ir) +
                     " is not supported; ds-compile supports IR versions " +
                     llvm::Twine(kMinIrVersion) + " to " +
                     llvm::Twine(kMaxIrVersion));
  Expected<int64_t> opset = defaultOpset(model);
  if (!opset)
    return makeError(label + llvm::toString(opset.takeError()));

  OpBuilder b(&ctx);
  result.module = ModuleOp::create(b.getUnknownLoc());
  result.module->getOperation()->setAttr("graph.opset",
                                         b.getI64IntegerAttr(*opset));
  b.setInsertionPointToEnd(result.module->getBody());
  GraphBuilder gb(b, baseDir, *opset);
  ScopedDiagnosticHandler handler(&ctx, [&](Diagnostic &diag) {
    gb.recordDiagnostic(diag);
    return success();
  });

  if (llvm::Error err = checkGraphStructure(model.graph()))
    return makeError(label + llvm::toString(std::move(err)));
  Expected<func::FuncOp> func = buildSignature(b, gb);
  if (!func)
    return func.takeError();
  if (llvm::Error err = convertNodes(gb))
    return std::move(err);

  SmallVector<Value> outputs;
  SmallVector<DictionaryAttr> resultDicts;
  for (const onnx::ValueInfoProto &out : model.graph().output()) {
    Value v = gb.lookup(out.name());
    if (!v)
      return makeError("graph output '" + out.name() +
                       "' is not produced by any node");
    outputs.push_back(v);
    resultDicts.push_back(b.getDictionaryAttr(
        b.getNamedAttr("graph.output", b.getStringAttr(out.name()))));
  }
  func::ReturnOp::create(b, b.getUnknownLoc(), outputs);
  func->setType(b.getFunctionType(func->getArgumentTypes(),
                                  ValueRange(outputs).getTypes()));
  func->setAllResultAttrs(resultDicts);

  // Drop what folding left unused (shape sub-graphs, unused outputs).
  IRRewriter rewriter(&ctx);
  (void)runRegionDCE(rewriter, func->getBody());
  if (failed(verify(*result.module)))
    return makeError("the imported module does not verify: " +
                     gb.takeDiagnostic());
  return std::move(result);
}

} // namespace

void loadImporterDialects(MLIRContext &context) {
  context.loadDialect<graph::GraphDialect, func::FuncDialect>();
}

/// Parses and imports; `label` ("<path>: " or empty) prefixes messages about
/// the file as a whole.
static Expected<ImportedModel> importModel(MLIRContext &context,
                                           StringRef bytes, StringRef baseDir,
                                           const ImportOptions &options,
                                           StringRef label) {
  loadImporterDialects(context);
  Expected<onnx::ModelProto> model = parseOnnxModel(bytes, label);
  if (!model)
    return model.takeError();
  ModelImporter importer(context, *model, baseDir, options, label);
  return importer.run();
}

Expected<onnx::ModelProto> parseOnnxModel(StringRef bytes, StringRef label) {
  onnx::ModelProto model;
  google::protobuf::io::CodedInputStream stream(
      reinterpret_cast<const uint8_t *>(bytes.data()),
      static_cast<int>(std::min<size_t>(bytes.size(), INT32_MAX)));
  stream.SetRecursionLimit(64);
  if (bytes.size() > INT32_MAX || !model.ParseFromCodedStream(&stream) ||
      !stream.ConsumedEntireMessage())
    return makeError(label +
                     "cannot parse the ONNX protobuf (truncated or not an "
                     "ONNX model)");
  return model;
}

std::vector<std::pair<size_t, int>>
initializerUses(const onnx::GraphProto &graph, StringRef name) {
  std::vector<std::pair<size_t, int>> uses;
  for (int n = 0; n < graph.node_size(); ++n)
    for (int i = 0; i < graph.node(n).input_size(); ++i)
      if (graph.node(n).input(i) == name)
        uses.emplace_back(n, i);
  return uses;
}

std::string untiedName(StringRef name, size_t k) {
  return (name + "#" + llvm::Twine(k)).str();
}

Expected<ImportedModel> importOnnxBuffer(MLIRContext &context, StringRef bytes,
                                         StringRef baseDir,
                                         const ImportOptions &options) {
  return importModel(context, bytes, baseDir, options, "");
}

Expected<ImportedModel> importOnnxFile(MLIRContext &context, StringRef path,
                                       const ImportOptions &options) {
  auto file = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                          /*RequiresNullTerminator=*/false);
  if (!file)
    return makeError(path + ": cannot read: " + file.getError().message());
  StringRef dir = llvm::sys::path::parent_path(path);
  return importModel(context, (*file)->getBuffer(), dir.empty() ? "." : dir,
                     options, (path + ": ").str());
}

} // namespace dsc::onnx_import
