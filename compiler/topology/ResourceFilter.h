//===- ResourceFilter.h - Launcher host and slot selection ------*- C++ -*-===//
//
// --include / --exclude / --num_nodes / --num_gpus, as in DeepSpeed's
// launcher/runner.py (parse_resource_filter and main).
//
//===----------------------------------------------------------------------===//

#ifndef DSC_COMPILER_TOPOLOGY_RESOURCEFILTER_H
#define DSC_COMPILER_TOPOLOGY_RESOURCEFILTER_H

#include "compiler/topology/Hostfile.h"

#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dsc::topology {

/// The host used when there is no hostfile.
inline constexpr const char *kLocalHost = "localhost";

/// A selected host and its selected slots (device indices), ascending.
struct HostSlots {
  std::string host;
  std::vector<int> slots;
};

/// The launcher flags that choose resources. Empty strings and nullopt mean
/// "not given".
struct ResourceRequest {
  /// `host[:slot[,slot]]@host...`: use only these.
  std::string include;
  /// Same syntax: use everything but these.
  std::string exclude;
  /// Use the first N hosts of the hostfile.
  std::optional<int64_t> numNodes;
  /// Use slots 0..G-1 on every host. Without a hostfile: the local slot
  /// count (default 1).
  std::optional<int64_t> numGpus;
};

/// Applies the request to the hostfile (or, when `hostfile` is null, to the
/// local host `localhost` with numGpus slots, default 1). The result keeps
/// hostfile order and is never empty. Errors name the flag first, e.g.
/// `--include: unknown host 'worker-9' (hosts: worker-0, worker-1)`.
llvm::Expected<std::vector<HostSlots>>
selectResources(const Hostfile *hostfile, const ResourceRequest &request);

} // namespace dsc::topology

#endif // DSC_COMPILER_TOPOLOGY_RESOURCEFILTER_H
