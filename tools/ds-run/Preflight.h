//===- Preflight.h - Checks before any rank starts --------------*- C++ -*-===//
//
// Multi-node launches fail late and obscurely in DeepSpeed (ssh, pdsh, host
// names; deepspeed.md "Where DeepSpeed fails its users", 8): a missing pdsh
// shows up as a Python traceback, a mistyped host as ranks waiting for a
// master that never answers. What can be checked on this machine without
// the network is checked before anything starts.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_TOOLS_DS_RUN_PREFLIGHT_H
#define DSC_TOOLS_DS_RUN_PREFLIGHT_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace dsc::run {

/// Whether `program` is on PATH.
bool isOnPath(llvm::StringRef program);

/// An error when the launcher's program is not on PATH, naming both.
llvm::Error checkLauncherProgram(llvm::StringRef launcher,
                                 llvm::StringRef program);

/// One message per host name that getaddrinfo cannot resolve: "worker-3:
/// cannot resolve host name (Name or service not known)". Each name is
/// looked up once.
std::vector<std::string> unresolvableHosts(llvm::ArrayRef<std::string> hosts);

} // namespace dsc::run

#endif // DSC_TOOLS_DS_RUN_PREFLIGHT_H
