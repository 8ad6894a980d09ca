//===- PlanToLLVMPass.cpp - the planned step as LLVM calls ----------------===//
//
// Every buffer of a planned step is the arena plus a constant offset, or a
// constant global, so the step lowers to address arithmetic and one runtime
// call per kernel; shapes and attributes travel in the plan's kernel table.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/plan/PlanOps.h"
#include "passes/PlanStep.h"

#include "mlir/Dialect/Utils/StaticValueUtils.h"

namespace dsc::passes {
#define GEN_PASS_DEF_CONVERTPLANTOLLVM
#include "passes/Passes.h.inc"
} // namespace dsc::passes

using namespace mlir;

namespace dsc::passes {
namespace {

/// A constant's value as the flat array an LLVM global holds (booleans as
/// bytes, as the kernels read them).
std::pair<Type, Attribute> flatGlobal(memref::GlobalOp global) {
  auto value = cast<DenseElementsAttr>(*global.getInitialValue());
  MemRefType type = global.getType();
  int64_t n = std::max<int64_t>(type.getNumElements(), 1);
  Type element = type.getElementType();
  if (element.isInteger(1)) {
    Type i8 = IntegerType::get(global.getContext(), 8);
    SmallVector<int8_t> bytes;
    for (bool b : value.getValues<bool>())
      bytes.push_back(b);
    if (bytes.size() == 1 && n > 1)
      bytes.assign(n, bytes[0]);
    auto flat = RankedTensorType::get({n}, i8);
    return {LLVM::LLVMArrayType::get(i8, n),
            DenseElementsAttr::get(flat, ArrayRef<int8_t>(bytes))};
  }
  auto flat = RankedTensorType::get({n}, element);
  return {LLVM::LLVMArrayType::get(element, n), value.reshape(flat)};
}

class ConvertPlanToLLVMPass
    : public impl::ConvertPlanToLLVMBase<ConvertPlanToLLVMPass> {
public:
  void runOnOperation() override;
};

void ConvertPlanToLLVMPass::runOnOperation() {
  ModuleOp module = getOperation();
  auto step = module.lookupSymbol<func::FuncOp>("step");
  if (!step || step.getNumArguments() != 1 ||
      !step.getArgAttr(0, "plan.arena")) {
    module.emitError("needs @step with its arena argument (run plan-memory "
                     "first)");
    return signalPassFailure();
  }
  MLIRContext *ctx = &getContext();
  OpBuilder b(ctx);
  b.setInsertionPointToEnd(module.getBody());
  Type ptr = LLVM::LLVMPointerType::get(ctx);
  Type i32 = b.getI32Type(), i64 = b.getI64Type();
  Location loc = step.getLoc();

  // Constants.
  llvm::StringMap<LLVM::GlobalOp> globals;
  for (auto global :
       llvm::make_early_inc_range(module.getOps<memref::GlobalOp>())) {
    auto [type, value] = flatGlobal(global);
    b.setInsertionPoint(global);
    globals[global.getSymName()] = LLVM::GlobalOp::create(
        b, global.getLoc(), type, /*isConstant=*/true, LLVM::Linkage::Internal,
        global.getSymName(), value,
        /*alignment=*/64);
    global.erase();
  }

  b.setInsertionPointToEnd(module.getBody());
  auto kernelAt = LLVM::LLVMFuncOp::create(
      b, loc, "dsrt_kernel_at",
      LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx),
                                  {ptr, i32, ptr}));
  auto collectiveAt = LLVM::LLVMFuncOp::create(
      b, loc, "dsrt_collective_at",
      LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx),
                                  {ptr, i32, ptr}));
  auto collectiveWait = LLVM::LLVMFuncOp::create(
      b, loc, "dsrt_collective_wait",
      LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx), {ptr, i32}));
  auto dscStep = LLVM::LLVMFuncOp::create(
      b, loc, "dsc_step",
      LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx), {ptr, ptr}));
  Block *entry = dscStep.addEntryBlock(b);
  b.setInsertionPointToStart(entry);
  Value context = entry->getArgument(0), arena = entry->getArgument(1);

  // One address array, as large as the widest kernel needs.
  int64_t widest = 1;
  step.walk([&](Operation *op) {
    if (isa<plan::KernelOp, plan::AllReduceOp, plan::ReduceScatterOp,
            plan::AllGatherOp>(op))
      widest = std::max<int64_t>(widest, op->getNumOperands());
  });
  Value count = LLVM::ConstantOp::create(b, loc, i64, widest);
  Value addresses = LLVM::AllocaOp::create(b, loc, ptr, ptr, count, 8);

  llvm::DenseMap<Value, Value> lowered;
  // Stores the addresses of `op`'s buffers in the address array.
  auto storeAddresses = [&](Operation *op) -> LogicalResult {
    for (auto [i, buffer] : llvm::enumerate(op->getOperands())) {
      Value address = lowered.lookup(buffer);
      if (!address)
        return op->emitOpError("uses a buffer that is not planned");
      Value slot = LLVM::GEPOp::create(b, op->getLoc(), ptr, ptr, addresses,
                                       ArrayRef<LLVM::GEPArg>{(int32_t)i});
      LLVM::StoreOp::create(b, op->getLoc(), address, slot);
    }
    return success();
  };
  int32_t index = 0, collectiveIndex = 0;
  llvm::DenseMap<Operation *, int32_t> collectiveIndexOf;
  for (Operation &op : step.getBody().front()) {
    if (auto view = dyn_cast<memref::ViewOp>(op)) {
      // A buffer of the arena (plan.offset), or a view into one (a ZeRO
      // bucket's gradients): its byte shift adds to the source's address.
      auto offset = view->getAttrOfType<IntegerAttr>("plan.offset");
      Value base = arena;
      std::optional<int64_t> shift =
          offset ? std::optional<int64_t>(offset.getInt())
                 : getConstantIntValue(view.getByteShift());
      if (!offset)
        base = lowered.lookup(view.getSource());
      if (!shift || !base) {
        view.emitOpError("is neither planned (plan.offset) nor a constant "
                         "shift of a planned buffer");
        return signalPassFailure();
      }
      // A GEP's constant index holds only kGEPConstantBitWidth (29) bits,
      // silently wrapped beyond: any larger shift (a 128 MiB arena already
      // has them) is an i64 constant operand.
      const int64_t limit = int64_t(1) << (LLVM::kGEPConstantBitWidth - 1);
      LLVM::GEPArg index = *shift > -limit && *shift < limit
                               ? LLVM::GEPArg(static_cast<int32_t>(*shift))
                               : LLVM::GEPArg(LLVM::ConstantOp::create(
                                                  b, view.getLoc(), i64, *shift)
                                                  .getResult());
      lowered[view.getResult()] = LLVM::GEPOp::create(
          b, view.getLoc(), ptr, b.getI8Type(), base, ArrayRef{index});
    } else if (auto get = dyn_cast<memref::GetGlobalOp>(op)) {
      lowered[get.getResult()] = LLVM::AddressOfOp::create(
          b, get.getLoc(), globals.lookup(get.getName()));
    } else if (auto kernel = dyn_cast<plan::KernelOp>(op)) {
      if (failed(storeAddresses(kernel)))
        return signalPassFailure();
      Value id = LLVM::ConstantOp::create(b, kernel.getLoc(), i32, index++);
      LLVM::CallOp::create(b, kernel.getLoc(), kernelAt,
                           ValueRange{context, id, addresses});
    } else if (isa<plan::AllReduceOp, plan::ReduceScatterOp, plan::AllGatherOp>(
                   op)) {
      if (failed(storeAddresses(&op)))
        return signalPassFailure();
      // A later plan.wait on its token refers to this collective.
      collectiveIndexOf[&op] = collectiveIndex;
      Value id =
          LLVM::ConstantOp::create(b, op.getLoc(), i32, collectiveIndex++);
      LLVM::CallOp::create(b, op.getLoc(), collectiveAt,
                           ValueRange{context, id, addresses});
    } else if (auto wait = dyn_cast<plan::WaitOp>(op)) {
      auto it = collectiveIndexOf.find(wait.getCollective());
      if (it == collectiveIndexOf.end()) {
        wait.emitOpError("waits for a collective the step has not issued");
        return signalPassFailure();
      }
      Value id = LLVM::ConstantOp::create(b, op.getLoc(), i32, it->second);
      LLVM::CallOp::create(b, op.getLoc(), collectiveWait,
                           ValueRange{context, id});
    } else if (isa<arith::ConstantOp, func::ReturnOp, plan::GroupOp>(op)) {
      continue;
    } else {
      op.emitOpError("cannot be lowered to LLVM yet");
      return signalPassFailure();
    }
  }
  LLVM::ReturnOp::create(b, loc, ValueRange{});
  step.erase();
  // Groups and the boundary exchange are plan facts (plan.json); the object
  // needs neither.
  for (auto group : llvm::make_early_inc_range(module.getOps<plan::GroupOp>()))
    group.erase();
  for (auto func : llvm::make_early_inc_range(module.getOps<func::FuncOp>()))
    if (func->hasAttr(kBoundaryAttr))
      func.erase();
}

} // namespace
} // namespace dsc::passes
