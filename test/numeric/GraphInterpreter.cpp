//===- GraphInterpreter.cpp - reference evaluation of graph functions -----===//
//
// Each graph op runs the kernel the compiler would call for it
// (convert-graph-to-plan: the op's mnemonic, a reshape's copy), resolved
// against its declaration (kernels/KernelDecls.def) and called through its
// entry point, with the host's storage types: floats as f64.
//
//===----------------------------------------------------------------------===//

#include "test/numeric/GraphInterpreter.h"

#include "dialects/graph/GraphOps.h"
#include "dialects/plan/KernelCall.h"
#include "runtime/dispatch/KernelDispatch.h"

#include "llvm/ADT/DenseMap.h"

using namespace mlir;
using namespace dsc::graph;
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

/// The type the interpreter stores `type`'s elements as.
Type storageType(Type type) {
  auto tensor = cast<RankedTensorType>(type);
  Type element = tensor.getElementType();
  if (isa<FloatType>(element))
    element = Float64Type::get(type.getContext());
  else if (!element.isInteger(1))
    element = IntegerType::get(type.getContext(), 64);
  return RankedTensorType::get(tensor.getShape(), element);
}

void *storageOf(HostTensor &t) {
  switch (t.kind) {
  case HostTensor::Kind::Float:
    return t.f.data();
  case HostTensor::Kind::Int:
    return t.i.data();
  case HostTensor::Kind::Bool:
    return t.b.data();
  }
  return nullptr;
}

/// Evaluates one function, op by op.
class Interpreter {
public:
  Error run(func::FuncOp func, const std::vector<HostTensor> &args,
            std::vector<HostTensor> &results);

private:
  Error eval(Operation *op);

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
    results.push_back(values.find(v)->second);
  return Error::success();
}

Error Interpreter::eval(Operation *op) {
  if (auto c = dyn_cast<ConstantOp>(op)) {
    values[c.getResult()] = fromAttr(cast<DenseElementsAttr>(c.getValue()));
    return Error::success();
  }
  StringRef name = isa<ReshapeOp>(op) ? "copy" : op->getName().stripDialect();
  SmallVector<Type> ins, outs;
  for (Type type : op->getOperandTypes())
    ins.push_back(storageType(type));
  for (Type type : op->getResultTypes())
    outs.push_back(storageType(type));
  SmallVector<NamedAttribute> attrs;
  if (auto props =
          dyn_cast_or_null<DictionaryAttr>(op->getPropertiesAsAttribute()))
    attrs.assign(props.begin(), props.end());
  plan::KernelCall call;
  if (std::string problem =
          plan::resolveKernelCall(name, ins, outs, attrs, call);
      !problem.empty())
    return makeError(op, "not supported by the interpreter: " + problem);
  dsrt_kernel_fn entry = runtime::findKernelEntry(call.variant->symbol);
  if (!entry)
    return makeError(op, std::string("no entry point ") + call.variant->symbol);

  std::vector<void *> data;
  for (Value operand : op->getOperands())
    data.push_back(storageOf(values.find(operand)->second));
  std::vector<HostTensor> results;
  for (Value result : op->getResults())
    results.push_back(
        HostTensor::zeros(cast<RankedTensorType>(result.getType())));
  for (HostTensor &result : results)
    data.push_back(storageOf(result));
  // A data error (a bad index) is reported, not exited on.
  std::string failure;
  runtime::ErrorHandler previous = runtime::setErrorHandler(
      [&](int, const std::string &message) { failure = message; });
  dsrt_ctx ctx;
  entry(&ctx, data.data(), call.site.data(), "");
  runtime::setErrorHandler(std::move(previous));
  if (!failure.empty())
    return makeError(op, failure);
  for (auto [result, value] : llvm::zip(op->getResults(), results))
    values[result] = std::move(value);
  return Error::success();
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
