//===- ResourceFilter.cpp - Launcher host and slot selection --------------===//

#include "compiler/topology/ResourceFilter.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"

#include <set>
#include <tuple>

using namespace llvm;

namespace dsc::topology {
namespace {

constexpr int64_t kMaxSlots = 1 << 16;

Error makeError(const Twine &message) {
  return createStringError(inconvertibleErrorCode(), message);
}

struct PoolHost {
  std::string host;
  int slots;
  std::set<int> chosen;
};

std::string hostList(ArrayRef<PoolHost> pool) {
  std::string list;
  for (const PoolHost &host : pool)
    list += (list.empty() ? "" : ", ") + host.host;
  return list;
}

/// Parses `host[:slot[,slot]]@...` against the pool and marks or unmarks the
/// named slots (every slot when none is listed).
Error applyFilter(std::vector<PoolHost> &pool, StringRef flag, StringRef spec,
                  bool include) {
  SmallVector<StringRef, 8> nodes;
  spec.split(nodes, '@');
  for (StringRef node : nodes) {
    // Not a structured binding: clang 14 (the fuzzing build) cannot capture
    // one in the lambda below.
    StringRef name, slotList;
    std::tie(name, slotList) = node.split(':');
    if (name.empty() || (node.contains(':') && slotList.empty()) ||
        slotList.contains(':'))
      return makeError(flag + ": bad node '" + node + "' in '" + spec +
                       "'; expected host[:slot[,slot]]@host...");
    auto it = find_if(pool, [&](const PoolHost &h) { return h.host == name; });
    if (it == pool.end())
      return makeError(flag + ": unknown host '" + name +
                       "' (hosts: " + hostList(pool) + ")");
    std::vector<int> slots;
    if (slotList.empty()) {
      for (int slot = 0; slot < it->slots; ++slot)
        slots.push_back(slot);
    } else {
      SmallVector<StringRef, 8> items;
      slotList.split(items, ',');
      for (StringRef item : items) {
        unsigned slot = 0;
        if (item.empty() || !isDigit(item.front()) ||
            item.getAsInteger(10, slot))
          return makeError(flag + ": bad slot '" + item + "' in '" + node +
                           "'; expected a non-negative integer");
        if (slot >= static_cast<unsigned>(it->slots))
          return makeError(flag + ": host '" + name + "' has no slot " +
                           Twine(slot) + " (slots 0.." + Twine(it->slots - 1) +
                           ")");
        slots.push_back(static_cast<int>(slot));
      }
    }
    for (int slot : slots) {
      if (include)
        it->chosen.insert(slot);
      else
        it->chosen.erase(slot);
    }
  }
  return Error::success();
}

Error checkFlags(const Hostfile *hostfile, const ResourceRequest &request) {
  if (request.numNodes && *request.numNodes <= 0)
    return makeError("--num_nodes: expected a positive integer, got " +
                     Twine(*request.numNodes));
  if (request.numGpus && *request.numGpus <= 0)
    return makeError("--num_gpus: expected a positive integer, got " +
                     Twine(*request.numGpus));
  if (request.numGpus && *request.numGpus > kMaxSlots)
    return makeError("--num_gpus " + Twine(*request.numGpus) + ": more than " +
                     Twine(kMaxSlots) + " slots a host");
  if (!request.include.empty() && !request.exclude.empty())
    return makeError("--include and --exclude are mutually exclusive");
  const char *filter = !request.include.empty()   ? "--include"
                       : !request.exclude.empty() ? "--exclude"
                                                  : nullptr;
  if (filter && (request.numNodes || request.numGpus))
    return makeError(Twine(request.numNodes ? "--num_nodes" : "--num_gpus") +
                     " cannot be combined with " + filter);
  if (!hostfile && request.numNodes && *request.numNodes > 1)
    return makeError("--num_nodes " + Twine(*request.numNodes) +
                     ": there is no hostfile, so only the local host is "
                     "available");
  return Error::success();
}

} // namespace

Expected<std::vector<HostSlots>>
selectResources(const Hostfile *hostfile, const ResourceRequest &request) {
  if (Error error = checkFlags(hostfile, request))
    return error;

  std::vector<PoolHost> pool;
  if (hostfile) {
    for (const HostEntry &entry : hostfile->hosts)
      pool.push_back({entry.name, entry.slots, {}});
  } else {
    pool.push_back(
        {kLocalHost, static_cast<int>(request.numGpus.value_or(1)), {}});
  }
  bool filtered = !request.include.empty() || !request.exclude.empty();
  for (PoolHost &host : pool)
    for (int slot = 0; slot < host.slots; ++slot)
      if (request.include.empty())
        host.chosen.insert(slot);
  if (!request.include.empty())
    if (Error error = applyFilter(pool, "--include", request.include, true))
      return error;
  if (!request.exclude.empty())
    if (Error error = applyFilter(pool, "--exclude", request.exclude, false))
      return error;
  if (filtered) {
    llvm::erase_if(pool, [](const PoolHost &h) { return h.chosen.empty(); });
    if (pool.empty())
      return makeError("--exclude: '" + request.exclude +
                       "' excludes every slot; nothing is left to run on");
  }

  if (request.numNodes) {
    if (*request.numNodes > static_cast<int64_t>(pool.size()))
      return makeError("--num_nodes " + Twine(*request.numNodes) +
                       ": the hostfile has only " + Twine(pool.size()) +
                       (pool.size() == 1 ? " host" : " hosts"));
    pool.resize(*request.numNodes);
  }
  if (request.numGpus) {
    for (PoolHost &host : pool) {
      if (*request.numGpus > host.slots)
        return makeError("--num_gpus " + Twine(*request.numGpus) + ": host '" +
                         host.host + "' has only " + Twine(host.slots) +
                         (host.slots == 1 ? " slot" : " slots"));
      host.chosen.clear();
      for (int slot = 0; slot < *request.numGpus; ++slot)
        host.chosen.insert(slot);
    }
  }

  std::vector<HostSlots> selected;
  for (const PoolHost &host : pool)
    selected.push_back(
        {host.host, std::vector<int>(host.chosen.begin(), host.chosen.end())});
  return selected;
}

} // namespace dsc::topology
