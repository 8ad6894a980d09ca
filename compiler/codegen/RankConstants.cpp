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

/// A constant global `name`: the array `values`.
template <typename T>
void addArray(mlir::ModuleOp module, llvm::StringRef name,
              llvm::ArrayRef<T> values, int64_t alignment) {
  // The code may have declared it already (the update's schedule): the
  // definition replaces the declaration.
  if (auto declared = module.lookupSymbol<mlir::LLVM::GlobalOp>(name))
    declared.erase();
  mlir::OpBuilder b(module.getContext());
  b.setInsertionPointToEnd(module.getBody());
  mlir::Type element = b.getIntegerType(sizeof(T) * 8);
  auto init = mlir::DenseElementsAttr::get(
      mlir::RankedTensorType::get({static_cast<int64_t>(values.size())},
                                  element),
      values);
  mlir::LLVM::GlobalOp::create(
      b, module.getLoc(),
      mlir::LLVM::LLVMArrayType::get(element, values.size()),
      /*isConstant=*/true, mlir::LLVM::Linkage::External, name, init,
      alignment);
}

/// A constant global `name` holding `bytes` (a multiple of 8) as i64 words.
template <typename Struct>
void addConstant(mlir::ModuleOp module, llvm::StringRef name,
                 const Struct &value) {
  static_assert(sizeof(Struct) % sizeof(int64_t) == 0,
                "rank constants hold 8-byte fields only");
  llvm::SmallVector<int64_t> words(sizeof(Struct) / sizeof(int64_t));
  std::memcpy(words.data(), &value, sizeof(Struct));
  addArray(module, name, llvm::ArrayRef<int64_t>(words), /*alignment=*/8);
}

} // namespace

dsrt_optimizer optimizerConstant(const config::DsConfig &config) {
  dsrt_optimizer abi{};
  abi.gradient_clipping = config.gradientClipping.value;
  // fp16's loss scaler, with DeepSpeed's defaults resolved.
  const runtime::LossScalerSpec scaler = config::lossScalerSpecFrom(config);
  abi.loss_scaling = config.fp16.enabled.value;
  abi.static_loss_scale = config.fp16.enabled.value ? scaler.staticScale : 0;
  abi.initial_scale_power = scaler.initialScalePower;
  abi.loss_scale_window = scaler.lossScaleWindow;
  abi.hysteresis = scaler.hysteresis;
  abi.consecutive_hysteresis = scaler.consecutiveHysteresis;
  abi.min_loss_scale = scaler.minLossScale;
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

void addRankConstants(mlir::ModuleOp module, const config::DsConfig &config,
                      llvm::ArrayRef<uint8_t> plan) {
  addConstant(module, "dsc_schedule",
              runtime::scheduleToAbi(config::scheduleSpecFrom(config)));
  addConstant(module, "dsc_optimizer", optimizerConstant(config));
  // The words of the plan's encoding are read with memcpy: no alignment.
  addArray(module, "dsc_plan",
           llvm::ArrayRef<int8_t>(reinterpret_cast<const int8_t *>(plan.data()),
                                  plan.size()),
           /*alignment=*/8);
  mlir::OpBuilder b(module.getContext());
  b.setInsertionPointToEnd(module.getBody());
  mlir::LLVM::GlobalOp::create(
      b, module.getLoc(), b.getI64Type(), /*isConstant=*/true,
      mlir::LLVM::Linkage::External, "dsc_plan_bytes",
      b.getI64IntegerAttr(static_cast<int64_t>(plan.size())),
      /*alignment=*/8);
}

} // namespace dsc::codegen
