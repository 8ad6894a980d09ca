//===- Hostfile.h - DeepSpeed hostfile parsing ------------------*- C++ -*-===//
//
// The launcher's hostfile: one `<host> slots=<n>` a line, as in DeepSpeed's
// launcher/runner.py (_parse_hostfile), with every error reported up front.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_COMPILER_TOPOLOGY_HOSTFILE_H
#define DSC_COMPILER_TOPOLOGY_HOSTFILE_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace dsc::topology {

/// The most slots a hostfile may list in all. Each may become a rank: ds-run
/// takes no launch.json with more ranks, and building such a world (before
/// anything else checks its size) would take GBs.
inline constexpr unsigned kMaxTotalSlots = 1u << 20;

struct HostEntry {
  std::string name;
  int slots;
  /// 1-based line in the hostfile.
  unsigned line;
};

struct Hostfile {
  std::string path;
  /// In file order; that order fixes the global ranks.
  std::vector<HostEntry> hosts;
};

/// Parses hostfile text. Blank lines and lines starting with `#` are skipped;
/// text after `slots=<n>` (separated by whitespace) is ignored. Host names
/// must be printable ASCII, and the slots at most kMaxTotalSlots in all.
/// Errors read `hostfile <path>: line <n>: ...` or `hostfile <path>: no
/// hosts ...`.
llvm::Expected<Hostfile> parseHostfile(llvm::StringRef text,
                                       llvm::StringRef path);

/// Reads and parses `path`; `hostfile <path>: cannot read file: <reason>`.
llvm::Expected<Hostfile> parseHostfileFile(llvm::StringRef path);

} // namespace dsc::topology

#endif // DSC_COMPILER_TOPOLOGY_HOSTFILE_H
