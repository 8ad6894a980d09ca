//===- GraphToPlanPass.cpp - graph ops on tensors -> plan kernels ---------===//
//
// One buffer per tensor value and one kernel call per op: the simplest
// correct lowering, on which the memory planner and later fusion work. The
// kernel is the graph op's mnemonic (kernels/KernelDecls.def declares each),
// its attributes the op's: plan.kernel's verifier checks the call against
// the declaration.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/graph/GraphOps.h"
#include "dialects/plan/PlanOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace dsc::passes {
#define GEN_PASS_DEF_CONVERTGRAPHTOPLAN
#include "passes/Passes.h.inc"
} // namespace dsc::passes

using namespace mlir;

namespace dsc::passes {
namespace {

MemRefType bufferType(Type tensor) {
  auto t = cast<RankedTensorType>(tensor);
  return MemRefType::get(t.getShape(), t.getElementType());
}

/// Constants are placed in the rank executable, element by element; a shape
/// sub-graph folded to a constant of terabytes (ConstantOfShape of
/// [1e6, 1e6]) would exhaust the compiler's memory long before the rank's.
constexpr int64_t kMaxConstantBytes = int64_t(256) << 20;

/// "node 'X'" for a location the importer named after its ONNX node.
std::string nodeOf(Location loc) {
  if (auto name = dyn_cast<NameLoc>(loc))
    return "node '" + name.getName().str() + "'";
  return "an op";
}

/// A constant's bytes, or -1 past 2^62.
int64_t constantBytes(RankedTensorType type) {
  int64_t bits = type.getElementType().getIntOrFloatBitWidth();
  int64_t bytes = std::max<int64_t>(bits / 8, 1);
  for (int64_t d : type.getShape()) {
    if (d > 0 && bytes > (int64_t(1) << 62) / d)
      return -1;
    bytes *= d;
  }
  return bytes;
}

class ConvertGraphToPlanPass
    : public impl::ConvertGraphToPlanBase<ConvertGraphToPlanPass> {
public:
  void runOnOperation() override;

private:
  LogicalResult convert(func::FuncOp func);
  int constantCount = 0;
};

void ConvertGraphToPlanPass::runOnOperation() {
  auto func = getOperation().lookupSymbol<func::FuncOp>("main");
  if (!func) {
    getOperation().emitError("no function @main to convert");
    return signalPassFailure();
  }
  if (failed(convert(func)))
    signalPassFailure();
}

LogicalResult ConvertGraphToPlanPass::convert(func::FuncOp func) {
  MLIRContext *ctx = &getContext();
  OpBuilder b(ctx);
  b.setInsertionPoint(func);
  auto step =
      func::FuncOp::create(b, func.getLoc(), "step", b.getFunctionType({}, {}));
  Block *body = step.addEntryBlock();
  b.setInsertionPointToStart(body);
  llvm::DenseMap<Value, Value> buffers;

  auto persistent = [&](Location loc, Type tensor, StringRef role,
                        Attribute name) {
    auto alloc = memref::AllocOp::create(b, loc, bufferType(tensor));
    alloc->setAttr("plan.persistent", b.getUnitAttr());
    alloc->setAttr(role, name);
    return alloc.getResult();
  };
  for (BlockArgument arg : func.getArguments()) {
    unsigned i = arg.getArgNumber();
    // Params are trained; frozen initializers are read from the weights
    // file like them but never change; inputs are fed.
    StringRef role = "plan.input";
    Attribute name = func.getArgAttr(i, "graph.input");
    if (Attribute param = func.getArgAttr(i, "graph.param")) {
      role = "plan.param";
      name = param;
    } else if (Attribute frozen = func.getArgAttr(i, "graph.frozen")) {
      role = "plan.frozen";
      name = frozen;
    } else if (func.getArgAttr(i, "graph.loss_scale")) {
      // The loss adjoint's seed, which the training step writes.
      role = "plan.scalar";
      name = b.getStringAttr("loss_scale");
    }
    if (!name)
      name = b.getStringAttr("arg" + std::to_string(i));
    buffers[arg] = persistent(func.getLoc(), arg.getType(), role, name);
  }

  for (Operation &op : func.getBody().front().without_terminator()) {
    Location loc = op.getLoc();
    if (auto c = dyn_cast<graph::ConstantOp>(op)) {
      auto tensor = cast<RankedTensorType>(c.getType());
      int64_t bytes = constantBytes(tensor);
      if (bytes < 0 || bytes > kMaxConstantBytes) {
        std::string shown;
        llvm::raw_string_ostream os(shown);
        os << tensor;
        return op.emitError()
               << nodeOf(loc) << " computes a constant " << shown << " of "
               << (bytes < 0 ? std::string("more than 2^62")
                             : std::to_string(bytes))
               << " bytes; ds-compile places constants of at most "
               << (kMaxConstantBytes >> 20) << " MiB in a rank executable";
      }
      std::string sym = "cst_" + std::to_string(constantCount++);
      MemRefType type = bufferType(c.getType());
      {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(step);
        memref::GlobalOp::create(b, loc, sym, b.getStringAttr("private"), type,
                                 c.getValue(), /*constant=*/true,
                                 /*alignment=*/IntegerAttr());
      }
      buffers[c.getResult()] = memref::GetGlobalOp::create(b, loc, type, sym);
      continue;
    }
    if (op.getDialect()->getNamespace() != "graph")
      return op.emitOpError("cannot be converted to a plan kernel");
    SmallVector<Value> ins, outs;
    for (Value operand : op.getOperands())
      ins.push_back(buffers.lookup(operand));
    for (Value result : op.getResults()) {
      Value buffer =
          memref::AllocOp::create(b, loc, bufferType(result.getType()));
      buffers[result] = buffer;
      outs.push_back(buffer);
    }
    // A reshape moves no element: a copy of bytes.
    StringRef callee =
        isa<graph::ReshapeOp>(op) ? "copy" : op.getName().stripDialect();
    auto kernel =
        plan::KernelOp::create(b, loc, b.getStringAttr(callee), ins, outs);
    if (auto props =
            dyn_cast_or_null<DictionaryAttr>(op.getPropertiesAsAttribute()))
      for (NamedAttribute attr : props)
        if (attr.getName() != "operandSegmentSizes")
          kernel->setAttr(attr.getName(), attr.getValue());
  }

  // Results: persistent, named buffers the runtime reads after the step.
  auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  for (auto [i, value] : llvm::enumerate(ret.getOperands())) {
    StringRef role =
        func.getResultAttr(i, "graph.grad") ? "plan.grad" : "plan.output";
    Attribute name = func.getResultAttr(
        i, role == "plan.grad" ? "graph.grad" : "graph.output");
    if (!name)
      name = b.getStringAttr("result" + std::to_string(i));
    Value buffer = buffers.lookup(value);
    auto alloc = buffer.getDefiningOp<memref::AllocOp>();
    if (alloc && !alloc->hasAttr("plan.persistent")) {
      alloc->setAttr("plan.persistent", b.getUnitAttr());
      alloc->setAttr(role, name);
      continue;
    }
    // An argument, a constant or an already named buffer: copy it out.
    Value out = persistent(ret.getLoc(), value.getType(), role, name);
    plan::KernelOp::create(b, ret.getLoc(), b.getStringAttr("copy"),
                           ValueRange{buffer}, ValueRange{out});
  }
  func::ReturnOp::create(b, ret.getLoc());
  func.erase();
  return success();
}

} // namespace
} // namespace dsc::passes
