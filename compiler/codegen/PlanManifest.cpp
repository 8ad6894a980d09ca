//===- PlanManifest.cpp - the machine-readable plan (plan.json) -----------===//

#include "compiler/codegen/PlanManifest.h"

#include "dialects/plan/PlanOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;
using nlohmann::ordered_json;

namespace dsc::codegen {

std::string dtypeName(Type element) {
  if (element.isF32())
    return "float32";
  if (element.isF64())
    return "float64";
  if (element.isF16())
    return "float16";
  if (element.isBF16())
    return "bfloat16";
  if (element.isInteger(1))
    return "bool";
  auto integer = cast<IntegerType>(element);
  return (integer.isUnsigned() ? "uint" : "int") +
         std::to_string(integer.getWidth());
}

namespace {

llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

ordered_json bufferType(Type type) {
  auto memref = cast<MemRefType>(type);
  return {{"dtype", dtypeName(memref.getElementType())},
          {"shape", memref.getShape()}};
}

/// An attribute as JSON: integers, floats, booleans, strings, i64 arrays.
ordered_json attributeJson(Attribute attr) {
  if (auto i = dyn_cast<IntegerAttr>(attr))
    return i.getType().isInteger(1) ? ordered_json(i.getValue().getBoolValue())
                                    : ordered_json(i.getInt());
  if (auto b = dyn_cast<BoolAttr>(attr))
    return b.getValue();
  if (auto f = dyn_cast<FloatAttr>(attr))
    return f.getValueAsDouble();
  if (auto s = dyn_cast<StringAttr>(attr))
    return s.getValue().str();
  if (auto a = dyn_cast<DenseI64ArrayAttr>(attr))
    return a.asArrayRef();
  return nullptr;
}

std::string locationName(Location loc) {
  if (auto name = dyn_cast<NameLoc>(loc))
    return name.getName().str();
  return "";
}

const char *optimizerName(config::OptimizerType type) {
  switch (type) {
  case config::OptimizerType::Adam:
    return "adam";
  case config::OptimizerType::AdamW:
    return "adamw";
  case config::OptimizerType::Lamb:
    return "lamb";
  case config::OptimizerType::SGD:
    return "sgd";
  }
  return "adamw";
}

/// The optimizer with every hyper-parameter resolved, flat, for the runtime.
ordered_json optimizerJson(const config::OptimizerConfig &o) {
  return {
      {"type", optimizerName(o.type)},
      {"lr", o.lr.value},
      {"betas", o.betas.value},
      {"eps", o.eps.value},
      {"weight_decay", o.weightDecay.value},
      {"adam_w_mode", o.type == config::OptimizerType::AdamW || o.adamWMode},
      {"bias_correction", o.biasCorrection},
      {"momentum", o.momentum},
      {"dampening", o.dampening},
      {"nesterov", o.nesterov},
      {"max_coeff", o.maxCoeff},
      {"min_coeff", o.minCoeff}};
}

} // namespace

llvm::Expected<ordered_json> buildPlanManifest(ModuleOp planned,
                                               const ManifestInputs &in) {
  auto step = planned.lookupSymbol<func::FuncOp>("step");
  if (!step)
    return makeError("the planned module has no @step");
  ordered_json plan;
  plan["format"] = "ds-compile plan 1";
  plan["mode"] = in.training ? "training" : "inference";
  plan["rank"] = in.rank;
  plan["world_size"] = in.worldSize;
  int64_t arena = step->getAttrOfType<IntegerAttr>("plan.arena_size").getInt();
  plan["arena_bytes"] = arena;
  plan["persistent_bytes"] =
      step->getAttrOfType<IntegerAttr>("plan.persistent_bytes").getInt();
  plan["batch"] = {{"train_batch_size", in.batch.trainBatchSize},
                   {"micro_batch_size", in.batch.microBatchSize},
                   {"gradient_accumulation_steps", in.batch.gradAccumSteps},
                   {"dp_size", in.dpSize}};

  ordered_json buffers = ordered_json::array();
  int64_t paramBytes = 0;
  for (auto view : step.getOps<memref::ViewOp>()) {
    for (StringRef role : {"input", "param", "output", "grad"}) {
      auto name = view->getAttrOfType<StringAttr>(("plan." + role).str());
      if (!name)
        continue;
      ordered_json buffer = {
          {"name", name.getValue().str()},
          {"role", role.str()},
          {"offset", view->getAttrOfType<IntegerAttr>("plan.offset").getInt()}};
      buffer.update(bufferType(view.getType()));
      buffers.push_back(buffer);
      if (role == "param")
        paramBytes += view.getType().getNumElements() *
                      (view.getType().getElementTypeBitWidth() / 8);
    }
  }
  plan["buffers"] = buffers;

  ordered_json kernels = ordered_json::array();
  for (auto kernel : step.getOps<plan::KernelOp>()) {
    ordered_json types = ordered_json::array();
    for (Value v : kernel->getOperands())
      types.push_back(bufferType(v.getType()));
    ordered_json attrs = ordered_json::object();
    for (NamedAttribute a : kernel->getAttrs())
      if (a.getName() != "callee" && a.getName() != "operandSegmentSizes")
        attrs[a.getName().str()] = attributeJson(a.getValue());
    kernels.push_back({{"kernel", kernel.getCallee().str()},
                       {"location", locationName(kernel.getLoc())},
                       {"num_inputs", kernel.getIns().size()},
                       {"num_outputs", kernel.getOuts().size()},
                       {"buffers", types},
                       {"attrs", attrs}});
  }
  plan["kernels"] = kernels;

  // The runtime keeps gradient accumulators and optimizer states outside
  // the arena; they are part of the prediction.
  int64_t runtimeBytes = 0;
  if (in.training && in.config.optimizer) {
    const config::OptimizerConfig &o = *in.config.optimizer;
    plan["optimizer"] = optimizerJson(o);
    int states = o.type == config::OptimizerType::SGD ? (o.momentum > 0) : 2;
    runtimeBytes = paramBytes * (1 + states);
  }
  ordered_json full = ordered_json::parse(config::toJson(in.config).dump());
  plan["scheduler"] =
      full.contains("scheduler") ? full["scheduler"] : ordered_json(nullptr);
  plan["gradient_clipping"] = in.config.gradientClipping.value;
  plan["steps_per_print"] = in.config.stepsPerPrint;
  plan["weights"] = "weights/rank_" + std::to_string(in.rank) + ".safetensors";
  plan["predicted_peak_bytes"] = arena + runtimeBytes;
  return plan;
}

} // namespace dsc::codegen
