//===- World.cpp - Ranks of a launched job --------------------------------===//

#include "compiler/topology/World.h"

#include "llvm/ADT/StringExtras.h"

using namespace llvm;

namespace dsc::topology {

std::string World::visibleDevices(int nodeRank) const {
  std::string devices;
  for (int slot : nodes[nodeRank].slots)
    devices += (devices.empty() ? "" : ",") + std::to_string(slot);
  return devices;
}

World buildWorld(ArrayRef<HostSlots> nodes, bool localOnly) {
  World world;
  world.nodes.assign(nodes.begin(), nodes.end());
  world.masterAddr =
      localOnly || nodes.empty() ? kLocalMasterAddr : nodes.front().host;
  int numNodes = static_cast<int>(nodes.size());
  for (auto [nodeRank, node] : llvm::enumerate(nodes)) {
    int localSize = static_cast<int>(node.slots.size());
    for (auto [localRank, slot] : llvm::enumerate(node.slots))
      world.ranks.push_back({node.host, slot, world.worldSize(),
                             static_cast<int>(localRank), localSize,
                             static_cast<int>(nodeRank), numNodes});
  }
  return world;
}

Expected<World> buildWorld(const Hostfile *hostfile,
                           const ResourceRequest &request) {
  Expected<std::vector<HostSlots>> nodes = selectResources(hostfile, request);
  if (!nodes)
    return nodes.takeError();
  return buildWorld(*nodes, /*localOnly=*/hostfile == nullptr);
}

nlohmann::ordered_json launchJson(const World &world) {
  nlohmann::ordered_json ranks = nlohmann::ordered_json::array();
  for (const RankInfo &r : world.ranks)
    ranks.push_back({{"rank", r.globalRank},
                     {"host", r.host},
                     {"slot", r.slot},
                     {"local_rank", r.localRank},
                     {"local_size", r.localSize},
                     {"cross_rank", r.nodeRank},
                     {"cross_size", r.numNodes},
                     {"binary", "bin/rank_" + std::to_string(r.globalRank)}});
  return {{"world_size", world.worldSize()},
          {"master_addr", world.masterAddr},
          {"master_port", world.masterPort},
          {"ranks", ranks}};
}

} // namespace dsc::topology
