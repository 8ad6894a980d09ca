//===- GraphInterpreter.cpp - reference evaluation of graph functions -----===//

#include "test/numeric/GraphInterpreter.h"

#include "dialects/graph/GraphOps.h"
#include "kernels/cpu/CpuKernels.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace dsc::graph;
namespace k = dsc::kernels::cpu;
using llvm::Error;
using llvm::Expected;

namespace dsc::numeric {

int64_t HostTensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

HostTensor HostTensor::zeros(RankedTensorType type) {
  HostTensor t;
  t.shape.assign(type.getShape().begin(), type.getShape().end());
  Type element = type.getElementType();
  int64_t n = t.numel();
  if (isa<FloatType>(element)) {
    t.kind = Kind::Float;
    t.f.assign(n, 0.0);
  } else if (element.isInteger(1)) {
    t.kind = Kind::Bool;
    t.b.assign(n, 0);
  } else {
    t.kind = Kind::Int;
    t.i.assign(n, 0);
  }
  return t;
}

namespace {

Error makeError(Operation *op, const llvm::Twine &message) {
  std::string name = op->getName().getStringRef().str();
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 name + ": " + message);
}

k::Shape shapeOf(const HostTensor &t) {
  return {t.shape.data(), static_cast<int>(t.shape.size())};
}

HostTensor resultOf(Value v) {
  return HostTensor::zeros(cast<RankedTensorType>(v.getType()));
}

/// Calls `f(std::vector<T> &)` with the storage matching the tensor's kind.
template <typename F> void withData(HostTensor &t, F &&f) {
  switch (t.kind) {
  case HostTensor::Kind::Float:
    return f(t.f);
  case HostTensor::Kind::Int:
    return f(t.i);
  case HostTensor::Kind::Bool:
    return f(t.b);
  }
}

template <typename T> const std::vector<T> &storage(const HostTensor &t);
template <> const std::vector<double> &storage(const HostTensor &t) {
  return t.f;
}
template <> const std::vector<int64_t> &storage(const HostTensor &t) {
  return t.i;
}
template <> const std::vector<uint8_t> &storage(const HostTensor &t) {
  return t.b;
}

HostTensor fromAttr(DenseElementsAttr attr) {
  HostTensor t = HostTensor::zeros(cast<RankedTensorType>(attr.getType()));
  int64_t n = 0;
  switch (t.kind) {
  case HostTensor::Kind::Float:
    for (APFloat v : attr.getValues<APFloat>()) {
      bool lost;
      v.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven, &lost);
      t.f[n++] = v.convertToDouble();
    }
    break;
  case HostTensor::Kind::Int:
    for (const APInt &v : attr.getValues<APInt>())
      t.i[n++] = v.getSExtValue();
    break;
  case HostTensor::Kind::Bool:
    for (bool v : attr.getValues<bool>())
      t.b[n++] = v;
    break;
  }
  return t;
}

// The graph enums number their cases as the kernels' enums do, so a value
// converts by its integer; the asserts keep the two from drifting apart.
template <typename A, typename B> constexpr bool sameValue(A a, B b) {
  return static_cast<int>(a) == static_cast<int>(b);
}
static_assert(sameValue(PadMode::Constant, k::PadMode::Constant) &&
              sameValue(PadMode::Reflect, k::PadMode::Reflect) &&
              sameValue(PadMode::Edge, k::PadMode::Edge) &&
              sameValue(PadMode::Wrap, k::PadMode::Wrap));
static_assert(sameValue(LossReduction::None, k::LossReduction::None) &&
              sameValue(LossReduction::Sum, k::LossReduction::Sum) &&
              sameValue(LossReduction::Mean, k::LossReduction::Mean));
static_assert(sameValue(ScatterReduction::None, k::ScatterReduction::None) &&
              sameValue(ScatterReduction::Add, k::ScatterReduction::Add) &&
              sameValue(ScatterReduction::Mul, k::ScatterReduction::Mul) &&
              sameValue(ScatterReduction::Max, k::ScatterReduction::Max) &&
              sameValue(ScatterReduction::Min, k::ScatterReduction::Min));

