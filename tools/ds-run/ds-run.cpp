//===- ds-run.cpp - start a compiled plan's ranks -------------------------===//
//
// ds-run [--hostfile F] [--include S | --exclude S] [--num_nodes N]
//        [--num_gpus G] [--master_addr A] [--master_port P]
//        [--launcher local|ssh|pdsh|openmpi|slurm] [--launcher_args "..."]
//        [--node_rank K | --node_host H] [--dry-run] OUT [-- rank args]
//
// DeepSpeed's launcher for a plan compiled by ds-compile: the world comes
// from OUT/launch.json (resource flags given here must select the same one),
// each rank gets DeepSpeed's environment, and the first process to fail
// brings the job down with its exit code. Several nodes are started with
// ssh or pdsh (each node runs `ds-run --node_rank K`, which starts that
// node's ranks, like DeepSpeed's launch.py), mpirun or srun. Every failure
// before the start is one "ds-run: error:" line: exit code 2 for usage, 1
// otherwise. --dry-run prints the commands instead of running them.
//
//===----------------------------------------------------------------------===//

#include "tools/ds-run/LaunchPlan.h"
#include "tools/ds-run/Launchers.h"
#include "tools/ds-run/Preflight.h"
#include "tools/ds-run/ProcessGroup.h"

#include "runtime/comm/JobToken.h"
#include "runtime/comm/RendezvousSocket.h"
#include "runtime/io/RankOptions.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"

#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

using namespace dsc::run;
namespace topology = dsc::topology;

namespace {

int fail(const std::string &message, int code = 1) {
  std::cerr << "ds-run: error: " << message << "\n";
  return code;
}

int fail(llvm::Error error) { return fail(llvm::toString(std::move(error))); }

/// The command line, as parsed.
struct Options {
  std::string outDir;
  std::optional<std::string> hostfile;
  topology::ResourceRequest resources;
  std::optional<std::string> masterAddr;
  std::optional<int> masterPort;
  std::optional<std::string> launcher;
  std::string launcherArgs;
  std::optional<int> nodeRank;
  std::optional<std::string> nodeHost;
  bool dryRun = false;
  std::vector<std::string> rankArgs;

  bool selectsResources() const {
    return hostfile || !resources.include.empty() ||
           !resources.exclude.empty() || resources.numNodes ||
           resources.numGpus;
  }
  bool nodeMode() const { return nodeRank || nodeHost; }
};

void addOptions(CLI::App &app, Options &options) {
  app.add_option("out", options.outDir, "ds-compile's output directory")
      ->required();
  app.add_option("--hostfile", options.hostfile,
                 "DeepSpeed hostfile; with the flags below it must select "
                 "the world OUT was compiled for");
  app.add_option("--include", options.resources.include,
                 "use only these hosts/slots: host[:slot[,slot]]@host...");
  app.add_option("--exclude", options.resources.exclude,
                 "use all but these hosts/slots: host[:slot[,slot]]@host...");
  app.add_option("--num_nodes", options.resources.numNodes,
                 "use the first N hosts");
  app.add_option("--num_gpus", options.resources.numGpus,
                 "use slots 0..N-1 of every host");
  app.add_option("--master_addr", options.masterAddr,
                 "the rendezvous address (default: launch.json's)");
  app.add_option("--master_port", options.masterPort,
                 "the rendezvous port (default: launch.json's, 29500); 0: a "
                 "free port ds-run picks and hands to rank 0 (every rank on "
                 "this host)")
      ->check(CLI::Range(0, 65535));
  app.add_option("--launcher", options.launcher,
                 "how to start the ranks (default: local for one node or "
                 "this machine only, else pdsh when installed, else ssh)")
      ->check(CLI::IsMember({"local", "ssh", "pdsh", "openmpi", "slurm"}));
  app.add_option("--launcher_args", options.launcherArgs,
                 "extra arguments for ssh, pdsh, mpirun or srun");
  CLI::Option *nodeRank =
      app.add_option("--node_rank", options.nodeRank,
                     "start only this node's ranks, here (what ssh runs on "
                     "each node)")
          ->check(CLI::NonNegativeNumber);
  app.add_option("--node_host", options.nodeHost,
                 "start only the ranks of this launch.json host, here (what "
                 "pdsh runs on each node)")
      ->excludes(nodeRank);
  app.add_flag("--dry-run", options.dryRun,
               "print the commands that would run; start nothing");
  app.footer("Arguments after -- are passed to every rank (e.g. --data DIR "
             "--steps N --metrics FILE).");
}

/// The node --node_rank or --node_host names.
llvm::Expected<int> selectedNode(const Options &options,
                                 const topology::World &world) {
  auto error = [](const std::string &message) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
  };
  std::string hosts;
  for (const topology::HostSlots &node : world.nodes)
    hosts += (hosts.empty() ? "" : ", ") + node.host;
  if (options.nodeRank) {
    if (*options.nodeRank >= world.numNodes())
      return error("--node_rank " + std::to_string(*options.nodeRank) + ": " +
                   options.outDir + " has " + std::to_string(world.numNodes()) +
                   " node(s) (" + hosts + ")");
    return *options.nodeRank;
  }
  auto it = llvm::find_if(world.nodes, [&](const topology::HostSlots &node) {
    return node.host == *options.nodeHost;
  });
  if (it == world.nodes.end())
    return error("--node_host " + *options.nodeHost + ": not a host of " +
                 options.outDir + " (" + hosts + ")");
  return static_cast<int>(it - world.nodes.begin());
}

