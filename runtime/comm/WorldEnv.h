//===- WorldEnv.h - Rank, world size and master from the env ----*- C++ -*-===//
//
// Where a rank learns its rank, the world size and the rendezvous address.
// The launchers this follows:
//
//   ds-run, deepspeed, torchrun (env://)  RANK, WORLD_SIZE, LOCAL_RANK,
//                                         LOCAL_SIZE, MASTER_ADDR, MASTER_PORT
//   mpirun (Open MPI)                     OMPI_COMM_WORLD_RANK, _SIZE,
//                                         _LOCAL_RANK, _LOCAL_SIZE
//   srun (Slurm)                          SLURM_PROCID, SLURM_NTASKS,
//                                         SLURM_LOCALID, SLURM_NTASKS_PER_NODE
//
// RANK wins when it is set; otherwise Open MPI's variables, then Slurm's;
// with none of them the process is rank 0 of 1. MASTER_ADDR and MASTER_PORT
// apply to all three (default 127.0.0.1:29500), and so do DSC_JOB_TOKEN and
// DSC_JOB_TOKEN_FILE (JobToken.h). A missing local size is the
// world size (one node); a missing local rank is the rank modulo the local
// size (ranks fill the nodes in order, as the launchers place them).
//
// Every malformed value is an error naming the variable and its value, e.g.
// "RANK=4 is not below WORLD_SIZE=4": a typo in a launcher script must not
// turn into a job that waits for ranks that will never come.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_RUNTIME_COMM_WORLDENV_H
#define DSC_RUNTIME_COMM_WORLDENV_H

#include "runtime/io/Status.h"

#include <chrono>
#include <functional>
#include <string>

namespace dsc::runtime {

struct WorldInfo {
  int rank = 0;
  int size = 1;
  int localRank = 0;
  int localSize = 1;
  std::string masterAddr = "127.0.0.1";
  int masterPort = 29500;
  /// Which variables gave rank and size: "env", "openmpi", "slurm" or
  /// "default".
  std::string source = "default";
  /// The job's secret (DSC_JOB_TOKEN or DSC_JOB_TOKEN_FILE, JobToken.h):
  /// what lets a rank into the rendezvous. Empty when none was given.
  std::string token;
  /// How long a rank may go unheard before the others stop the job
  /// (DSC_HEARTBEAT_TIMEOUT seconds, default 10; 0: no heartbeat, as when a
  /// rank is paused in a debugger; TcpStore.h). Collectives keep their own,
  /// longer timeout.
  std::chrono::milliseconds heartbeatTimeout{10000};
};

/// Looks up one environment variable; nullptr when it is unset.
using EnvLookup = std::function<const char *(const char *)>;

/// The process environment (std::getenv).
EnvLookup processEnvironment();

/// The world as the launcher described it in `env`.
Expected<WorldInfo>
worldFromEnvironment(const EnvLookup &env = processEnvironment());

} // namespace dsc::runtime

#endif // DSC_RUNTIME_COMM_WORLDENV_H
