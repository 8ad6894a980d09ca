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

} // namespace dsc::topology
