//===- ZeroPartitionParamsPass.cpp - ZeRO-3 partitioned parameters --------===//
//
// DeepSpeed's stage 3 gathers each parameter before the module that uses it
// runs and releases it after; here the gathers are placed at compile time,
// so the memory planner knows the exact peak of gathered parameters.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "compiler/partition/ZeroPartition.h"
#include "dialects/plan/PlanOps.h"
#include "passes/PlanStep.h"
#include "passes/ShardCollectives.h"

namespace dsc::passes {
#define GEN_PASS_DEF_ZEROPARTITIONPARAMS
#include "passes/Passes.h.inc"
} // namespace dsc::passes

using namespace mlir;

namespace dsc::passes {
namespace {

class ZeroPartitionParamsPass
    : public impl::ZeroPartitionParamsBase<ZeroPartitionParamsPass> {
public:
  using ZeroPartitionParamsBase::ZeroPartitionParamsBase;
  void runOnOperation() override;
};

void ZeroPartitionParamsPass::runOnOperation() {
  ModuleOp module = getOperation();
  func::FuncOp step = lookupPlannedStep(module);
  if (!step)
    return signalPassFailure();
  if (dpSize < 1 || clusterGap < 0 || maxReuseDistance < 0 ||
      maxLiveParameters < 0) {
    module.emitError("dp-size must be >= 1; cluster-gap, max-reuse-distance "
                     "and max-live-parameters >= 0");
    return signalPassFailure();
  }
  Block &body = step.getBody().front();
  FailureOr<SmallVector<memref::AllocOp>> found = flatParams(body);
  if (failed(found))
    return signalPassFailure();
  SmallVector<memref::AllocOp> params = std::move(*found);
  if (params.empty())
    return;
  Type element = params.front().getType().getElementType();
  int64_t total = 0;
  std::vector<int64_t> offsets;
  for (memref::AllocOp p : params) {
    offsets.push_back(total);
    total += p.getType().getNumElements();
  }
  std::vector<partition::FlatRange> partitions =
      partition::partitionsOf(total, dpSize);
  const int64_t share = partitions.front().size();
  if (failed(ensureDataParallelGrid(module, dpSize)))
    return signalPassFailure();
  OpBuilder b(module.getContext());

  // This rank's partition, and which params the flat space holds.
  SmallVector<Attribute> described;
  for (memref::AllocOp p : params)
    described.push_back(b.getDictionaryAttr(
        {b.getNamedAttr("name", p->getAttr("plan.param")),
         b.getNamedAttr("type", TypeAttr::get(p.getType()))}));
  b.setInsertionPoint(params.front());
  auto shard = memref::AllocOp::create(
      b, params.front().getLoc(),
      MemRefType::get({std::max<int64_t>(share, 1)}, element));
  shard->setAttr("plan.persistent", b.getUnitAttr());
  shard->setAttr("plan.param_shard", b.getArrayAttr(described));

  // Uses are as far apart as the kernels between them (the bridges of
  // earlier shard collectives do not count).
  llvm::DenseMap<Operation *, int64_t> pos;
  int64_t kernels = 0;
  for (Operation &op : body)
    pos[&op] = isa<plan::KernelOp>(op) ? ++kernels : kernels;
  // Each gathered param's uses in order, cut where they are far apart.
  std::vector<partition::UseCluster> clusters;
  SmallVector<SmallVector<Operation *>> clusterUsers;
  SmallVector<memref::AllocOp> gathered;
  for (auto [i, param] : llvm::enumerate(params)) {
    int64_t numel = param.getType().getNumElements();
    if (numel < persistenceThreshold)
      continue;
    gathered.push_back(param);
    SmallVector<Operation *> users(param->getUsers().begin(),
                                   param->getUsers().end());
    llvm::sort(users, [](Operation *a, Operation *c) {
      return a->isBeforeInBlock(c);
    });
    users.erase(std::unique(users.begin(), users.end()), users.end());
    for (Operation *user : users) {
      if (clusters.empty() || clusters.back().param != int64_t(i) ||
          pos[user] - clusters.back().last > clusterGap) {
        clusters.push_back({int64_t(i), numel, pos[user], pos[user]});
        clusterUsers.emplace_back();
      }
      clusters.back().last = pos[user];
      clusterUsers.back().push_back(user);
    }
  }
  std::vector<bool> keep = partition::keepGatheredBetween(
      clusters, maxReuseDistance, maxLiveParameters);

  // One gather before each cluster that does not keep its param's previous
  // gather.
  llvm::DenseMap<int64_t, Value> current;
  for (auto [c, cluster] : llvm::enumerate(clusters)) {
    memref::AllocOp param = params[cluster.param];
    if (!keep[c]) {
      partition::FlatRange range{offsets[cluster.param],
                                 offsets[cluster.param] + cluster.numel};
      b.setInsertionPoint(clusterUsers[c].front());
      Location loc = param.getLoc();
      Value full = memref::AllocOp::create(b, loc, param.getType());
      auto gather = createAllGather(
          b, loc, shard, full, partition::countsIn(range, partitions),
          partition::pieceStartsInPartitions(range, partitions));
      gather->setAttr("plan.flat_range",
                      b.getDenseI64ArrayAttr({range.begin, range.end}));
      current[cluster.param] = full;
    }
    for (Operation *user : clusterUsers[c])
      user->replaceUsesOfWith(param, current.lookup(cluster.param));
  }
  for (memref::AllocOp param : gathered)
    param.erase();
}

} // namespace
} // namespace dsc::passes
