//===- GraphFolding.cpp - folders of graph ops ----------------------------===//
//
// Folding evaluates ops on small constants. It is what turns ONNX shape
// sub-graphs (Shape -> Gather -> Concat -> Reshape ...) into constants during
// import, so only small tensors are evaluated.
//
//===----------------------------------------------------------------------===//

#include "dialects/graph/GraphOps.h"

#include "llvm/ADT/APFloat.h"

#include <cmath>
#include <functional>

using namespace mlir;
using namespace dsc::graph;

namespace {

/// Constants above this size are left alone: folding is for shape arithmetic.
constexpr int64_t kMaxFoldElements = 1 << 16;

DenseElementsAttr smallConstant(Attribute attr) {
  auto dense = dyn_cast_or_null<DenseElementsAttr>(attr);
  if (!dense || dense.getNumElements() > kMaxFoldElements)
    return {};
  return dense;
}

/// The elements of a constant as doubles (floats) or int64 (integers, i1).
struct HostValues {
  bool isFloat = false;
  SmallVector<double> f;
  SmallVector<int64_t> i;
  size_t size() const { return isFloat ? f.size() : i.size(); }
};

HostValues toHost(DenseElementsAttr attr) {
  HostValues v;
  Type element = attr.getElementType();
  if (isa<FloatType>(element)) {
    v.isFloat = true;
    for (APFloat x : attr.getValues<APFloat>()) {
      bool lost;
      x.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven, &lost);
      v.f.push_back(x.convertToDouble());
    }
    return v;
  }
  bool zext = element.isUnsignedInteger() || element.isInteger(1);
  for (const APInt &x : attr.getValues<APInt>())
    v.i.push_back(zext ? static_cast<int64_t>(x.getZExtValue())
                       : x.getSExtValue());
  return v;
}

DenseElementsAttr fromDoubles(RankedTensorType type, ArrayRef<double> values) {
  Type element = type.getElementType();
  if (auto ft = dyn_cast<FloatType>(element)) {
    SmallVector<APFloat> out;
    for (double d : values) {
      APFloat x(d);
      bool lost;
      x.convert(ft.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
      out.push_back(x);
    }
    return DenseElementsAttr::get(type, out);
  }
  unsigned width = element.getIntOrFloatBitWidth();
  SmallVector<APInt> out;
  for (double d : values) {
    if (width == 1)
      out.push_back(APInt(1, d != 0.0));
    else
      out.push_back(APInt(width, static_cast<uint64_t>(static_cast<int64_t>(d)),
                          /*isSigned=*/true, /*implicitTrunc=*/true));
  }
  return DenseElementsAttr::get(type, out);
}

DenseElementsAttr fromInts(RankedTensorType type, ArrayRef<int64_t> values) {
  Type element = type.getElementType();
  if (isa<FloatType>(element)) {
    SmallVector<double> d(values.begin(), values.end());
    return fromDoubles(type, d);
  }
  unsigned width = element.getIntOrFloatBitWidth();
  SmallVector<APInt> out;
  for (int64_t v : values)
    out.push_back(APInt(width, static_cast<uint64_t>(v), /*isSigned=*/true,
                        /*implicitTrunc=*/true));
  return DenseElementsAttr::get(type, out);
}

/// For each element of a tensor shaped `shape`, in row-major order, the
/// linear index `sourceOf(multi-index)` of the element it is taken from.
SmallVector<int64_t>
mapIndices(ArrayRef<int64_t> shape,
           llvm::function_ref<int64_t(ArrayRef<int64_t>)> sourceOf) {
  int64_t count = numElements(shape);
  SmallVector<int64_t> sources;
  sources.reserve(count);
  SmallVector<int64_t> index(shape.size(), 0);
  for (int64_t n = 0; n < count; ++n) {
    sources.push_back(sourceOf(index));
    for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
      if (++index[d] < shape[d])
        break;
      index[d] = 0;
    }
  }
  return sources;
}

