//===- KillAtRename.cpp - Kill a process just before a rename -------------===//
//
// A fault injector for the checkpoint tests, loaded with LD_PRELOAD: when the
// process renames something onto the path DSC_KILL_AT_RENAME names (exactly
// as the process spells it), for the N-th time with "PATH#N" (default the
// first), the process SIGKILLs itself before the rename happens. This is
// the worst moment of an atomic publish: everything is written, nothing is
// visible. No code of the project knows about it.
//
//===----------------------------------------------------------------------===//

#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <string>

namespace {

using RenameFn = int (*)(const char *, const char *);

int renamesSeen = 0;

bool shouldDie(const char *to) {
  const char *spec = getenv("DSC_KILL_AT_RENAME");
  if (!spec || !*spec || !to)
    return false;
  std::string path = spec;
  int nth = 1;
  if (size_t hash = path.rfind('#'); hash != std::string::npos) {
    nth = atoi(path.c_str() + hash + 1);
    path.resize(hash);
  }
  return path == to && ++renamesSeen == nth;
}

} // namespace

extern "C" int rename(const char *from, const char *to) {
  static RenameFn real = reinterpret_cast<RenameFn>(dlsym(RTLD_NEXT, "rename"));
  if (shouldDie(to)) {
    // Said on stderr so that a test log shows where the process died.
    fprintf(stderr, "KillAtRename: SIGKILL before rename('%s', '%s')\n", from,
            to);
    fflush(stderr);
    kill(getpid(), SIGKILL);
  }
  return real(from, to);
}