k::PadMode toKernel(PadMode mode) { return static_cast<k::PadMode>(mode); }
k::LossReduction toKernel(LossReduction r) {
  return static_cast<k::LossReduction>(r);
}
k::ScatterReduction toKernel(ScatterReduction r) {
  return static_cast<k::ScatterReduction>(r);
}

k::IgnoreIndex ignoreIndex(std::optional<int64_t> value) {
  k::IgnoreIndex ignore;
  if (value) {
    ignore.enabled = true;
    ignore.value = *value;
  }
  return ignore;
}

k::ConvParams convParams(ArrayRef<int64_t> strides, ArrayRef<int64_t> pads,
                         ArrayRef<int64_t> dilations, int64_t group) {
  k::ConvParams p;
  for (int i = 0; i < 2; ++i) {
    p.strides[i] = strides[i];
    p.dilations[i] = dilations[i];
  }
  for (int i = 0; i < 4; ++i)
    p.pads[i] = pads[i];
  p.group = group;
  return p;
}

const double *optionalData(const HostTensor *t) {
  return t ? t->f.data() : nullptr;
}

/// Evaluates one function, op by op.
class Interpreter {
public:
  Error run(func::FuncOp func, const std::vector<HostTensor> &args,
            std::vector<HostTensor> &results);

private:
  const HostTensor &get(Value v) { return values.find(v)->second; }
  const HostTensor *getOptional(Value v) { return v ? &get(v) : nullptr; }
  Error kernelStatus(Operation *op, int status) {
    if (status == 0)
      return Error::success();
    return makeError(op, k::lastKernelErrorDetail());
  }
  Error eval(Operation *op);
  Error evalElementwise(Operation *op, bool &handled);
  Error evalDataMovement(Operation *op, bool &handled);
  Error evalNumeric(Operation *op, bool &handled);

  llvm::DenseMap<Value, HostTensor> values;
};

Error Interpreter::run(func::FuncOp func, const std::vector<HostTensor> &args,
                       std::vector<HostTensor> &results) {
  Block &body = func.getBody().front();
  if (args.size() != body.getNumArguments())
    return makeError(func, "wrong number of arguments");
  for (auto [arg, value] : llvm::zip(body.getArguments(), args))
    values[arg] = value;
  for (Operation &op : body.without_terminator())
    if (Error err = eval(&op))
      return err;
  for (Value v : body.getTerminator()->getOperands())
    results.push_back(get(v));
  return Error::success();
}

Error Interpreter::eval(Operation *op) {
  bool handled = false;
  if (Error err = evalElementwise(op, handled))
    return err;
  if (!handled)
    if (Error err = evalDataMovement(op, handled))
      return err;
  if (!handled)
    if (Error err = evalNumeric(op, handled))
      return err;
  if (!handled)
    return makeError(op, "not supported by the interpreter");
  return Error::success();
}