/// For each element of `out`, the linear index of the broadcast source element
/// of a tensor shaped `in`.
SmallVector<int64_t> broadcastSources(ArrayRef<int64_t> out,
                                      ArrayRef<int64_t> in) {
  size_t offset = out.size() - in.size();
  return mapIndices(out, [&](ArrayRef<int64_t> index) {
    int64_t src = 0;
    for (size_t d = 0; d < in.size(); ++d)
      src = src * in[d] + (in[d] == 1 ? 0 : index[d + offset]);
    return src;
  });
}

/// Row-major strides of a shape.
SmallVector<int64_t> stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t d = static_cast<int64_t>(shape.size()) - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  return strides;
}

/// Gathers `sources[n]` of `input` into a constant of `type`.
DenseElementsAttr gatherElements(DenseElementsAttr input, RankedTensorType type,
                                 ArrayRef<int64_t> sources) {
  SmallVector<Attribute> all(input.getValues<Attribute>());
  SmallVector<Attribute> out;
  out.reserve(sources.size());
  for (int64_t s : sources)
    out.push_back(all[s]);
  return DenseElementsAttr::get(type, out);
}

using FloatFn = std::function<double(double, double)>;
using IntFn = std::function<std::optional<int64_t>(int64_t, int64_t)>;

/// Folds a broadcasting binary op on constants; `intFn` may refuse (division
/// by zero) by returning nullopt.
OpFoldResult foldBinary(Operation *op, ArrayRef<Attribute> operands,
                        const FloatFn &floatFn, const IntFn &intFn) {
  DenseElementsAttr lhs = smallConstant(operands[0]);
  DenseElementsAttr rhs = smallConstant(operands[1]);
  auto type = cast<RankedTensorType>(op->getResult(0).getType());
  if (!lhs || !rhs || type.getNumElements() > kMaxFoldElements)
    return {};
  HostValues a = toHost(lhs), b = toHost(rhs);
  SmallVector<int64_t> ia =
      broadcastSources(type.getShape(), lhs.getType().getShape());
  SmallVector<int64_t> ib =
      broadcastSources(type.getShape(), rhs.getType().getShape());
  if (a.isFloat) {
    SmallVector<double> out;
    for (size_t n = 0; n < ia.size(); ++n)
      out.push_back(floatFn(a.f[ia[n]], b.f[ib[n]]));
    return fromDoubles(type, out);
  }
  SmallVector<int64_t> out;
  for (size_t n = 0; n < ia.size(); ++n) {
    std::optional<int64_t> r = intFn(a.i[ia[n]], b.i[ib[n]]);
    if (!r)
      return {};
    out.push_back(*r);
  }
  return fromInts(type, out);
}

/// Compare ops: the same evaluation, producing 0/1.
OpFoldResult foldCompare(Operation *op, ArrayRef<Attribute> operands,
                         std::function<bool(double, double)> cmp) {
  return foldBinary(
      op, operands, [&](double x, double y) { return cmp(x, y) ? 1.0 : 0.0; },
      [&](int64_t x, int64_t y) -> std::optional<int64_t> {
        return (x < y ? cmp(0, 1) : x > y ? cmp(1, 0) : cmp(0, 0)) ? 1 : 0;
      });
}

OpFoldResult foldUnary(Operation *op, Attribute operand,
                       std::function<double(double)> floatFn,
                       std::function<int64_t(int64_t)> intFn = nullptr) {
  DenseElementsAttr input = smallConstant(operand);
  if (!input)
    return {};
  auto type = cast<RankedTensorType>(op->getResult(0).getType());
  HostValues v = toHost(input);
  if (v.isFloat) {
    for (double &x : v.f)
      x = floatFn(x);
    return fromDoubles(type, v.f);
  }
  if (!intFn)
    return {};
  for (int64_t &x : v.i)
    x = intFn(x);
  return fromInts(type, v.i);
}

} // namespace

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

