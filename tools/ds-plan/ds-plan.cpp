//===- ds-plan.cpp - inspect a compiled plan ------------------------------===//
//
//   ds-plan OUT [--collectives] [--kernels]
//
// Reads OUT/plan.json and OUT/launch.json (written by ds-compile) and prints
// what the compiler decided: the world and its hosts, the batch split, the
// ZeRO layout, every rank's memory by kind, the collective volume of a step
// (with --collectives the whole ordered list), the kernel mix (with
// --kernels every call site). Everything comes from the files; nothing is
// recomputed. A missing or malformed file (a wrong type included: the files
// are read with the ranks' JsonReader, every value checked before anything
// is printed) is one "ds-plan: error:" line and exit code 1.
//
//===----------------------------------------------------------------------===//

#include "runtime/io/JsonReader.h"
#include "runtime/io/PlanFormat.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <map>
#include <string>
#include <vector>

using dsc::runtime::JsonReader;
using nlohmann::json;

namespace {

int fail(const std::string &message, int code = 1) {
  std::cerr << "ds-plan: error: " << message << "\n";
  return code;
}

std::string bytesText(int64_t bytes) {
  char buf[64];
  if (bytes >= (int64_t(1) << 20))
    std::snprintf(buf, sizeof buf, "%lld (%.2f MiB)",
                  static_cast<long long>(bytes), bytes / 1048576.0);
  else
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(bytes));
  return buf;
}

std::string at(const char *key, size_t i) {
  return std::string(key) + "[" + std::to_string(i) + "]";
}

struct Collective {
  int64_t seq, bytes, micro;
  std::string op, group, payload, phase, range;
};

/// What ds-plan shows, read and type-checked in full before printing.
struct PlanView {
  std::string mode, masterAddr;
  int64_t worldSize = 1, masterPort = 0;
  std::map<std::string, int64_t> ranksPerHost;
  bool hasBatch = false;
  int64_t tbs = 0, mbs = 0, gas = 0, dp = 0;
  bool hasOptimizer = false;
  std::string optimizerType;
  double lr = 0, clipping = 0;
  bool hasZero = false;
  int64_t stage = 0, zeroDp = 1, flatElements = 0, params = 0, whole = 0,
          reduceBucket = 0, gatherBucket = 0;
  std::vector<std::vector<int64_t>> memory; // per rank: 6 kinds
  int64_t predictedPeak = 0, arena = 0;
  bool hasCollectives = false;
  std::vector<Collective> collectives;
  int64_t collectiveBytes = 0;
  std::vector<std::string> kernels;
};