/// The settings every launcher's commands share.
llvm::Expected<LaunchSettings> makeSettings(const Options &options,
                                            const LaunchPlan &plan,
                                            const char *argv0) {
  LaunchSettings settings;
  settings.masterAddr = options.masterAddr.value_or(plan.world.masterAddr);
  settings.masterPort = options.masterPort.value_or(plan.world.masterPort);
  settings.launcherArgs = splitShellWords(options.launcherArgs);
  settings.rankArgs = options.rankArgs;
  static int anchor;
  settings.dsRun = llvm::sys::fs::getMainExecutable(argv0, &anchor);
  llvm::SmallString<256> cwd;
  if (std::error_code ec = llvm::sys::fs::current_path(cwd))
    return llvm::createStringError(ec, "cannot read the working directory");
  settings.workDir = std::string(cwd);
  // The job's token (runtime/comm/JobToken.h): handed on when ds-run has
  // one (a node's ds-run, or the user's), else drawn for this job. A dry
  // run shows where it goes, not a token.
  dsc::runtime::Expected<dsc::runtime::JobTokenVariables> vars =
      dsc::runtime::jobTokenVariables(
          [](const char *name) { return std::getenv(name); });
  if (!vars)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   vars.message());
  const char *token = vars->token, *tokenFile = vars->file;
  if (tokenFile) {
    settings.tokenFile = tokenFile;
  } else if (token) {
    settings.token = token;
  } else if (options.dryRun) {
    settings.token = "DRAWN_AT_LAUNCH"; // too short to be accepted
  } else {
    dsc::runtime::Expected<std::string> bytes = dsc::runtime::randomBytes(32);
    if (!bytes)
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "cannot draw the job token: " +
                                         bytes.message());
    settings.token = dsc::runtime::toHex(*bytes);
  }
  return settings;
}

/// What ds-run is about to start: the commands, and for openmpi the
/// hostfile to write first.
struct Launch {
  std::vector<Command> commands;
  std::string others = "ranks";
  std::optional<OpenMpiLaunch> openMpi;
};