OpFoldResult AddOp::fold(FoldAdaptor adaptor) {
  return foldBinary(
      *this, adaptor.getOperands(), [](double x, double y) { return x + y; },
      [](int64_t x, int64_t y) -> std::optional<int64_t> { return x + y; });
}

OpFoldResult SubOp::fold(FoldAdaptor adaptor) {
  return foldBinary(
      *this, adaptor.getOperands(), [](double x, double y) { return x - y; },
      [](int64_t x, int64_t y) -> std::optional<int64_t> { return x - y; });
}

OpFoldResult MulOp::fold(FoldAdaptor adaptor) {
  return foldBinary(
      *this, adaptor.getOperands(), [](double x, double y) { return x * y; },
      [](int64_t x, int64_t y) -> std::optional<int64_t> { return x * y; });
}

OpFoldResult DivOp::fold(FoldAdaptor adaptor) {
  return foldBinary(
      *this, adaptor.getOperands(), [](double x, double y) { return x / y; },
      [](int64_t x, int64_t y) -> std::optional<int64_t> {
        if (y == 0)
          return std::nullopt;
        return x / y;
      });
}

OpFoldResult PowOp::fold(FoldAdaptor adaptor) {
  return foldBinary(
      *this, adaptor.getOperands(),
      [](double x, double y) { return std::pow(x, y); },
      [](int64_t x, int64_t y) -> std::optional<int64_t> {
        if (y < 0)
          return std::nullopt;
        int64_t r = 1;
        for (int64_t k = 0; k < y; ++k)
          r *= x;
        return r;
      });
}

OpFoldResult MinOp::fold(FoldAdaptor adaptor) {
  return foldBinary(
      *this, adaptor.getOperands(),
      [](double x, double y) { return std::isnan(x) ? x : std::min(x, y); },
      [](int64_t x, int64_t y) -> std::optional<int64_t> {
        return std::min(x, y);
      });
}

OpFoldResult MaxOp::fold(FoldAdaptor adaptor) {
  return foldBinary(
      *this, adaptor.getOperands(),
      [](double x, double y) { return std::isnan(x) ? x : std::max(x, y); },
      [](int64_t x, int64_t y) -> std::optional<int64_t> {
        return std::max(x, y);
      });
}

OpFoldResult EqualOp::fold(FoldAdaptor adaptor) {
  return foldCompare(*this, adaptor.getOperands(),
                     [](double x, double y) { return x == y; });
}
OpFoldResult LessOp::fold(FoldAdaptor adaptor) {
  return foldCompare(*this, adaptor.getOperands(),
                     [](double x, double y) { return x < y; });
}
OpFoldResult LessEqualOp::fold(FoldAdaptor adaptor) {
  return foldCompare(*this, adaptor.getOperands(),
                     [](double x, double y) { return x <= y; });
}
OpFoldResult GreaterOp::fold(FoldAdaptor adaptor) {
  return foldCompare(*this, adaptor.getOperands(),
                     [](double x, double y) { return x > y; });
}
OpFoldResult GreaterEqualOp::fold(FoldAdaptor adaptor) {
  return foldCompare(*this, adaptor.getOperands(),
                     [](double x, double y) { return x >= y; });
}

OpFoldResult WhereOp::fold(FoldAdaptor adaptor) {
  DenseElementsAttr cond = smallConstant(adaptor.getCondition());
  DenseElementsAttr lhs = smallConstant(adaptor.getLhs());
  DenseElementsAttr rhs = smallConstant(adaptor.getRhs());
  RankedTensorType type = getResult().getType();
  if (!cond || !lhs || !rhs || type.getNumElements() > kMaxFoldElements)
    return {};
  HostValues c = toHost(cond);
  SmallVector<int64_t> ic =
      broadcastSources(type.getShape(), cond.getType().getShape());
  SmallVector<int64_t> il =
      broadcastSources(type.getShape(), lhs.getType().getShape());
  SmallVector<int64_t> ir =
      broadcastSources(type.getShape(), rhs.getType().getShape());
  SmallVector<Attribute> a(lhs.getValues<Attribute>());
  SmallVector<Attribute> b(rhs.getValues<Attribute>());
  SmallVector<Attribute> out;
  for (size_t n = 0; n < ic.size(); ++n)
    out.push_back(c.i[ic[n]] ? a[il[n]] : b[ir[n]]);
  return DenseElementsAttr::get(type, out);
}

