//===- WorldEnv.cpp - Rank, world size and master from the env ------------===//

#include "runtime/comm/WorldEnv.h"

#include "runtime/comm/JobToken.h"
#include "runtime/io/FileUtil.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>

namespace dsc::runtime {
namespace {

/// The names one launcher uses for rank, size, local rank and local size.
struct VarNames {
  const char *rank;
  const char *size;
  const char *localRank;
  const char *localSize;
  const char *source;
};

constexpr VarNames kTorch = {"RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_SIZE",
                             "env"};
constexpr VarNames kOpenMpi = {"OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE",
                               "OMPI_COMM_WORLD_LOCAL_RANK",
                               "OMPI_COMM_WORLD_LOCAL_SIZE", "openmpi"};
constexpr VarNames kSlurm = {"SLURM_PROCID", "SLURM_NTASKS", "SLURM_LOCALID",
                             "SLURM_NTASKS_PER_NODE", "slurm"};

/// `name`=`text` as an integer: optional '-', then decimal digits only
/// (strtoll alone would accept " 1" and "+1", typos worth reporting).
Expected<long long> parseInteger(const char *name, const char *text) {
  std::string value = text;
  size_t digits = !value.empty() && value[0] == '-' ? 1 : 0;
  bool wellFormed = value.size() > digits;
  for (size_t i = digits; i < value.size(); ++i)
    wellFormed &= std::isdigit(static_cast<unsigned char>(value[i])) != 0;
  if (!wellFormed)
    return Status::error(std::string(name) + "='" + value +
                         "' is not an integer");
  errno = 0;
  long long parsed = std::strtoll(text, nullptr, 10);
  if (errno == ERANGE)
    return Status::error(std::string(name) + "=" + value + " is out of range");
  return parsed;
}

/// Reads `name` as a non-negative int; nullopt in `out` when unset.
Status readCount(const EnvLookup &env, const char *name,
                 std::optional<int> &out) {
  out.reset();
  const char *text = env(name);
  if (!text)
    return Status::success();
  Expected<long long> parsed = parseInteger(name, text);
  if (!parsed)
    return parsed.status();
  if (*parsed < 0)
    return Status::error(std::string(name) + "=" + text + " is negative");
  if (*parsed > 0x7fffffff)
    return Status::error(std::string(name) + "=" + text + " is too large");
  out = static_cast<int>(*parsed);
  return Status::success();
}

Status readLauncher(const EnvLookup &env, const VarNames &names,
                    WorldInfo &world) {
  std::optional<int> rank, size, localRank, localSize;
  for (auto [name, slot] :
       {std::pair{names.rank, &rank}, std::pair{names.size, &size},
        std::pair{names.localRank, &localRank},
        std::pair{names.localSize, &localSize}}) {
    Status s = readCount(env, name, *slot);
    if (!s.ok())
      return s;
  }
  if (!size)
    return Status::error(std::string(names.rank) + "=" + env(names.rank) +
                         " is set but " + names.size + " is not");
  if (*size < 1)
    return Status::error(std::string(names.size) + "=" + env(names.size) +
                         " must be at least 1");
  if (*rank >= *size)
    return Status::error(std::string(names.rank) + "=" + env(names.rank) +
                         " is not below " + names.size + "=" + env(names.size));
  world.rank = *rank;
  world.size = *size;
  if (localSize && *localSize < 1)
    return Status::error(std::string(names.localSize) + "=" +
                         env(names.localSize) + " must be at least 1");
  world.localSize = localSize.value_or(*size);
  // Without a local rank, ranks are taken to fill the nodes in order.
  world.localRank = localRank.value_or(*rank % world.localSize);
  if (world.localRank >= world.localSize) {
    std::string limit =
        localSize ? std::string(names.localSize) + "=" + env(names.localSize)
                  : std::string(names.size) + "=" + env(names.size) + " (no " +
                        names.localSize + ")";
    return Status::error(std::string(names.localRank) + "=" +
                         env(names.localRank) + " is not below " + limit);
  }
  world.source = names.source;
  return Status::success();
}

/// DSC_JOB_TOKEN, or the first line of the file DSC_JOB_TOKEN_FILE names.
Status readJobToken(const EnvLookup &env, WorldInfo &world) {
  Expected<JobTokenVariables> vars = jobTokenVariables(env);
  if (!vars)
    return vars.status();
  const char *token = vars->token, *file = vars->file;
  std::string source;
  if (token) {
    world.token = token;
    source = kJobTokenVariable;
  } else if (file) {
    Expected<std::string> text = readWholeFile(file);
    if (!text)
      return Status::error(std::string(kJobTokenFileVariable) + "=" + file +
                           ": " + text.message());
    world.token = text->substr(0, text->find('\n'));
    source = std::string(kJobTokenFileVariable) + "=" + file;
  } else {
    return Status::success();
  }
  if (world.token.size() < kMinTokenLength)
    return Status::error("the job token (" + source + ") has " +
                         std::to_string(world.token.size()) +
                         " characters; use a random one of at least " +
                         std::to_string(kMinTokenLength));
  return Status::success();
}

} // namespace

EnvLookup processEnvironment() {
  return [](const char *name) -> const char * { return std::getenv(name); };
}

Expected<WorldInfo> worldFromEnvironment(const EnvLookup &env) {
  WorldInfo world;
  if (env(kTorch.rank)) {
    if (Status s = readLauncher(env, kTorch, world); !s.ok())
      return s;
  } else if (env(kOpenMpi.rank)) {
    if (Status s = readLauncher(env, kOpenMpi, world); !s.ok())
      return s;
  } else if (env(kSlurm.rank)) {
    if (Status s = readLauncher(env, kSlurm, world); !s.ok())
      return s;
  } else if (const char *size = env(kTorch.size)) {
    // Without RANK every process would believe it is rank 0 and the job
    // would wait for ranks that never come.
    return Status::error(std::string("WORLD_SIZE=") + size +
                         " is set but RANK is not");
  }

  if (const char *addr = env("MASTER_ADDR")) {
    if (!*addr)
      return Status::error("MASTER_ADDR is set but empty");
    world.masterAddr = addr;
  }
  if (const char *portText = env("MASTER_PORT")) {
    Expected<long long> port = parseInteger("MASTER_PORT", portText);
    if (!port)
      return port.status();
    if (*port < 1 || *port > 65535)
      return Status::error(std::string("MASTER_PORT=") + portText +
                           " is out of range 1..65535");
    world.masterPort = static_cast<int>(*port);
  }
  if (Status s = readJobToken(env, world); !s.ok())
    return s;
  if (const char *text = env("DSC_HEARTBEAT_TIMEOUT")) {
    Expected<long long> seconds = parseInteger("DSC_HEARTBEAT_TIMEOUT", text);
    if (!seconds)
      return seconds.status();
    if (*seconds < 0 || *seconds > 86400)
      return Status::error(std::string("DSC_HEARTBEAT_TIMEOUT=") + text +
                           " is out of range 0..86400 (seconds; 0: off)");
    world.heartbeatTimeout = std::chrono::seconds(*seconds);
  }
  return world;
}

} // namespace dsc::runtime
