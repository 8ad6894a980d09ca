//===- Preflight.cpp - Checks before any rank starts ----------------------===//

#include "tools/ds-run/Preflight.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Program.h"

#include <netdb.h>
#include <sys/socket.h>

using namespace llvm;

namespace dsc::run {

bool isOnPath(StringRef program) {
  return static_cast<bool>(sys::findProgramByName(program));
}

Error checkLauncherProgram(StringRef launcher, StringRef program) {
  if (isOnPath(program))
    return Error::success();
  return createStringError(inconvertibleErrorCode(),
                           "the " + launcher + " launcher runs '" + program +
                               "', which is not on PATH; install it or "
                               "choose another --launcher");
}

std::vector<std::string> unresolvableHosts(ArrayRef<std::string> hosts) {
  std::vector<std::string> messages;
  StringSet<> seen;
  for (const std::string &host : hosts) {
    if (!seen.insert(host).second)
      continue;
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo *found = nullptr;
    int rc = getaddrinfo(host.c_str(), nullptr, &hints, &found);
    if (rc == 0) {
      freeaddrinfo(found);
      continue;
    }
    messages.push_back(host + ": cannot resolve host name (" +
                       gai_strerror(rc) +
                       "); check the hostfile, DNS or /etc/hosts");
  }
  return messages;
}

} // namespace dsc::run
