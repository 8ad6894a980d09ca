//===- RankConstants.cpp - What the rank reads from its own object --------===//

#include "compiler/codegen/RankConstants.h"

#include "compiler/config/ScheduleSpecFromConfig.h"
#include "runtime/schedule/ScheduleAbi.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/SmallVector.h"

#include <cstring>

namespace dsc::codegen {

namespace {

/// A constant global `name` holding `bytes` (a multiple of 8) as i64 words.
template <typename Struct>
void addConstant(mlir::ModuleOp module, llvm::StringRef name,
                 const Struct &value) {
  static_assert(sizeof(Struct) % sizeof(int64_t) == 0,
                "rank constants hold 8-byte fields only");
  llvm::SmallVector<int64_t> words(sizeof(Struct) / sizeof(int64_t));
  std::memcpy(words.data(), &value, sizeof(Struct));
  mlir::OpBuilder b(module.getContext());
  b.setInsertionPointToEnd(module.getBody());
  mlir::Type i64 = b.getI64Type();
  auto init = mlir::DenseElementsAttr::get(
      mlir::RankedTensorType::get({static_cast<int64_t>(words.size())}, i64),
      llvm::ArrayRef<int64_t>(words));
  mlir::LLVM::GlobalOp::create(
      b, module.getLoc(), mlir::LLVM::LLVMArrayType::get(i64, words.size()),
      /*isConstant=*/true, mlir::LLVM::Linkage::External, name, init,
      /*alignment=*/8);
}

} // namespace

dsrt_optimizer optimizerConstant(const config::DsConfig &config) {
  dsrt_optimizer abi{};
  abi.gradient_clipping = config.gradientClipping.value;
  if (!config.optimizer)
    return abi;
  const config::OptimizerConfig &o = *config.optimizer;
  // dsrt.h's numbering: 0 Adam, 1 AdamW, 2 SGD, 3 Lamb.
  switch (o.type) {
  case config::OptimizerType::Adam:
    abi.kind = 0;
    break;
  case config::OptimizerType::AdamW:
    abi.kind = 1;
    break;
  case config::OptimizerType::SGD:
    abi.kind = 2;
    break;
  case config::OptimizerType::Lamb:
    abi.kind = 3;
    break;
  }
  abi.lr = o.lr.value;
  abi.beta1 = o.betas.value[0];
  abi.beta2 = o.betas.value[1];
  abi.eps = o.eps.value;
  abi.weight_decay = o.weightDecay.value;
  // DeepSpeed's AdamW is always decoupled; Adam is unless adam_w_mode false.
  abi.adam_w_mode = o.type == config::OptimizerType::AdamW || o.adamWMode;
  abi.bias_correction = o.biasCorrection;
  abi.momentum = o.momentum;
  abi.nesterov = o.nesterov;
  abi.dampening = o.dampening;
  abi.max_coeff = o.maxCoeff;
  abi.min_coeff = o.minCoeff;
  return abi;
}

void addRankConstants(mlir::ModuleOp module, const config::DsConfig &config) {
  addConstant(module, "dsc_schedule",
              runtime::scheduleToAbi(config::scheduleSpecFrom(config)));
  addConstant(module, "dsc_optimizer", optimizerConstant(config));
}

} // namespace dsc::codegen
