//===- RendezvousSocket.h - The socket the rendezvous listens on -*- C++
//-*-===//
//
// Rank 0's key-value store listens on MASTER_ADDR:MASTER_PORT. Usually rank 0
// opens that socket itself. For a job on one host, ds-run can instead open it
// on a port the kernel picks (--master_port 0), tell every rank that port,
// and hand the open socket to rank 0 (DSC_RENDEZVOUS_FD): no port has to be
// agreed on in advance, and none can be taken between the choice and its
// use, so any number of jobs (or test suites) can run side by side.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_RUNTIME_COMM_RENDEZVOUSSOCKET_H
#define DSC_RUNTIME_COMM_RENDEZVOUSSOCKET_H

#include "runtime/io/Status.h"

#include <string>

namespace dsc::runtime {

/// The variable that passes the socket's descriptor to rank 0.
inline constexpr const char *kRendezvousFdVariable = "DSC_RENDEZVOUS_FD";

/// A listening TCP socket (close-on-exec, non-blocking) and its port.
struct ListeningSocket {
  int fd = -1;
  int port = 0;
};

/// Listens on `masterAddr`'s first address this host has, port `port` (0:
/// one the kernel picks); on every interface of that family when
/// `everywhere`. `who` starts the messages ("rank 0", "ds-run"). Errors:
/// "MASTER_PORT 29500 on 127.0.0.1 is in use (bind: Address already in
/// use); choose another with --master_port", an address of another host, an
/// unknown name.
Expected<ListeningSocket> listenForRendezvous(const std::string &who,
                                              const std::string &masterAddr,
                                              int port, bool everywhere);

/// The socket rank 0 was handed in `fdText` (DSC_RENDEZVOUS_FD): it must be
/// a listening TCP socket on `port`. Made close-on-exec and non-blocking.
Expected<ListeningSocket> adoptRendezvousSocket(const std::string &fdText,
                                                int port);

} // namespace dsc::runtime

#endif // DSC_RUNTIME_COMM_RENDEZVOUSSOCKET_H
