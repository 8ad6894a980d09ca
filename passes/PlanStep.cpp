//===- PlanStep.cpp - What the plan-level passes look up in @step ---------===//

#include "passes/PlanStep.h"

#include "llvm/ADT/StringMap.h"

using namespace mlir;

namespace dsc::passes {

func::FuncOp lookupPlannedStep(ModuleOp module) {
  auto step = module.lookupSymbol<func::FuncOp>("step");
  if (!step || step.isExternal()) {
    module.emitError("needs @step (run convert-graph-to-plan first)");
    return nullptr;
  }
  return step;
}

FailureOr<SmallVector<memref::AllocOp>> flatParams(Block &body) {
  FailureOr<SmallVector<FlatParamInfo>> layout = flatParamLayout(body);
  if (failed(layout))
    return failure();
  SmallVector<memref::AllocOp> params;
  for (const FlatParamInfo &p : *layout)
    if (auto alloc = dyn_cast_or_null<memref::AllocOp>(p.buffer))
      params.push_back(alloc);
  return params;
}

SmallVector<std::pair<StringRef, MemRefType>>
paramShardEntries(ArrayAttr list) {
  SmallVector<std::pair<StringRef, MemRefType>> entries;
  for (Attribute a : list) {
    auto d = cast<DictionaryAttr>(a);
    entries.push_back(
        {cast<StringAttr>(d.get("name")).getValue(),
         cast<MemRefType>(cast<TypeAttr>(d.get("type")).getValue())});
  }
  return entries;
}

FailureOr<SmallVector<FlatParamInfo>> flatParamLayout(Block &body) {
  ArrayAttr shardList;
  llvm::StringMap<Operation *> buffers;
  SmallVector<FlatParamInfo> layout;
  for (Operation &op : body) {
    if (!isa<memref::AllocOp, memref::ViewOp>(op))
      continue;
    if (auto list = op.getAttrOfType<ArrayAttr>("plan.param_shard"))
      shardList = list;
    if (auto name = op.getAttrOfType<StringAttr>("plan.param")) {
      auto type = cast<MemRefType>(op.getResult(0).getType());
      buffers[name.getValue()] = &op;
      layout.push_back({name.getValue(), type, type.getNumElements(), &op});
    }
  }
  if (shardList) {
    layout.clear();
    for (auto [name, type] : paramShardEntries(shardList))
      layout.push_back(
          {name, type, type.getNumElements(), buffers.lookup(name)});
  }
  for (const FlatParamInfo &p : layout)
    if (p.type.getElementType() != layout.front().type.getElementType()) {
      Operation *at = p.buffer ? p.buffer : body.getParentOp();
      at->emitOpError("params of different element types cannot share the "
                      "flat parameter space");
      return failure();
    }
  return layout;
}

llvm::DenseMap<Operation *, int64_t> opPositions(Block &body) {
  llvm::DenseMap<Operation *, int64_t> pos;
  int64_t n = 0;
  for (Operation &op : body)
    pos[&op] = n++;
  return pos;
}

} // namespace dsc::passes
