//===- ReaderFuzzer.cpp - libFuzzer target for the file readers -----------===//
//
// Feeds arbitrary bytes to the readers of the files a user writes or may
// edit: ds_config.json, the hostfile with the launcher's resource flags, and
// the files the tools write and read back (plan.json, launch.json, a
// checkpoint's state.json, the shared JSON reader). Every input must end in
// a value or an error; crashes, hangs, uncaught exceptions and sanitizer
// reports are bugs. Values that parse are checked against what their
// readers promise (and the world a hostfile selects is written as
// launch.json and read back), so a reader that accepts nonsense fails too.
//
// One target for all readers: the first byte picks one (its value modulo
// the number of readers, so every input reaches a reader; the seeds use
// '0'..'5'). The JSON readers share their parser and much of their input, so
// one corpus lets what libFuzzer learns on one file carry over to the
// others, and CI builds and runs one binary for one bounded time.
//
//===----------------------------------------------------------------------===//

#include "compiler/config/DsConfig.h"
#include "compiler/topology/Hostfile.h"
#include "compiler/topology/ResourceFilter.h"
#include "compiler/topology/World.h"
#include "runtime/checkpoint/CheckpointFormat.h"
#include "runtime/io/JsonReader.h"
#include "runtime/main/PlanCodec.h"
#include "runtime/main/PlanFile.h"
#include "tools/ds-run/LaunchPlan.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

using namespace dsc;