void readPlan(JsonReader &r, const json &plan, PlanView &v) {
  std::string format = r.getString(plan, "", "format");
  if (r.ok() && format != dsc::runtime::kPlanFormat)
    r.fail("format", "not a ds-compile plan ('" + format + "')");
  v.mode = r.getString(plan, "", "mode", false);
  if (plan.contains("batch")) {
    v.hasBatch = true;
    const json &b = r.getObject(plan, "", "batch");
    v.tbs = r.getInt(b, "batch", "train_batch_size", 0, false);
    v.mbs = r.getInt(b, "batch", "micro_batch_size", 0, false);
    v.gas = r.getInt(b, "batch", "gradient_accumulation_steps", 0, false);
    v.dp = r.getInt(b, "batch", "dp_size", 0, false);
  }
  if (plan.contains("optimizer") && !plan["optimizer"].is_null()) {
    v.hasOptimizer = true;
    const json &o = r.getObject(plan, "", "optimizer");
    v.optimizerType = r.getString(o, "optimizer", "type", false);
    v.lr = r.getNumber(o, "optimizer", "lr", 0.0);
    v.clipping = r.getNumber(plan, "", "gradient_clipping", 0.0);
  }
  if (plan.contains("zero")) {
    v.hasZero = true;
    const json &z = r.getObject(plan, "", "zero");
    v.stage = r.getInt(z, "zero", "stage", 0, false);
    v.zeroDp = r.getInt(z, "zero", "dp_size", 1, false);
    v.flatElements = r.getInt(z, "zero", "flat_elements", 0, false);
    v.reduceBucket = r.getInt(z, "zero", "reduce_bucket_elements", 0, false);
    v.gatherBucket = r.getInt(z, "zero", "allgather_bucket_elements", 0, false);
    const json &params = r.getArray(z, "zero", "params", false);
    for (size_t i = 0; i < params.size() && r.ok(); ++i) {
      std::string where = "zero." + at("params", i);
      const json &p = r.element(params, i, where);
      ++v.params;
      v.whole += r.getBool(p, where, "whole", true) ? 1 : 0;
    }
  }
  const json &memory = r.getArray(plan, "", "memory", false);
  static const char *const kKinds[] = {"parameters",       "gradients",
                                       "optimizer_states", "activations",
                                       "workspace",        "total"};
  for (size_t i = 0; i < memory.size() && r.ok(); ++i) {
    std::string where = at("memory", i);
    const json &m = r.element(memory, i, where);
    std::vector<int64_t> row;
    for (const char *kind : kKinds)
      row.push_back(r.getInt(m, where, kind, 0, false));
    v.memory.push_back(row);
  }
  v.predictedPeak = r.getInt(plan, "", "predicted_peak_bytes", 0, false);
  v.arena = r.getInt(plan, "", "arena_bytes", 0, false);
  if (plan.contains("collectives")) {
    v.hasCollectives = true;
    const json &list = r.getArray(plan, "", "collectives");
    for (size_t i = 0; i < list.size() && r.ok(); ++i) {
      std::string where = at("collectives", i);
      const json &c = r.element(list, i, where);
      Collective entry;
      entry.seq = r.getInt(c, where, "seq", -1, false);
      entry.bytes = r.getInt(c, where, "bytes", 0, false);
      entry.micro = r.getInt(c, where, "micro", -1, false);
      entry.op = r.getString(c, where, "op", false);
      entry.group = r.getString(c, where, "group", false);
      entry.payload = r.getString(c, where, "payload", false);
      entry.phase = r.getString(c, where, "phase", false);
      entry.range = r.getArray(c, where, "range", false).dump();
      v.collectives.push_back(entry);
    }
    v.collectiveBytes =
        r.getInt(plan, "", "collective_bytes_per_step", 0, false);
  }
  const json &kernels = r.getArray(plan, "", "kernels", false);
  for (size_t i = 0; i < kernels.size() && r.ok(); ++i) {
    std::string where = at("kernels", i);
    v.kernels.push_back(
        r.getString(r.element(kernels, i, where), where, "kernel", false));
  }
}

void readLaunch(JsonReader &r, const json &launch, PlanView &v) {
  v.worldSize = r.getInt(launch, "", "world_size", 1);
  v.masterAddr = r.getString(launch, "", "master_addr", false);
  v.masterPort = r.getInt(launch, "", "master_port", 0, false);
  const json &ranks = r.getArray(launch, "", "ranks");
  for (size_t i = 0; i < ranks.size() && r.ok(); ++i) {
    std::string where = at("ranks", i);
    ++v.ranksPerHost[r.getString(r.element(ranks, i, where), where, "host")];
  }
}

void printMemory(const PlanView &v) {
  if (v.memory.empty()) {
    std::cout << "memory: predicted peak " << bytesText(v.predictedPeak)
              << " bytes (arena " << v.arena << ")\n";
    return;
  }
  std::cout << "memory per rank (bytes, predicted; the rank prints what it "
               "measured):\n";
  std::printf("  %-5s %12s %12s %12s %12s %12s %12s\n", "rank", "parameters",
              "gradients", "optimizer", "activations", "workspace", "total");
  for (size_t r = 0; r < v.memory.size(); ++r) {
    std::printf("  %-5zu", r);
    for (int64_t bytes : v.memory[r])
      std::printf(" %12lld", static_cast<long long>(bytes));
    std::printf("\n");
  }
}

