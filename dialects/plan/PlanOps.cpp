//===- PlanOps.cpp - verifiers of plan ops --------------------------------===//
//
// A kernel call is checked against its declaration (kernels/KernelDecls.def,
// KernelCall.cpp). Collectives are checked against their group: it must exist,
// and shard sizes, roots and peers must fit its size, so a plan whose ranks
// disagree on a collective's shape never verifies.
//
//===----------------------------------------------------------------------===//

#include "dialects/plan/PlanOps.h"

#include "dialects/plan/KernelCall.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/DenseSet.h"

using namespace mlir;
using namespace dsc::plan;

LogicalResult GroupOp::verify() {
  ArrayRef<int64_t> ranks = getRanks();
  if (ranks.empty())
    return emitOpError("has no ranks");
  llvm::DenseSet<int64_t> seen;
  for (int64_t r : ranks) {
    if (r < 0)
      return emitOpError("rank ") << r << " is negative";
    if (!seen.insert(r).second)
      return emitOpError("rank ") << r << " is listed twice";
  }
  return success();
}

LogicalResult KernelOp::verify() {
  KernelCall call;
  if (std::string problem = resolveKernelCall(*this, call, /*encode=*/false);
      !problem.empty())
    return emitOpError(problem);
  return success();
}

namespace {

/// The group `op` names, or null after reporting why not.
GroupOp lookupGroup(Operation *op, SymbolTableCollection &symbols,
                    FlatSymbolRefAttr name) {
  auto group = symbols.lookupNearestSymbolFrom<GroupOp>(op, name.getAttr());
  if (!group)
    op->emitOpError("names ") << name << ", which is not a plan.group";
  return group;
}

int64_t numElements(Value buffer) {
  return cast<MemRefType>(buffer.getType()).getNumElements();
}

LogicalResult checkSameElementType(Operation *op, Value a, Value b) {
  if (cast<MemRefType>(a.getType()).getElementType() !=
      cast<MemRefType>(b.getType()).getElementType())
    return op->emitOpError("input and output element types differ");
  return success();
}

LogicalResult checkIndex(Operation *op, StringRef what, int64_t index,
                         GroupOp group) {
  int64_t size = group.getRanks().size();
  if (index < 0 || index >= size)
    return op->emitOpError(what)
           << " " << index << " is not an index of group @"
           << group.getSymName() << " of " << size << " ranks";
  return success();
}

} // namespace

LogicalResult AllReduceOp::verifySymbolUses(SymbolTableCollection &symbols) {
  return success(lookupGroup(*this, symbols, getGroupAttr()) != nullptr);
}

LogicalResult
ReduceScatterOp::verifySymbolUses(SymbolTableCollection &symbols) {
  GroupOp group = lookupGroup(*this, symbols, getGroupAttr());
  if (!group || failed(checkSameElementType(*this, getInput(), getOutput())))
    return failure();
  int64_t size = group.getRanks().size();
  if (std::optional<ArrayRef<int64_t>> counts = getCounts()) {
    if (static_cast<int64_t>(counts->size()) != size)
      return emitOpError("has ")
             << counts->size() << " counts for group @" << group.getSymName()
             << " of " << size << " ranks";
    int64_t total = 0, largest = 0;
    for (int64_t c : *counts) {
      if (c < 0)
        return emitOpError("has a negative count");
      total += c;
      largest = std::max(largest, c);
    }
    if (total != numElements(getInput()))
      return emitOpError("counts add up to ")
             << total << ", the input has " << numElements(getInput())
             << " elements";
    if (getOutput() != getInput() && numElements(getOutput()) < largest)
      return emitOpError("output of ")
             << numElements(getOutput()) << " elements cannot hold a shard of "
             << largest;
    return success();
  }
  if (numElements(getInput()) != numElements(getOutput()) * size)
    return emitOpError("input of ")
           << numElements(getInput()) << " elements is not " << size
           << " shards of " << numElements(getOutput());
  return success();
}

LogicalResult AllGatherOp::verifySymbolUses(SymbolTableCollection &symbols) {
  GroupOp group = lookupGroup(*this, symbols, getGroupAttr());
  if (!group || failed(checkSameElementType(*this, getInput(), getOutput())))
    return failure();
  int64_t size = group.getRanks().size();
  if (getCounts().has_value() != getOffsets().has_value())
    return emitOpError("needs both counts and offsets, or neither");
  if (getCounts()) {
    ArrayRef<int64_t> counts = *getCounts(), offsets = *getOffsets();
    if (static_cast<int64_t>(counts.size()) != size ||
        static_cast<int64_t>(offsets.size()) != size)
      return emitOpError("needs one count and one offset for each of the ")
             << size << " ranks of group @" << group.getSymName();
    int64_t total = 0;
    for (int64_t i = 0; i < size; ++i) {
      if (counts[i] < 0 || offsets[i] < 0 ||
          offsets[i] + counts[i] > numElements(getInput()))
        return emitOpError("piece ")
               << i << " (" << counts[i] << " elements at " << offsets[i]
               << ") is not inside the input of " << numElements(getInput())
               << " elements";
      total += counts[i];
    }
    if (total != numElements(getOutput()))
      return emitOpError("counts add up to ")
             << total << ", the output has " << numElements(getOutput())
             << " elements";
    return success();
  }
  if (numElements(getOutput()) != numElements(getInput()) * size)
    return emitOpError("output of ")
           << numElements(getOutput()) << " elements is not " << size
           << " shards of " << numElements(getInput());
  return success();
}

LogicalResult BroadcastOp::verifySymbolUses(SymbolTableCollection &symbols) {
  GroupOp group = lookupGroup(*this, symbols, getGroupAttr());
  return group ? checkIndex(*this, "root", getRoot(), group) : failure();
}

LogicalResult SendOp::verifySymbolUses(SymbolTableCollection &symbols) {
  GroupOp group = lookupGroup(*this, symbols, getGroupAttr());
  return group ? checkIndex(*this, "peer", getPeer(), group) : failure();
}

LogicalResult RecvOp::verifySymbolUses(SymbolTableCollection &symbols) {
  GroupOp group = lookupGroup(*this, symbols, getGroupAttr());
  return group ? checkIndex(*this, "peer", getPeer(), group) : failure();
}

AllGatherOp WaitOp::getCollective() {
  return getToken().getDefiningOp<AllGatherOp>();
}

LogicalResult WaitOp::verify() {
  if (!getCollective())
    return emitOpError("waits for a token no all_gather returned");
  if (!getToken().hasOneUse())
    return emitOpError("waits for a token that another wait consumes too");
  return success();
}

LogicalResult SgdOp::verify() {
  if ((getMomentumBuffer() != nullptr) !=
      (getMomentum().convertToDouble() != 0.0))
    return emitOpError("needs a momentum buffer exactly when momentum is not "
                       "0");
  if (getMomentumBuffer() &&
      getMomentumBuffer().getType() != getParam().getType())
    return emitOpError("has a momentum buffer of another type than its "
                       "param");
  return success();
}

#define GET_OP_CLASSES
#include "dialects/plan/PlanOps.cpp.inc"