/// A broken promise of a reader: libFuzzer saves the input as a crash.
#define FUZZ_CHECK(cond)                                                       \
  do {                                                                         \
    if (!(cond)) {                                                             \
      std::fprintf(stderr, "reader-fuzzer: check failed: %s (line %d)\n",      \
                   #cond, __LINE__);                                           \
      std::abort();                                                            \
    }                                                                          \
  } while (false)

namespace {

/// The largest world checkWorld writes as launch.json and reads back.
constexpr int kRoundTripRanks = 1 << 12;
/// The most slots of a hostfile whose worlds are built. Up to
/// kMaxTotalSlots, a world takes about a second under ASan, only to run the
/// same loops longer: mutations of the too-many-slots seed made a few such
/// inputs slow the whole run down fivefold.
constexpr unsigned kBuildSlots = 1 << 16;

/// Builds the message, as the tools do before printing it.
void consume(llvm::Error error) { (void)llvm::toString(std::move(error)); }

void fuzzConfig(llvm::StringRef text) {
  llvm::Expected<config::ParsedConfig> parsed =
      config::parseConfig(text, "ds_config.json");
  if (!parsed)
    return consume(parsed.takeError());
  const config::DsConfig &c = parsed->config;
  // The world sizes of a laptop, an odd one, a node and the largest launch
  // ds-run accepts.
  for (int64_t world : {1, 2, 3, 8, 1 << 20}) {
    llvm::Expected<int64_t> dp = config::dataParallelSize(c, world);
    if (!dp) {
      consume(dp.takeError());
      continue;
    }
    FUZZ_CHECK(*dp >= 1 && *dp <= world);
    llvm::Expected<config::BatchSizes> batch = config::resolveBatch(c, *dp);
    if (!batch) {
      consume(batch.takeError());
      continue;
    }
    FUZZ_CHECK(batch->trainBatchSize >= 1 && batch->microBatchSize >= 1 &&
               batch->gradAccumSteps >= 1);
  }
  // toJson writes ds_config form: reading it back must give the same config.
  std::string written = config::toJson(c).dump();
  llvm::Expected<config::ParsedConfig> again =
      config::parseConfig(written, "written.json");
  if (!again) {
    std::fprintf(stderr, "toJson wrote a config its reader rejects: %s\n%s\n",
                 llvm::toString(again.takeError()).c_str(), written.c_str());
    FUZZ_CHECK(false);
  }
  FUZZ_CHECK(config::toJson(again->config).dump() == written);
}

void checkWorld(const topology::World &world) {
  FUZZ_CHECK(world.worldSize() >= 1 && world.numNodes() >= 1);
  int rank = 0;
  for (int n = 0; n < world.numNodes(); ++n) {
    FUZZ_CHECK(!world.nodes[n].slots.empty());
    (void)world.visibleDevices(n);
    for (int slot : world.nodes[n].slots) {
      const topology::RankInfo &info = world.ranks[rank++];
      FUZZ_CHECK(info.slot == slot && info.nodeRank == n &&
                 info.host == world.nodes[n].host);
    }
  }
  FUZZ_CHECK(rank == world.worldSize());
  // ds-run must accept the world ds-compile fixed. Large worlds (up to
  // kMaxTotalSlots) take long to write and read back and find nothing more.
  if (world.worldSize() > kRoundTripRanks)
    return;
  llvm::Expected<run::LaunchPlan> plan =
      run::parseLaunchText(topology::launchJson(world).dump(1), "/fuzz-out");
  if (!plan) {
    std::fprintf(stderr, "ds-run rejects the launch.json of a world: %s\n",
                 llvm::toString(plan.takeError()).c_str());
    FUZZ_CHECK(false);
  }
  FUZZ_CHECK(plan->world.worldSize() == world.worldSize() &&
             plan->world.masterAddr == world.masterAddr &&
             plan->world.masterPort == world.masterPort);
  for (int n = 0; n < world.numNodes(); ++n)
    FUZZ_CHECK(plan->world.nodes[n].host == world.nodes[n].host &&
               plan->world.nodes[n].slots == world.nodes[n].slots);
}

void fuzzWorld(const topology::Hostfile *hostfile,
               const topology::ResourceRequest &request) {
  llvm::Expected<topology::World> world =
      topology::buildWorld(hostfile, request);
  if (world)
    checkWorld(*world);
  else
    consume(world.takeError());
}

/// A number flag as given on the command line; empty is "not given".
std::optional<int64_t> numberFlag(llvm::StringRef text) {
  int64_t value = 0;
  if (text.empty() || text.getAsInteger(10, value))
    return std::nullopt;
  return value;
}

/// The hostfile text, then NUL-separated --include, --exclude, --num_nodes
/// and --num_gpus (each may be missing or empty).
void fuzzHostfile(llvm::StringRef input) {
  llvm::SmallVector<llvm::StringRef, 5> parts;
  input.split(parts, '\0', /*MaxSplit=*/4);
  parts.resize(5);
  topology::ResourceRequest request;
  request.include = parts[1].str();
  request.exclude = parts[2].str();
  request.numNodes = numberFlag(parts[3]);
  request.numGpus = numberFlag(parts[4]);

  llvm::Expected<topology::Hostfile> hostfile =
      topology::parseHostfile(parts[0], "hostfile");
  if (hostfile) {
    FUZZ_CHECK(!hostfile->hosts.empty());
    unsigned slots = 0;
    for (const topology::HostEntry &host : hostfile->hosts)
      slots += host.slots;
    FUZZ_CHECK(slots <= topology::kMaxTotalSlots);
    if (slots <= kBuildSlots)
      fuzzWorld(&*hostfile, request);
  } else {
    consume(hostfile.takeError());
  }
  // The same flags without a hostfile: the local host.
  fuzzWorld(nullptr, request);
}

void fuzzPlan(std::string_view text) {
  runtime::Expected<runtime::Plan> plan =
      runtime::parsePlan(text, "out/plan.json");
  if (!plan)
    return;
  // What the step loop relies on once the plan is parsed.
  for (const runtime::PlanBuffer &b : plan->buffers)
    FUZZ_CHECK(b.offset >= 0 && static_cast<uint64_t>(b.offset) + b.bytes <=
                                    static_cast<uint64_t>(plan->arenaBytes));
  if (plan->training) {
    // (The optimizer comes from the rank's object, not from plan.json.)
    FUZZ_CHECK(plan->batch && plan->zero && plan->loss());
    FUZZ_CHECK(static_cast<int64_t>(plan->zero->partitions.size()) ==
               plan->zero->dpSize);
  }
  for (const runtime::PlanCollective &c : plan->collectives) {
    FUZZ_CHECK(c.range.begin >= 0 && c.range.end >= c.range.begin &&
               c.bytes >= 0);
    for (int64_t count : c.counts)
      FUZZ_CHECK(count >= 0);
  }
  for (int64_t rank = 0; rank < plan->worldSize && rank < 4; ++rank)
    (void)plan->weightsFor(rank);
  // The encoding ds-compile puts into the rank's object keeps the plan.
  std::vector<uint8_t> bytes = runtime::encodePlan(*plan);
  runtime::Expected<runtime::Plan> decoded =
      runtime::decodePlan(bytes.data(), bytes.size(), plan->dir, "rank");
  FUZZ_CHECK(decoded.ok());
  FUZZ_CHECK(runtime::encodePlan(*decoded) == bytes);
  // Any bytes as an encoded plan: an error or a plan, never a crash.
  (void)runtime::decodePlan(reinterpret_cast<const uint8_t *>(text.data()),
                            text.size(), "", "rank");
}

void fuzzLaunch(llvm::StringRef text) {
  llvm::Expected<run::LaunchPlan> plan =
      run::parseLaunchText(text, "/fuzz-out");
  if (!plan)
    return consume(plan.takeError());
  FUZZ_CHECK(plan->world.worldSize() >= 1 &&
             plan->binaries.size() ==
                 static_cast<size_t>(plan->world.worldSize()));
  for (int rank = 0; rank < plan->world.worldSize(); ++rank)
    (void)plan->binaryPath(rank);
}

void fuzzCheckpointMeta(std::string_view text) {
  runtime::Expected<runtime::CheckpointMeta> meta =
      runtime::parseCheckpointMeta(text, "ckpt/global_step1/state.json");
  if (!meta)
    return;
  // readStateRange and the consolidation rely on this layout.
  int64_t next = 0;
  for (const runtime::CheckpointParam &p : meta->params) {
    FUZZ_CHECK(p.flatOffset == next && p.numel >= 0);
    next += p.numel;
  }
  FUZZ_CHECK(next == meta->flatElements);
  for (const runtime::CheckpointShard &s : meta->shards)
    FUZZ_CHECK(s.begin >= 0 && s.begin <= s.end && s.end <= next);
}

/// The shared JSON reader, and every typed getter on every member of an
/// object (each with a fresh reader: the first failure stops a reader).
void fuzzJsonReader(std::string_view text) {
  runtime::Expected<nlohmann::json> root = runtime::parseJsonText(text, "f");
  if (!root || !root->is_object())
    return;
  for (auto it = root->begin(); it != root->end(); ++it) {
    const char *key = it.key().c_str();
    auto read = [&](auto get) {
      runtime::JsonReader r("f");
      get(r);
      if (!r.ok())
        (void)r.take();
    };
    read([&](runtime::JsonReader &r) { r.getInt(*root, "", key, 0); });
    read([&](runtime::JsonReader &r) { r.getNumber(*root, "", key, 0.0); });
    read([&](runtime::JsonReader &r) { r.getBool(*root, "", key, false); });
    read([&](runtime::JsonReader &r) { r.getString(*root, "", key); });
    read([&](runtime::JsonReader &r) { r.getObject(*root, "", key); });
    read([&](runtime::JsonReader &r) { r.getArray(*root, "", key); });
    // getDType and getShape read the "dtype" and "shape" of an object.
    read([&](runtime::JsonReader &r) { r.getDType(*it, key); });
    read([&](runtime::JsonReader &r) { r.getShape(*it, key); });
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  std::string_view text(reinterpret_cast<const char *>(data) + 1, size - 1);
  llvm::StringRef ref(text.data(), text.size());
  switch (data[0] % 6) {
  case 0:
    fuzzConfig(ref);
    break;
  case 1:
    fuzzHostfile(ref);
    break;
  case 2:
    fuzzPlan(text);
    break;
  case 3:
    fuzzLaunch(ref);
    break;
  case 4:
    fuzzCheckpointMeta(text);
    break;
  case 5:
    fuzzJsonReader(text);
    break;
  }
  return 0;
}