Error Interpreter::evalElementwise(Operation *op, bool &handled) {
  handled = true;
  if (auto c = dyn_cast<ConstantOp>(op)) {
    values[c.getResult()] = fromAttr(cast<DenseElementsAttr>(c.getValue()));
    return Error::success();
  }
  // Elementwise kernels by the graph op's name (kernels/cpu/BinaryOps.def,
  // UnaryOps.def), as the compiler names the kernels the runtime runs.
  const std::string opName = op->getName().stripDialect().str();
  const bool binaryShape =
      op->getNumOperands() == 2 && op->getNumResults() == 1;
  std::optional<k::BinaryOp> binaryKind =
      binaryShape ? k::parseBinaryOp(opName) : std::nullopt;
  if (binaryKind) {
    const HostTensor &a = get(op->getOperand(0)), &b = get(op->getOperand(1));
    HostTensor out = resultOf(op->getResult(0));
    if (a.kind == HostTensor::Kind::Float)
      k::binary(*binaryKind, a.f.data(), shapeOf(a), b.f.data(), shapeOf(b),
                out.f.data(), shapeOf(out));
    else
      k::binary(*binaryKind, a.i.data(), shapeOf(a), b.i.data(), shapeOf(b),
                out.i.data(), shapeOf(out));
    values[op->getResult(0)] = std::move(out);
    return Error::success();
  }
  std::optional<k::CompareOp> compareKind =
      binaryShape ? k::parseCompareOp(opName) : std::nullopt;
  if (compareKind) {
    const HostTensor &a = get(op->getOperand(0)), &b = get(op->getOperand(1));
    HostTensor out = resultOf(op->getResult(0));
    if (a.kind == HostTensor::Kind::Float)
      k::compare(*compareKind, a.f.data(), shapeOf(a), b.f.data(), shapeOf(b),
                 out.b.data(), shapeOf(out));
    else
      k::compare(*compareKind, a.i.data(), shapeOf(a), b.i.data(), shapeOf(b),
                 out.b.data(), shapeOf(out));
    values[op->getResult(0)] = std::move(out);
    return Error::success();
  }
  std::optional<k::UnaryOp> unaryKind =
      op->getNumOperands() == 1 && op->getNumResults() == 1
          ? k::parseUnaryOp(opName)
          : std::nullopt;
  if (unaryKind) {
    HostTensor out = get(op->getOperand(0));
    if (out.kind == HostTensor::Kind::Float)
      k::unary(*unaryKind, out.f.data(), out.f.data(), out.numel());
    else
      k::unary(*unaryKind, out.i.data(), out.i.data(), out.numel());
    values[op->getResult(0)] = std::move(out);
    return Error::success();
  }
  return llvm::TypeSwitch<Operation *, Error>(op)
      .Case([&](WhereOp w) {
        const HostTensor &c = get(w.getCondition()), &a = get(w.getLhs()),
                         &b = get(w.getRhs());
        HostTensor out = resultOf(w.getResult());
        withData(out, [&](auto &data) {
          using T = typename std::decay_t<decltype(data)>::value_type;
          k::where(c.b.data(), shapeOf(c), storage<T>(a).data(), shapeOf(a),
                   storage<T>(b).data(), shapeOf(b), data.data(), shapeOf(out));
        });
        values[w.getResult()] = std::move(out);
        return Error::success();
      })
      .Case([&](GeluOp g) {
        HostTensor out = get(g.getInput());
        k::gelu(out.f.data(), out.f.data(), out.numel(),
                g.getApproximate() == GeluApproximate::Tanh);
        values[g.getResult()] = std::move(out);
        return Error::success();
      })
      .Case([&](GeluGradOp g) {
        const HostTensor &x = get(g.getInput()), &dy = get(g.getGrad());
        HostTensor out = resultOf(g.getResult());
        k::geluGrad(x.f.data(), dy.f.data(), out.f.data(), out.numel(),
                    g.getApproximate() == GeluApproximate::Tanh);
        values[g.getResult()] = std::move(out);
        return Error::success();
      })
      .Case([&](IsNaNOp n) {
        const HostTensor &x = get(n.getInput());
        HostTensor out = resultOf(n.getResult());
        k::isNan(x.f.data(), out.b.data(), out.numel());
        values[n.getResult()] = std::move(out);
        return Error::success();
      })
      .Case([&](CastOp c) {
        HostTensor &in = values[c.getInput()];
        HostTensor out = resultOf(c.getResult());
        withData(in, [&](auto &from) {
          withData(out, [&](auto &to) {
            k::cast(from.data(), to.data(), out.numel());
          });
        });
        values[c.getResult()] = std::move(out);
        return Error::success();
      })
      .Default([&](Operation *) {
        handled = false;
        return Error::success();
      });
}

