//===- TopologyTest.cpp - Hostfile, resource filters and rank numbering ---===//

#include "compiler/topology/Hostfile.h"
#include "compiler/topology/ResourceFilter.h"
#include "compiler/topology/World.h"

#include <gtest/gtest.h>

using namespace dsc::topology;

namespace {

const char *const kTwoHosts = "worker-0 slots=4\nworker-1 slots=4\n";

std::string hostfileError(llvm::StringRef text) {
  llvm::Expected<Hostfile> parsed = parseHostfile(text, "hosts");
  if (parsed)
    return "<ok>";
  return llvm::toString(parsed.takeError());
}

Hostfile hostfileOk(llvm::StringRef text) {
  llvm::Expected<Hostfile> parsed = parseHostfile(text, "hosts");
  if (!parsed) {
    ADD_FAILURE() << llvm::toString(parsed.takeError());
    return {};
  }
  return std::move(*parsed);
}

std::string selectError(llvm::StringRef text, const ResourceRequest &request) {
  Hostfile hostfile = hostfileOk(text);
  llvm::Expected<std::vector<HostSlots>> selected =
      selectResources(&hostfile, request);
  if (selected)
    return "<ok>";
  return llvm::toString(selected.takeError());
}

/// "host:0,1 host2:3" for compact comparisons.
std::string render(const std::vector<HostSlots> &hosts) {
  std::string text;
  for (const HostSlots &host : hosts) {
    text += (text.empty() ? "" : " ") + host.host + ":";
    for (size_t i = 0; i < host.slots.size(); ++i)
      text += (i ? "," : "") + std::to_string(host.slots[i]);
  }
  return text;
}

std::string selectOk(const Hostfile *hostfile, const ResourceRequest &request) {
  llvm::Expected<std::vector<HostSlots>> selected =
      selectResources(hostfile, request);
  if (!selected) {
    ADD_FAILURE() << llvm::toString(selected.takeError());
    return "";
  }
  return render(*selected);
}

ResourceRequest include(std::string spec) {
  ResourceRequest request;
  request.include = std::move(spec);
  return request;
}

ResourceRequest exclude(std::string spec) {
  ResourceRequest request;
  request.exclude = std::move(spec);
  return request;
}

TEST(Hostfile, Parses) {
  Hostfile h = hostfileOk("# cluster\n"
                          "\n"
                          "worker-0 slots=4\n"
                          "   # indented comment\n"
                          "worker-1\tslots=2   trailing text\r\n"
                          "10.0.0.3    slots=8 # comment\n");
  EXPECT_EQ(h.path, "hosts");
  ASSERT_EQ(h.hosts.size(), 3u);
  EXPECT_EQ(h.hosts[0].name, "worker-0");
  EXPECT_EQ(h.hosts[0].slots, 4);
  EXPECT_EQ(h.hosts[0].line, 3u);
  EXPECT_EQ(h.hosts[1].name, "worker-1");
  EXPECT_EQ(h.hosts[1].slots, 2);
  EXPECT_EQ(h.hosts[1].line, 5u);
  EXPECT_EQ(h.hosts[2].name, "10.0.0.3");
  EXPECT_EQ(h.hosts[2].slots, 8);
}

TEST(Hostfile, Errors) {
  EXPECT_EQ(hostfileError("worker-0 slots=4\n\nworker-1 slot=4\n"),
            "hostfile hosts: line 3: bad entry 'worker-1 slot=4'; expected "
            "'<host> slots=<n>'");
  EXPECT_EQ(hostfileError("worker-0\n"),
            "hostfile hosts: line 1: bad entry 'worker-0'; expected '<host> "
            "slots=<n>'");
  EXPECT_EQ(hostfileError("worker-0 gpus=4 slots=4\n"),
            "hostfile hosts: line 1: bad entry 'worker-0 gpus=4 slots=4'; "
            "expected '<host> slots=<n>'");
  EXPECT_EQ(hostfileError("slots=4\n"),
            "hostfile hosts: line 1: bad entry 'slots=4'; expected '<host> "
            "slots=<n>'");
  EXPECT_EQ(hostfileError("worker-0 slots=4\nworker-1 slots=2\n"
                          "worker-0 slots=8\n"),
            "hostfile hosts: line 3: host 'worker-0' is listed twice (first "
            "on line 1)");
  EXPECT_EQ(hostfileError("worker-0 slots=0\n"),
            "hostfile hosts: line 1: slots for 'worker-0' must be a positive "
            "integer, got '0'");
  EXPECT_EQ(hostfileError("worker-0 slots=-2\n"),
            "hostfile hosts: line 1: slots for 'worker-0' must be a positive "
            "integer, got '-2'");
  EXPECT_EQ(hostfileError("worker-0 slots=four\n"),
            "hostfile hosts: line 1: slots for 'worker-0' must be a positive "
            "integer, got 'four'");
  EXPECT_EQ(hostfileError("worker-0 slots=4gpus\n"),
            "hostfile hosts: line 1: slots for 'worker-0' must be a positive "
            "integer, got '4gpus'");
  EXPECT_EQ(hostfileError("worker-0 slots=\n"),
            "hostfile hosts: line 1: slots for 'worker-0' must be a positive "
            "integer, got ''");
  EXPECT_EQ(hostfileError(""), "hostfile hosts: no hosts (the file is empty "
                               "or only has comments)");
  EXPECT_EQ(hostfileError("# only\n\n  \n"),
            "hostfile hosts: no hosts (the file is empty or only has "
            "comments)");
  // Written into launch.json, a name that is not UTF-8 made ds-compile
  // abort (nlohmann's dump throws).
  EXPECT_EQ(hostfileError("w\xe9rker-0 slots=1\n"),
            "hostfile hosts: line 1: host name 'w\\E9rker-0' is not "
            "printable ASCII");
  EXPECT_EQ(hostfileError("worker\x01 slots=1\n"),
            "hostfile hosts: line 1: host name 'worker\\01' is not "
            "printable ASCII");
  // Each slot becomes a rank: a world ds-run would refuse, and GBs to build.
  std::string many;
  for (int i = 0; i < 16; ++i)
    many += "worker-" + std::to_string(i) + " slots=65536\n";
  EXPECT_EQ(hostfileOk(many).hosts.size(), 16u);
  EXPECT_EQ(hostfileError(many + "worker-16 slots=1\n"),
            "hostfile hosts: line 17: more than 1048576 slots in all");
}

TEST(Hostfile, MissingFile) {
  llvm::Expected<Hostfile> parsed = parseHostfileFile("/nonexistent/hosts");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(llvm::toString(parsed.takeError()),
            "hostfile /nonexistent/hosts: cannot read file: No such file or "
            "directory");
}

TEST(ResourceFilter, Defaults) {
  Hostfile h = hostfileOk("a slots=2\nb slots=3\n");
  EXPECT_EQ(selectOk(&h, {}), "a:0,1 b:0,1,2");
  // No hostfile: localhost with one slot, or --num_gpus slots.
  EXPECT_EQ(selectOk(nullptr, {}), "localhost:0");
  ResourceRequest gpus;
  gpus.numGpus = 4;
  EXPECT_EQ(selectOk(nullptr, gpus), "localhost:0,1,2,3");
  ResourceRequest oneNode;
  oneNode.numNodes = 1;
  EXPECT_EQ(selectOk(nullptr, oneNode), "localhost:0");
}

TEST(ResourceFilter, IncludeExclude) {
  Hostfile h = hostfileOk("a slots=4\nb slots=4\nc slots=2\n");
  EXPECT_EQ(selectOk(&h, include("b")), "b:0,1,2,3");
  // Result follows hostfile order, slots ascending.
  EXPECT_EQ(selectOk(&h, include("c@a:3,1")), "a:1,3 c:0,1");
  EXPECT_EQ(selectOk(&h, include("a:0@a:2")), "a:0,2");
  EXPECT_EQ(selectOk(&h, exclude("b")), "a:0,1,2,3 c:0,1");
  EXPECT_EQ(selectOk(&h, exclude("a:0,1@c:1")), "a:2,3 b:0,1,2,3 c:0");
  EXPECT_EQ(selectOk(&h, exclude("c:0,1")), "a:0,1,2,3 b:0,1,2,3");
  EXPECT_EQ(selectOk(nullptr, include("localhost:0")), "localhost:0");
}

TEST(ResourceFilter, NumNodesAndGpus) {
  Hostfile h = hostfileOk("a slots=4\nb slots=4\nc slots=2\n");
  ResourceRequest request;
  request.numNodes = 2;
  EXPECT_EQ(selectOk(&h, request), "a:0,1,2,3 b:0,1,2,3");
  request.numGpus = 2;
  EXPECT_EQ(selectOk(&h, request), "a:0,1 b:0,1");
  request.numNodes.reset();
  EXPECT_EQ(selectOk(&h, request), "a:0,1 b:0,1 c:0,1");
}

TEST(ResourceFilter, Errors) {
  ResourceRequest both;
  both.include = "worker-0";
  both.exclude = "worker-1";
  EXPECT_EQ(selectError(kTwoHosts, both),
            "--include and --exclude are mutually exclusive");
  EXPECT_EQ(selectError(kTwoHosts, include("worker-9")),
            "--include: unknown host 'worker-9' (hosts: worker-0, worker-1)");
  EXPECT_EQ(selectError(kTwoHosts, exclude("worker-0@worker-2:1")),
            "--exclude: unknown host 'worker-2' (hosts: worker-0, worker-1)");
  EXPECT_EQ(selectError(kTwoHosts, include("worker-1:7")),
            "--include: host 'worker-1' has no slot 7 (slots 0..3)");
  EXPECT_EQ(selectError(kTwoHosts, include("worker-1:0,x")),
            "--include: bad slot 'x' in 'worker-1:0,x'; expected a "
            "non-negative integer");
  EXPECT_EQ(selectError(kTwoHosts, include("worker-1:-1")),
            "--include: bad slot '-1' in 'worker-1:-1'; expected a "
            "non-negative integer");
  EXPECT_EQ(selectError(kTwoHosts, include("worker-0@@worker-1")),
            "--include: bad node '' in 'worker-0@@worker-1'; expected "
            "host[:slot[,slot]]@host...");
  EXPECT_EQ(selectError(kTwoHosts, include("worker-0:1:2")),
            "--include: bad node 'worker-0:1:2' in 'worker-0:1:2'; expected "
            "host[:slot[,slot]]@host...");
  EXPECT_EQ(selectError(kTwoHosts, include("worker-0:")),
            "--include: bad node 'worker-0:' in 'worker-0:'; expected "
            "host[:slot[,slot]]@host...");
  EXPECT_EQ(selectError(kTwoHosts, exclude("worker-0@worker-1")),
            "--exclude: 'worker-0@worker-1' excludes every slot; nothing is "
            "left to run on");

  ResourceRequest nodesAndInclude = include("worker-0");
  nodesAndInclude.numNodes = 1;
  EXPECT_EQ(selectError(kTwoHosts, nodesAndInclude),
            "--num_nodes cannot be combined with --include");
  ResourceRequest gpusAndExclude = exclude("worker-0");
  gpusAndExclude.numGpus = 1;
  EXPECT_EQ(selectError(kTwoHosts, gpusAndExclude),
            "--num_gpus cannot be combined with --exclude");

  ResourceRequest tooMany;
  tooMany.numNodes = 3;
  EXPECT_EQ(selectError(kTwoHosts, tooMany),
            "--num_nodes 3: the hostfile has only 2 hosts");
  ResourceRequest zeroNodes;
  zeroNodes.numNodes = 0;
  EXPECT_EQ(selectError(kTwoHosts, zeroNodes),
            "--num_nodes: expected a positive integer, got 0");
  ResourceRequest negativeGpus;
  negativeGpus.numGpus = -1;
  EXPECT_EQ(selectError(kTwoHosts, negativeGpus),
            "--num_gpus: expected a positive integer, got -1");
  ResourceRequest tooManyGpus;
  tooManyGpus.numGpus = 8;
  EXPECT_EQ(selectError("worker-0 slots=8\nworker-1 slots=4\n", tooManyGpus),
            "--num_gpus 8: host 'worker-1' has only 4 slots");

  ResourceRequest localNodes;
  localNodes.numNodes = 2;
  llvm::Expected<std::vector<HostSlots>> local =
      selectResources(nullptr, localNodes);
  ASSERT_FALSE(local);
  EXPECT_EQ(llvm::toString(local.takeError()),
            "--num_nodes 2: there is no hostfile, so only the local host is "
            "available");
}

TEST(World, RankOrdering) {
  Hostfile h = hostfileOk("b slots=2\na slots=3\n");
  llvm::Expected<World> world = buildWorld(&h, include("b@a:0,2"));
  ASSERT_TRUE(bool(world)) << llvm::toString(world.takeError());
  EXPECT_EQ(world->worldSize(), 4);
  EXPECT_EQ(world->numNodes(), 2);
  EXPECT_EQ(world->masterAddr, "b");
  EXPECT_EQ(world->masterPort, 29500);
  EXPECT_EQ(world->visibleDevices(0), "0,1");
  EXPECT_EQ(world->visibleDevices(1), "0,2");
  struct Expected {
    const char *host;
    int slot, globalRank, localRank, localSize, nodeRank;
  };
  const Expected expected[] = {{"b", 0, 0, 0, 2, 0},
                               {"b", 1, 1, 1, 2, 0},
                               {"a", 0, 2, 0, 2, 1},
                               {"a", 2, 3, 1, 2, 1}};
  ASSERT_EQ(world->ranks.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    const RankInfo &rank = world->ranks[i];
    EXPECT_EQ(rank.host, expected[i].host) << i;
    EXPECT_EQ(rank.slot, expected[i].slot) << i;
    EXPECT_EQ(rank.globalRank, expected[i].globalRank) << i;
    EXPECT_EQ(rank.localRank, expected[i].localRank) << i;
    EXPECT_EQ(rank.localSize, expected[i].localSize) << i;
    EXPECT_EQ(rank.nodeRank, expected[i].nodeRank) << i;
    EXPECT_EQ(rank.numNodes, 2) << i;
  }
}

TEST(World, UnevenNodes) {
  World world = buildWorld({{"x", {0, 1, 2}}, {"y", {5}}}, false);
  ASSERT_EQ(world.worldSize(), 4);
  EXPECT_EQ(world.ranks[2].localSize, 3);
  EXPECT_EQ(world.ranks[3].host, "y");
  EXPECT_EQ(world.ranks[3].slot, 5);
  EXPECT_EQ(world.ranks[3].localRank, 0);
  EXPECT_EQ(world.ranks[3].localSize, 1);
  EXPECT_EQ(world.ranks[3].nodeRank, 1);
  EXPECT_EQ(world.visibleDevices(1), "5");
}

TEST(World, LocalOnly) {
  ResourceRequest request;
  request.numGpus = 2;
  llvm::Expected<World> world = buildWorld(nullptr, request);
  ASSERT_TRUE(bool(world)) << llvm::toString(world.takeError());
  EXPECT_EQ(world->masterAddr, "127.0.0.1");
  EXPECT_EQ(world->worldSize(), 2);
  EXPECT_EQ(world->numNodes(), 1);
  EXPECT_EQ(world->ranks[1].host, "localhost");
  EXPECT_EQ(world->ranks[1].localRank, 1);
  EXPECT_EQ(world->visibleDevices(0), "0,1");
  llvm::Expected<World> failed = buildWorld(nullptr, include("other"));
  ASSERT_FALSE(failed);
  EXPECT_EQ(llvm::toString(failed.takeError()),
            "--include: unknown host 'other' (hosts: localhost)");
}

} // namespace
