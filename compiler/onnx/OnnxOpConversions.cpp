//===- OnnxOpConversions.cpp - one conversion per ONNX op type ------------===//
//
// Each function converts the current node of a GraphBuilder into graph ops,
// following the ONNX operator specification for opsets 13-21. Inputs that
// define shapes (Reshape's shape, Slice's bounds, axes, pads ...) must be
// compile-time constants: that is what makes every shape static.
//
//===----------------------------------------------------------------------===//

#include "compiler/onnx/GraphBuilder.h"
#include "compiler/onnx/OnnxImporter.h"
#include "compiler/onnx/OnnxTensor.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"

#include <cmath>

using namespace mlir;
using llvm::Error;
using llvm::Expected;
using llvm::SmallVector;
using llvm::StringRef;

namespace dsc::onnx_import {

namespace {

using graph::numElements;

/// Range is folded into a constant; beyond this it is not a shape computation.
constexpr int64_t kMaxRangeElements = 1 << 20;

RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

Error setResult(GraphBuilder &gb, Expected<Value> value) {
  if (!value)
    return value.takeError();
  gb.setOutput(0, *value);
  return Error::success();
}

/// Input `i`, or an error naming the missing input.
Expected<Value> required(GraphBuilder &gb, int i) {
  if (Value v = gb.input(i))
    return v;
  return gb.nodeError("input " + llvm::Twine(i) + " is required");
}

/// The string attribute `name` as a graph enum, `dflt` when it is absent; an
/// error naming the node, the value and the known spellings when it is not
/// one of them.
template <typename Enum>
Expected<Enum> enumAttr(GraphBuilder &gb, StringRef name, Enum dflt) {
  const onnx::AttributeProto *a = gb.attr(name);
  if (!a)
    return dflt;
  if (std::optional<Enum> value = graph::symbolizeEnum<Enum>(a->s()))
    return *value;
  // The graph enums number their cases 0, 1, ... (as the kernels do).
  SmallVector<std::string> known;
  for (uint32_t i = 0; !graph::stringifyEnum(Enum(i)).empty(); ++i)
    known.push_back("'" + graph::stringifyEnum(Enum(i)).str() + "'");
  std::string expected =
      llvm::join(ArrayRef<std::string>(known).drop_back(), ", ") + " or " +
      known.back();
  return gb.nodeError("unknown " + name + " '" + a->s() + "'; expected " +
                      expected);
}

/// Maps a possibly negative axis into [0, rank).
Expected<int64_t> normalizeAxis(GraphBuilder &gb, int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return gb.nodeError("axis " + llvm::Twine(axis) +
                        " is out of range for rank " + llvm::Twine(rank));
  return axis < 0 ? axis + rank : axis;
}

/// Normalised, sorted, unique axes.
Expected<SmallVector<int64_t>>
normalizeAxes(GraphBuilder &gb, ArrayRef<int64_t> axes, int64_t rank) {
  SmallVector<int64_t> out;
  for (int64_t a : axes) {
    Expected<int64_t> n = normalizeAxis(gb, a, rank);
    if (!n)
      return n.takeError();
    if (llvm::is_contained(out, *n))
      return gb.nodeError("axis " + llvm::Twine(a) + " is repeated");
    out.push_back(*n);
  }
  llvm::sort(out);
  return out;
}

Value scalarLike(GraphBuilder &gb, Type element, double value) {
  auto type = RankedTensorType::get({}, element);
  Attribute attr = isa<FloatType>(element)
                       ? Attribute(gb.b().getFloatAttr(element, value))
                       : Attribute(gb.b().getIntegerAttr(
                             element, static_cast<int64_t>(value)));
  return gb.constant(DenseElementsAttr::get(type, attr));
}

Expected<Value> reshapeTo(GraphBuilder &gb, Value v, ArrayRef<int64_t> shape) {
  return gb.createTyped<graph::ReshapeOp>(
      RankedTensorType::get(shape, typeOf(v).getElementType()), v);
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

template <typename OpTy> Error convertBinary(GraphBuilder &gb) {
  Expected<Value> lhs = required(gb, 0), rhs = required(gb, 1);
  if (!lhs)
    return lhs.takeError();
  if (!rhs)
    return rhs.takeError();
  return setResult(gb, gb.create<OpTy>(*lhs, *rhs));
}

Error convertPow(GraphBuilder &gb) {
  Expected<Value> base = required(gb, 0), exponent = required(gb, 1);
  if (!base)
    return base.takeError();
  if (!exponent)
    return exponent.takeError();
  // ONNX lets the exponent have its own type; compute in the base's type.
  Type element = typeOf(*base).getElementType();
  if (typeOf(*exponent).getElementType() != element) {
    exponent = gb.createTyped<graph::CastOp>(typeOf(*exponent).clone(element),
                                             *exponent);
    if (!exponent)
      return exponent.takeError();
  }
  return setResult(gb, gb.create<graph::PowOp>(*base, *exponent));
}

/// Min and Max take any number of inputs.
template <typename OpTy> Error convertVariadic(GraphBuilder &gb) {
  Expected<Value> acc = required(gb, 0);
  for (int i = 1; acc && i < gb.numInputs(); ++i) {
    Expected<Value> next = required(gb, i);
    if (!next)
      return next.takeError();
    acc = gb.create<OpTy>(*acc, *next);
  }
  return setResult(gb, std::move(acc));
}

template <typename OpTy> Error convertUnary(GraphBuilder &gb) {
  Expected<Value> x = required(gb, 0);
  if (!x)
    return x.takeError();
  return setResult(gb, gb.create<OpTy>(*x));
}

Error convertGelu(GraphBuilder &gb) {
  Expected<Value> x = required(gb, 0);
  if (!x)
    return x.takeError();
  Expected<graph::GeluApproximate> approximate =
      enumAttr(gb, "approximate", graph::GeluApproximate::None);
  if (!approximate)
    return approximate.takeError();
  return setResult(
      gb, gb.create<graph::GeluOp>(
              *x, gb.b().getAttr<graph::GeluApproximateAttr>(*approximate)));
}

Error convertWhere(GraphBuilder &gb) {
  Expected<Value> c = required(gb, 0), x = required(gb, 1), y = required(gb, 2);
  if (!c)
    return c.takeError();
  if (!x)
    return x.takeError();
  if (!y)
    return y.takeError();
  return setResult(gb, gb.create<graph::WhereOp>(*c, *x, *y));
}

Error convertCast(GraphBuilder &gb) {
  Expected<Value> x = required(gb, 0);
  if (!x)
    return x.takeError();
  Expected<Type> element = elementTypeOf(*gb.context(), gb.attrInt("to", 0));
  if (!element)
    return gb.nodeError(llvm::toString(element.takeError()));
  return setResult(
      gb, gb.createTyped<graph::CastOp>(typeOf(*x).clone(*element), *x));
}

Error convertIdentity(GraphBuilder &gb) {
  Expected<Value> x = required(gb, 0);
  if (!x)
    return x.takeError();
  gb.setOutput(0, *x);
  return Error::success();
}

//===----------------------------------------------------------------------===//
// Axis ops, normalisation, losses, dropout
//===----------------------------------------------------------------------===//

template <typename OpTy> Error convertSoftmax(GraphBuilder &gb) {
  Expected<Value> x = required(gb, 0);
  if (!x)
    return x.takeError();
  Expected<int64_t> axis =
      normalizeAxis(gb, gb.attrInt("axis", -1), typeOf(*x).getRank());
  if (!axis)
    return axis.takeError();
  return setResult(gb, gb.create<OpTy>(*x, gb.b().getI64IntegerAttr(*axis)));
}

Error convertLayerNorm(GraphBuilder &gb) {
  Expected<Value> x = required(gb, 0), scale = required(gb, 1);
  if (!x)
    return x.takeError();
  if (!scale)
    return scale.takeError();
  Expected<int64_t> axis =
      normalizeAxis(gb, gb.attrInt("axis", -1), typeOf(*x).getRank());
  if (!axis)
    return axis.takeError();
  auto results = gb.createN<graph::LayerNormOp>(
      3, *x, *scale, gb.input(2), gb.b().getI64IntegerAttr(*axis),
      gb.b().getF64FloatAttr(gb.attrFloat("epsilon", 1e-5)));
  if (!results)
    return results.takeError();
  for (int i = 0; i < 3; ++i)
    gb.setOutput(i, (*results)[i]);
  return Error::success();
}

template <typename OpTy> Error convertLoss(GraphBuilder &gb) {
  Expected<Value> scores = required(gb, 0), labels = required(gb, 1);
  if (!scores)
    return scores.takeError();
  if (!labels)
    return labels.takeError();
  Expected<graph::LossReduction> reduction =
      enumAttr(gb, "reduction", graph::LossReduction::Mean);
  if (!reduction)
    return reduction.takeError();
  IntegerAttr ignore;
  if (gb.attr("ignore_index"))
    ignore = gb.b().getI64IntegerAttr(gb.attrInt("ignore_index", 0));
  constexpr bool hasLogProb =
      std::is_same_v<OpTy, graph::SoftmaxCrossEntropyLossOp>;
  auto results = gb.createN<OpTy>(
      hasLogProb ? 2 : 1, *scores, *labels, gb.input(2),
      gb.b().getAttr<graph::LossReductionAttr>(*reduction), ignore);
  if (!results)
    return results.takeError();
  for (size_t i = 0; i < results->size(); ++i)
    gb.setOutput(i, (*results)[i]);
  return Error::success();
}

/// A compile-time scalar input, or `dflt` when the input is absent.
Expected<double> constantScalar(GraphBuilder &gb, int i, StringRef role,
                                double dflt) {
  Value v = gb.input(i);
  if (!v)
    return dflt;
  DenseElementsAttr c = gb.constantOf(v);
  if (!c || c.getNumElements() != 1)
    return gb.nodeError("input '" + role +
                        "' must be a compile-time scalar constant");
  if (isa<FloatType>(c.getElementType()))
    return (*c.getValues<APFloat>().begin()).convertToDouble();
  return static_cast<double>((*c.getValues<APInt>().begin()).getSExtValue());
}

Error convertDropout(GraphBuilder &gb) {
  Expected<Value> x = required(gb, 0);
  if (!x)
    return x.takeError();
  Expected<double> training = constantScalar(gb, 2, "training_mode", 0.0);
  if (!training)
    return training.takeError();
  if (*training == 0.0) {
    // Inference-mode dropout is the identity; its mask keeps everything.
    gb.setOutput(0, *x);
    auto maskType = typeOf(*x).clone(gb.b().getI1Type());
    gb.setOutput(1, gb.constant(DenseElementsAttr::get(maskType, true)));
    return Error::success();
  }
  // The ratio matters only in training mode.
  Expected<double> ratio = constantScalar(gb, 1, "ratio", 0.5);
  if (!ratio)
    return ratio.takeError();
  auto results = gb.createN<graph::DropoutOp>(
      2, *x, gb.b().getF64FloatAttr(*ratio),
      gb.b().getI64IntegerAttr(gb.attrInt("seed", 0)));
  if (!results)
    return results.takeError();
  gb.setOutput(0, (*results)[0]);
  gb.setOutput(1, (*results)[1]);
  return Error::success();
}

//===----------------------------------------------------------------------===//
// Contractions and reductions
//===----------------------------------------------------------------------===//

Error convertGemm(GraphBuilder &gb) {
  Expected<Value> a = required(gb, 0), b = required(gb, 1);
  if (!a)
    return a.takeError();
  if (!b)
    return b.takeError();
  if (typeOf(*a).getRank() != 2 || typeOf(*b).getRank() != 2)
    return gb.nodeError("A and B must be matrices");
  auto swap = gb.b().getDenseI64ArrayAttr({1, 0});
  if (gb.attrInt("transA", 0) && !(a = gb.create<graph::TransposeOp>(*a, swap)))
    return a.takeError();
  if (gb.attrInt("transB", 0) && !(b = gb.create<graph::TransposeOp>(*b, swap)))
    return b.takeError();
  Expected<Value> y = gb.create<graph::MatMulOp>(*a, *b);
  Type element = typeOf(*a).getElementType();
  double alpha = gb.attrFloat("alpha", 1.0), beta = gb.attrFloat("beta", 1.0);
  if (y && alpha != 1.0)
    y = gb.create<graph::MulOp>(*y, scalarLike(gb, element, alpha));
  Value c = gb.input(2);
  if (y && c && beta != 0.0) {
    Expected<Value> scaled = c;
    if (beta != 1.0)
      scaled = gb.create<graph::MulOp>(c, scalarLike(gb, element, beta));
    if (!scaled)
      return scaled.takeError();
    y = gb.create<graph::AddOp>(*y, *scaled);
  }
  return setResult(gb, std::move(y));
}

Error convertConv(GraphBuilder &gb) {
  Expected<Value> x = required(gb, 0), w = required(gb, 1);
  if (!x)
    return x.takeError();
  if (!w)
    return w.takeError();
  RankedTensorType xt = typeOf(*x), wt = typeOf(*w);
  if (xt.getRank() != 4 || wt.getRank() != 4)
    return gb.nodeError("only 2-D convolution (4-D input and filter) is "
                        "supported, got ranks " +
                        llvm::Twine(xt.getRank()) + " and " +
                        llvm::Twine(wt.getRank()));
  SmallVector<int64_t> strides =
      gb.attrInts("strides").value_or(SmallVector<int64_t>{1, 1});
  SmallVector<int64_t> dilations =
      gb.attrInts("dilations").value_or(SmallVector<int64_t>{1, 1});
  SmallVector<int64_t> pads =
      gb.attrInts("pads").value_or(SmallVector<int64_t>{0, 0, 0, 0});
  if (auto kernel = gb.attrInts("kernel_shape"))
    if (*kernel != ArrayRef<int64_t>(wt.getShape().drop_front(2)))
      return gb.nodeError("kernel_shape does not match the filter's shape");
  if (strides.size() != 2 || dilations.size() != 2 || pads.size() != 4)
    return gb.nodeError("expected 2 strides, 2 dilations and 4 pads");
  if (llvm::any_of(strides, [](int64_t s) { return s < 1; }) ||
      llvm::any_of(dilations, [](int64_t d) { return d < 1; }))
    return gb.nodeError("strides and dilations must be >= 1");
  std::string autoPad = gb.attrString("auto_pad", "NOTSET");
  if (autoPad == "VALID") {
    pads.assign(4, 0);
  } else if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
    for (int i = 0; i < 2; ++i) {
      int64_t in = xt.getDimSize(2 + i), k = wt.getDimSize(2 + i);
      int64_t out = (in + strides[i] - 1) / strides[i];
      int64_t total = std::max<int64_t>(0, (out - 1) * strides[i] +
                                               (k - 1) * dilations[i] + 1 - in);
      int64_t small = total / 2, large = total - small;
      pads[i] = autoPad == "SAME_UPPER" ? small : large;
      pads[i + 2] = total - pads[i];
    }
  } else if (autoPad != "NOTSET") {
    return gb.nodeError("unknown auto_pad '" + autoPad + "'");
  }
  auto &b = gb.b();
  return setResult(gb, gb.create<graph::ConvOp>(
                           *x, *w, gb.input(2), b.getDenseI64ArrayAttr(strides),
                           b.getDenseI64ArrayAttr(pads),
                           b.getDenseI64ArrayAttr(dilations),
                           b.getI64IntegerAttr(gb.attrInt("group", 1))));
}

/// Opset version from which a reduction reads its axes from input 1.
template <typename OpTy> constexpr int64_t axesInputSince() {
  return std::is_same_v<OpTy, graph::ReduceSumOp> ? 13 : 18;
}

template <typename OpTy> Error convertReduce(GraphBuilder &gb) {
  Expected<Value> x = required(gb, 0);
  if (!x)
    return x.takeError();
  int64_t rank = typeOf(*x).getRank();
  SmallVector<int64_t> axes;
  if (gb.opset() >= axesInputSince<OpTy>()) {
    if (gb.input(1)) {
      auto given = gb.constantInts(1, "axes");
      if (!given)
        return given.takeError();
      axes = *given;
    }
  } else if (auto given = gb.attrInts("axes")) {
    axes = *given;
  }
  if (axes.empty()) {
    if (gb.attrInt("noop_with_empty_axes", 0)) {
      gb.setOutput(0, *x);
      return Error::success();
    }
    axes = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  }
  Expected<SmallVector<int64_t>> norm = normalizeAxes(gb, axes, rank);
  if (!norm)
    return norm.takeError();
  return setResult(
      gb, gb.create<OpTy>(*x, gb.b().getDenseI64ArrayAttr(*norm),
                          gb.b().getBoolAttr(gb.attrInt("keepdims", 1))));
}

//===----------------------------------------------------------------------===//
// Shapes and data movement
//===----------------------------------------------------------------------===//

Error convertReshape(GraphBuilder &gb) {
  Expected<Value> x = required(gb, 0);
  if (!x)
    return x.takeError();
  auto requested = gb.constantInts(1, "shape");
  if (!requested)
    return requested.takeError();
  ArrayRef<int64_t> in = typeOf(*x).getShape();
  bool allowZero = gb.attrInt("allowzero", 0);
  SmallVector<int64_t> shape;
  int inferred = -1;
  for (auto [i, d] : llvm::enumerate(*requested)) {
    if (d == 0 && !allowZero) {
      if (i >= in.size())
        return gb.nodeError("shape copies axis " + llvm::Twine(i) +
                            ", which the input does not have");
      d = in[i];
    } else if (d == -1) {
      if (inferred >= 0)
        return gb.nodeError("shape has more than one -1");
      inferred = i;
      d = 1;
    } else if (d < 0) {
      return gb.nodeError("shape has a negative size " + llvm::Twine(d));
    }
    shape.push_back(d);
  }
  int64_t total = numElements(in), known = numElements(shape);
  if (inferred >= 0) {
    if (known == 0 || total % known)
      return gb.nodeError(
          "cannot infer the -1 of the shape: " + llvm::Twine(total) +
          " elements are not a multiple "
          "of " +
          llvm::Twine(known));
    shape[inferred] = total / known;
  }
  return setResult(gb, reshapeTo(gb, *x, shape));
}

Error convertTranspose(GraphBuilder &gb) {
  Expected<Value> x = required(gb, 0);
  if (!x)
    return x.takeError();
  int64_t rank = typeOf(*x).getRank();
  SmallVector<int64_t> perm = gb.attrInts("perm").value_or(
      llvm::to_vector(llvm::reverse(llvm::seq<int64_t>(0, rank))));
  return setResult(
      gb, gb.create<graph::TransposeOp>(*x, gb.b().getDenseI64ArrayAttr(perm)));
}

/// A slice of `x` along one axis, [start, start + size).
Expected<Value> sliceAxis(GraphBuilder &gb, Value x, int64_t axis,
                          int64_t start, int64_t size) {
  ArrayRef<int64_t> shape = typeOf(x).getShape();
  SmallVector<int64_t> starts(shape.size(), 0), ends(shape),
      steps(shape.size(), 1);
  starts[axis] = start;
  ends[axis] = start + size;
  auto &b = gb.b();
  return gb.create<graph::SliceOp>(x, b.getDenseI64ArrayAttr(starts),
                                   b.getDenseI64ArrayAttr(ends),
                                   b.getDenseI64ArrayAttr(steps));
}

Error convertSplit(GraphBuilder &gb) {
  Expected<Value> x = required(gb, 0);
  if (!x)
    return x.takeError();
  Expected<int64_t> axis =
      normalizeAxis(gb, gb.attrInt("axis", 0), typeOf(*x).getRank());
  if (!axis)
    return axis.takeError();
  int64_t dim = typeOf(*x).getDimSize(*axis);
  int64_t parts = gb.numOutputs();
  SmallVector<int64_t> sizes;
  if (gb.input(1)) {
    auto given = gb.constantInts(1, "split");
    if (!given)
      return given.takeError();
    sizes = *given;
  } else {
    parts = gb.attrInt("num_outputs", parts);
    if (parts <= 0)
      return gb.nodeError("needs at least one output");
    // Opset 18 lets the last chunk be smaller; before it the split is even.
    int64_t chunk = (dim + parts - 1) / parts;
    if (gb.opset() < 18 && dim % parts)
      return gb.nodeError("axis of size " + llvm::Twine(dim) +
                          " does not split evenly into " + llvm::Twine(parts) +
                          " outputs");
    for (int64_t i = 0, left = dim; i < parts; ++i, left -= chunk)
      sizes.push_back(std::min(chunk, left));
  }
  int64_t sum = 0;
  for (int64_t s : sizes)
    sum += s;
  if (sum != dim || static_cast<int64_t>(sizes.size()) != gb.numOutputs())
    return gb.nodeError("split sizes do not add up to the axis size " +
                        llvm::Twine(dim) + " across " +
                        llvm::Twine(gb.numOutputs()) + " outputs");
  int64_t start = 0;
  for (auto [i, size] : llvm::enumerate(sizes)) {
    Expected<Value> part = sliceAxis(gb, *x, *axis, start, size);
    if (!part)
      return part.takeError();
    gb.setOutput(i, *part);
    start += size;
  }
  return Error::success();
}

Error convertSlice(GraphBuilder &gb) {
  Expected<Value> x = required(gb, 0);
  if (!x)
    return x.takeError();
  ArrayRef<int64_t> shape = typeOf(*x).getShape();
  int64_t rank = shape.size();
  auto starts = gb.constantInts(1, "starts");
  auto ends = gb.constantInts(2, "ends");
  if (!starts)
    return starts.takeError();
  if (!ends)
    return ends.takeError();
  SmallVector<int64_t> axes = llvm::to_vector(
      llvm::seq<int64_t>(0, static_cast<int64_t>(starts->size())));
  SmallVector<int64_t> steps(starts->size(), 1);
  if (gb.input(3)) {
    auto given = gb.constantInts(3, "axes");
    if (!given)
      return given.takeError();
    axes = *given;
  }
  if (gb.input(4)) {
    auto given = gb.constantInts(4, "steps");
    if (!given)
      return given.takeError();
    steps = *given;
  }
  if (ends->size() != starts->size() || axes.size() != starts->size() ||
      steps.size() != starts->size())
    return gb.nodeError("starts, ends, axes and steps differ in length");
  SmallVector<int64_t> outStarts(rank, 0), outEnds(shape), outSteps(rank, 1);
  SmallVector<bool> seen(rank, false);
  for (size_t i = 0; i < axes.size(); ++i) {
    Expected<int64_t> axis = normalizeAxis(gb, axes[i], rank);
    if (!axis)
      return axis.takeError();
    if (seen[*axis])
      return gb.nodeError("axis " + llvm::Twine(axes[i]) + " is repeated");
    seen[*axis] = true;
    int64_t dim = shape[*axis], step = steps[i];
    if (step == 0)
      return gb.nodeError("step of axis " + llvm::Twine(axes[i]) + " is 0");
    int64_t start = (*starts)[i], end = (*ends)[i];
    if (start < 0)
      start += dim;
    if (end < 0)
      end += dim;
    // Clamping rules of the ONNX specification.
    if (step > 0) {
      start = std::clamp<int64_t>(start, 0, dim);
      end = std::clamp<int64_t>(end, 0, dim);
    } else {
      start = std::clamp<int64_t>(start, 0, dim - 1);
      end = std::clamp<int64_t>(end, -1, dim - 1);
    }
    outStarts[*axis] = start;
    outEnds[*axis] = end;
    outSteps[*axis] = step;
  }
  auto &b = gb.b();
  return setResult(
      gb, gb.create<graph::SliceOp>(*x, b.getDenseI64ArrayAttr(outStarts),
                                    b.getDenseI64ArrayAttr(outEnds),
                                    b.getDenseI64ArrayAttr(outSteps)));
}

Error convertConcat(GraphBuilder &gb) {
  SmallVector<Value> inputs;
  for (int i = 0; i < gb.numInputs(); ++i) {
    Expected<Value> v = required(gb, i);
    if (!v)
      return v.takeError();
    inputs.push_back(*v);
  }
  if (inputs.empty())
    return gb.nodeError("needs at least one input");
  Expected<int64_t> axis =
      normalizeAxis(gb, gb.attrInt("axis", 0), typeOf(inputs[0]).getRank());
  if (!axis)
    return axis.takeError();
  return setResult(gb,
                   gb.create<graph::ConcatOp>(ValueRange(inputs),
                                              gb.b().getI64IntegerAttr(*axis)));
}

Error convertUnsqueeze(GraphBuilder &gb) {
  Expected<Value> x = required(gb, 0);
  if (!x)
    return x.takeError();
  auto axes = gb.constantInts(1, "axes");
  if (!axes)
    return axes.takeError();
  ArrayRef<int64_t> in = typeOf(*x).getShape();
  int64_t rank = in.size() + axes->size();
  auto norm = normalizeAxes(gb, *axes, rank);
  if (!norm)
    return norm.takeError();
  SmallVector<int64_t> shape;
  for (int64_t d = 0, next = 0; d < rank; ++d)
    shape.push_back(llvm::is_contained(*norm, d) ? 1 : in[next++]);
  return setResult(gb, reshapeTo(gb, *x, shape));
}

Error convertSqueeze(GraphBuilder &gb) {
  Expected<Value> x = required(gb, 0);
  if (!x)
    return x.takeError();
  ArrayRef<int64_t> in = typeOf(*x).getShape();
  SmallVector<int64_t> axes;
  if (gb.input(1)) {
    auto given = gb.constantInts(1, "axes");
    if (!given)
      return given.takeError();
    auto norm = normalizeAxes(gb, *given, in.size());
    if (!norm)
      return norm.takeError();
    axes = *norm;
    for (int64_t a : axes)
      if (in[a] != 1)
        return gb.nodeError("cannot squeeze axis " + llvm::Twine(a) +
                            " of size " + llvm::Twine(in[a]));
  } else {
    for (auto [d, size] : llvm::enumerate(in))
      if (size == 1)
        axes.push_back(d);
  }
  SmallVector<int64_t> shape;
  for (auto [d, size] : llvm::enumerate(in))
    if (!llvm::is_contained(axes, static_cast<int64_t>(d)))
      shape.push_back(size);
  return setResult(gb, reshapeTo(gb, *x, shape));
}

Error convertFlatten(GraphBuilder &gb) {
  Expected<Value> x = required(gb, 0);
  if (!x)
    return x.takeError();
  ArrayRef<int64_t> in = typeOf(*x).getShape();
  int64_t axis = gb.attrInt("axis", 1);
  if (axis < 0)
    axis += in.size();
  if (axis < 0 || axis > static_cast<int64_t>(in.size()))
    return gb.nodeError("axis " + llvm::Twine(gb.attrInt("axis", 1)) +
                        " is out of range");
  return setResult(gb, reshapeTo(gb, *x,
                                 {numElements(in.take_front(axis)),
                                  numElements(in.drop_front(axis))}));
}

Error convertExpand(GraphBuilder &gb) {
  Expected<Value> x = required(gb, 0);
  if (!x)
    return x.takeError();
  auto requested = gb.constantInts(1, "shape");
  if (!requested)
    return requested.takeError();
  SmallVector<int64_t> shape;
  if (!graph::broadcastShapes(typeOf(*x).getShape(), *requested, shape))
    return gb.nodeError("cannot broadcast the input to the requested shape");
  return setResult(
      gb, gb.createTyped<graph::ExpandOp>(typeOf(*x).clone(shape), *x));
}

template <typename OpTy> Error convertGather(GraphBuilder &gb) {
  Expected<Value> data = required(gb, 0), indices = required(gb, 1);
  if (!data)
    return data.takeError();
  if (!indices)
    return indices.takeError();
  Expected<int64_t> axis =
      normalizeAxis(gb, gb.attrInt("axis", 0), typeOf(*data).getRank());
  if (!axis)
    return axis.takeError();
  return setResult(
      gb, gb.create<OpTy>(*data, *indices, gb.b().getI64IntegerAttr(*axis)));
}

Error convertScatterND(GraphBuilder &gb) {
  Expected<Value> data = required(gb, 0), indices = required(gb, 1),
                  updates = required(gb, 2);
  if (!data)
    return data.takeError();
  if (!indices)
    return indices.takeError();
  if (!updates)
    return updates.takeError();
  Expected<graph::ScatterReduction> reduction =
      enumAttr(gb, "reduction", graph::ScatterReduction::None);
  if (!reduction)
    return reduction.takeError();
  return setResult(
      gb, gb.create<graph::ScatterNDOp>(
              *data, *indices, *updates,
              gb.b().getAttr<graph::ScatterReductionAttr>(*reduction)));
}

Error convertPad(GraphBuilder &gb) {
  Expected<Value> x = required(gb, 0);
  if (!x)
    return x.takeError();
  int64_t rank = typeOf(*x).getRank();
  auto given = gb.constantInts(1, "pads");
  if (!given)
    return given.takeError();
  SmallVector<int64_t> axes = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  if (gb.input(3)) {
    auto a = gb.constantInts(3, "axes");
    if (!a)
      return a.takeError();
    axes.clear();
    for (int64_t axis : *a) {
      Expected<int64_t> n = normalizeAxis(gb, axis, rank);
      if (!n)
        return n.takeError();
      axes.push_back(*n);
    }
  }
  size_t n = axes.size();
  if (given->size() != 2 * n)
    return gb.nodeError("pads has " + llvm::Twine(given->size()) +
                        " entries, expected " + llvm::Twine(2 * n));
  SmallVector<int64_t> pads(2 * rank, 0);
  for (size_t i = 0; i < n; ++i) {
    pads[axes[i]] = (*given)[i];
    pads[axes[i] + rank] = (*given)[i + n];
  }
  Expected<double> value = constantScalar(gb, 2, "constant_value", 0.0);
  if (!value)
    return value.takeError();
  Expected<graph::PadMode> mode =
      enumAttr(gb, "mode", graph::PadMode::Constant);
  if (!mode)
    return mode.takeError();
  auto &b = gb.b();
  return setResult(gb,
                   gb.create<graph::PadOp>(*x, b.getDenseI64ArrayAttr(pads),
                                           b.getAttr<graph::PadModeAttr>(*mode),
                                           b.getF64FloatAttr(*value)));
}

Error convertTrilu(GraphBuilder &gb) {
  Expected<Value> x = required(gb, 0);
  if (!x)
    return x.takeError();
  Value k = gb.input(1);
  if (k && typeOf(k).getRank() != 0) {
    Expected<Value> scalar = reshapeTo(gb, k, {});
    if (!scalar)
      return scalar.takeError();
    k = *scalar;
  }
  return setResult(gb, gb.create<graph::TriluOp>(
                           *x, k, gb.b().getBoolAttr(gb.attrInt("upper", 1))));
}

//===----------------------------------------------------------------------===//
// Constants and shape queries (all folded at import)
//===----------------------------------------------------------------------===//

Error convertConstant(GraphBuilder &gb) {
  auto &b = gb.b();
  if (const onnx::AttributeProto *a = gb.attr("value")) {
    Expected<TensorData> data =
        decodeTensor(*gb.context(), a->t(), gb.baseDir(), "value");
    if (!data)
      return gb.nodeError(llvm::toString(data.takeError()));
    gb.setOutput(0, gb.constant(toElementsAttr(*data)));
  } else if (const onnx::AttributeProto *a = gb.attr("value_float")) {
    auto type = RankedTensorType::get({}, b.getF32Type());
    gb.setOutput(0, gb.constant(DenseElementsAttr::get(type, a->f())));
  } else if (const onnx::AttributeProto *a = gb.attr("value_floats")) {
    SmallVector<float> v(a->floats().begin(), a->floats().end());
    auto type =
        RankedTensorType::get({static_cast<int64_t>(v.size())}, b.getF32Type());
    gb.setOutput(0, gb.constant(DenseElementsAttr::get(type, ArrayRef(v))));
  } else if (const onnx::AttributeProto *a = gb.attr("value_int")) {
    auto type = RankedTensorType::get({}, b.getI64Type());
    gb.setOutput(0, gb.constant(DenseElementsAttr::get(type, a->i())));
  } else if (const onnx::AttributeProto *a = gb.attr("value_ints")) {
    SmallVector<int64_t> v(a->ints().begin(), a->ints().end());
    gb.setOutput(0, gb.constantI64(v));
  } else {
    return gb.nodeError("only tensor, float(s) and int(s) constants are "
                        "supported (not sparse or string values)");
  }
  return Error::success();
}

Error convertConstantOfShape(GraphBuilder &gb) {
  auto shape = gb.constantInts(0, "input");
  if (!shape)
    return shape.takeError();
  if (!isReasonableShape(*shape))
    return gb.nodeError("the shape has a negative dimension or more than "
                        "2^40 elements");
  Type element = gb.b().getF32Type();
  Attribute fill = gb.b().getF32FloatAttr(0.0f);
  if (const onnx::AttributeProto *a = gb.attr("value")) {
    Expected<TensorData> data =
        decodeTensor(*gb.context(), a->t(), gb.baseDir(), "value");
    if (!data)
      return gb.nodeError(llvm::toString(data.takeError()));
    if (data->type.getNumElements() != 1)
      return gb.nodeError("value must hold exactly one element");
    DenseElementsAttr attr = toElementsAttr(*data);
    element = attr.getElementType();
    fill = *attr.getValues<Attribute>().begin();
  }
  gb.setOutput(0, gb.constant(DenseElementsAttr::get(
                      RankedTensorType::get(*shape, element), fill)));
  return Error::success();
}

Error convertShape(GraphBuilder &gb) {
  Expected<Value> x = required(gb, 0);
  if (!x)
    return x.takeError();
  ArrayRef<int64_t> shape = typeOf(*x).getShape();
  int64_t rank = shape.size();
  int64_t start = gb.attrInt("start", 0), end = gb.attrInt("end", rank);
  start = std::clamp<int64_t>(start < 0 ? start + rank : start, 0, rank);
  end = std::clamp<int64_t>(end < 0 ? end + rank : end, 0, rank);
  gb.setOutput(
      0, gb.constantI64(shape.slice(start, std::max<int64_t>(end - start, 0))));
  return Error::success();
}

Error convertRange(GraphBuilder &gb) {
  SmallVector<DenseElementsAttr> args;
  for (int i = 0; i < 3; ++i) {
    DenseElementsAttr c = gb.constantOf(gb.input(i));
    if (!c || c.getNumElements() != 1)
      return gb.nodeError("start, limit and delta must be compile-time "
                          "scalars: the output shape depends on their values");
    args.push_back(c);
  }
  auto scalar = [](DenseElementsAttr c) {
    if (isa<FloatType>(c.getElementType()))
      return (*c.getValues<APFloat>().begin()).convertToDouble();
    return static_cast<double>((*c.getValues<APInt>().begin()).getSExtValue());
  };
  double start = scalar(args[0]), limit = scalar(args[1]),
         delta = scalar(args[2]);
  if (delta == 0)
    return gb.nodeError("delta is 0");
  double steps = std::ceil((limit - start) / delta);
  if (!std::isfinite(steps) || steps > kMaxRangeElements)
    return gb.nodeError("would produce more than " +
                        llvm::Twine(kMaxRangeElements) +
                        " elements (start, limit and delta are folded into a "
                        "constant at compile time)");
  int64_t count = std::max<int64_t>(0, static_cast<int64_t>(steps));
  SmallVector<Attribute> values;
  Type element = args[0].getElementType();
  for (int64_t i = 0; i < count; ++i) {
    double v = start + i * delta;
    values.push_back(isa<FloatType>(element)
                         ? Attribute(gb.b().getFloatAttr(element, v))
                         : Attribute(gb.b().getIntegerAttr(
                               element, static_cast<int64_t>(v))));
  }
  gb.setOutput(0, gb.constant(DenseElementsAttr::get(
                      RankedTensorType::get({count}, element), values)));
  return Error::success();
}

//===----------------------------------------------------------------------===//
// The table
//===----------------------------------------------------------------------===//

const llvm::StringMap<OpConversion> &conversionTable() {
  static const llvm::StringMap<OpConversion> table = {
      {"Abs", convertUnary<graph::AbsOp>},
      {"Add", convertBinary<graph::AddOp>},
      {"Cast", convertCast},
      {"Concat", convertConcat},
      {"Constant", convertConstant},
      {"ConstantOfShape", convertConstantOfShape},
      {"Conv", convertConv},
      {"Div", convertBinary<graph::DivOp>},
      {"Dropout", convertDropout},
      {"Equal", convertBinary<graph::EqualOp>},
      {"Erf", convertUnary<graph::ErfOp>},
      {"Exp", convertUnary<graph::ExpOp>},
      {"Expand", convertExpand},
      {"Flatten", convertFlatten},
      {"Gather", convertGather<graph::GatherOp>},
      {"GatherElements", convertGather<graph::GatherElementsOp>},
      {"Gelu", convertGelu},
      {"Gemm", convertGemm},
      {"Greater", convertBinary<graph::GreaterOp>},
      {"GreaterOrEqual", convertBinary<graph::GreaterEqualOp>},
      {"Identity", convertIdentity},
      {"IsNaN", convertUnary<graph::IsNaNOp>},
      {"LayerNormalization", convertLayerNorm},
      {"Less", convertBinary<graph::LessOp>},
      {"LessOrEqual", convertBinary<graph::LessEqualOp>},
      {"Log", convertUnary<graph::LogOp>},
      {"LogSoftmax", convertSoftmax<graph::LogSoftmaxOp>},
      {"MatMul", convertBinary<graph::MatMulOp>},
      {"Max", convertVariadic<graph::MaxOp>},
      {"Min", convertVariadic<graph::MinOp>},
      {"Mul", convertBinary<graph::MulOp>},
      {"Neg", convertUnary<graph::NegOp>},
      {"NegativeLogLikelihoodLoss",
       convertLoss<graph::NegativeLogLikelihoodLossOp>},
      {"Pad", convertPad},
      {"Pow", convertPow},
      {"Range", convertRange},
      {"Reciprocal", convertUnary<graph::ReciprocalOp>},
      {"ReduceMax", convertReduce<graph::ReduceMaxOp>},
      {"ReduceMean", convertReduce<graph::ReduceMeanOp>},
      {"ReduceSum", convertReduce<graph::ReduceSumOp>},
      {"Relu", convertUnary<graph::ReluOp>},
      {"Reshape", convertReshape},
      {"ScatterND", convertScatterND},
      {"Shape", convertShape},
      {"Sigmoid", convertUnary<graph::SigmoidOp>},
      {"Slice", convertSlice},
      {"Softmax", convertSoftmax<graph::SoftmaxOp>},
      {"SoftmaxCrossEntropyLoss",
       convertLoss<graph::SoftmaxCrossEntropyLossOp>},
      {"Split", convertSplit},
      {"Sqrt", convertUnary<graph::SqrtOp>},
      {"Squeeze", convertSqueeze},
      {"Sub", convertBinary<graph::SubOp>},
      {"Tanh", convertUnary<graph::TanhOp>},
      {"Transpose", convertTranspose},
      {"Trilu", convertTrilu},
      {"Unsqueeze", convertUnsqueeze},
      {"Where", convertWhere},
  };
  return table;
}

} // namespace

OpConversion findOpConversion(StringRef opType) {
  return conversionTable().lookup(opType);
}

llvm::ArrayRef<StringRef> supportedOps() {
  static const SmallVector<StringRef> names = [] {
    SmallVector<StringRef> out;
    for (const auto &entry : conversionTable())
      out.push_back(entry.getKey());
    llvm::sort(out);
    return out;
  }();
  return names;
}

bool isSupportedOp(StringRef opType) { return findOpConversion(opType); }

} // namespace dsc::onnx_import
