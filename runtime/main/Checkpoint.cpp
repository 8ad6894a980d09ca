//===- Checkpoint.cpp - A rank's part of saving and resuming --------------===//

#include "runtime/main/Checkpoint.h"

#include "runtime/checkpoint/CheckpointFormat.h"
#include "runtime/io/FileUtil.h"
#include "runtime/io/OutputDir.h"
#include "runtime/io/Safetensors.h"
#include "runtime/main/Weights.h"

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace dsc::runtime {

namespace {

/// Removes `dir` and the files in it (a tag directory has no subfolders).
void removeFlatDir(const std::string &dir) {
  if (DIR *d = ::opendir(dir.c_str())) {
    while (dirent *e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name != "." && name != "..")
        ::unlink((dir + "/" + name).c_str());
    }
    ::closedir(d);
  }
  ::rmdir(dir.c_str());
}

/// True when `name` is `prefix` followed by one or more digits and `suffix`
/// (`global_step4.tmp` for "global_step", ".tmp").
bool isNumbered(const std::string &name, const std::string &prefix,
                const std::string &suffix) {
  if (name.size() <= prefix.size() + suffix.size() ||
      name.compare(0, prefix.size(), prefix) != 0 ||
      name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
    return false;
  for (size_t i = prefix.size(); i < name.size() - suffix.size(); ++i)
    if (!std::isdigit(static_cast<unsigned char>(name[i])) && name[i] != '.')
      return false;
  return true;
}

/// Removes what a save killed before publishing left in `dir`: the tag
/// directory it was writing (`global_stepN.tmp`) and the temporary of an
/// atomic write of `latest` (`latest.tmp.PID.N`). Only under the lock, so
/// no live save owns them; only these names, so nothing of the user's goes.
void removeInterruptedSaves(const std::string &dir) {
  std::vector<std::string> stale;
  if (DIR *d = ::opendir(dir.c_str())) {
    while (dirent *e = ::readdir(d)) {
      std::string name = e->d_name;
      if (isNumbered(name, "global_step", ".tmp") ||
          isNumbered(name, "latest.tmp.", ""))
        stale.push_back(name);
    }
    ::closedir(d);
  }
  for (const std::string &name : stale) {
    const std::string path = dir + "/" + name;
    struct stat st;
    if (::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
      removeFlatDir(path);
    else
      ::unlink(path.c_str());
    std::fprintf(stderr,
                 "ds-rank 0: note: removed %s, left by an interrupted save\n",
                 path.c_str());
  }
}

/// The ranks agree on each phase of a save; messages name the phase `what`.
Status agree(Communicator &comm, const Status &mine, const std::string &what) {
  return agreeOnFailure(comm, mine, what + ": ",
                        what + ": another rank failed (see its message)");
}

Status copyFile(const std::string &from, const std::string &to) {
  Expected<std::string> bytes = readWholeFile(from);
  if (!bytes)
    return bytes.status();
  return writeFileAtomically(to, {{bytes->data(), bytes->size()}});
}

/// The checkpoint's description of this plan's params and states.
CheckpointMeta describe(const RankState &state, const ZeroOptimizer &zero,
                        TrainingProgress progress, double loss) {
  const Plan &plan = state.plan;
  CheckpointMeta m;
  const int64_t globalSteps = progress.globalSteps;
  m.tag = checkpointTag(globalSteps);
  m.globalSteps = globalSteps;
  m.trainBatchSize = plan.batch->trainBatchSize;
  m.globalSamples = globalSteps * m.trainBatchSize;
  m.loss = loss;
  // The scheduler steps only when the update ran.
  m.schedulerStep = globalSteps - progress.skippedSteps;
  if (progress.lossScaler) {
    m.lossScale = progress.lossScaler->scale;
    m.lossScaleIteration = progress.lossScaler->iteration;
    m.lossScaleLastOverflow = progress.lossScaler->lastOverflowIteration;
    m.lossScaleHysteresis = progress.lossScaler->hysteresisLeft;
  }
  m.optimizer = std::string(optimizerKindName(plan.optimizer->kind));
  m.stateNames = zero.stateNames();
  m.zeroStage = plan.zero->stage;
  m.dpSize = plan.zero->dpSize;
  m.dtype = zero.elementType();
  m.stateDtype = zero.stateType();
  m.flatElements = plan.zero->flatElements;
  for (const ZeroParam &p : plan.zero->params)
    m.params.push_back({p.name, m.dtype, p.shape, p.flatOffset, p.numel});
  m.ties = plan.ties;
  for (const PlanBuffer &b : plan.buffers)
    if (b.role == BufferRole::Constant)
      m.frozen.push_back(b.name);
  // Who wrote which states: stage 0 rank 0 alone; else every non-empty
  // partition.
  if (plan.zero->stage == 0) {
    m.shards.push_back({"optim_states_0.safetensors", 0, m.flatElements});
  } else {
    for (size_t r = 0; r < plan.zero->partitions.size(); ++r) {
      const PlanRange &p = plan.zero->partitions[r];
      if (p.size() > 0)
        m.shards.push_back(
            {"optim_states_" + std::to_string(r) + ".safetensors", p.begin,
             p.end});
    }
  }
  return m;
}

/// This rank's shard of the optimizer states, if it writes one.
Status writeShard(ZeroOptimizer &zero, const CheckpointMeta &meta, int rank,
                  const std::string &tmp) {
  const std::string file =
      "optim_states_" + std::to_string(rank) + ".safetensors";
  bool mine = false;
  for (const CheckpointShard &s : meta.shards)
    mine |= s.file == file;
  if (!mine)
    return Status::success();
  const PlanRange owned = zero.ownedRange();
  const size_t bytes =
      static_cast<size_t>(owned.size()) * dtypeSize(meta.stateDtype);
  std::vector<std::vector<char>> flat(meta.stateNames.size(),
                                      std::vector<char>(bytes));
  std::vector<TensorToWrite> tensors;
  for (size_t i = 0; i < meta.stateNames.size(); ++i) {
    zero.copyState(i, flat[i].data(), /*toFlat=*/true);
    tensors.push_back(
        {meta.stateNames[i], meta.stateDtype, {owned.size()}, flat[i].data()});
  }
  return writeSafetensors(tmp + "/" + file, tensors,
                          {{"flat_begin", std::to_string(owned.begin)},
                           {"flat_end", std::to_string(owned.end)}});
}

} // namespace

Status checkSameModel(const CheckpointMeta &meta, const RankState &state,
                      const ZeroOptimizer &zero, const std::string &where) {
  const Plan &plan = state.plan;
  // The same params in the same flat order.
  const std::vector<ZeroParam> &params = plan.zero->params;
  if (meta.params.size() != params.size())
    return Status::error(where + ": " + std::to_string(meta.params.size()) +
                         " params, the plan has " +
                         std::to_string(params.size()));
  for (size_t i = 0; i < params.size(); ++i) {
    const ZeroParam &p = params[i];
    const CheckpointParam &c = meta.params[i];
    if (c.name != p.name || c.shape != p.shape || c.dtype != zero.elementType())
      return Status::error(where + ": param " + std::to_string(i) + " is '" +
                           c.name + "' " + std::string(dtypeName(c.dtype)) +
                           " " + formatShape(c.shape) + ", the plan's is '" +
                           p.name + "' " +
                           std::string(dtypeName(zero.elementType())) + " " +
                           formatShape(p.shape));
  }
  const std::string optimizer =
      std::string(optimizerKindName(plan.optimizer->kind));
  if (meta.optimizer != optimizer || meta.stateNames != zero.stateNames())
    return Status::error(where + ": optimizer '" + meta.optimizer +
                         "', the plan's is '" + optimizer + "'");
  return Status::success();
}

CheckpointDirLock::~CheckpointDirLock() {
  if (fd >= 0)
    ::close(fd);
}

Expected<CheckpointDirLock> lockCheckpointDir(const std::string &dir,
                                              const RankState &state,
                                              const ZeroOptimizer &zero) {
  if (Status s = ensureWritableDir(dir); !s.ok())
    return s;
  // An advisory lock the kernel drops when the process ends, however it
  // ends; the file says who holds it.
  const std::string path = dir + "/" + kCheckpointLockFile;
  CheckpointDirLock lock;
  lock.fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock.fd < 0)
    return Status::error(path + ": cannot open: " + errnoMessage(errno));
  if (::flock(lock.fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK)
      return Status::error(path + ": cannot lock: " + errnoMessage(errno));
    Expected<std::string> holder = readWholeFile(path);
    std::string who = holder ? *holder : std::string();
    while (!who.empty() && (who.back() == '\n' || who.back() == ' '))
      who.pop_back();
    return Status::error(dir + ": another job is saving checkpoints here (" +
                         (who.empty() ? std::string("a process") : who) +
                         " holds " + path +
                         "); give each job its own --save-dir");
  }
  char host[256] = "?";
  ::gethostname(host, sizeof host - 1);
  const std::string who =
      "process " + std::to_string(::getpid()) + " on " + host + "\n";
  if (::ftruncate(lock.fd, 0) != 0 ||
      ::pwrite(lock.fd, who.data(), who.size(), 0) !=
          static_cast<ssize_t>(who.size()))
    return Status::error(path + ": cannot write: " + errnoMessage(errno));
  removeInterruptedSaves(dir);

  // Checkpoints of another model or optimizer are never mixed with this
  // job's: its tags would replace theirs one by one.
  struct stat latest;
  if (::stat((dir + "/latest").c_str(), &latest) != 0)
    return lock;
  const std::string refuse =
      "; refusing to save this job's checkpoints beside them: give another "
      "--save-dir";
  Expected<std::string> tag = latestTag(dir);
  if (!tag)
    return Status::error(dir + " holds a checkpoint this job cannot read (" +
                         tag.message() + ")" + refuse);
  Expected<CheckpointMeta> meta = readCheckpointMeta(dir + "/" + *tag);
  if (!meta)
    return Status::error(dir + " holds a checkpoint this job cannot read (" +
                         meta.message() + ")" + refuse);
  if (Status s =
          checkSameModel(*meta, state, zero, dir + "/" + *tag + "/state.json");
      !s.ok())
    return Status::error(dir +
                         " holds checkpoints of another model or "
                         "optimizer (" +
                         s.message() + ")" + refuse);
  return lock;
}

Status writeAllParams(RankState &state, ZeroOptimizer &zero, Communicator &comm,
                      const std::string &path) {
  Expected<std::vector<char>> flat = zero.gatherAllParams();
  if (!flat)
    return flat.status();
  if (comm.rank() != 0)
    return Status::success();
  if (state.plan.zero->stage == 3)
    return saveFlatParams(state.plan, flat->data(), state.arena.data(), path);
  return saveParams(state.plan, state.arena.data(), path);
}

Status saveCheckpoint(RankState &state, ZeroOptimizer &zero, Communicator &comm,
                      const std::string &dir, TrainingProgress progress,
                      double loss) {
  CheckpointMeta meta = describe(state, zero, progress, loss);
  const std::string what = "checkpoint " + dir + "/" + meta.tag;
  const std::string tmp = dir + "/" + meta.tag + ".tmp";
  const std::string final = dir + "/" + meta.tag;
  const bool leader = comm.rank() == 0;

  Status prepared;
  if (leader) {
    prepared = ensureWritableDir(dir);
    if (prepared.ok()) {
      removeFlatDir(tmp);
      if (::mkdir(tmp.c_str(), 0777) != 0)
        prepared =
            Status::error("cannot create " + tmp + ": " + errnoMessage(errno));
    }
  }
  if (Status s = agree(comm, prepared, what); !s.ok())
    return s;

  Status written = writeShard(zero, meta, comm.rank(), tmp);
  if (Status s = agree(comm, written, what); !s.ok())
    return s;
  written = writeAllParams(state, zero, comm, tmp + "/model.safetensors");
  // The plan's report, for people: kept when it is there (the rank itself
  // runs the plan in its executable).
  if (leader && written.ok() &&
      ::access(state.plan.reportPath.c_str(), R_OK) == 0)
    written = copyFile(state.plan.reportPath, tmp + "/plan.json");
  if (leader && written.ok())
    written = writeCheckpointMeta(tmp, meta);
  if (Status s = agree(comm, written, what); !s.ok())
    return s;

  Status published;
  if (leader) {
    removeFlatDir(final);
    if (::rename(tmp.c_str(), final.c_str()) != 0)
      published = Status::error("cannot rename " + tmp + " to " + final + ": " +
                                errnoMessage(errno));
    else
      published = writeLatest(dir, meta.tag);
  }
  return agree(comm, published, what);
}

Expected<TrainingProgress> resumeCheckpoint(RankState &state,
                                            ZeroOptimizer &zero,
                                            const std::string &dir) {
  Expected<std::string> tag = latestTag(dir);
  if (!tag)
    return tag.status();
  const std::string tagDir = dir + "/" + *tag;
  Expected<CheckpointMeta> meta = readCheckpointMeta(tagDir);
  if (!meta)
    return meta.status();
  const Plan &plan = state.plan;
  const std::string where = tagDir + "/state.json";
  if (Status s = checkSameModel(*meta, state, zero, where); !s.ok())
    return s;
  const int64_t tbs = plan.batch->trainBatchSize;
  if (meta->trainBatchSize != tbs)
    return Status::error(where + ": train_batch_size " +
                         std::to_string(meta->trainBatchSize) +
                         ", this plan's is " + std::to_string(tbs) +
                         "; keep train_batch_size to continue at the same "
                         "sample");
  if (meta->globalSamples != meta->globalSteps * tbs)
    return Status::error(
        where + ": " + std::to_string(meta->globalSamples) +
        " samples consumed in " + std::to_string(meta->globalSteps) +
        " steps; this plan's train_batch_size " + std::to_string(tbs) +
        " cannot continue at the same sample (keep train_batch_size)");
  if (meta->schedulerStep < 0 || meta->schedulerStep > meta->globalSteps)
    return Status::error(where + ": the scheduler's step " +
                         std::to_string(meta->schedulerStep) +
                         " is not within the " +
                         std::to_string(meta->globalSteps) + " steps run");

  if (Status s = loadWeights(plan, tagDir + "/model.safetensors",
                             state.arena.data(), WeightsToLoad::Params);
      !s.ok())
    return s;
  if (Status s = loadParamPartition(plan, tagDir + "/model.safetensors",
                                    state.arena.data(), zero.rank());
      !s.ok())
    return s;
  const PlanRange owned = zero.ownedRange();
  std::vector<char> flat(static_cast<size_t>(owned.size()) *
                         dtypeSize(meta->stateDtype));
  for (size_t i = 0; i < meta->stateNames.size(); ++i) {
    if (Status s = readStateRange(tagDir, *meta, meta->stateNames[i],
                                  owned.begin, owned.end, flat.data());
        !s.ok())
      return s;
    zero.copyState(i, flat.data(), /*toFlat=*/false);
  }
  std::optional<LossScalerState> scaler;
  if (meta->lossScale)
    scaler =
        LossScalerState{*meta->lossScale, meta->lossScaleIteration,
                        meta->lossScaleLastOverflow, meta->lossScaleHysteresis};
  return TrainingProgress{meta->globalSteps,
                          meta->globalSteps - meta->schedulerStep, scaler};
}

} // namespace dsc::runtime