llvm::Expected<Launch> buildLaunch(LauncherKind kind, const LaunchPlan &plan,
                                   const LaunchSettings &settings,
                                   std::optional<int> node) {
  Launch launch;
  switch (kind) {
  case LauncherKind::Local:
    launch.commands = localRankCommands(plan, settings, node);
    break;
  case LauncherKind::Ssh:
    launch.commands = sshCommands(plan, settings);
    launch.others = "nodes";
    break;
  case LauncherKind::Pdsh:
    launch.commands = {pdshCommand(plan, settings)};
    break;
  case LauncherKind::OpenMpi: {
    llvm::Expected<OpenMpiLaunch> openMpi = openMpiLaunch(plan, settings);
    if (!openMpi)
      return openMpi.takeError();
    launch.commands = {openMpi->command};
    launch.openMpi = std::move(*openMpi);
    break;
  }
  case LauncherKind::Slurm: {
    llvm::Expected<Command> srun = slurmCommand(plan, settings);
    if (!srun)
      return srun.takeError();
    launch.commands = {std::move(*srun)};
    break;
  }
  }
  return launch;
}

int printDryRun(const Launch &launch) {
  if (launch.openMpi) {
    llvm::SmallVector<llvm::StringRef, 8> lines;
    llvm::StringRef(launch.openMpi->hostfileText)
        .split(lines, '\n', /*MaxSplit=*/-1, /*KeepEmpty=*/false);
    std::cout << "# " << launch.openMpi->hostfilePath
              << " (written at launch): " << llvm::join(lines, "; ") << "\n";
  }
  for (const Command &command : launch.commands)
    std::cout << command.toShell() << "\n";
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  // A closed stderr (ds-run ... 2>&1 | head) must not end the launcher while
  // the ranks go on; the ranks get the default back (ProcessGroup.cpp).
  signal(SIGPIPE, SIG_IGN);
  Options options;
  // Everything after "--" goes to the ranks.
  int ownArgc = argc;
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) == "--") {
      ownArgc = i;
      options.rankArgs.assign(argv + i + 1, argv + argc);
      break;
    }
  CLI::App app{"ds-run: starts the ranks of a plan compiled by ds-compile",
               "ds-run"};
  addOptions(app, options);
  try {
    app.parse(ownArgc, argv);
  } catch (const CLI::CallForHelp &e) {
    return app.exit(e);
  } catch (const CLI::ParseError &e) {
    // The rank's options given to ds-run itself: say where they go.
    for (int i = 1; i < ownArgc; ++i) {
      llvm::StringRef arg = llvm::StringRef(argv[i]).split('=').first;
      if (ownArgc == argc && arg != "--help" &&
          llvm::is_contained(dsc::runtime::kRankOptionNames, arg))
        return fail(std::string(e.what()) + "; " + arg.str() +
                        " is the rank's option: put the rank's options "
                        "after '--', as in 'ds-run OUT -- --data DIR "
                        "--steps N'",
                    2);
    }
    return fail(std::string(e.what()) + "; run 'ds-run --help' for usage", 2);
  }

  llvm::Expected<LaunchPlan> plan = readLaunchPlan(options.outDir);
  if (!plan)
    return fail(plan.takeError());
  const topology::World &world = plan->world;
  if (options.selectsResources())
    if (llvm::Error error = checkLaunchResources(
            *plan, options.outDir, options.hostfile, options.resources))
      return fail(std::move(error));

  std::optional<int> node;
  if (options.nodeMode()) {
    if (options.launcher && *options.launcher != "local")
      return fail("--node_rank and --node_host start this node's ranks "
                  "here; they do not combine with --launcher " +
                      *options.launcher,
                  2);
    llvm::Expected<int> selected = selectedNode(options, world);
    if (!selected)
      return fail(selected.takeError());
    node = *selected;
  }
  LauncherKind kind = options.launcher
                          ? *parseLauncher(*options.launcher)
                          : (node ? LauncherKind::Local
                                  : defaultLauncher(world, isOnPath("pdsh")));
  if (kind == LauncherKind::Local && !options.launcherArgs.empty())
    return fail("--launcher_args is for the ssh, pdsh, openmpi and slurm "
                "launchers; these ranks start locally",
                2);
  // Local is right exactly where it would be the default.
  if (kind == LauncherKind::Local && !node &&
      defaultLauncher(world, false) != LauncherKind::Local)
    return fail("--launcher local starts ranks on this machine, but " +
                options.outDir + "'s ranks are on " +
                std::to_string(world.numNodes()) +
                " hosts; use --launcher ssh, pdsh, openmpi or slurm, or run "
                "ds-run --node_rank K on each node");

  llvm::Expected<LaunchSettings> settings =
      makeSettings(options, *plan, argv[0]);
  if (!settings)
    return fail(settings.takeError());
  // --master_port 0: a port the kernel picks, held open from the pick to
  // rank 0, so that no other job can take it in between.
  std::optional<dsc::runtime::ListeningSocket> handed;
  if (settings->masterPort == 0 && !options.dryRun) {
    if (kind != LauncherKind::Local || (node && world.numNodes() > 1))
      return fail("--master_port 0 (a free port picked at launch) needs "
                  "every rank on this host, started by this ds-run; the "
                  "ranks of other nodes must know the port in advance: give "
                  "one",
                  2);
    const char *all = std::getenv("DSC_RENDEZVOUS_ALL_INTERFACES");
    dsc::runtime::Expected<dsc::runtime::ListeningSocket> socket =
        dsc::runtime::listenForRendezvous("ds-run", settings->masterAddr, 0,
                                          all && std::string(all) == "1");
    if (!socket)
      return fail(socket.message());
    settings->masterPort = socket->port;
    handed = *socket;
  }
  llvm::Expected<Launch> launch = buildLaunch(kind, *plan, *settings, node);
  if (!launch)
    return fail(launch.takeError());
  if (handed) {
    auto rank0 = llvm::find_if(launch->commands, [](const Command &c) {
      return llvm::is_contained(
          c.env, std::pair<std::string, std::string>("RANK", "0"));
    });
    if (rank0 == launch->commands.end())
      return fail("--master_port 0: rank 0 is not started here");
    rank0->inheritFd = handed->fd;
    rank0->env.push_back(
        {dsc::runtime::kRendezvousFdVariable, std::to_string(handed->fd)});
  }

  // Checks that need no network: the launcher's program must be installed;
  // every host it reaches and the master must resolve. A dry run only warns
  // about names (it may be prepared elsewhere) and needs no program.
  if (kind != LauncherKind::Local && !options.dryRun)
    if (llvm::Error error =
            checkLauncherProgram(launcherName(kind), launcherProgram(kind)))
      return fail(std::move(error));
  std::vector<std::string> hosts = {settings->masterAddr};
  if (kind != LauncherKind::Local)
    for (const topology::HostSlots &hostSlots : world.nodes)
      hosts.push_back(hostSlots.host);
  std::vector<std::string> unresolved = unresolvableHosts(hosts);
  for (const std::string &message : unresolved)
    std::cerr << "ds-run: " << (options.dryRun ? "warning: " : "error: ")
              << message << "\n";
  if (options.dryRun) {
    if (settings->masterPort == 0)
      std::cout << "# --master_port 0: ds-run picks a free port when the job "
                   "starts and hands its socket to rank 0\n";
    return printDryRun(*launch);
  }
  if (!unresolved.empty())
    return 1;

  // Local ranks' executables must be there (a partial copy of OUT would
  // otherwise show up as exit code 127 of a rank).
  if (kind == LauncherKind::Local)
    for (const Command &command : launch->commands)
      if (!llvm::sys::fs::can_execute(command.argv[0]))
        return fail(command.argv[0] + ": " +
                    (llvm::sys::fs::exists(command.argv[0]) ? "not executable"
                                                            : "missing") +
                    " (is " + options.outDir +
                    " a complete ds-compile output?)");

  if (launch->openMpi) {
    std::ofstream file(launch->openMpi->hostfilePath);
    file << launch->openMpi->hostfileText;
    if (!file.flush())
      return fail(launch->openMpi->hostfilePath + ": cannot write mpirun's "
                                                  "hostfile");
  }
  return runFailFast(launch->commands, launch->others,
                     /*forwardReports=*/options.nodeMode());
}
