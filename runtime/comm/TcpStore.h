//===- TcpStore.h - The env:// rendezvous: a key-value store ----*- C++ -*-===//
//
// How the ranks of a job find each other, as PyTorch's env:// does: rank 0
// serves a small key-value store on MASTER_ADDR:MASTER_PORT, and every rank,
// rank 0 included, is a client of it. Gloo's full-mesh connect publishes each
// rank's transport address in it; the NCCL backend's unique id goes through it.
//
// The server is one background thread around poll(): it holds the keys and
// answers SET, GET and WAIT (a WAIT is answered when all its keys exist or,
// with the keys still missing, when its deadline passes). Messages are
// length-prefixed frames:
//
//   frame    = u32 length, body                (integers little-endian)
//   on accept, the server sends  u8 CHALLENGE, 32-byte nonce
//   request  = u8 op, fields
//     AUTH   32-byte nonce, 32-byte proof  -> u8 1, 32-byte proof, or u8 0
//            (the first request of every connection, JobToken.h; nothing
//            else is answered before it; a wrong proof closes the
//            connection, as does none within 10 s)
//     HELLO  u32 rank                      -> u8 1
//     SET    str key, str value            -> u8 1
//     GET    str key                       -> u8 found, str value
//     WAIT   u32 timeout_ms, u32 n, n*str  -> u8 1, or u8 0, u32 m, m*str
//                                             (the keys still missing)
//     GONE   u32 timeout_ms                -> u32 m, m*u32 (the gone ranks)
//     DONE                                 -> u8 1
//   str      = u32 length, bytes
//
// Liveness: the store lives as long as the job (the communicator holds it),
// and every rank keeps its connection open. The server knows each
// connection's rank from its HELLO; a connection that closes without a DONE
// before it means the rank's process ended (the kernel closes its sockets)
// or the rank lost the network, and the server records that rank as gone.
// A rank that leaves normally sends DONE from its destructor first, so a
// clean exit, after a failure or not, is never taken for a death. GONE
// answers 300 ms after the first rank went (so a node's ranks that died
// together are named together), or at its deadline with none: a rank whose
// collective failed asks it to name the culprit, and waits a little
// because the server may see the close slightly after Gloo does.
//
// create() returns once every rank has arrived: each rank sets
// "arrived/<rank>" and waits for all of them, so a rank that never came is
// named in the error ("rank(s) 1, 3 never arrived at the rendezvous on
// 127.0.0.1:29500 within 30 s") rather than surfacing later as a hang.
// Every wait has a deadline; nothing blocks forever. A rank has one request
// in flight at a time: calls from several threads take turns, and a wait
// holds up the others until it returns (Gloo calls from one thread).
//
// Heartbeats (startHeartbeat, once the job's mesh stands): every rank sends
// BEAT every half second on its connection; the server counts any frame as a
// sign of life, and a rank waiting on the server as alive. BEAT's reply lists
// the ranks unheard for longer than the heartbeat timeout
// (DSC_HEARTBEAT_TIMEOUT, 10 s) with their addresses, so the ranks that can
// still reach rank 0 learn within a second who fell silent; a rank whose BEAT
// gets no answer within the timeout knows the rendezvous host's node is gone or
// cut off. Either way the rank is told once (the SilenceHandler) and stops: a
// partition costs the heartbeat timeout, not the collectives' (which stay long:
// a big gather on a slow link is legitimate).
//
//     BEAT                                 -> u32 m, m*(u32 rank, str host)
//
// Shutdown: a rank is done with the store when its connection closes.
// Rank 0's destructor keeps the server running until every other rank has
// disconnected, at most the store's timeout, so no rank loses the store
// while it still reads from it (a survivor asking GONE must not find rank 0
// gone when it merely left first). After a failure the others follow within
// moments (rank 0 closed its Gloo connections); only a rank stuck outside
// any collective holds rank 0 up to the timeout. The listening socket uses
// SO_REUSEADDR, so the same MASTER_PORT works again right after a clean
// exit.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_RUNTIME_COMM_TCPSTORE_H
#define DSC_RUNTIME_COMM_TCPSTORE_H

#include "runtime/comm/WorldEnv.h"
#include "runtime/io/Status.h"

#include <gloo/rendezvous/store.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace dsc::runtime {

class TcpStoreServer;

class TcpStore : public gloo::rendezvous::Store {
public:
  /// Rank 0 starts the server; every rank connects and waits until all
  /// world.size ranks have arrived, within `timeout` of this call.
  static Expected<std::unique_ptr<TcpStore>>
  create(const WorldInfo &world, std::chrono::milliseconds timeout);

  /// Tells the server this rank leaves normally (DONE), then closes the
  /// connection; rank 0 then waits for the other ranks to leave.
  ~TcpStore() override;
  TcpStore(const TcpStore &) = delete;
  TcpStore &operator=(const TcpStore &) = delete;

