//===- PlanStep.cpp - What the plan-level passes look up in @step ---------===//

#include "passes/PlanStep.h"

#include "llvm/ADT/StringSet.h"

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
  SmallVector<memref::AllocOp> params;
  for (auto alloc : body.getOps<memref::AllocOp>()) {
    if (!alloc->hasAttr("plan.param"))
      continue;
    if (!params.empty() && alloc.getType().getElementType() !=
                               params.front().getType().getElementType()) {
      alloc.emitOpError("params of different element types cannot share the "
                        "flat parameter space");
      return failure();
    }
    params.push_back(alloc);
  }
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
  FailureOr<SmallVector<memref::AllocOp>> params = flatParams(body);
  if (failed(params))
    return failure();
  SmallVector<FlatParamInfo> layout;
  llvm::StringSet<> whole;
  for (memref::AllocOp p : *params)
    whole.insert(p->getAttrOfType<StringAttr>("plan.param").getValue());
  for (auto alloc : body.getOps<memref::AllocOp>()) {
    auto list = alloc->getAttrOfType<ArrayAttr>("plan.param_shard");
    if (!list)
      continue;
    for (auto [name, type] : paramShardEntries(list))
      layout.push_back({name, type.getNumElements(), type.getElementType(),
                        whole.contains(name)});
    return layout;
  }
  for (memref::AllocOp p : *params)
    layout.push_back({p->getAttrOfType<StringAttr>("plan.param").getValue(),
                      p.getType().getNumElements(),
                      p.getType().getElementType(), true});
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