Error Interpreter::evalDataMovement(Operation *op, bool &handled) {
  handled = true;
  Value result = op->getNumResults() ? op->getResult(0) : Value();
  HostTensor out = result ? resultOf(result) : HostTensor();
  auto done = [&]() {
    values[result] = std::move(out);
    return Error::success();
  };
  return llvm::TypeSwitch<Operation *, Error>(op)
      .Case([&](ReshapeOp r) {
        HostTensor in = get(r.getInput());
        in.shape = out.shape;
        out = std::move(in);
        return done();
      })
      .Case([&](TransposeOp t) {
        const HostTensor &in = get(t.getInput());
        withData(out, [&](auto &data) {
          using T = typename std::decay_t<decltype(data)>::value_type;
          k::transpose(storage<T>(in).data(), shapeOf(in), t.getPerm().data(),
                       data.data());
        });
        return done();
      })
      .Case([&](SliceOp s) {
        const HostTensor &in = get(s.getInput());
        withData(out, [&](auto &data) {
          using T = typename std::decay_t<decltype(data)>::value_type;
          k::slice(storage<T>(in).data(), shapeOf(in), s.getStarts().data(),
                   s.getEnds().data(), s.getSteps().data(), data.data());
        });
        return done();
      })
      .Case([&](ConcatOp c) {
        std::vector<const HostTensor *> ins;
        std::vector<k::Shape> shapes;
        for (Value v : c.getInputs()) {
          ins.push_back(&get(v));
          shapes.push_back(shapeOf(*ins.back()));
        }
        withData(out, [&](auto &data) {
          using T = typename std::decay_t<decltype(data)>::value_type;
          std::vector<const T *> ptrs;
          for (const HostTensor *t : ins)
            ptrs.push_back(storage<T>(*t).data());
          k::concat(ptrs.data(), shapes.data(), static_cast<int>(ptrs.size()),
                    static_cast<int>(c.getAxis()), data.data());
        });
        return done();
      })
      .Case([&](ExpandOp e) {
        const HostTensor &in = get(e.getInput());
        withData(out, [&](auto &data) {
          using T = typename std::decay_t<decltype(data)>::value_type;
          k::expand(storage<T>(in).data(), shapeOf(in), data.data(),
                    shapeOf(out));
        });
        return done();
      })
      .Case([&](GatherOp g) -> Error {
        const HostTensor &in = get(g.getInput()), &idx = get(g.getIndices());
        int status = 0;
        withData(out, [&](auto &data) {
          using T = typename std::decay_t<decltype(data)>::value_type;
          status = k::gather(storage<T>(in).data(), shapeOf(in), idx.i.data(),
                             shapeOf(idx), static_cast<int>(g.getAxis()),
                             data.data());
        });
        if (Error err = kernelStatus(op, status))
          return err;
        return done();
      })
      .Case([&](GatherElementsOp g) -> Error {
        const HostTensor &in = get(g.getInput()), &idx = get(g.getIndices());
        int status = 0;
        withData(out, [&](auto &data) {
          using T = typename std::decay_t<decltype(data)>::value_type;
          status = k::gatherElements(
              storage<T>(in).data(), shapeOf(in), idx.i.data(), shapeOf(idx),
              static_cast<int>(g.getAxis()), data.data());
        });
        if (Error err = kernelStatus(op, status))
          return err;
        return done();
      })
      .Case([&](ScatterNDOp s) -> Error {
        const HostTensor &in = get(s.getInput()), &idx = get(s.getIndices()),
                         &upd = get(s.getUpdates());
        k::ScatterReduction reduction = toKernel(s.getReduction());
        int status = 0;
        withData(out, [&](auto &data) {
          using T = typename std::decay_t<decltype(data)>::value_type;
          status = k::scatterND(storage<T>(in).data(), shapeOf(in),
                                idx.i.data(), shapeOf(idx),
                                storage<T>(upd).data(), reduction, data.data());
        });
        if (Error err = kernelStatus(op, status))
          return err;
        return done();
      })
      .Case([&](PadOp p) {
        const HostTensor &in = get(p.getInput());
        withData(out, [&](auto &data) {
          using T = typename std::decay_t<decltype(data)>::value_type;
          k::pad(storage<T>(in).data(), shapeOf(in), p.getPads().data(),
                 toKernel(p.getMode()), p.getValue().convertToDouble(),
                 data.data());
        });
        return done();
      })
      .Case([&](TriluOp t) {
        const HostTensor &in = get(t.getInput());
        int64_t kValue = t.getK() ? get(t.getK()).i[0] : 0;
        withData(out, [&](auto &data) {
          using T = typename std::decay_t<decltype(data)>::value_type;
          k::trilu(storage<T>(in).data(), shapeOf(in), kValue, t.getUpper(),
                   data.data());
        });
        return done();
      })
      .Case([&](SliceGradOp s) {
        const HostTensor &dy = get(s.getGrad());
        k::sliceGrad(dy.f.data(), s.getStarts().data(), s.getEnds().data(),
                     s.getSteps().data(), out.f.data(), shapeOf(out));
        return done();
      })
      .Case([&](PadGradOp p) {
        const HostTensor &dy = get(p.getGrad());
        k::padGrad(dy.f.data(), p.getPads().data(), toKernel(p.getMode()),
                   out.f.data(), shapeOf(out));
        return done();
      })
      .Case([&](GatherGradOp g) -> Error {
        const HostTensor &idx = get(g.getIndices()), &dy = get(g.getGrad());
        if (Error err = kernelStatus(
                op, k::gatherGrad(idx.i.data(), shapeOf(idx), dy.f.data(),
                                  static_cast<int>(g.getAxis()), out.f.data(),
                                  shapeOf(out))))
          return err;
        return done();
      })
      .Case([&](GatherElementsGradOp g) -> Error {
        const HostTensor &idx = get(g.getIndices()), &dy = get(g.getGrad());
        if (Error err = kernelStatus(
                op,
                k::gatherElementsGrad(idx.i.data(), shapeOf(idx), dy.f.data(),
                                      static_cast<int>(g.getAxis()),
                                      out.f.data(), shapeOf(out))))
          return err;
        return done();
      })
      .Default([&](Operation *) {
        handled = false;
        return Error::success();
      });
}

