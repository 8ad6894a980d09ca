//===- FuseElementwisePass.cpp - Elementwise chains as one kernel ---------===//
//
// plan-fuse-elementwise (Passes.td). Each fusable kernel is an expression
// tree over its inputs; walking the block in order, a kernel takes in the
// tree of every producer whose temporary output it alone reads, and is
// rewritten as one fused_elementwise kernel when it took any in.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/plan/PlanOps.h"
#include "kernels/cpu/FusedProgram.h"

#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"

namespace dsc::passes {
#define GEN_PASS_DEF_FUSEELEMENTWISE
#include "passes/Passes.h.inc"
} // namespace dsc::passes

using namespace mlir;
namespace k = dsc::kernels::cpu;

namespace dsc::passes {
namespace {

/// A node of an expression tree: an input buffer, or an op on earlier
/// nodes.
struct Node {
  Value input; // null for an op
  int64_t kind = 0, selector = 0;
  int a = -1, b = -1;
};

/// A kernel's computation as a tree; the last node is its result.
using Tree = SmallVector<Node>;

/// The unary and binary kernels by name, with their program kind and
/// selector.
const llvm::StringMap<std::pair<k::FusedKind, int64_t>> &fusableKernels() {
  static const llvm::StringMap<std::pair<k::FusedKind, int64_t>> table = [] {
    llvm::StringMap<std::pair<k::FusedKind, int64_t>> t;
#define DSC_UNARY_OP(Enum, name, integers)                                     \
  t[#name] = {k::FusedKind::Unary, static_cast<int64_t>(k::UnaryOp::Enum)};
#include "kernels/cpu/UnaryOps.def"
#define DSC_BINARY_OP(Enum, name)                                              \
  t[#name] = {k::FusedKind::Binary, static_cast<int64_t>(k::BinaryOp::Enum)};
#include "kernels/cpu/BinaryOps.def"
    return t;
  }();
  return table;
}

/// The tree of a fusable kernel (one float result of static shape), or
/// none.
std::optional<Tree> treeOf(plan::KernelOp op) {
  auto it = fusableKernels().find(op.getCallee());
  if (it == fusableKernels().end() || op.getOuts().size() != 1)
    return std::nullopt;
  auto type = dyn_cast<MemRefType>(op.getOuts()[0].getType());
  if (!type || !type.hasStaticShape() || type.getRank() > k::kFusedMaxRank ||
      !isa<Float32Type, Float64Type, Float16Type, BFloat16Type>(
          type.getElementType()))
    return std::nullopt;
  const auto [kind, selector] = it->second;
  const size_t arity = kind == k::FusedKind::Unary ? 1 : 2;
  if (op.getIns().size() != arity)
    return std::nullopt;
  Tree tree;
  for (Value in : op.getIns())
    tree.push_back({in});
  tree.push_back(
      {Value(), static_cast<int64_t>(kind), selector, 0, arity == 2 ? 1 : -1});
  return tree;
}

/// `consumer` with each input node of `value` replaced by `producer`.
Tree substitute(const Tree &consumer, Value value, const Tree &producer) {
  Tree out;
  SmallVector<int> at(consumer.size());
  for (auto [i, node] : llvm::enumerate(consumer)) {
    if (node.input == value) {
      int base = static_cast<int>(out.size());
      for (Node n : producer) {
        if (!n.input) {
          n.a += base;
          n.b = n.b < 0 ? -1 : n.b + base;
        }
        out.push_back(n);
      }
      at[i] = static_cast<int>(out.size()) - 1;
      continue;
    }
    Node n = node;
    if (!n.input) {
      n.a = at[n.a];
      n.b = n.b < 0 ? -1 : at[n.b];
    }
    out.push_back(n);
    at[i] = static_cast<int>(out.size()) - 1;
  }
  return out;
}

/// The distinct input buffers of `tree`, in order.
SmallVector<Value> inputsOf(const Tree &tree) {
  SmallVector<Value> inputs;
  for (const Node &n : tree)
    if (n.input && !llvm::is_contained(inputs, n.input))
      inputs.push_back(n.input);
  return inputs;
}

int64_t opsOf(const Tree &tree) {
  return llvm::count_if(tree, [](const Node &n) { return !n.input; });
}

/// The buffer a view (or chain of views) reads, else `v` itself.
Value rootOf(Value v) {
  while (auto view = v.getDefiningOp<ViewLikeOpInterface>())
    v = view.getViewSource();
  return v;
}

/// Whether some op strictly between `from` and `to` (one block) may write
/// one of `buffers`.
bool writtenBetween(Operation *from, Operation *to, ArrayRef<Value> buffers) {
  SmallVector<Value> roots;
  for (Value v : buffers)
    roots.push_back(rootOf(v));
  for (Operation *op = from->getNextNode(); op && op != to;
       op = op->getNextNode()) {
    auto effects = dyn_cast<MemoryEffectOpInterface>(op);
    if (!effects) {
      if (op->getNumRegions() > 0 || !isPure(op))
        return true;
      continue;
    }
    SmallVector<MemoryEffects::EffectInstance> list;
    effects.getEffects(list);
    for (const auto &e : list)
      if (isa<MemoryEffects::Write>(e.getEffect()) &&
          (!e.getValue() || llvm::is_contained(roots, rootOf(e.getValue()))))
        return true;
  }
  return false;
}

/// A temporary only `producer` writes and only `consumer` reads.
bool isPrivateTemporary(Value v, Operation *producer, Operation *consumer) {
  auto alloc = v.getDefiningOp<memref::AllocOp>();
  if (!alloc || alloc->getBlock() != consumer->getBlock())
    return false;
  for (NamedAttribute attr : alloc->getAttrs())
    if (attr.getName().strref().starts_with("plan."))
      return false;
  for (Operation *user : v.getUsers())
    if (user != producer && user != consumer)
      return false;
  return true;
}

class FuseElementwisePass
    : public impl::FuseElementwiseBase<FuseElementwisePass> {
public:
  void runOnOperation() override;
};

void FuseElementwisePass::runOnOperation() {
  for (Block &block : getOperation().getBody()) {
    // Each fusable kernel's tree so far, and the kernel writing each value.
    llvm::DenseMap<Operation *, Tree> trees;
    llvm::DenseMap<Value, Operation *> writer;
    SmallVector<Operation *> absorbed;
    SmallVector<Operation *> rewritten;
    for (Operation &op : block) {
      auto kernel = dyn_cast<plan::KernelOp>(&op);
      std::optional<Tree> tree = kernel ? treeOf(kernel) : std::nullopt;
      if (!tree)
        continue;
      auto shape = cast<MemRefType>(kernel.getOuts()[0].getType());
      bool fused = false;
      // Each input once: mul(t, t) takes t's producer in once, for both.
      SmallVector<Value> ins;
      for (Value in : kernel.getIns())
        if (!llvm::is_contained(ins, in))
          ins.push_back(in);
      for (Value in : ins) {
        auto w = writer.find(in);
        if (w == writer.end())
          continue;
        Operation *producer = w->second;
        const Tree &inner = trees[producer];
        if (cast<MemRefType>(in.getType()) != shape ||
            !isPrivateTemporary(in, producer, &op) ||
            writtenBetween(producer, &op, inputsOf(inner)))
          continue;
        Tree merged = substitute(*tree, in, inner);
        if (inputsOf(merged).size() > k::kFusedMaxInputs ||
            opsOf(merged) > k::kFusedMaxInstructions)
          continue;
        *tree = std::move(merged);
        absorbed.push_back(producer);
        fused = true;
      }
      trees[&op] = *tree;
      writer[kernel.getOuts()[0]] = &op;
      if (fused)
        rewritten.push_back(&op);
    }
    // The consumers become fused kernels; the producers and their
    // temporaries go.
    SmallVector<Value> temporaries;
    for (Operation *producer : absorbed)
      temporaries.push_back(cast<plan::KernelOp>(producer).getOuts()[0]);
    for (Operation *op : rewritten) {
      // A kernel another took in goes with the producers.
      if (llvm::is_contained(absorbed, op))
        continue;
      const Tree &tree = trees[op];
      SmallVector<Value> inputs = inputsOf(tree);
      SmallVector<int64_t> program = {opsOf(tree)};
      llvm::DenseMap<int, int64_t> reg;
      int64_t next = static_cast<int64_t>(inputs.size());
      for (auto [i, n] : llvm::enumerate(tree)) {
        if (n.input) {
          reg[i] = llvm::find(inputs, n.input) - inputs.begin();
          continue;
        }
        program.append({n.kind, n.selector, reg[n.a], n.b < 0 ? 0 : reg[n.b]});
        reg[i] = next++;
      }
      OpBuilder b(op);
      auto kernel = cast<plan::KernelOp>(op);
      auto fusedOp = plan::KernelOp::create(
          b, op->getLoc(), b.getStringAttr("fused_elementwise"), inputs,
          kernel.getOuts());
      fusedOp->setAttr("program", b.getDenseI64ArrayAttr(program));
      op->erase();
    }
    for (Operation *producer : absorbed)
      producer->erase();
    for (Value temporary : temporaries)
      if (temporary.use_empty())
        temporary.getDefiningOp()->erase();
  }
}

} // namespace
} // namespace dsc::passes
