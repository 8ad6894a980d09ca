//===- ds-run.cpp - start a compiled plan's ranks -------------------------===//
//
// ds-run [--master_addr A] [--master_port P] [--dry-run] OUT [-- rank args]:
// reads OUT/launch.json (written by ds-compile), starts every rank with
// DeepSpeed's per-rank environment (RANK, LOCAL_RANK, WORLD_SIZE,
// MASTER_ADDR, MASTER_PORT, LOCAL_SIZE, CROSS_RANK, CROSS_SIZE,
// CUDA_VISIBLE_DEVICES), waits, and when a rank fails stops the others
// (SIGTERM, then SIGKILL after a grace period) and exits with the failing
// rank's code (128 + signal for a rank killed by a signal), naming it.
// `--dry-run` prints each rank's command line with its environment instead.
// Ranks on other hosts (ssh, pdsh, mpirun, srun) are not started yet.
//
//===----------------------------------------------------------------------===//

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <utility>
#include <vector>

namespace {

int fail(const std::string &message, int code = 1) {
  std::cerr << "ds-run: error: " << message << "\n";
  return code;
}

struct Rank {
  int rank = 0;
  std::string host;
  std::string binary;
  /// NAME=value pairs the rank starts with.
  std::vector<std::pair<std::string, std::string>> env;
  pid_t pid = -1;
  bool done = false;
};

/// Starts `rank`; returns its pid or -1.
pid_t startRank(const Rank &rank, const std::string &outDir,
                const std::vector<std::string> &args) {
  pid_t pid = fork();
  if (pid != 0)
    return pid;
  for (const auto &[name, value] : rank.env)
    setenv(name.c_str(), value.c_str(), 1);
  std::string path = outDir + "/" + rank.binary;
  std::vector<char *> argv{const_cast<char *>(path.c_str())};
  for (const std::string &a : args)
    argv.push_back(const_cast<char *>(a.c_str()));
  argv.push_back(nullptr);
  execv(path.c_str(), argv.data());
  std::perror(("ds-run: cannot start " + path).c_str());
  _exit(127);
}

/// "exited with code 3", "was killed by signal 9 (Killed)".
std::string describeExit(int status) {
  if (WIFSIGNALED(status))
    return "was killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
           strsignal(WTERMSIG(status)) + ")";
  return "exited with code " + std::to_string(WEXITSTATUS(status));
}

/// Single quotes for a shell.
std::string quote(const std::string &s) {
  std::string out = "'";
  for (char c : s)
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

} // namespace

int main(int argc, char **argv) {
  // Everything after "--" goes to the ranks.
  std::vector<std::string> rankArgs;
  int ownArgc = argc;
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) == "--") {
      ownArgc = i;
      rankArgs.assign(argv + i + 1, argv + argc);
      break;
    }
  CLI::App app{"ds-run: starts the ranks of a plan compiled by ds-compile",
               "ds-run"};
  std::string outDir;
  std::string masterAddr;
  int masterPort = 0;
  bool dryRun = false;
  app.add_option("out", outDir, "ds-compile's output directory")->required();
  app.add_option("--master_addr", masterAddr,
                 "the rendezvous address (default: launch.json's)");
  app.add_option("--master_port", masterPort,
                 "the rendezvous port (default: launch.json's, 29500)")
      ->check(CLI::Range(1, 65535));
  app.add_flag("--dry-run", dryRun,
               "print each rank's command with its environment; start "
               "nothing");
  app.footer("Arguments after -- are passed to every rank (e.g. --data DIR "
             "--steps N --metrics FILE).");
  try {
    app.parse(ownArgc, argv);
  } catch (const CLI::CallForHelp &e) {
    return app.exit(e);
  } catch (const CLI::ParseError &e) {
    return fail(std::string(e.what()) + "; run 'ds-run --help' for usage", 2);
  }

  std::ifstream file(outDir + "/launch.json");
  if (!file)
    return fail(outDir + "/launch.json: cannot read (is " + outDir +
                " a ds-compile output?)");
  nlohmann::json launch = nlohmann::json::parse(file, nullptr, false);
  if (launch.is_discarded() || !launch.is_object() ||
      !launch.contains("ranks") || !launch["ranks"].is_array())
    return fail(outDir + "/launch.json: not a ds-compile launch file");
  int worldSize = launch.value("world_size", 0);
  if (masterAddr.empty())
    masterAddr = launch.value("master_addr", "127.0.0.1");
  if (masterPort == 0)
    masterPort = launch.value("master_port", 29500);
  std::vector<Rank> ranks;
  for (const nlohmann::json &r : launch["ranks"]) {
    Rank rank;
    rank.rank = r.value("rank", 0);
    rank.host = r.value("host", "localhost");
    rank.binary = r.value("binary", "bin/rank_0");
    if (rank.host != "localhost" && rank.host != "127.0.0.1")
      return fail("rank " + std::to_string(rank.rank) + " is on host '" +
                  rank.host +
                  "'; starting ranks on other hosts is not implemented yet");
    rank.env = {{"RANK", std::to_string(rank.rank)},
                {"LOCAL_RANK", std::to_string(r.value("local_rank", 0))},
                {"WORLD_SIZE", std::to_string(worldSize)},
                {"LOCAL_SIZE", std::to_string(r.value("local_size", 1))},
                {"CROSS_RANK", std::to_string(r.value("cross_rank", 0))},
                {"CROSS_SIZE", std::to_string(r.value("cross_size", 1))},
                {"MASTER_ADDR", masterAddr},
                {"MASTER_PORT", std::to_string(masterPort)},
                {"CUDA_VISIBLE_DEVICES", std::to_string(r.value("slot", 0))}};
    ranks.push_back(std::move(rank));
  }
  if (static_cast<int>(ranks.size()) != worldSize || worldSize < 1)
    return fail(outDir + "/launch.json: world_size does not match its ranks");

  if (dryRun) {
    for (const Rank &rank : ranks) {
      std::string line = "env";
      for (const auto &[name, value] : rank.env)
        line += " " + name + "=" + quote(value);
      line += " " + quote(outDir + "/" + rank.binary);
      for (const std::string &a : rankArgs)
        line += " " + quote(a);
      std::cout << line << "\n";
    }
    return 0;
  }

  for (Rank &rank : ranks) {
    rank.pid = startRank(rank, outDir, rankArgs);
    if (rank.pid < 0)
      return fail("cannot fork rank " + std::to_string(rank.rank));
  }
  // The first rank to fail brings the job down with its exit code.
  int exitCode = 0;
  size_t running = ranks.size();
  bool stopping = false;
  auto stopDeadline = std::chrono::steady_clock::now();
  while (running > 0) {
    int status = 0;
    pid_t pid = waitpid(-1, &status, stopping ? WNOHANG : 0);
    if (pid < 0)
      break;
    if (pid == 0) {
      // Ranks that ignore SIGTERM are killed after the grace period.
      if (std::chrono::steady_clock::now() > stopDeadline)
        for (Rank &r : ranks)
          if (!r.done)
            kill(r.pid, SIGKILL);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    --running;
    for (Rank &rank : ranks) {
      if (rank.pid != pid)
        continue;
      rank.done = true;
      bool failed = !WIFEXITED(status) || WEXITSTATUS(status) != 0;
      if (!failed || stopping)
        break;
      exitCode =
          WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      std::cerr << "ds-run: rank " << rank.rank << " " << describeExit(status)
                << "; stopping the other ranks\n";
      stopping = true;
      stopDeadline =
          std::chrono::steady_clock::now() + std::chrono::seconds(10);
      for (Rank &other : ranks)
        if (!other.done)
          kill(other.pid, SIGTERM);
    }
  }
  return exitCode;
}
