//===- Launchers.cpp - The commands of each launcher ----------------------===//

#include "tools/ds-run/Launchers.h"

#include "runtime/comm/JobToken.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/FileSystem.h"

using namespace llvm;

namespace dsc::run {
namespace {

/// pdsh's fan-out, as DeepSpeed's PDSH_MAX_FAN_OUT.
constexpr int kPdshFanOut = 1024;

Error makeError(const Twine &message) {
  return createStringError(inconvertibleErrorCode(), message);
}

std::string joinHosts(const topology::World &world) {
  std::string hosts;
  for (const topology::HostSlots &node : world.nodes)
    hosts += (hosts.empty() ? "" : ",") + node.host;
  return hosts;
}

/// The remote command of ssh and pdsh: this ds-run, on the node, starting
/// the node's ranks (`select` is --node_rank K or --node_host %h), with the
/// job token in its environment (the node's ds-run hands it on).
std::string nodeCommand(const LaunchPlan &plan, const LaunchSettings &settings,
                        StringRef selectFlag, StringRef selectValue) {
  auto [tokenName, tokenValue] = tokenVariable(settings);
  std::vector<std::string> words = {"env",
                                    tokenName + "=" + tokenValue,
                                    settings.dsRun,
                                    selectFlag.str(),
                                    selectValue.str(),
                                    "--master_addr",
                                    settings.masterAddr,
                                    "--master_port",
                                    std::to_string(settings.masterPort),
                                    plan.outDir};
  if (!settings.rankArgs.empty()) {
    words.push_back("--");
    llvm::append_range(words, settings.rankArgs);
  }
  return "cd " + shellWord(settings.workDir) + " && " + shellWords(words);
}

/// The one program mpirun and srun start on every rank: every rank's binary
/// must be that file (bin/rank_<r> are links to one program today).
Expected<std::string> commonProgram(const LaunchPlan &plan,
                                    LauncherKind launcher) {
  std::string first = plan.binaryPath(0);
  for (int rank = 1; rank < plan.world.worldSize(); ++rank) {
    bool same = false;
    if (std::error_code ec =
            sys::fs::equivalent(first, plan.binaryPath(rank), same))
      return makeError(plan.binaryPath(rank) + ": " + ec.message());
    if (!same)
      return makeError("--launcher " + launcherName(launcher) +
                       " starts one program on every rank, but rank " +
                       Twine(rank) + " runs " + plan.binaries[rank] +
                       ", which is not rank 0's " + plan.binaries[0] +
                       "; use --launcher ssh or pdsh");
  }
  return first;
}

} // namespace

StringRef launcherName(LauncherKind kind) {
  switch (kind) {
  case LauncherKind::Local:
    return "local";
  case LauncherKind::Ssh:
    return "ssh";
  case LauncherKind::Pdsh:
    return "pdsh";
  case LauncherKind::OpenMpi:
    return "openmpi";
  case LauncherKind::Slurm:
    return "slurm";
  }
  llvm_unreachable("unknown launcher");
}

std::optional<LauncherKind> parseLauncher(StringRef name) {
  for (LauncherKind kind :
       {LauncherKind::Local, LauncherKind::Ssh, LauncherKind::Pdsh,
        LauncherKind::OpenMpi, LauncherKind::Slurm})
    if (launcherName(kind) == name)
      return kind;
  return std::nullopt;
}

StringRef launcherProgram(LauncherKind kind) {
  switch (kind) {
  case LauncherKind::Local:
    return "";
  case LauncherKind::Ssh:
    return "ssh";
  case LauncherKind::Pdsh:
    return "pdsh";
  case LauncherKind::OpenMpi:
    return "mpirun";
  case LauncherKind::Slurm:
    return "srun";
  }
  llvm_unreachable("unknown launcher");
}

LauncherKind defaultLauncher(const topology::World &world, bool pdshOnPath) {
  bool local = world.numNodes() == 1 ||
               llvm::all_of(world.nodes, [](const topology::HostSlots &node) {
                 return isLocalHost(node.host);
               });
  if (local)
    return LauncherKind::Local;
  return pdshOnPath ? LauncherKind::Pdsh : LauncherKind::Ssh;
}

std::pair<std::string, std::string> tokenVariable(const LaunchSettings &s) {
  if (!s.tokenFile.empty())
    return {runtime::kJobTokenFileVariable, s.tokenFile};
  return {runtime::kJobTokenVariable, s.token};
}

std::vector<Command> localRankCommands(const LaunchPlan &plan,
                                       const LaunchSettings &settings,
                                       std::optional<int> nodeRank) {
  const topology::World &world = plan.world;
  std::vector<Command> commands;
  for (const topology::RankInfo &rank : world.ranks) {
    if (nodeRank && rank.nodeRank != *nodeRank)
      continue;
    Command command;
    command.label = "rank " + std::to_string(rank.globalRank);
    command.env = {
        {"RANK", std::to_string(rank.globalRank)},
        {"LOCAL_RANK", std::to_string(rank.localRank)},
        {"WORLD_SIZE", std::to_string(world.worldSize())},
        {"LOCAL_SIZE", std::to_string(rank.localSize)},
        {"CROSS_RANK", std::to_string(rank.nodeRank)},
        {"CROSS_SIZE", std::to_string(rank.numNodes)},
        {"MASTER_ADDR", settings.masterAddr},
        {"MASTER_PORT", std::to_string(settings.masterPort)},
        {"CUDA_VISIBLE_DEVICES", world.visibleDevices(rank.nodeRank)},
        tokenVariable(settings)};
    command.argv = {plan.binaryPath(rank.globalRank)};
    llvm::append_range(command.argv, settings.rankArgs);
    commands.push_back(std::move(command));
  }
  return commands;
}

std::vector<Command> sshCommands(const LaunchPlan &plan,
                                 const LaunchSettings &settings) {
  std::vector<Command> commands;
  for (auto [nodeRank, node] : llvm::enumerate(plan.world.nodes)) {
    Command command;
    command.label = "node " + std::to_string(nodeRank) + " (" + node.host + ")";
    // -n: the sessions run side by side and must not compete for this
    // terminal's input.
    command.argv = {"ssh", "-n"};
    llvm::append_range(command.argv, settings.launcherArgs);
    command.argv.push_back(node.host);
    command.argv.push_back(
        nodeCommand(plan, settings, "--node_rank", std::to_string(nodeRank)));
    commands.push_back(std::move(command));
  }
  return commands;
}

Command pdshCommand(const LaunchPlan &plan, const LaunchSettings &settings) {
  Command command;
  command.label = "pdsh";
  command.env = {{"PDSH_RCMD_TYPE", "ssh"}};
  command.argv = {"pdsh", "-S",
                  "-f",   std::to_string(kPdshFanOut),
                  "-w",   joinHosts(plan.world)};
  llvm::append_range(command.argv, settings.launcherArgs);
  command.argv.push_back(nodeCommand(plan, settings, "--node_host", "%h"));
  return command;
}

Expected<OpenMpiLaunch> openMpiLaunch(const LaunchPlan &plan,
                                      const LaunchSettings &settings) {
  const topology::World &world = plan.world;
  Expected<std::string> program = commonProgram(plan, LauncherKind::OpenMpi);
  if (!program)
    return program.takeError();
  std::string devices = world.visibleDevices(0);
  for (int node = 1; node < world.numNodes(); ++node)
    if (world.visibleDevices(node) != devices)
      return makeError("--launcher openmpi gives every node one "
                       "CUDA_VISIBLE_DEVICES, but " +
                       world.nodes[0].host + " uses slots " + devices +
                       " and " + world.nodes[node].host + " uses slots " +
                       world.visibleDevices(node) +
                       "; use --launcher ssh or pdsh");
  OpenMpiLaunch launch;
  launch.hostfilePath = plan.outDir + "/openmpi.hostfile";
  for (const topology::HostSlots &node : world.nodes)
    launch.hostfileText +=
        node.host + " slots=" + std::to_string(node.slots.size()) + "\n";
  Command &command = launch.command;
  command.label = "mpirun";
  // By-slot mapping fills each host's slots in hostfile order: the same
  // global and local ranks as the compiled world.
  command.argv = {"mpirun",
                  "-n",
                  std::to_string(world.worldSize()),
                  "--hostfile",
                  launch.hostfilePath,
                  "--map-by",
                  "slot",
                  "--bind-to",
                  "none"};
  llvm::append_range(command.argv, settings.launcherArgs);
  // The token goes as a variable of mpirun's environment that -x forwards
  // by name: it never appears on a command line.
  command.env = {tokenVariable(settings)};
  for (const std::string &var :
       {"MASTER_ADDR=" + settings.masterAddr,
        "MASTER_PORT=" + std::to_string(settings.masterPort),
        "CUDA_VISIBLE_DEVICES=" + devices, command.env[0].first}) {
    command.argv.push_back("-x");
    command.argv.push_back(var);
  }
  command.argv.push_back(*program);
  llvm::append_range(command.argv, settings.rankArgs);
  return launch;
}

Expected<Command> slurmCommand(const LaunchPlan &plan,
                               const LaunchSettings &settings) {
  const topology::World &world = plan.world;
  Expected<std::string> program = commonProgram(plan, LauncherKind::Slurm);
  if (!program)
    return program.takeError();
  size_t perNode = world.nodes[0].slots.size();
  for (const topology::HostSlots &node : world.nodes) {
    if (node.slots.size() != perNode)
      return makeError(
          "--launcher slurm starts the same number of ranks on "
          "every node, but " +
          world.nodes[0].host + " has " + Twine(perNode) + " and " + node.host +
          " has " + Twine(node.slots.size()) + "; use --launcher ssh or pdsh");
    for (auto [index, slot] : llvm::enumerate(node.slots))
      if (slot != static_cast<int>(index))
        return makeError(
            "--launcher slurm lets Slurm assign each node's devices, but " +
            node.host + " uses slots " +
            world.visibleDevices(&node - world.nodes.data()) +
            "; select slots 0.." + Twine(perNode - 1) +
            " (--num_gpus) or use --launcher ssh or pdsh");
  }
  Command command;
  command.label = "srun";
  // --export=ALL hands srun's environment, the token with it, to the ranks.
  command.env = {tokenVariable(settings)};
  command.argv = {"srun",
                  "-n",
                  std::to_string(world.worldSize()),
                  "--nodes",
                  std::to_string(world.numNodes()),
                  "--ntasks-per-node",
                  std::to_string(perNode),
                  "--nodelist",
                  joinHosts(world),
                  "--distribution",
                  "block"};
  llvm::append_range(command.argv, settings.launcherArgs);
  command.argv.push_back("--export=ALL,MASTER_ADDR=" + settings.masterAddr +
                         ",MASTER_PORT=" + std::to_string(settings.masterPort));
  command.argv.push_back(*program);
  llvm::append_range(command.argv, settings.rankArgs);
  return command;
}

} // namespace dsc::run
