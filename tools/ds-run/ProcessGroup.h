//===- ProcessGroup.h - Start processes, fail fast together -----*- C++ -*-===//
//
// DeepSpeed's rule for a job: if any process exits non-zero, the launcher
// kills the rest and exits with that code. ds-run applies it to whatever it
// starts: the ranks of this machine, one ssh per node, or the single pdsh /
// mpirun / srun. A rank that hangs while its peer is gone would otherwise
// keep the job (and its GPUs) until the collective timeout.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_TOOLS_DS_RUN_PROCESSGROUP_H
#define DSC_TOOLS_DS_RUN_PROCESSGROUP_H

#include "tools/ds-run/Command.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

namespace dsc::run {

/// Starts every command at once as a child of this process and waits for
/// all of them. When one fails (non-zero exit or a signal), the others get
/// SIGTERM and, if still running after a grace period, SIGKILL. The ranks'
/// reports of their end (runtime/io/RankReport.h) are held back and the
/// failure that came first is said once: "ds-run: error: rank 0 failed
/// first: <its message>; stopped the other ranks", or "ds-run: error: rank 1
/// was killed by signal 9 (Killed); stopped the other ranks" for a rank that
/// could not say; what the other ranks reported follows on lines of their
/// own ("ds-run: rank 1 stopped after it: ..."). Other stderr lines pass
/// through as they come. SIGINT, SIGTERM and SIGHUP sent to ds-run stop the
/// children the same way (a second one kills them at once). Returns 0, the
/// first failure's exit code (128 + the signal that killed it), or 128 + the
/// signal ds-run received. `others` names the commands ("ranks", "nodes").
/// With `forwardReports` (the ds-run of one node under ssh or pdsh) the first
/// failure is printed as a rank report for the launching ds-run to read.
int runFailFast(llvm::ArrayRef<Command> commands, llvm::StringRef others,
                bool forwardReports = false);

} // namespace dsc::run

#endif // DSC_TOOLS_DS_RUN_PROCESSGROUP_H
