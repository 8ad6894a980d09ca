//===- Command.h - A process to start and its shell spelling ----*- C++ -*-===//
//
// Every launcher ends in processes started by ds-run: the ranks themselves,
// or ssh / pdsh / mpirun / srun. They share one description so that the same
// code starts them (ProcessGroup) and prints them for --dry-run, and the
// printed line is exactly what would run.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_TOOLS_DS_RUN_COMMAND_H
#define DSC_TOOLS_DS_RUN_COMMAND_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <string>
#include <utility>
#include <vector>

namespace dsc::run {

struct Command {
  /// Names the process in messages: "rank 3", "node 1 (worker-2)", "mpirun".
  std::string label;
  /// Program (searched on PATH unless it contains a '/') and arguments.
  std::vector<std::string> argv;
  /// NAME=value pairs set on top of ds-run's own environment.
  std::vector<std::pair<std::string, std::string>> env;
  /// A descriptor of ds-run's (all close-on-exec) this process alone
  /// inherits, or -1: the rendezvous socket ds-run opened for rank 0 of a
  /// --master_port 0 job. ProcessGroup closes ds-run's copy once the process
  /// has started.
  int inheritFd = -1;

  /// `env NAME='value' ... 'argv0' 'arg'...`: every word single-quoted, so
  /// the line can be pasted into a shell.
  std::string toShell() const;
};

/// `s` in single quotes, always (a `'` becomes `'\''`).
std::string shellQuote(llvm::StringRef s);

/// `s` as one shell word, quoted only when it needs to be. Used for command
/// strings that are themselves quoted again (ssh's and pdsh's remote
/// command), where quoting every word would be unreadable.
std::string shellWord(llvm::StringRef s);

/// `words` as a shell command line, each word through shellWord.
std::string shellWords(llvm::ArrayRef<std::string> words);

/// Splits --launcher_args like a shell (quotes and backslashes), as
/// DeepSpeed's runner does with shlex.split.
std::vector<std::string> splitShellWords(llvm::StringRef text);

} // namespace dsc::run

#endif // DSC_TOOLS_DS_RUN_COMMAND_H