void printCollectives(const PlanView &v, bool all) {
  std::map<std::string, std::pair<int64_t, int64_t>> byKind;
  for (const Collective &c : v.collectives) {
    auto &entry = byKind[c.op + " " + c.payload + " (" + c.phase + ")"];
    ++entry.first;
    entry.second += c.bytes;
  }
  std::cout << "collectives per optimizer step: " << v.collectives.size()
            << ", " << bytesText(v.collectiveBytes) << " bytes per rank\n";
  for (const auto &[kind, countBytes] : byKind)
    std::cout << "  " << countBytes.first << " x " << kind << ": "
              << countBytes.second << " bytes\n";
  if (!all)
    return;
  for (const Collective &c : v.collectives) {
    std::cout << "  #" << c.seq << " " << c.op << " " << c.group << " "
              << c.payload << " " << c.range << " " << c.bytes << " bytes, "
              << c.phase;
    if (c.micro >= 0)
      std::cout << " " << c.micro;
    std::cout << "\n";
  }
}

void printKernels(const PlanView &v, bool all) {
  std::map<std::string, int64_t> counts;
  for (const std::string &k : v.kernels)
    ++counts[k];
  std::cout << "kernels: " << v.kernels.size() << " calls per micro-step, "
            << counts.size() << " kinds\n";
  if (!all)
    return;
  for (const auto &[name, n] : counts)
    std::cout << "  " << n << " x " << name << "\n";
}

} // namespace

int main(int argc, char **argv) {
  CLI::App app{"ds-plan: shows what ds-compile decided for a job", "ds-plan"};
  std::string dir;
  bool collectives = false, kernels = false;
  app.add_option("out", dir, "ds-compile's output directory")->required();
  app.add_flag("--collectives", collectives,
               "list every collective of a step, in order");
  app.add_flag("--kernels", kernels, "count the kernel calls by kernel");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp &e) {
    return app.exit(e);
  } catch (const CLI::ParseError &e) {
    return fail(std::string(e.what()) + "; run 'ds-plan --help' for usage", 2);
  }
  PlanView view;
  for (const char *name : {"plan.json", "launch.json"}) {
    const std::string path = dir + "/" + name;
    auto root = dsc::runtime::readJsonObjectFile(path);
    if (!root)
      return fail(root.message() + " (is " + dir + " a ds-compile output?)");
    JsonReader r(path);
    if (std::string(name) == "plan.json")
      readPlan(r, *root, view);
    else
      readLaunch(r, *root, view);
    if (!r.ok())
      return fail(r.take().message());
  }

  std::cout << "plan: " << (view.mode.empty() ? "?" : view.mode) << ", "
            << view.worldSize << " rank(s) on " << view.ranksPerHost.size()
            << " host(s):";
  for (const auto &[host, n] : view.ranksPerHost)
    std::cout << " " << host << " (" << n << ")";
  std::cout << "; master " << view.masterAddr << ":" << view.masterPort << "\n";
  if (view.hasBatch)
    std::cout << "batch: train_batch_size " << view.tbs << " = micro-batch "
              << view.mbs << " x accumulation " << view.gas
              << " x data-parallel " << view.dp << "\n";
  if (view.hasOptimizer)
    std::cout << "optimizer: " << view.optimizerType << ", lr " << view.lr
              << ", gradient clipping " << view.clipping << "\n";
  if (view.hasZero)
    std::cout << "zero: stage " << view.stage << " over " << view.zeroDp
              << " rank(s); " << view.flatElements << " elements in "
              << view.params << " params (" << view.whole
              << " whole on every rank); reduce buckets of "
              << view.reduceBucket << ", all-gather buckets of "
              << view.gatherBucket << " elements\n";
  printMemory(view);
  if (view.hasCollectives)
    printCollectives(view, collectives);
  printKernels(view, kernels);
  return 0;
}