OpFoldResult NegOp::fold(FoldAdaptor adaptor) {
  return foldUnary(
      *this, adaptor.getInput(), [](double x) { return -x; },
      [](int64_t x) { return -x; });
}
OpFoldResult AbsOp::fold(FoldAdaptor adaptor) {
  return foldUnary(
      *this, adaptor.getInput(), [](double x) { return std::fabs(x); },
      [](int64_t x) { return x < 0 ? -x : x; });
}
OpFoldResult ReluOp::fold(FoldAdaptor adaptor) {
  return foldUnary(
      *this, adaptor.getInput(), [](double x) { return x > 0 ? x : 0.0; },
      [](int64_t x) { return x > 0 ? x : int64_t(0); });
}
OpFoldResult SqrtOp::fold(FoldAdaptor adaptor) {
  return foldUnary(*this, adaptor.getInput(),
                   [](double x) { return std::sqrt(x); });
}
OpFoldResult ReciprocalOp::fold(FoldAdaptor adaptor) {
  return foldUnary(*this, adaptor.getInput(), [](double x) { return 1.0 / x; });
}
OpFoldResult ExpOp::fold(FoldAdaptor adaptor) {
  return foldUnary(*this, adaptor.getInput(),
                   [](double x) { return std::exp(x); });
}
OpFoldResult LogOp::fold(FoldAdaptor adaptor) {
  return foldUnary(*this, adaptor.getInput(),
                   [](double x) { return std::log(x); });
}
OpFoldResult TanhOp::fold(FoldAdaptor adaptor) {
  return foldUnary(*this, adaptor.getInput(),
                   [](double x) { return std::tanh(x); });
}
OpFoldResult SigmoidOp::fold(FoldAdaptor adaptor) {
  return foldUnary(*this, adaptor.getInput(),
                   [](double x) { return 1.0 / (1.0 + std::exp(-x)); });
}
OpFoldResult ErfOp::fold(FoldAdaptor adaptor) {
  return foldUnary(*this, adaptor.getInput(),
                   [](double x) { return std::erf(x); });
}

OpFoldResult CastOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getResult().getType())
    return getInput();
  DenseElementsAttr input = smallConstant(adaptor.getInput());
  if (!input)
    return {};
  RankedTensorType type = getResult().getType();
  HostValues v = toHost(input);
  if (!v.isFloat)
    return fromInts(type, v.i);
  if (isa<FloatType>(type.getElementType()))
    return fromDoubles(type, v.f);
  // Float to integer truncates toward zero; NaN or out of range: leave it.
  SmallVector<int64_t> ints;
  for (double d : v.f) {
    if (!std::isfinite(d) || std::fabs(d) > 9.2e18)
      return {};
    ints.push_back(type.getElementType().isInteger(1)
                       ? int64_t(d != 0.0)
                       : static_cast<int64_t>(std::trunc(d)));
  }
  return fromInts(type, ints);
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getResult().getType())
    return getInput();
  if (auto producer = getInput().getDefiningOp<ReshapeOp>()) {
    // reshape(reshape(x)) is one reshape of x.
    getInputMutable().assign(producer.getInput());
    return getResult();
  }
  if (DenseElementsAttr input = smallConstant(adaptor.getInput()))
    return input.reshape(getResult().getType());
  return {};
}