  // gloo::rendezvous::Store. Gloo calls these and expects failures as
  // exceptions: they throw gloo::IoException with the message of the
  // matching try* function. get() waits for the key like Gloo's own stores;
  // a wait without a timeout (or a zero one) uses the store's timeout.
  void set(const std::string &key, const std::vector<char> &data) override;
  std::vector<char> get(const std::string &key) override;
  void wait(const std::vector<std::string> &keys) override;
  void wait(const std::vector<std::string> &keys,
            const std::chrono::milliseconds &timeout) override;

  /// The same as values, for callers outside Gloo.
  Status trySet(const std::string &key, const std::vector<char> &data);
  /// Waits up to `timeout` for `key`, then reads it.
  Expected<std::vector<char>> tryGet(const std::string &key,
                                     std::chrono::milliseconds timeout);
  /// Waits up to `timeout` for all `keys`; the error names the missing ones.
  Status tryWait(const std::vector<std::string> &keys,
                 std::chrono::milliseconds timeout);
  /// The ranks whose connection to the store closed without DONE, sorted;
  /// waits up to `wait` for there to be one, and returns an empty list when
  /// none is gone by then. An error when the store itself cannot be reached
  /// (rank 0 is gone, or this rank lost the connection).
  Expected<std::vector<int>> goneRanks(std::chrono::milliseconds wait);

  /// Receives what stopped the heartbeat (the message, e.g. "ranks 2, 3 on
  /// 10.0.0.2 have not been heard from for 10 s ..."); called once, from
  /// the heartbeat's thread, which then ends.
  using SilenceHandler = std::function<void(const std::string &message)>;

  /// Starts this rank's heartbeat: every half second it tells the server it is
  /// alive and asks which ranks have been silent longer than the world's
  /// heartbeatTimeout. `onSilence` hears of the first such rank, or of a
  /// server that does not answer within the timeout (the rendezvous host's
  /// node is down or cut off). Stopped by the destructor.
  void startHeartbeat(SilenceHandler onSilence);

  /// What the heartbeat found (the SilenceHandler's message): a collective
  /// that fails meanwhile has the same cause. Before the heartbeat has
  /// found anything it asks the server once more; empty when no rank is
  /// silent (or without a heartbeat).
  std::string silence();

  /// Every rank's address (its side of its store connection), by rank.
  const std::vector<std::string> &hosts() const { return rankHosts; }

  int rank() const { return world.rank; }
  int size() const { return world.size; }
  /// The master as messages name it: "127.0.0.1:29500", "[::1]:29500".
  const std::string &endpoint() const { return masterEndpoint; }
  std::chrono::milliseconds timeout() const { return defaultTimeout; }

private:
  TcpStore(const WorldInfo &world, std::chrono::milliseconds timeout);

  Status connectToMaster(std::chrono::steady_clock::time_point deadline);
  /// The handshake of JobToken.h: this rank proves the job token, and the
  /// server proves it holds it too.
  Status authenticate(std::chrono::steady_clock::time_point deadline);
  /// Sends one request frame body and returns the reply body. Any failure
  /// closes the connection: later requests fail at once.
  Expected<std::string>
  roundTrip(const std::string &request,
            std::chrono::steady_clock::time_point deadline);
  /// Sends `request` (none when null), then reads one reply frame.
  Expected<std::string>
  exchange(const std::string *request,
           std::chrono::steady_clock::time_point deadline);
  /// The keys of `keys` still missing after `timeout`; empty when all came.
  Expected<std::vector<std::string>>
  waitForKeys(const std::vector<std::string> &keys,
              std::chrono::milliseconds timeout);
  void closeConnection();

  WorldInfo world;
  std::chrono::milliseconds defaultTimeout;
  std::string masterEndpoint;
  std::unique_ptr<TcpStoreServer> server; // rank 0 only
  std::mutex mutex;                       // one request at a time
  int fd = -1;
  std::string lostReason; // why the connection closed, once it has
  /// A reply that no rendezvous sends (a frame past kMaxFrame): something
  /// else answers on MASTER_PORT.
  bool foreignReply = false;
  std::vector<std::string> rankHosts;

  void heartbeat(SilenceHandler onSilence);
  /// The message for a BEAT reply that lists silent ranks; "" for none.
  std::string silentRanksMessage(const std::string &reply) const;
  void stopHeartbeat();
  std::thread beatThread;
  std::mutex beatMutex;
  std::condition_variable beatChanged;
  bool beatStopping = false;
  std::string silenceMessage; // guarded by beatMutex
};

/// "30 s", "1.5 s", "250 ms": durations as the messages print them.
std::string formatDuration(std::chrono::milliseconds duration);

/// What a rank whose collective failed says about the others, for every
/// backend: "rank 1 is gone (its process ended or lost its connection)",
/// "ranks 1, 3 are gone (...)", "rank 0 (the rendezvous host) is gone" when
/// another rank can no longer reach the store, or empty when no rank is
/// known to be gone (a timeout, a peer that failed and left cleanly). Waits
/// up to 2 s, at most `timeout`, for the server to notice a close.
std::string describeGoneRanks(TcpStore &store,
                              std::chrono::milliseconds timeout);

} // namespace dsc::runtime

#endif // DSC_RUNTIME_COMM_TCPSTORE_H
