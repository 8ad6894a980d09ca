//===- ds-plan.cpp - inspect a compiled plan ------------------------------===//
//
//   ds-plan OUT [--collectives] [--kernels]
//
// Reads OUT/plan.json and OUT/launch.json (written by ds-compile) and prints
// what the compiler decided: the world and its hosts, the batch split, the
// ZeRO layout, every rank's memory by kind, the collective volume of a step
// (with --collectives the whole ordered list), the kernel mix (with
// --kernels every call site). Everything comes from the files; nothing is
// recomputed. A missing or malformed file is one "ds-plan: error:" line and
// exit code 1.
//
//===----------------------------------------------------------------------===//

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <string>

using nlohmann::json;

namespace {

int fail(const std::string &message, int code = 1) {
  std::cerr << "ds-plan: error: " << message << "\n";
  return code;
}

/// The JSON of `path`, or a message saying why not.
std::string readJson(const std::string &path, json &out) {
  std::ifstream in(path);
  if (!in)
    return path + ": cannot read (is the directory a ds-compile output?)";
  out = json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (out.is_discarded() || !out.is_object())
    return path + ": not valid JSON";
  return "";
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

void printMemory(const json &plan) {
  const json &memory = plan.value("memory", json::array());
  if (memory.empty()) {
    std::cout << "memory: predicted peak "
              << bytesText(plan.value("predicted_peak_bytes", int64_t(0)))
              << " bytes (arena " << plan.value("arena_bytes", int64_t(0))
              << ")\n";
    return;
  }
  std::cout << "memory per rank (bytes, predicted; the rank prints what it "
               "measured):\n";
  std::printf("  %-5s %12s %12s %12s %12s %12s %12s\n", "rank", "parameters",
              "gradients", "optimizer", "activations", "workspace", "total");
  for (size_t r = 0; r < memory.size(); ++r) {
    const json &m = memory[r];
    std::printf("  %-5zu %12lld %12lld %12lld %12lld %12lld %12lld\n", r,
                static_cast<long long>(m.value("parameters", int64_t(0))),
                static_cast<long long>(m.value("gradients", int64_t(0))),
                static_cast<long long>(m.value("optimizer_states", int64_t(0))),
                static_cast<long long>(m.value("activations", int64_t(0))),
                static_cast<long long>(m.value("workspace", int64_t(0))),
                static_cast<long long>(m.value("total", int64_t(0))));
  }
}

void printCollectives(const json &plan, bool all) {
  const json &list = plan.value("collectives", json::array());
  std::map<std::string, std::pair<int64_t, int64_t>> byKind;
  for (const json &c : list) {
    auto &entry = byKind[c.value("op", "?") + " " + c.value("payload", "?") +
                         " (" + c.value("phase", "?") + ")"];
    ++entry.first;
    entry.second += c.value("bytes", int64_t(0));
  }
  std::cout << "collectives per optimizer step: " << list.size() << ", "
            << bytesText(plan.value("collective_bytes_per_step", int64_t(0)))
            << " bytes per rank\n";
  for (const auto &[kind, countBytes] : byKind)
    std::cout << "  " << countBytes.first << " x " << kind << ": "
              << countBytes.second << " bytes\n";
  if (!all)
    return;
  for (const json &c : list) {
    std::cout << "  #" << c.value("seq", -1) << " " << c.value("op", "?") << " "
              << c.value("group", "?") << " " << c.value("payload", "?") << " "
              << c.value("range", json::array()).dump() << " "
              << c.value("bytes", int64_t(0)) << " bytes, "
              << c.value("phase", "?");
    if (c.value("micro", -1) >= 0)
      std::cout << " " << c.value("micro", -1);
    std::cout << "\n";
  }
}

void printKernels(const json &plan, bool all) {
  const json &kernels = plan.value("kernels", json::array());
  std::map<std::string, int64_t> counts;
  for (const json &k : kernels)
    ++counts[k.value("kernel", "?")];
  std::cout << "kernels: " << kernels.size() << " calls per micro-step, "
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
  json plan, launch;
  if (std::string err = readJson(dir + "/plan.json", plan); !err.empty())
    return fail(err);
  if (std::string err = readJson(dir + "/launch.json", launch); !err.empty())
    return fail(err);
  if (plan.value("format", "") != "ds-compile plan 1")
    return fail(dir + "/plan.json: not a ds-compile plan (format '" +
                plan.value("format", "") + "')");

  int64_t world = launch.value("world_size", int64_t(1));
  std::map<std::string, int64_t> perHost;
  for (const json &r : launch.value("ranks", json::array()))
    ++perHost[r.value("host", "?")];
  std::cout << "plan: " << plan.value("mode", "?") << ", " << world
            << " rank(s) on " << perHost.size() << " host(s):";
  for (const auto &[host, n] : perHost)
    std::cout << " " << host << " (" << n << ")";
  std::cout << "; master " << launch.value("master_addr", "?") << ":"
            << launch.value("master_port", 0) << "\n";
  if (plan.contains("batch")) {
    const json &b = plan["batch"];
    std::cout << "batch: train_batch_size " << b.value("train_batch_size", 0)
              << " = micro-batch " << b.value("micro_batch_size", 0)
              << " x accumulation " << b.value("gradient_accumulation_steps", 0)
              << " x data-parallel " << b.value("dp_size", 0) << "\n";
  }
  if (plan.contains("optimizer") && plan["optimizer"].is_object())
    std::cout << "optimizer: " << plan["optimizer"].value("type", "?")
              << ", lr " << plan["optimizer"].value("lr", 0.0)
              << ", gradient clipping " << plan.value("gradient_clipping", 0.0)
              << "\n";
  if (plan.contains("zero")) {
    const json &z = plan["zero"];
    int64_t whole = 0, params = 0;
    for (const json &p : z.value("params", json::array())) {
      ++params;
      whole += p.value("whole", true) ? 1 : 0;
    }
    std::cout << "zero: stage " << z.value("stage", 0) << " over "
              << z.value("dp_size", 1) << " rank(s); "
              << z.value("flat_elements", int64_t(0)) << " elements in "
              << params << " params (" << whole
              << " whole on every rank); reduce buckets of "
              << z.value("reduce_bucket_elements", int64_t(0))
              << ", all-gather buckets of "
              << z.value("allgather_bucket_elements", int64_t(0))
              << " elements\n";
  }
  printMemory(plan);
  if (plan.contains("collectives"))
    printCollectives(plan, collectives);
  printKernels(plan, kernels);
  return 0;
}
