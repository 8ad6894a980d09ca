//===- PlanAttributes.cpp - The plan.* attributes, declared and verified --===//
//
// The passes annotate ops, functions and arguments with plan.* attributes:
// where a buffer lives in the arena, which param or gradient it holds, which
// flat range a gather fills, which phase and payload a boundary collective
// has. Each is declared here with the value it must have, and the dialect
// verifies every plan.* attribute wherever it appears: a misspelt name or a
// wrong value is an error at the pass that made it, not a surprise in
// codegen or at run time.
//
//===----------------------------------------------------------------------===//

#include "dialects/plan/PlanDialect.h"
#include "dialects/plan/PlanOps.h"

#include "runtime/comm/CollectiveNames.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

#include <functional>

using namespace mlir;
using namespace dsc::plan;

namespace {

/// Checks an attribute's value; returns the problem, or "" when it is fine.
using ValueCheck = std::function<std::string(Attribute)>;

std::string unit(Attribute a) {
  return isa<UnitAttr>(a) ? "" : "must be a unit attribute";
}

std::string nonNegativeInt(Attribute a) {
  auto i = dyn_cast<IntegerAttr>(a);
  if (!i || !i.getType().isInteger(64))
    return "must be an i64 integer";
  return i.getInt() < 0 ? "must be >= 0" : "";
}

std::string name(Attribute a) {
  auto s = dyn_cast<StringAttr>(a);
  if (!s)
    return "must be a string (a tensor's name)";
  return s.getValue().empty() ? "must not be empty" : "";
}

/// A string among `names`.
template <size_t N> ValueCheck oneOf(const std::string_view (&names)[N]) {
  return [&names](Attribute a) -> std::string {
    auto s = dyn_cast<StringAttr>(a);
    if (s && llvm::is_contained(names, std::string_view(s.getValue())))
      return "";
    std::string known;
    for (std::string_view n : names)
      known += (known.empty() ? "'" : ", '") + std::string(n) + "'";
    return "must be one of " + known;
  };
}

std::string flatRange(Attribute a) {
  auto r = dyn_cast<DenseI64ArrayAttr>(a);
  if (!r || r.size() != 2)
    return "must be array<i64: begin, end>";
  return r[0] < 0 || r[1] < r[0] ? "must satisfy 0 <= begin <= end" : "";
}

std::string paramShard(Attribute a) {
  auto list = dyn_cast<ArrayAttr>(a);
  if (!list)
    return "must be a list of {name, type} dictionaries";
  for (Attribute entry : list) {
    auto d = dyn_cast<DictionaryAttr>(entry);
    if (!d || !isa_and_nonnull<StringAttr>(d.get("name")) ||
        !isa_and_nonnull<TypeAttr>(d.get("type")))
      return "must be a list of {name, type} dictionaries";
  }
  return "";
}

struct Declared {
  llvm::StringLiteral name;
  ValueCheck check;
};

/// Every plan.* attribute, with its value's rule.
const std::vector<Declared> &declaredAttributes() {
  static const std::vector<Declared> all = {
      // Buffers: placement (plan-memory) and role (convert-graph-to-plan).
      {"plan.offset", nonNegativeInt},
      {"plan.persistent", unit},
      {"plan.param", name},
      {"plan.grad", name},
      {"plan.input", name},
      {"plan.output", name},
      {"plan.frozen", name},
      // ZeRO: gradient buckets, param partitions, gathered ranges.
      {"plan.bucket", nonNegativeInt},
      {"plan.param_shard", paramShard},
      {"plan.flat_range", flatRange},
      // The boundary exchange: its function, flat spaces and phases.
      {"plan.boundary", unit},
      {"plan.flat", oneOf(dsc::runtime::kCollectivePayloadNames)},
      {"plan.phase", oneOf(dsc::runtime::kCollectivePhaseNames)},
      // The planned step's function and its arena argument.
      {"plan.arena", unit},
      {"plan.arena_size", nonNegativeInt},
      {"plan.persistent_bytes", nonNegativeInt},
      // The optimizer step (build-optimizer-step): its buffers in the
      // arena, each rank's function and its report and step arguments.
      {"plan.optimizer_state", name},
      {"plan.accumulator", name},
      {"plan.staging", name},
      {"plan.scalar", name},
      {"plan.train_step_rank", nonNegativeInt},
      {"plan.report", unit},
      {"plan.step", unit},
      {"plan.skipped", unit},
      {"plan.loss_scale", unit},
  };
  return all;
}

LogicalResult verifyPlanAttribute(Operation *op, NamedAttribute attr,
                                  const std::string &where) {
  StringRef attrName = attr.getName().getValue();
  const auto &all = declaredAttributes();
  auto it =
      llvm::find_if(all, [&](const Declared &d) { return d.name == attrName; });
  if (it == all.end()) {
    std::string known;
    for (const Declared &d : all)
      known += (known.empty() ? "" : ", ") + d.name.str();
    return op->emitError() << where << "'" << attrName
                           << "' is not a plan attribute (known: " << known
                           << ")";
  }
  std::string problem = it->check(attr.getValue());
  if (!problem.empty())
    return op->emitError() << where << "'" << attrName << "' " << problem
                           << ", got " << attr.getValue();
  return success();
}

} // namespace

LogicalResult PlanDialect::verifyOperationAttribute(Operation *op,
                                                    NamedAttribute attr) {
  return verifyPlanAttribute(op, attr, "");
}

LogicalResult PlanDialect::verifyRegionArgAttribute(Operation *op,
                                                    unsigned region,
                                                    unsigned arg,
                                                    NamedAttribute attr) {
  return verifyPlanAttribute(op, attr,
                             "argument " + std::to_string(arg) + ": ");
}

LogicalResult PlanDialect::verifyRegionResultAttribute(Operation *op,
                                                       unsigned region,
                                                       unsigned result,
                                                       NamedAttribute attr) {
  return verifyPlanAttribute(op, attr,
                             "result " + std::to_string(result) + ": ");
}
