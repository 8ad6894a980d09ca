//===- ds-run.cpp - start a compiled plan's ranks -------------------------===//
//
// ds-run OUT [-- rank args]: reads OUT/launch.json (written by ds-compile),
// starts every rank with DeepSpeed's per-rank environment (RANK, LOCAL_RANK,
// WORLD_SIZE, MASTER_ADDR, MASTER_PORT, LOCAL_SIZE, CROSS_RANK, CROSS_SIZE),
// waits, and exits with the first failing rank's code after stopping the
// others. Ranks on other hosts (ssh, pdsh, mpirun, srun) come with the
// data-parallel milestone; this version starts local ranks.
//
//===----------------------------------------------------------------------===//

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

int fail(const std::string &message, int code = 1) {
  std::cerr << "ds-run: error: " << message << "\n";
  return code;
}

struct Rank {
  int rank;
  int localRank;
  std::string binary;
  pid_t pid = -1;
};

/// Starts `rank` with its environment; returns its pid or -1.
pid_t startRank(const Rank &rank, const std::string &outDir, int worldSize,
                const nlohmann::json &launch,
                const std::vector<std::string> &args) {
  pid_t pid = fork();
  if (pid != 0)
    return pid;
  auto set = [](const char *name, const std::string &value) {
    setenv(name, value.c_str(), 1);
  };
  set("RANK", std::to_string(rank.rank));
  set("LOCAL_RANK", std::to_string(rank.localRank));
  set("WORLD_SIZE", std::to_string(worldSize));
  set("LOCAL_SIZE", std::to_string(worldSize));
  set("CROSS_RANK", "0");
  set("CROSS_SIZE", "1");
  set("MASTER_ADDR", launch.value("master_addr", "127.0.0.1"));
  set("MASTER_PORT", std::to_string(launch.value("master_port", 29500)));
  std::string path = outDir + "/" + rank.binary;
  std::vector<char *> argv{const_cast<char *>(path.c_str())};
  for (const std::string &a : args)
    argv.push_back(const_cast<char *>(a.c_str()));
  argv.push_back(nullptr);
  execv(path.c_str(), argv.data());
  std::perror(("ds-run: cannot start " + path).c_str());
  _exit(127);
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
  app.add_option("out", outDir, "ds-compile's output directory")->required();
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
  if (launch.is_discarded() || !launch.contains("ranks"))
    return fail(outDir + "/launch.json: not a ds-compile launch file");
  int worldSize = launch.value("world_size", 0);
  std::vector<Rank> ranks;
  for (const nlohmann::json &r : launch["ranks"]) {
    std::string host = r.value("host", "localhost");
    if (host != "localhost" && host != "127.0.0.1")
      return fail("rank " + std::to_string(r.value("rank", -1)) +
                  " is on host '" + host +
                  "'; starting ranks on other hosts is not implemented yet");
    ranks.push_back({r.value("rank", 0), r.value("local_rank", 0),
                     r.value("binary", "bin/rank_0")});
  }
  if (static_cast<int>(ranks.size()) != worldSize)
    return fail(outDir + "/launch.json: world_size does not match its ranks");

  for (Rank &rank : ranks) {
    rank.pid = startRank(rank, outDir, worldSize, launch, rankArgs);
    if (rank.pid < 0)
      return fail("cannot fork rank " + std::to_string(rank.rank));
  }
  // The first rank to fail brings the job down with its exit code.
  int exitCode = 0;
  size_t running = ranks.size();
  while (running > 0) {
    int status = 0;
    pid_t pid = wait(&status);
    if (pid < 0)
      break;
    --running;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    for (Rank &rank : ranks)
      if (rank.pid == pid && code != 0 && exitCode == 0) {
        exitCode = code;
        std::cerr << "ds-run: rank " << rank.rank << " exited with code "
                  << code << "; stopping the others\n";
        for (Rank &other : ranks)
          if (other.pid != pid)
            kill(other.pid, SIGTERM);
      }
  }
  return exitCode;
}
