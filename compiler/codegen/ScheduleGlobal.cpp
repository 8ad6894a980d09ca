//===- ScheduleGlobal.cpp - The schedule as a constant of the object ------===//

#include "compiler/codegen/ScheduleGlobal.h"

#include "runtime/schedule/ScheduleAbi.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/SmallVector.h"

#include <cstring>

namespace dsc::codegen {

void addScheduleGlobal(mlir::ModuleOp module,
                       const runtime::ScheduleSpec &spec) {
  const dsrt_lr_schedule abi = runtime::scheduleToAbi(spec);
  static_assert(sizeof(abi) % sizeof(int64_t) == 0,
                "dsrt_lr_schedule holds 8-byte fields only");
  llvm::SmallVector<int64_t> words(sizeof(abi) / sizeof(int64_t));
  std::memcpy(words.data(), &abi, sizeof(abi));

  mlir::OpBuilder b(module.getContext());
  b.setInsertionPointToEnd(module.getBody());
  mlir::Type i64 = b.getI64Type();
  auto value = mlir::DenseElementsAttr::get(
      mlir::RankedTensorType::get({static_cast<int64_t>(words.size())}, i64),
      llvm::ArrayRef<int64_t>(words));
  mlir::LLVM::GlobalOp::create(
      b, module.getLoc(), mlir::LLVM::LLVMArrayType::get(i64, words.size()),
      /*isConstant=*/true, mlir::LLVM::Linkage::External, "dsc_schedule", value,
      /*alignment=*/8);
}

} // namespace dsc::codegen
