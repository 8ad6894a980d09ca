//===- LaunchPlan.cpp - The world ds-compile fixed, read back -------------===//

#include "tools/ds-run/LaunchPlan.h"

#include "runtime/io/FileUtil.h"
#include "runtime/io/JsonReader.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <nlohmann/json.hpp>

#include <cstring>
#include <fstream>

using namespace llvm;

namespace dsc::run {
namespace {

Error makeError(const Twine &message) {
  return createStringError(inconvertibleErrorCode(), message);
}

/// "0-3", "0,1", "0-2,5".
std::string describeSlots(ArrayRef<int> slots) {
  std::string text;
  for (size_t i = 0; i < slots.size();) {
    size_t end = i + 1;
    while (end < slots.size() && slots[end] == slots[end - 1] + 1)
      ++end;
    text += text.empty() ? "" : ",";
    if (end - i >= 3) {
      text += std::to_string(slots[i]) + "-" + std::to_string(slots[end - 1]);
    } else {
      for (size_t j = i; j < end; ++j)
        text += (j == i ? "" : ",") + std::to_string(slots[j]);
    }
    i = end;
  }
  return text;
}

/// The hosts and slots of launch.json's ranks, grouped by cross_rank; the
/// ranks must come in order and each node's ranks together.
Expected<std::vector<topology::HostSlots>>
nodesOf(const nlohmann::json &ranks, std::vector<std::string> &binaries) {
  std::vector<topology::HostSlots> nodes;
  for (const nlohmann::json &r : ranks) {
    int rank = r.at("rank").get<int>();
    int nodeRank = r.at("cross_rank").get<int>();
    std::string host = r.at("host").get<std::string>();
    if (rank != static_cast<int>(binaries.size()))
      return makeError("rank " + Twine(rank) + " is listed at position " +
                       Twine(binaries.size()));
    bool sameNode = !nodes.empty() &&
                    nodeRank == static_cast<int>(nodes.size()) - 1 &&
                    nodes.back().host == host;
    if (!sameNode && nodeRank != static_cast<int>(nodes.size()))
      return makeError("rank " + Twine(rank) + " has cross_rank " +
                       Twine(nodeRank) + " on host '" + host +
                       "', out of node order");
    if (!sameNode)
      nodes.push_back({host, {}});
    nodes.back().slots.push_back(r.at("slot").get<int>());
    binaries.push_back(r.at("binary").get<std::string>());
  }
  if (nodes.empty())
    return makeError("no ranks");
  return nodes;
}

/// Checks launch.json's per-rank numbers against `world`'s.
Error checkNumbering(const nlohmann::json &ranks,
                     const topology::World &world) {
  for (const topology::RankInfo &info : world.ranks) {
    const nlohmann::json &r = ranks[info.globalRank];
    if (r.at("local_rank").get<int>() != info.localRank ||
        r.at("local_size").get<int>() != info.localSize ||
        r.at("cross_size").get<int>() != info.numNodes)
      return makeError("rank " + Twine(info.globalRank) +
                       ": local_rank, local_size or cross_size do not follow "
                       "its host and slot");
  }
  return Error::success();
}

/// Every value parseLaunchJson reads has its type, checked up front with the
/// ranks' reader, so a wrong one is named with its key.
Error checkLaunchTypes(const nlohmann::json &launch) {
  dsc::runtime::JsonReader r("launch.json");
  r.getInt(launch, "", "world_size", 0);
  r.getString(launch, "", "master_addr");
  int64_t port = r.getInt(launch, "", "master_port", 0);
  if (r.ok() && (port < 1 || port > 65535))
    r.fail("master_port",
           "expected a port in 1..65535, got " + std::to_string(port));
  const nlohmann::json &ranks = r.getArray(launch, "", "ranks");
  for (size_t i = 0; i < ranks.size() && r.ok(); ++i) {
    const std::string at = "ranks[" + std::to_string(i) + "]";
    const nlohmann::json &entry = r.element(ranks, i, at);
    for (const char *key : {"rank", "slot", "local_rank", "local_size",
                            "cross_rank", "cross_size"}) {
      int64_t value = r.getInt(entry, at, key, 0);
      if (r.ok() && (value < 0 || value > (1 << 20)))
        r.fail(at + "." + key, "out of range: " + std::to_string(value));
    }
    r.getString(entry, at, "host");
    r.getString(entry, at, "binary");
  }
  if (r.ok())
    return Error::success();
  // "launch.json: " is said by the caller.
  std::string message = r.take().message();
  return makeError(StringRef(message).drop_front(strlen("launch.json: ")));
}

Expected<LaunchPlan> parseLaunchJson(const nlohmann::json &launch,
                                     StringRef absOutDir) {
  if (Error error = checkLaunchTypes(launch))
    return std::move(error);
  LaunchPlan plan;
  plan.outDir = absOutDir.str();
  const nlohmann::json &ranks = launch.at("ranks");
  if (!ranks.is_array())
    return makeError("'ranks' is not an array");
  Expected<std::vector<topology::HostSlots>> nodes =
      nodesOf(ranks, plan.binaries);
  if (!nodes)
    return nodes.takeError();
  plan.world = topology::buildWorld(*nodes, /*localOnly=*/false);
  if (Error error = checkNumbering(ranks, plan.world))
    return std::move(error);
  if (launch.at("world_size").get<int>() != plan.world.worldSize())
    return makeError("world_size " + Twine(launch["world_size"].get<int>()) +
                     " does not match its " + Twine(plan.world.worldSize()) +
                     " ranks");
  plan.world.masterAddr = launch.at("master_addr").get<std::string>();
  plan.world.masterPort = launch.at("master_port").get<int>();
  return plan;
}

/// "4 ranks (localhost slots 0-3)", "4 ranks (worker-1 slots 0,1; worker-2
/// slots 0,1)".
std::string describeWorld(const topology::World &world) {
  std::string text = std::to_string(world.worldSize()) +
                     (world.worldSize() == 1 ? " rank (" : " ranks (");
  for (const topology::HostSlots &node : world.nodes)
    text += (&node == &world.nodes.front() ? "" : "; ") + node.host +
            (node.slots.size() == 1 ? " slot " : " slots ") +
            describeSlots(node.slots);
  return text + ")";
}

/// Same hosts and slots in the same order, hence the same rank numbering.
bool sameResources(const topology::World &a, const topology::World &b) {
  if (a.nodes.size() != b.nodes.size())
    return false;
  for (size_t i = 0; i < a.nodes.size(); ++i)
    if (a.nodes[i].host != b.nodes[i].host ||
        a.nodes[i].slots != b.nodes[i].slots)
      return false;
  return true;
}

} // namespace

std::string LaunchPlan::binaryPath(int rank) const {
  SmallString<256> path(outDir);
  sys::path::append(path, binaries[rank]);
  return std::string(path);
}

Expected<LaunchPlan> readLaunchPlan(StringRef outDir) {
  std::string file = (outDir + "/launch.json").str();
  if (!sys::fs::exists(file))
    return makeError(file + ": cannot read (is " + outDir +
                     " a ds-compile output?)");
  dsc::runtime::Expected<std::string> text = dsc::runtime::readWholeFile(file);
  if (!text)
    return makeError(text.message() + " (not a ds-compile launch file)");
  return parseLaunchText(*text, outDir);
}

Expected<LaunchPlan> parseLaunchText(StringRef text, StringRef outDir) {
  std::string file = (outDir + "/launch.json").str();
  dsc::runtime::Expected<nlohmann::json> parsed =
      dsc::runtime::parseJsonObjectText(
          std::string_view(text.data(), text.size()), file);
  if (!parsed)
    return makeError(parsed.message() + " (not a ds-compile launch file)");
  const nlohmann::json &launch = *parsed;
  SmallString<256> absOutDir(outDir);
  if (std::error_code ec = sys::fs::make_absolute(absOutDir))
    return makeError(outDir + ": " + ec.message());
  sys::path::remove_dots(absOutDir, /*remove_dot_dot=*/true);
  try {
    Expected<LaunchPlan> plan = parseLaunchJson(launch, absOutDir);
    if (!plan)
      return makeError(file + ": not a ds-compile launch file (" +
                       toString(plan.takeError()) + ")");
    return plan;
  } catch (const nlohmann::json::exception &e) {
    return makeError(file + ": not a ds-compile launch file (" + e.what() +
                     ")");
  }
}

Error checkLaunchResources(const LaunchPlan &plan, StringRef outDirName,
                           const std::optional<std::string> &hostfilePath,
                           const topology::ResourceRequest &request) {
  std::optional<topology::Hostfile> hostfile;
  if (hostfilePath) {
    Expected<topology::Hostfile> parsed =
        topology::parseHostfileFile(*hostfilePath);
    if (!parsed)
      return parsed.takeError();
    hostfile = std::move(*parsed);
  }
  Expected<topology::World> launch =
      topology::buildWorld(hostfile ? &*hostfile : nullptr, request);
  if (!launch)
    return launch.takeError();
  if (sameResources(plan.world, *launch))
    return Error::success();
  return makeError(outDirName + " was compiled for " +
                   describeWorld(plan.world) + "; this launch selects " +
                   describeWorld(*launch) +
                   "; compile again with the same "
                   "--hostfile/--include/--exclude/--num_nodes/--num_gpus");
}

bool isLocalHost(StringRef host) {
  return host == topology::kLocalHost || host == "127.0.0.1";
}

} // namespace dsc::run
