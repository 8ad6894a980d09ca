//===- Launchers.h - The commands of each launcher --------------*- C++ -*-===//
//
// DeepSpeed's runners (launcher/runner.py, multinode_runner.py) as command
// lines: the ranks of this machine with their environment (local, and what
// every node runs under --node_rank), one ssh per node, one pdsh for all
// nodes, mpirun, srun. Building them is separate from starting them so that
// --dry-run prints exactly what would run.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_TOOLS_DS_RUN_LAUNCHERS_H
#define DSC_TOOLS_DS_RUN_LAUNCHERS_H

#include "tools/ds-run/Command.h"
#include "tools/ds-run/LaunchPlan.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <optional>
#include <string>
#include <vector>

namespace dsc::run {

enum class LauncherKind { Local, Ssh, Pdsh, OpenMpi, Slurm };

/// "local", "ssh", "pdsh", "openmpi", "slurm".
llvm::StringRef launcherName(LauncherKind kind);
std::optional<LauncherKind> parseLauncher(llvm::StringRef name);
/// The program a launcher runs ("ssh", "pdsh", "mpirun", "srun"); empty for
/// local.
llvm::StringRef launcherProgram(LauncherKind kind);

/// DeepSpeed's choice: one node, or only this machine's names, runs
/// locally; several nodes use pdsh when it is installed, else ssh.
LauncherKind defaultLauncher(const topology::World &world, bool pdshOnPath);

/// What every launcher's commands share.
struct LaunchSettings {
  std::string masterAddr;
  int masterPort = topology::kDefaultMasterPort;
  /// --launcher_args, split.
  std::vector<std::string> launcherArgs;
  /// After `--`: passed to every rank.
  std::vector<std::string> rankArgs;
  /// ds-run itself and the working directory, both absolute: ssh and pdsh
  /// run `cd <workDir> && <dsRun> --node_rank K ...` on each node.
  std::string dsRun;
  std::string workDir;
  /// The job token every rank gets (JobToken.h): ds-run's DSC_JOB_TOKEN when
  /// it has one (a node's ds-run started by ssh or pdsh), else one drawn for
  /// this job. When ds-run has DSC_JOB_TOKEN_FILE instead, `tokenFile` is
  /// that file and the ranks get its name, not the token.
  std::string token;
  std::string tokenFile;
};

/// The variable and value that give a rank the job's token.
std::pair<std::string, std::string> tokenVariable(const LaunchSettings &s);

/// The ranks of node `nodeRank` (every rank when nullopt), started here with
/// RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_SIZE, CROSS_RANK, CROSS_SIZE,
/// MASTER_ADDR, MASTER_PORT, CUDA_VISIBLE_DEVICES (the node's slots) and
/// the job token (tokenVariable).
std::vector<Command> localRankCommands(const LaunchPlan &plan,
                                       const LaunchSettings &settings,
                                       std::optional<int> nodeRank);

/// One `ssh -n [launcher_args] HOST 'cd DIR && ds-run --node_rank K ...'`
/// per node.
std::vector<Command> sshCommands(const LaunchPlan &plan,
                                 const LaunchSettings &settings);

/// `pdsh -S -f 1024 -w HOSTS [launcher_args] 'cd DIR && ds-run --node_host
/// %h ...'` (pdsh puts each host's name for %h), with PDSH_RCMD_TYPE=ssh.
Command pdshCommand(const LaunchPlan &plan, const LaunchSettings &settings);

struct OpenMpiLaunch {
  /// `host slots=n` lines, written to hostfilePath before mpirun starts.
  std::string hostfilePath;
  std::string hostfileText;
  Command command;
};

/// `mpirun -n WORLD --hostfile OUT/openmpi.hostfile --map-by slot --bind-to
/// none [launcher_args] -x MASTER_ADDR=A -x MASTER_PORT=P -x
/// CUDA_VISIBLE_DEVICES=S PROGRAM ARGS`. Errors when the ranks run different
/// programs or the nodes use different slots (one -x value for all).
llvm::Expected<OpenMpiLaunch> openMpiLaunch(const LaunchPlan &plan,
                                            const LaunchSettings &settings);

/// `srun -n WORLD --nodes N --ntasks-per-node L --nodelist HOSTS
/// --distribution block [launcher_args] --export=ALL,MASTER_ADDR=A,
/// MASTER_PORT=P PROGRAM ARGS`. Errors when the ranks run different
/// programs, the nodes have different rank counts, or a node's slots are not
/// 0..L-1 (Slurm assigns the devices).
llvm::Expected<Command> slurmCommand(const LaunchPlan &plan,
                                     const LaunchSettings &settings);

} // namespace dsc::run

#endif // DSC_TOOLS_DS_RUN_LAUNCHERS_H
