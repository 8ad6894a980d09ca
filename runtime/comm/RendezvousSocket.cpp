//===- RendezvousSocket.cpp - The socket the rendezvous listens on --------===//

#include "runtime/comm/RendezvousSocket.h"

#include "runtime/io/FileUtil.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace dsc::runtime {

namespace {

/// The port `fd` is bound to; 0 when it cannot be read.
int boundPort(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &len) != 0)
    return 0;
  if (addr.ss_family == AF_INET6)
    return ntohs(reinterpret_cast<sockaddr_in6 *>(&addr)->sin6_port);
  if (addr.ss_family == AF_INET)
    return ntohs(reinterpret_cast<sockaddr_in *>(&addr)->sin_port);
  return 0;
}

} // namespace

Expected<ListeningSocket> listenForRendezvous(const std::string &who,
                                              const std::string &masterAddr,
                                              int port, bool everywhere) {
  const std::string where =
      "MASTER_PORT " + std::to_string(port) + " on " + masterAddr;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo *found = nullptr;
  if (int rc = ::getaddrinfo(masterAddr.c_str(), nullptr, &hints, &found))
    return Status::error(who + ": cannot resolve MASTER_ADDR " + masterAddr +
                         " (" + ::gai_strerror(rc) + ")");

  int fd = -1, err = 0;
  const char *call = "bind";
  // MASTER_ADDR's addresses in the resolver's order (localhost: ::1, then
  // 127.0.0.1), the first one this host has.
  for (addrinfo *a = found; a && fd < 0;
       a = everywhere ? nullptr : a->ai_next) {
    int s =
        ::socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (s < 0) {
      err = errno;
      call = "socket";
      continue;
    }
    int one = 1, zero = 0;
    ::setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_storage addr{};
    socklen_t len = static_cast<socklen_t>(a->ai_addrlen);
    std::memcpy(&addr, a->ai_addr, a->ai_addrlen);
    if (a->ai_family == AF_INET6) {
      auto *a6 = reinterpret_cast<sockaddr_in6 *>(&addr);
      if (everywhere) {
        // Dual stack: IPv4 clients reach it too.
        ::setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
        a6->sin6_addr = in6addr_any;
      }
      a6->sin6_port = htons(static_cast<uint16_t>(port));
    } else {
      auto *a4 = reinterpret_cast<sockaddr_in *>(&addr);
      if (everywhere)
        a4->sin_addr.s_addr = htonl(INADDR_ANY);
      a4->sin_port = htons(static_cast<uint16_t>(port));
    }
    if (::bind(s, reinterpret_cast<sockaddr *>(&addr), len) == 0) {
      fd = s;
      break;
    }
    err = errno;
    call = "bind";
    ::close(s);
    // A port in use is the answer whichever address comes next.
    if (err == EADDRINUSE)
      break;
  }
  ::freeaddrinfo(found);
  auto failure = [&](const char *call, int err) -> Status {
    if (err == EADDRINUSE)
      return Status::error(where + " is in use (" + errnoText(call, err) +
                           "); choose another with --master_port");
    if (err == EADDRNOTAVAIL)
      return Status::error(
          who + ": MASTER_ADDR " + masterAddr +
          " is not an address of this host, so the rendezvous cannot listen "
          "there (" +
          errnoText(call, err) +
          "); rank 0 must run on MASTER_ADDR's host, or set "
          "DSC_RENDEZVOUS_ALL_INTERFACES=1");
    return Status::error(who + ": cannot listen on " + where + " (" +
                         errnoText(call, err) + ")");
  };
  if (fd < 0)
    return failure(call, err);
  if (::listen(fd, SOMAXCONN) != 0) {
    int err = errno;
    ::close(fd);
    return failure("listen", err);
  }
  return ListeningSocket{fd, boundPort(fd)};
}

Expected<ListeningSocket> adoptRendezvousSocket(const std::string &fdText,
                                                int port) {
  const std::string what = std::string(kRendezvousFdVariable) + "=" + fdText;
  char *end = nullptr;
  errno = 0;
  long fd = std::strtol(fdText.c_str(), &end, 10);
  if (fdText.empty() || *end || errno || fd < 0 || fd > 1 << 20)
    return Status::error("rank 0: " + what + " is not a descriptor number");
  int listening = 0;
  socklen_t len = sizeof listening;
  if (::getsockopt(static_cast<int>(fd), SOL_SOCKET, SO_ACCEPTCONN, &listening,
                   &len) != 0 ||
      !listening)
    return Status::error("rank 0: " + what +
                         " is not a listening socket (set only by ds-run for "
                         "rank 0 of a --master_port 0 job)");
  const int bound = boundPort(static_cast<int>(fd));
  if (bound != port)
    return Status::error("rank 0: " + what + " listens on port " +
                         std::to_string(bound) + ", but MASTER_PORT is " +
                         std::to_string(port));
  ::fcntl(static_cast<int>(fd), F_SETFD, FD_CLOEXEC);
  ::fcntl(static_cast<int>(fd), F_SETFL,
          ::fcntl(static_cast<int>(fd), F_GETFL) | O_NONBLOCK);
  return ListeningSocket{static_cast<int>(fd), bound};
}

} // namespace dsc::runtime
