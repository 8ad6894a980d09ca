//===- LaunchPlan.h - The world ds-compile fixed, read back -----*- C++ -*-===//
//
// ds-compile fixes the world (hosts, slots, rank numbering) at compile time
// and writes it to OUT/launch.json. ds-run reads it back into the topology
// library's World, so that numbering, CUDA_VISIBLE_DEVICES and the comparison
// with the resources chosen at launch follow the same code as the compiler.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_TOOLS_DS_RUN_LAUNCHPLAN_H
#define DSC_TOOLS_DS_RUN_LAUNCHPLAN_H

#include "compiler/topology/World.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <optional>
#include <string>
#include <vector>

namespace dsc::run {

struct LaunchPlan {
  /// The ds-compile output directory, absolute: commands run elsewhere
  /// (other nodes, another working directory) name it.
  std::string outDir;
  /// As compiled, with launch.json's master address and port.
  topology::World world;
  /// Per global rank: its program, relative to outDir.
  std::vector<std::string> binaries;

  std::string binaryPath(int rank) const;
};

/// Reads `outDir`/launch.json and checks that its rank numbering is the one
/// topology::buildWorld gives its hosts and slots. Errors name the file as
/// `outDir` spells it.
llvm::Expected<LaunchPlan> readLaunchPlan(llvm::StringRef outDir);

/// readLaunchPlan with `text` as the contents of `outDir`/launch.json; reads
/// no file.
llvm::Expected<LaunchPlan> parseLaunchText(llvm::StringRef text,
                                           llvm::StringRef outDir);

/// The resource flags given at launch (DeepSpeed users pass them to the
/// launcher) must select the world `plan` was compiled for: the hostfile
/// (none: the local host) and `request` go through the same
/// topology::buildWorld as in ds-compile, and the hosts and slots must match
/// in order. Errors are the topology library's or one line naming both
/// worlds, e.g. "out was compiled for 4 ranks (localhost slots 0-3); this
/// launch selects 2 ranks (localhost slots 0,1); compile again with ...".
llvm::Error checkLaunchResources(const LaunchPlan &plan,
                                 llvm::StringRef outDirName,
                                 const std::optional<std::string> &hostfile,
                                 const topology::ResourceRequest &request);

/// Whether `host` names this machine without a lookup: localhost, 127.0.0.1.
bool isLocalHost(llvm::StringRef host);

} // namespace dsc::run

#endif // DSC_TOOLS_DS_RUN_LAUNCHPLAN_H