OpFoldResult TransposeOp::fold(FoldAdaptor adaptor) {
  ArrayRef<int64_t> perm = getPerm();
  if (llvm::equal(perm, llvm::seq<int64_t>(0, perm.size())))
    return getInput();
  DenseElementsAttr input = smallConstant(adaptor.getInput());
  if (!input)
    return {};
  RankedTensorType type = getResult().getType();
  SmallVector<int64_t> inStrides = stridesOf(input.getType().getShape());
  return gatherElements(
      input, type, mapIndices(type.getShape(), [&](ArrayRef<int64_t> index) {
        int64_t src = 0;
        for (size_t d = 0; d < perm.size(); ++d)
          src += index[d] * inStrides[perm[d]];
        return src;
      }));
}

OpFoldResult SliceOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getResult().getType() &&
      llvm::all_of(getSteps(), [](int64_t s) { return s == 1; }))
    return getInput();
  DenseElementsAttr input = smallConstant(adaptor.getInput());
  if (!input)
    return {};
  RankedTensorType type = getResult().getType();
  SmallVector<int64_t> inStrides = stridesOf(input.getType().getShape());
  ArrayRef<int64_t> starts = getStarts(), steps = getSteps();
  return gatherElements(
      input, type, mapIndices(type.getShape(), [&](ArrayRef<int64_t> index) {
        int64_t src = 0;
        for (size_t d = 0; d < index.size(); ++d)
          src += (starts[d] + index[d] * steps[d]) * inStrides[d];
        return src;
      }));
}

OpFoldResult ConcatOp::fold(FoldAdaptor adaptor) {
  if (getInputs().size() == 1)
    return getInputs().front();
  RankedTensorType type = getResult().getType();
  if (type.getNumElements() > kMaxFoldElements)
    return {};
  int64_t axis = getAxis();
  // Row-major: the result is, for each outer index, the inputs' inner blocks
  // one after the other.
  int64_t outer = numElements(type.getShape().take_front(axis));
  SmallVector<SmallVector<Attribute>> parts;
  SmallVector<int64_t> blocks;
  for (auto [value, attr] : llvm::zip(getInputs(), adaptor.getInputs())) {
    DenseElementsAttr c = smallConstant(attr);
    if (!c)
      return {};
    parts.emplace_back(c.getValues<Attribute>());
    blocks.push_back(numElements(
        cast<RankedTensorType>(value.getType()).getShape().drop_front(axis)));
  }
  SmallVector<Attribute> out;
  for (int64_t o = 0; o < outer; ++o)
    for (size_t p = 0; p < parts.size(); ++p)
      out.append(parts[p].begin() + o * blocks[p],
                 parts[p].begin() + (o + 1) * blocks[p]);
  return DenseElementsAttr::get(type, out);
}

OpFoldResult ExpandOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getResult().getType())
    return getInput();
  DenseElementsAttr input = smallConstant(adaptor.getInput());
  RankedTensorType type = getResult().getType();
  if (!input)
    return {};
  if (input.isSplat())
    return DenseElementsAttr::get(type, input.getSplatValue<Attribute>());
  if (type.getNumElements() > kMaxFoldElements)
    return {};
  return gatherElements(
      input, type,
      broadcastSources(type.getShape(), input.getType().getShape()));
}

OpFoldResult GatherOp::fold(FoldAdaptor adaptor) {
  DenseElementsAttr input = smallConstant(adaptor.getInput());
  DenseElementsAttr indices = smallConstant(adaptor.getIndices());
  RankedTensorType type = getResult().getType();
  if (!input || !indices || type.getNumElements() > kMaxFoldElements)
    return {};
  ArrayRef<int64_t> shape = input.getType().getShape();
  int64_t axis = getAxis();
  int64_t outer = numElements(shape.take_front(axis));
  int64_t inner = numElements(shape.drop_front(axis + 1));
  int64_t dim = shape[axis];
  HostValues idx = toHost(indices);
  SmallVector<int64_t> sources;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t k : idx.i) {
      if (k < -dim || k >= dim)
        return {}; // Out of range: the runtime reports it.
      int64_t row = k < 0 ? k + dim : k;
      for (int64_t in = 0; in < inner; ++in)
        sources.push_back((o * dim + row) * inner + in);
    }
  return gatherElements(input, type, sources);
}
