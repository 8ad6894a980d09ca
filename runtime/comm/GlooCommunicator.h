//===- GlooCommunicator.h - Collectives on the CPU with Gloo ----*- C++ -*-===//
//
// The CPU backend: Gloo's TCP transport, bootstrapped through the env://
// rendezvous (TcpStore). Every rank connects to every other (Gloo's full
// mesh); the store stays for the whole job, so that rank 0's server can tell
// which rank's process ended. MASTER_PORT is free again once the job ends.
//
// The transport listens on this host's address toward MASTER_ADDR (the
// source address the kernel picks to reach it: 127.0.0.1 for a local job,
// the interface facing the master on a cluster); GLOO_SOCKET_IFNAME names an
// interface instead, as in PyTorch.
//
// Collectives: allReduce is Gloo's allreduce (a custom reduce function per
// dtype); allGather Gloo's allgatherv; broadcast and barrier Gloo's own;
// reduceScatter a ring over Gloo's unbound buffers (Gloo's
// ReduceScatterHalvingDoubling hangs for some uneven splits, e.g. 4, 0, 6
// over 3 ranks). Each collective has the communicator's timeout, end to end.
//
// Failures: a peer that dies closes its sockets and the next collective that
// talks to it fails at once; a peer that stops answering fails it at the
// timeout. After a failure the communicator closes its connections (so the
// other ranks fail fast too, rather than at their timeout), asks the store
// which ranks are gone (waiting up to 2 s, at most the timeout, for the
// server to notice a close) and refuses further collectives. The message
// names the gone ranks before Gloo's text: "all_reduce failed on rank 0 of
// 2: rank 1 is gone (its process ended or lost its connection); gloo:
// Connection closed by peer [127.0.0.1]:40142"; when the store itself is
// unreachable, "rank 0 (the rendezvous host) is gone; gloo: ..."; with no
// rank gone (a timeout, a peer that failed and left cleanly), Gloo's text
// alone.
//
// SIGPIPE is ignored process-wide from the first communicator on when it had
// its default action: Gloo writes with writev(), and a write to a dead peer
// must be an error, not the end of the process.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_RUNTIME_COMM_GLOOCOMMUNICATOR_H
#define DSC_RUNTIME_COMM_GLOOCOMMUNICATOR_H

#include "runtime/comm/Communicator.h"
#include "runtime/comm/TcpStore.h"
#include "runtime/comm/WorldEnv.h"
#include "runtime/io/Status.h"

#include <chrono>
#include <memory>

namespace dsc::runtime {

/// Joins the world `world` describes; returns once every rank is connected
/// to every other, within `timeout`, which is also each collective's timeout.
/// A world of size 1 needs no network: it gets createSingleRankCommunicator().
Expected<std::unique_ptr<Communicator>>
createGlooCommunicator(const WorldInfo &world,
                       std::chrono::milliseconds timeout,
                       TcpStore::SilenceHandler onSilence = nullptr);

} // namespace dsc::runtime

#endif // DSC_RUNTIME_COMM_GLOOCOMMUNICATOR_H
