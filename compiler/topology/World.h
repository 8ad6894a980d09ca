//===- World.h - Ranks of a launched job ------------------------*- C++ -*-===//
//
// Global ranks follow hostfile order, then slot order on a host, as DeepSpeed's
// launcher assigns them; each rank carries the values the launcher exports
// (RANK, LOCAL_RANK, LOCAL_SIZE, CROSS_RANK, CROSS_SIZE, WORLD_SIZE).
//
//===----------------------------------------------------------------------===//

#ifndef DSC_COMPILER_TOPOLOGY_WORLD_H
#define DSC_COMPILER_TOPOLOGY_WORLD_H

#include "compiler/topology/Hostfile.h"
#include "compiler/topology/ResourceFilter.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace dsc::topology {

/// DeepSpeed's default MASTER_PORT.
inline constexpr int kDefaultMasterPort = 29500;
/// MASTER_ADDR when there is no hostfile.
inline constexpr const char *kLocalMasterAddr = "127.0.0.1";

struct RankInfo {
  std::string host;
  /// Device index on the host (one of the node's CUDA_VISIBLE_DEVICES).
  int slot;
  /// RANK.
  int globalRank;
  /// LOCAL_RANK: index among the node's ranks.
  int localRank;
  /// LOCAL_SIZE: ranks on this node.
  int localSize;
  /// CROSS_RANK: index of the node.
  int nodeRank;
  /// CROSS_SIZE: number of nodes.
  int numNodes;
};

struct World {
  /// Indexed by global rank.
  std::vector<RankInfo> ranks;
  /// Indexed by node rank.
  std::vector<HostSlots> nodes;
  std::string masterAddr;
  int masterPort = kDefaultMasterPort;

  /// WORLD_SIZE.
  int worldSize() const { return static_cast<int>(ranks.size()); }
  int numNodes() const { return static_cast<int>(nodes.size()); }
  /// CUDA_VISIBLE_DEVICES for a node: its slots, comma separated.
  std::string visibleDevices(int nodeRank) const;
};

/// Numbers the selected slots. `localOnly` (no hostfile) makes the master
/// address 127.0.0.1; otherwise it is the first host.
World buildWorld(llvm::ArrayRef<HostSlots> nodes, bool localOnly);

/// selectResources + buildWorld; `hostfile` may be null (local run).
llvm::Expected<World> buildWorld(const Hostfile *hostfile,
                                 const ResourceRequest &request);

/// OUT/launch.json, what ds-run needs: the world and, per rank, where and
/// what to start.
nlohmann::ordered_json launchJson(const World &world);

} // namespace dsc::topology

#endif // DSC_COMPILER_TOPOLOGY_WORLD_H