Error Interpreter::evalNumeric(Operation *op, bool &handled) {
  handled = true;
  auto set = [&](Value v, HostTensor t) { values[v] = std::move(t); };
  return llvm::TypeSwitch<Operation *, Error>(op)
      .Case([&](SoftmaxOp s) {
        const HostTensor &x = get(s.getInput());
        HostTensor y = resultOf(s.getResult());
        k::softmax(x.f.data(), shapeOf(x), static_cast<int>(s.getAxis()),
                   y.f.data());
        set(s.getResult(), std::move(y));
        return Error::success();
      })
      .Case([&](LogSoftmaxOp s) {
        const HostTensor &x = get(s.getInput());
        HostTensor y = resultOf(s.getResult());
        k::logSoftmax(x.f.data(), shapeOf(x), static_cast<int>(s.getAxis()),
                      y.f.data());
        set(s.getResult(), std::move(y));
        return Error::success();
      })
      .Case([&](SoftmaxGradOp s) {
        const HostTensor &y = get(s.getResult()), &dy = get(s.getGrad());
        HostTensor dx = resultOf(s.getInputGrad());
        k::softmaxGrad(y.f.data(), dy.f.data(), shapeOf(y),
                       static_cast<int>(s.getAxis()), dx.f.data());
        set(s.getInputGrad(), std::move(dx));
        return Error::success();
      })
      .Case([&](LogSoftmaxGradOp s) {
        const HostTensor &y = get(s.getResult()), &dy = get(s.getGrad());
        HostTensor dx = resultOf(s.getInputGrad());
        k::logSoftmaxGrad(y.f.data(), dy.f.data(), shapeOf(y),
                          static_cast<int>(s.getAxis()), dx.f.data());
        set(s.getInputGrad(), std::move(dx));
        return Error::success();
      })
      .Case([&](LayerNormOp ln) {
        const HostTensor &x = get(ln.getInput()), &s = get(ln.getScale());
        const HostTensor *b = getOptional(ln.getBias());
        HostTensor y = resultOf(ln.getResult()), m = resultOf(ln.getMean()),
                   r = resultOf(ln.getInvStdDev());
        k::layerNorm(x.f.data(), shapeOf(x), s.f.data(), shapeOf(s),
                     optionalData(b), b ? shapeOf(*b) : k::Shape(),
                     static_cast<int>(ln.getAxis()),
                     ln.getEpsilon().convertToDouble(), y.f.data(), m.f.data(),
                     r.f.data());
        set(ln.getResult(), std::move(y));
        set(ln.getMean(), std::move(m));
        set(ln.getInvStdDev(), std::move(r));
        return Error::success();
      })
      .Case([&](LayerNormGradOp g) {
        const HostTensor &x = get(g.getInput()), &s = get(g.getScale()),
                         &m = get(g.getMean()), &r = get(g.getInvStdDev()),
                         &dy = get(g.getGrad());
        HostTensor dx = resultOf(g.getInputGrad()),
                   ds = resultOf(g.getScaleGrad()),
                   db = resultOf(g.getBiasGrad());
        k::layerNormGrad(x.f.data(), shapeOf(x), s.f.data(), shapeOf(s),
                         m.f.data(), r.f.data(), dy.f.data(),
                         static_cast<int>(g.getAxis()), dx.f.data(),
                         ds.f.data(), db.f.data());
        set(g.getInputGrad(), std::move(dx));
        set(g.getScaleGrad(), std::move(ds));
        set(g.getBiasGrad(), std::move(db));
        return Error::success();
      })
      .Case([&](MatMulOp m) {
        const HostTensor &a = get(m.getLhs()), &b = get(m.getRhs());
        HostTensor y = resultOf(m.getResult());
        k::matmul(a.f.data(), shapeOf(a), b.f.data(), shapeOf(b), y.f.data(),
                  shapeOf(y), m.getTransposeLhs(), m.getTransposeRhs());
        set(m.getResult(), std::move(y));
        return Error::success();
      })
      .Case([&](ConvOp c) {
        const HostTensor &x = get(c.getInput()), &w = get(c.getFilter());
        HostTensor y = resultOf(c.getResult());
        k::conv2d(x.f.data(), shapeOf(x), w.f.data(), shapeOf(w),
                  optionalData(getOptional(c.getBias())), y.f.data(),
                  shapeOf(y),
                  convParams(c.getStrides(), c.getPads(), c.getDilations(),
                             c.getGroup()));
        set(c.getResult(), std::move(y));
        return Error::success();
      })
      .Case([&](ConvGradInputOp c) {
        const HostTensor &dy = get(c.getGrad()), &w = get(c.getFilter());
        HostTensor dx = resultOf(c.getInputGrad());
        k::conv2dGradInput(dy.f.data(), shapeOf(dy), w.f.data(), shapeOf(w),
                           dx.f.data(), shapeOf(dx),
                           convParams(c.getStrides(), c.getPads(),
                                      c.getDilations(), c.getGroup()));
        set(c.getInputGrad(), std::move(dx));
        return Error::success();
      })
      .Case([&](ConvGradFilterOp c) {
        const HostTensor &x = get(c.getInput()), &dy = get(c.getGrad());
        HostTensor dw = resultOf(c.getFilterGrad());
        k::conv2dGradFilter(x.f.data(), shapeOf(x), dy.f.data(), shapeOf(dy),
                            dw.f.data(), shapeOf(dw),
                            convParams(c.getStrides(), c.getPads(),
                                       c.getDilations(), c.getGroup()));
        set(c.getFilterGrad(), std::move(dw));
        return Error::success();
      })
      .Case<ReduceSumOp, ReduceMeanOp, ReduceMaxOp>([&](Operation *r) {
        auto axes = cast<DenseI64ArrayAttr>(r->getAttr("axes")).asArrayRef();
        k::ReduceOp kind = isa<ReduceSumOp>(r)    ? k::ReduceOp::Sum
                           : isa<ReduceMeanOp>(r) ? k::ReduceOp::Mean
                                                  : k::ReduceOp::Max;
        HostTensor &in = values[r->getOperand(0)];
        HostTensor y = resultOf(r->getResult(0));
        if (in.kind == HostTensor::Kind::Float)
          k::reduce(kind, in.f.data(), shapeOf(in), axes.data(),
                    static_cast<int>(axes.size()), y.f.data());
        else
          k::reduce(kind, in.i.data(), shapeOf(in), axes.data(),
                    static_cast<int>(axes.size()), y.i.data());
        set(r->getResult(0), std::move(y));
        return Error::success();
      })
      .Case([&](SoftmaxCrossEntropyLossOp l) -> Error {
        const HostTensor &x = get(l.getInput()), &t = get(l.getTarget());
        HostTensor loss = resultOf(l.getLoss()),
                   logp = resultOf(l.getLogProb());
        if (Error err =
                kernelStatus(op, k::softmaxCrossEntropyLoss(
                                     x.f.data(), shapeOf(x), t.i.data(),
                                     optionalData(getOptional(l.getWeight())),
                                     toKernel(l.getReduction()),
                                     ignoreIndex(l.getIgnoreIndex()),
                                     loss.f.data(), logp.f.data())))
          return err;
        set(l.getLoss(), std::move(loss));
        set(l.getLogProb(), std::move(logp));
        return Error::success();
      })
      .Case([&](SoftmaxCrossEntropyLossGradOp g) -> Error {
        const HostTensor &logp = get(g.getLogProb()), &t = get(g.getTarget()),
                         &dl = get(g.getGrad());
        HostTensor dx = resultOf(g.getInputGrad());
        if (Error err = kernelStatus(
                op, k::softmaxCrossEntropyLossGrad(
                        logp.f.data(), shapeOf(logp), t.i.data(),
                        optionalData(getOptional(g.getWeight())), dl.f.data(),
                        toKernel(g.getReduction()),
                        ignoreIndex(g.getIgnoreIndex()), dx.f.data())))
          return err;
        set(g.getInputGrad(), std::move(dx));
        return Error::success();
      })
      .Case([&](NegativeLogLikelihoodLossOp l) -> Error {
        const HostTensor &x = get(l.getInput()), &t = get(l.getTarget());
        HostTensor loss = resultOf(l.getLoss());
        if (Error err = kernelStatus(
                op, k::nllLoss(x.f.data(), shapeOf(x), t.i.data(),
                               optionalData(getOptional(l.getWeight())),
                               toKernel(l.getReduction()),
                               ignoreIndex(l.getIgnoreIndex()), loss.f.data())))
          return err;
        set(l.getLoss(), std::move(loss));
        return Error::success();
      })
      .Case([&](NegativeLogLikelihoodLossGradOp g) -> Error {
        const HostTensor &t = get(g.getTarget()), &dl = get(g.getGrad());
        HostTensor dx = resultOf(g.getInputGrad());
        if (Error err = kernelStatus(
                op, k::nllLossGrad(t.i.data(),
                                   optionalData(getOptional(g.getWeight())),
                                   dl.f.data(), toKernel(g.getReduction()),
                                   ignoreIndex(g.getIgnoreIndex()), dx.f.data(),
                                   shapeOf(dx))))
          return err;
        set(g.getInputGrad(), std::move(dx));
        return Error::success();
      })
      .Case([&](DropoutOp d) {
        const HostTensor &x = get(d.getInput());
        HostTensor y = resultOf(d.getResult()), mask = resultOf(d.getMask());
        k::dropout(x.f.data(), x.numel(), d.getRatio().convertToDouble(),
                   d.getSeed(), /*step=*/0, y.f.data(), mask.b.data());
        set(d.getResult(), std::move(y));
        set(d.getMask(), std::move(mask));
        return Error::success();
      })
      .Default([&](Operation *) {
        handled = false;
        return Error::success();
      });
}

} // namespace

Expected<std::vector<HostTensor>>
evaluate(func::FuncOp func, const std::vector<HostTensor> &args) {
  Interpreter interpreter;
  std::vector<HostTensor> results;
  if (Error err = interpreter.run(func, args, results))
    return std::move(err);
  return results;
}

} // namespace dsc::numeric
