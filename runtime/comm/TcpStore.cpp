//===- TcpStore.cpp - The env:// rendezvous: a key-value store ------------===//

#include "runtime/comm/TcpStore.h"

#include "runtime/comm/JobToken.h"
#include "runtime/comm/RendezvousSocket.h"
#include "runtime/io/FileUtil.h"

#include <gloo/common/error.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <thread>
#include <utility>

#include <condition_variable>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace dsc::runtime {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

enum Op : uint8_t {
  OpHello = 1,
  OpSet = 2,
  OpGet = 3,
  OpWait = 4,
  OpGone = 5,
  OpDone = 6,
  OpChallenge = 7,
  OpAuth = 8,
  OpBeat = 9
};

/// The nonces of the handshake (JobToken.h).
constexpr size_t kNonceBytes = 32;
/// How long a new connection has to prove the job token.
constexpr milliseconds kAuthTimeout(10000);
/// Why a connection that sent anything but AUTH first is refused.
const char *const kNoProof =
    "it is not a rank of this job (no job token proof)";
/// Refused connections rank 0 reports one by one; then it says it stops.
constexpr int kRefusalsShown = 10;

/// Frames larger than this are a protocol error, not an allocation.
constexpr uint32_t kMaxFrame = 256u << 20;
/// How long a client waits for a WAIT reply beyond the WAIT's own timeout:
/// the server answers at its deadline, this only covers a master that hangs.
constexpr milliseconds kReplyGrace(2000);
/// Pause between attempts to reach a master that is not listening yet.
constexpr milliseconds kConnectRetry(50);
/// How long the destructor waits for the master to acknowledge DONE: it is
/// answered at once by a live master, and a dead one must not hold up exit.
constexpr milliseconds kDoneTimeout(2000);

const std::string kArrivedPrefix = "arrived/";
/// Each rank's address (its side of the store connection), for messages.
const std::string kHostPrefix = "host/";
/// How long GONE waits after the first rank went before it answers: the
/// ranks of a node that died at once close within moments of each other.
constexpr milliseconds kGoneSettle(300);
/// How often a rank says it is alive.
constexpr milliseconds kBeatInterval(500);
/// The answer to HELLO: what tells a rendezvous from another service that
/// happens to listen on MASTER_PORT.
const std::string kHelloReply = "ds-compile rendezvous 1";

void putU32(std::string &out, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void putStr(std::string &out, const char *data, size_t size) {
  putU32(out, static_cast<uint32_t>(size));
  out.append(data, size);
}

void putStr(std::string &out, const std::string &s) {
  putStr(out, s.data(), s.size());
}

/// Reads the fields of one frame body; every read fails past the end.
class Reader {
public:
  explicit Reader(const std::string &body)
      : p(body.data()), end(body.data() + body.size()) {}

  bool u8(uint8_t &v) {
    if (end - p < 1)
      return false;
    v = static_cast<uint8_t>(*p++);
    return true;
  }
  bool u32(uint32_t &v) {
    if (end - p < 4)
      return false;
    v = 0;
    for (int i = 0; i < 4; ++i)
      v |= static_cast<uint32_t>(static_cast<uint8_t>(p[i])) << (8 * i);
    p += 4;
    return true;
  }
  bool str(std::string &s) {
    uint32_t n;
    if (!u32(n) || static_cast<size_t>(end - p) < n)
      return false;
    s.assign(p, n);
    p += n;
    return true;
  }
  bool atEnd() const { return p == end; }

private:
  const char *p;
  const char *end;
};

std::string frame(const std::string &body) {
  std::string out;
  putU32(out, static_cast<uint32_t>(body.size()));
  return out + body;
}

/// Milliseconds from now to `deadline`, at least 0, rounded up so that a
/// poll() never returns just before the deadline and spins.
int msUntil(Clock::time_point deadline) {
  auto left = deadline - Clock::now();
  if (left <= Clock::duration::zero())
    return 0;
  auto ms = std::chrono::ceil<milliseconds>(left).count();
  return static_cast<int>(std::min<int64_t>(ms, 1 << 30));
}

/// poll() on one descriptor until `deadline`; false on timeout, with errno
/// set on a poll failure (0 for a timeout).
bool pollUntil(int fd, short events, Clock::time_point deadline) {
  while (true) {
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, msUntil(deadline));
    if (n > 0)
      return true;
    if (n == 0) {
      errno = 0;
      return false;
    }
    if (errno != EINTR)
      return false;
  }
}

std::string endpointOf(const std::string &host, int port) {
  bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::vector<int> ranksOfArrivalKeys(const std::vector<std::string> &keys) {
  std::vector<int> ranks;
  for (const std::string &k : keys)
    if (k.rfind(kArrivedPrefix, 0) == 0)
      ranks.push_back(std::atoi(k.c_str() + kArrivedPrefix.size()));
  std::sort(ranks.begin(), ranks.end());
  return ranks;
}

/// "10.0.0.5", "::1": an address without its port.
std::string hostName(const sockaddr_storage &addr, socklen_t len) {
  char host[NI_MAXHOST];
  if (::getnameinfo(reinterpret_cast<const sockaddr *>(&addr), len, host,
                    sizeof(host), nullptr, 0, NI_NUMERICHOST) != 0)
    return "an unknown address";
  return host;
}

/// "10.0.0.5:41234", "[::1]:41234": a client's address for messages.
std::string peerName(const sockaddr_storage &addr, socklen_t len) {
  char host[NI_MAXHOST], port[NI_MAXSERV];
  if (::getnameinfo(reinterpret_cast<const sockaddr *>(&addr), len, host,
                    sizeof(host), port, sizeof(port),
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0)
    return "an unknown address";
  return endpointOf(host, std::atoi(port));
}

std::string joinQuoted(const std::vector<std::string> &keys) {
  std::string out;
  for (const std::string &k : keys)
    out += (out.empty() ? "'" : ", '") + k + "'";
  return out;
}

/// "rank 2 on 10.0.0.2", "ranks 2, 3 on 10.0.0.2 and rank 5 on 10.0.0.3",
/// and whether more than one rank is named.
std::pair<std::string, bool>
ranksByHost(const std::vector<std::pair<int, std::string>> &ranks) {
  std::vector<std::string> hostOrder;
  std::map<std::string, std::vector<int>> byHost;
  for (const auto &[rank, host] : ranks) {
    if (!byHost.count(host))
      hostOrder.push_back(host);
    byHost[host].push_back(rank);
  }
  std::string text;
  for (size_t i = 0; i < hostOrder.size(); ++i) {
    std::vector<int> &list = byHost[hostOrder[i]];
    std::sort(list.begin(), list.end());
    std::string numbers;
    for (int r : list)
      numbers += (numbers.empty() ? "" : ", ") + std::to_string(r);
    text += std::string(i == 0 ? "" : " and ") +
            (list.size() == 1 ? "rank " : "ranks ") + numbers + " on " +
            hostOrder[i];
  }
  return {text, ranks.size() > 1};
}

} // namespace

std::string formatDuration(milliseconds duration) {
  int64_t ms = duration.count();
  if (ms % 1000 == 0)
    return std::to_string(ms / 1000) + " s";
  if (ms < 1000)
    return std::to_string(ms) + " ms";
  std::string tenths = std::to_string(ms / 100);
  return tenths.substr(0, tenths.size() - 1) + "." + tenths.back() + " s";
}

std::string describeGoneRanks(TcpStore &store, milliseconds timeout) {
  // The transport and the store see a dead process's sockets close at about
  // the same moment, but the store's thread may be a little behind. Never
  // more than the collective's own timeout.
  constexpr milliseconds kGoneWait(2000);
  Expected<std::vector<int>> gone =
      store.goneRanks(std::min(kGoneWait, timeout));
  if (!gone) {
    // Only rank 0's death (or its host's) takes the store away from the
    // others; rank 0 reaches its own server in-process.
    return store.rank() == 0
               ? std::string()
               : std::string("rank 0 (the rendezvous host) is gone");
  }
  if (gone->empty())
    return {};
  // Ranks of other hosts are named with their host.
  const std::vector<std::string> &hosts = store.hosts();
  const size_t me = static_cast<size_t>(store.rank());
  std::vector<std::pair<int, std::string>> withHosts;
  bool elsewhere = false;
  for (int r : *gone) {
    size_t at = static_cast<size_t>(r);
    std::string host = at < hosts.size() ? hosts[at] : "";
    elsewhere |= !host.empty() && me < hosts.size() && host != hosts[me];
    withHosts.push_back({r, host});
  }
  if (elsewhere) {
    auto [named, plural] = ranksByHost(withHosts);
    return named + (plural ? " are gone (their processes ended or lost their "
                             "connections)"
                           : " is gone (its process ended or lost its "
                             "connection)");
  }
  if (gone->size() == 1)
    return "rank " + std::to_string(gone->front()) +
           " is gone (its process ended or lost its connection)";
  std::string ranks;
  for (int r : *gone)
    ranks += (ranks.empty() ? "" : ", ") + std::to_string(r);
  return "ranks " + ranks +
         " are gone (their processes ended or lost their connections)";
}

//===----------------------------------------------------------------------===//
// The server (rank 0)
//===----------------------------------------------------------------------===//

/// The key-value server: one thread, poll() over the listening socket, a
/// wake-up pipe and the clients. Keys, clients and pending WAITs belong to
/// that thread; only the count of connected clients is shared.
class TcpStoreServer {
public:
  static Expected<std::unique_ptr<TcpStoreServer>>
  start(const WorldInfo &world);
  ~TcpStoreServer();

  /// Returns once no client is connected, or at `deadline`.
  void waitForClientsToLeave(Clock::time_point deadline);

private:
  struct Conn {
    int fd;
    std::string in;
    std::string out;
    bool dead = false;
    int rank = -1;     // from HELLO; -1 before it
    bool done = false; // said DONE: its close is a clean exit
    /// Proved the job token (AUTH); nothing else is answered before.
    bool authenticated = false;
    std::string nonce; // the challenge sent on accept
    Clock::time_point authDeadline;
    std::string peer; // "10.0.0.5:41234", for the refusal's message
    std::string host; // the peer's address alone: "10.0.0.5"
    /// The last time a frame came: a rank that stays silent longer than
    /// the heartbeat timeout is reported by OpBeat.
    Clock::time_point lastHeard;
  };
  struct Waiter {
    int fd;
    std::vector<std::string> keys; // a WAIT's keys; empty for GONE
    Clock::time_point deadline;
    bool forGone = false; // a GONE: answered once any rank is gone
  };

  TcpStoreServer() = default;
  void run();
  void acceptClients();
  void readFrom(Conn &c);
  void writeTo(Conn &c);
  /// Closes the dead connections; a rank whose connection closed before it
  /// said DONE is gone.
  void dropDeadClients();
  /// Handles one request; false when it is malformed.
  bool handle(Conn &c, const std::string &body);
  /// A connection's first request: AUTH with the token's proof. Answers
  /// it, or refuses the connection; false when it is to be closed.
  bool authenticate(Conn &c, const std::string &body);
  /// Says why a connection is dropped (the first kRefusalsShown times).
  void refuse(Conn &c, const std::string &why);
  /// Drops the connections that did not prove the token in time.
  void expireUnauthenticated();
  /// The connected ranks (authenticated) to `clients`.
  void countClients();
  /// Answers every WAIT whose keys have all come or whose deadline passed.
  void answerWaiters();
  Conn *find(int fd);
  std::vector<std::string> missing(const std::vector<std::string> &keys) const;

  int listenFd = -1;
  int wakeRead = -1, wakeWrite = -1;
  std::thread thread;
  std::string token;
  int refusals = 0;
  milliseconds heartbeatTimeout{10000};

  std::mutex mutex;
  std::condition_variable changed;
  size_t clients = 0; // guarded by mutex
  bool stopping = false;

  // Owned by the server thread.
  std::map<std::string, std::vector<char>> data;
  std::vector<Conn> conns;
  std::vector<Waiter> waiters;
  std::set<int> goneRanks;
  /// When the first rank went: GONE answers a moment later, so that the
  /// ranks of a node that died at once are named together.
  Clock::time_point firstGoneAt;
};

Expected<std::unique_ptr<TcpStoreServer>>
TcpStoreServer::start(const WorldInfo &world) {
  // It listens where the job needs it, on MASTER_ADDR (loopback for a local
  // job): whoever can reach another interface of this host cannot reach
  // the rendezvous. DSC_RENDEZVOUS_ALL_INTERFACES=1 listens on every
  // address of MASTER_ADDR's family instead, as PyTorch's store does. A
  // socket ds-run opened for a --master_port 0 job is taken as it is.
  const char *all = std::getenv("DSC_RENDEZVOUS_ALL_INTERFACES");
  const bool everywhere = all && std::string(all) == "1";
  const char *handed = std::getenv(kRendezvousFdVariable);
  Expected<ListeningSocket> socket =
      handed ? adoptRendezvousSocket(handed, world.masterPort)
             : listenForRendezvous("rank 0", world.masterAddr, world.masterPort,
                                   everywhere);
  if (!socket)
    return socket.status();
  std::unique_ptr<TcpStoreServer> server(new TcpStoreServer);
  server->listenFd = socket->fd;
  server->token = world.token;
  server->heartbeatTimeout = world.heartbeatTimeout;
  int pipeFds[2];
  if (::pipe2(pipeFds, O_CLOEXEC | O_NONBLOCK) != 0)
    return Status::error("rank 0: cannot start the rendezvous server (" +
                         errnoText("pipe", errno) + ")");
  server->wakeRead = pipeFds[0];
  server->wakeWrite = pipeFds[1];
  TcpStoreServer *raw = server.get();
  server->thread = std::thread([raw] { raw->run(); });
  return server;
}

TcpStoreServer::~TcpStoreServer() {
  if (thread.joinable()) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      stopping = true;
    }
    char byte = 1;
    while (::write(wakeWrite, &byte, 1) < 0 && errno == EINTR) {
    }
    thread.join();
  }
  for (Conn &c : conns)
    ::close(c.fd);
  for (int fd : {listenFd, wakeRead, wakeWrite})
    if (fd >= 0)
      ::close(fd);
}

void TcpStoreServer::waitForClientsToLeave(Clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mutex);
  changed.wait_until(lock, deadline, [&] { return clients == 0; });
}

TcpStoreServer::Conn *TcpStoreServer::find(int fd) {
  for (Conn &c : conns)
    if (c.fd == fd)
      return &c;
  return nullptr;
}

std::vector<std::string>
TcpStoreServer::missing(const std::vector<std::string> &keys) const {
  std::vector<std::string> out;
  for (const std::string &k : keys)
    if (!data.count(k))
      out.push_back(k);
  return out;
}

void TcpStoreServer::run() {
  std::vector<pollfd> fds;
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (stopping)
        return;
    }
    fds.clear();
    fds.push_back({wakeRead, POLLIN, 0});
    fds.push_back({listenFd, POLLIN, 0});
    for (const Conn &c : conns)
      fds.push_back({c.fd,
                     static_cast<short>(POLLIN | (c.out.empty() ? 0 : POLLOUT)),
                     0});
    int timeoutMs = -1;
    for (const Waiter &w : waiters) {
      Clock::time_point due = w.deadline;
      if (w.forGone && !goneRanks.empty())
        due = std::min(due, firstGoneAt + kGoneSettle);
      int ms = msUntil(due);
      timeoutMs = timeoutMs < 0 ? ms : std::min(timeoutMs, ms);
    }
    for (const Conn &c : conns)
      if (!c.authenticated) {
        int ms = msUntil(c.authDeadline);
        timeoutMs = timeoutMs < 0 ? ms : std::min(timeoutMs, ms);
      }
    int n = ::poll(fds.data(), fds.size(), timeoutMs);
    if (n < 0 && errno != EINTR)
      return; // Nothing sensible left to do; clients see the close.
    if (n > 0) {
      if (fds[0].revents) {
        char buf[64];
        while (::read(wakeRead, buf, sizeof(buf)) > 0) {
        }
      }
      if (fds[1].revents)
        acceptClients();
      // conns may have grown in acceptClients(): index the poll results by
      // descriptor, not by position.
      for (size_t i = 2; i < fds.size(); ++i) {
        if (!fds[i].revents)
          continue;
        Conn *c = find(fds[i].fd);
        if (!c || c->dead)
          continue;
        if (fds[i].revents & (POLLIN | POLLHUP | POLLERR))
          readFrom(*c);
        if (!c->dead && (fds[i].revents & POLLOUT))
          writeTo(*c);
      }
    }
    expireUnauthenticated();
    // Closes first: one seen in this round answers a GONE now. A write can
    // find another dead client; repeat until none is left.
    do {
      dropDeadClients();
      answerWaiters();
      for (Conn &c : conns)
        if (!c.out.empty())
          writeTo(c);
    } while (std::any_of(conns.begin(), conns.end(),
                         [](const Conn &c) { return c.dead; }));
  }
}

void TcpStoreServer::dropDeadClients() {
  size_t before = conns.size();
  for (const Conn &c : conns) {
    if (!c.dead)
      continue;
    ::close(c.fd);
    if (c.rank >= 0 && !c.done && goneRanks.empty())
      firstGoneAt = Clock::now();
    if (c.rank >= 0 && !c.done)
      goneRanks.insert(c.rank);
    waiters.erase(std::remove_if(waiters.begin(), waiters.end(),
                                 [&](const Waiter &w) { return w.fd == c.fd; }),
                  waiters.end());
  }
  conns.erase(std::remove_if(conns.begin(), conns.end(),
                             [](const Conn &c) { return c.dead; }),
              conns.end());
  if (conns.size() != before)
    countClients();
}

void TcpStoreServer::countClients() {
  size_t ranks = static_cast<size_t>(
      std::count_if(conns.begin(), conns.end(),
                    [](const Conn &c) { return c.authenticated; }));
  std::lock_guard<std::mutex> lock(mutex);
  clients = ranks;
  changed.notify_all();
}

void TcpStoreServer::refuse(Conn &c, const std::string &why) {
  if (refusals < kRefusalsShown)
    std::fprintf(stderr,
                 "ds-rank 0: warning: the rendezvous refused a connection "
                 "from %s: %s%s\n",
                 c.peer.c_str(), why.c_str(),
                 refusals + 1 == kRefusalsShown
                     ? " (later refusals are not shown)"
                     : "");
  ++refusals;
  c.dead = true;
}

void TcpStoreServer::expireUnauthenticated() {
  Clock::time_point now = Clock::now();
  for (Conn &c : conns)
    if (!c.authenticated && !c.dead && c.authDeadline <= now)
      refuse(c, "it did not prove the job token within " +
                    formatDuration(kAuthTimeout));
}

void TcpStoreServer::acceptClients() {
  while (true) {
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    int fd = ::accept4(listenFd, reinterpret_cast<sockaddr *>(&addr), &len,
                       SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
      break; // EAGAIN, or a client that left before we took it.
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    Conn c{fd, {}, {}};
    c.peer = peerName(addr, len);
    c.host = hostName(addr, len);
    c.authDeadline = Clock::now() + kAuthTimeout;
    c.lastHeard = Clock::now();
    // Every connection first gets its own challenge (JobToken.h).
    Expected<std::string> nonce = randomBytes(kNonceBytes);
    if (!nonce) {
      ::close(fd);
      continue;
    }
    c.nonce = *nonce;
    std::string challenge(1, static_cast<char>(OpChallenge));
    challenge += c.nonce;
    c.out = frame(challenge);
    conns.push_back(std::move(c));
    writeTo(conns.back());
  }
}

void TcpStoreServer::readFrom(Conn &c) {
  char buf[65536];
  bool closed = false;
  while (true) {
    ssize_t n = ::recv(c.fd, buf, sizeof(buf), 0);
    if (n > 0) {
      c.in.append(buf, static_cast<size_t>(n));
      c.lastHeard = Clock::now();
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
      closed = true;
    break;
  }
  // Whole frames only; a partial one waits for more bytes. The frames that
  // came before a close still count: a DONE right before it makes the close
  // a clean one.
  size_t pos = 0;
  while (!c.dead && c.in.size() - pos >= 4) {
    uint32_t len = 0;
    for (int i = 0; i < 4; ++i)
      len |= static_cast<uint32_t>(static_cast<uint8_t>(c.in[pos + i]))
             << (8 * i);
    if (len > kMaxFrame || (!c.authenticated && len > 1024)) {
      if (!c.authenticated)
        refuse(c, kNoProof);
      c.dead = true;
      break;
    }
    if (c.in.size() - pos - 4 < len)
      break;
    std::string body = c.in.substr(pos + 4, len);
    pos += 4 + len;
    if (!handle(c, body))
      c.dead = true;
  }
  c.in.erase(0, pos);
  if (closed && !c.dead && !c.authenticated)
    refuse(c, "it closed the connection without proving the job token");
  if (closed)
    c.dead = true;
}

void TcpStoreServer::writeTo(Conn &c) {
  while (!c.out.empty()) {
    ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
    if (n > 0) {
      c.out.erase(0, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return;
    c.dead = true;
    return;
  }
}

bool TcpStoreServer::authenticate(Conn &c, const std::string &body) {
  // u8 AUTH, the client's nonce, its proof.
  if (body.size() != 1 + kNonceBytes + 32 ||
      static_cast<uint8_t>(body[0]) != OpAuth) {
    refuse(c, kNoProof);
    return false;
  }
  std::string clientNonce = body.substr(1, kNonceBytes);
  Digest proof;
  std::memcpy(proof.data(), body.data() + 1 + kNonceBytes, proof.size());
  if (token.empty() ||
      !equalDigests(proof, hmacSha256(token, handshakeMessage("client", c.nonce,
                                                              clientNonce)))) {
    // Said to the client too: a rank with another job's token learns why.
    c.out += frame(std::string(1, '\0'));
    writeTo(c);
    refuse(c, "wrong job token");
    return false;
  }
  c.authenticated = true;
  Digest answer =
      hmacSha256(token, handshakeMessage("server", c.nonce, clientNonce));
  std::string reply(1, '\1');
  reply.append(reinterpret_cast<const char *>(answer.data()), answer.size());
  c.out += frame(reply);
  countClients();
  return true;
}

bool TcpStoreServer::handle(Conn &c, const std::string &body) {
  if (!c.authenticated)
    return authenticate(c, body);
  Reader r(body);
  uint8_t op;
  if (!r.u8(op))
    return false;
  std::string reply;
  switch (op) {
  case OpHello: {
    uint32_t rank;
    if (!r.u32(rank) || !r.atEnd() || rank > 0x7fffffffu)
      return false;
    c.rank = static_cast<int>(rank);
    reply = kHelloReply;
    break;
  }
  case OpBeat: {
    if (!r.atEnd())
      return false;
    // The ranks unheard for longer than the timeout, with their address; a
    // rank waiting on this server (a WAIT, a GONE) is not silent.
    // With them, the ranks of their hosts that missed two beats already:
    // a node's ranks fall silent together, a beat apart at most.
    const Clock::time_point now = Clock::now();
    auto unheardFor = [&](const Conn &other, milliseconds limit) {
      bool waiting =
          std::any_of(waiters.begin(), waiters.end(),
                      [&](const Waiter &w) { return w.fd == other.fd; });
      return other.rank >= 0 && !other.done && !other.dead && !waiting &&
             now - other.lastHeard > limit;
    };
    std::set<std::string> silentHosts;
    for (const Conn &other : conns)
      if (unheardFor(other, heartbeatTimeout))
        silentHosts.insert(other.host);
    std::vector<const Conn *> silent;
    for (const Conn &other : conns)
      if (silentHosts.count(other.host) &&
          unheardFor(other, std::min(heartbeatTimeout, 2 * kBeatInterval)))
        silent.push_back(&other);
    putU32(reply, static_cast<uint32_t>(silent.size()));
    for (const Conn *other : silent) {
      putU32(reply, static_cast<uint32_t>(other->rank));
      putStr(reply, other->host);
    }
    break;
  }
  case OpDone: {
    if (!r.atEnd())
      return false;
    c.done = true;
    reply.push_back(1);
    break;
  }
  case OpGone: {
    uint32_t timeoutMs;
    if (!r.u32(timeoutMs) || !r.atEnd())
      return false;
    // Answered by answerWaiters(): now if a rank is gone already.
    waiters.push_back(
        Waiter{c.fd, {}, Clock::now() + milliseconds(timeoutMs), true});
    answerWaiters();
    return true;
  }
  case OpSet: {
    std::string key, value;
    if (!r.str(key) || !r.str(value) || !r.atEnd())
      return false;
    data[key] = std::vector<char>(value.begin(), value.end());
    reply.push_back(1);
    c.out += frame(reply);
    answerWaiters();
    return true;
  }
  case OpGet: {
    std::string key;
    if (!r.str(key) || !r.atEnd())
      return false;
    auto it = data.find(key);
    reply.push_back(it != data.end() ? 1 : 0);
    if (it != data.end())
      putStr(reply, it->second.data(), it->second.size());
    break;
  }
  case OpWait: {
    uint32_t timeoutMs, count;
    if (!r.u32(timeoutMs) || !r.u32(count))
      return false;
    Waiter w{c.fd, {}, Clock::now() + milliseconds(timeoutMs)};
    for (uint32_t i = 0; i < count; ++i) {
      std::string key;
      if (!r.str(key))
        return false;
      w.keys.push_back(std::move(key));
    }
    if (!r.atEnd())
      return false;
    if (!missing(w.keys).empty()) {
      // Answered by answerWaiters() when the keys come or time runs out.
      waiters.push_back(std::move(w));
      return true;
    }
    reply.push_back(1);
    break;
  }
  default:
    return false;
  }
  c.out += frame(reply);
  return true;
}

void TcpStoreServer::answerWaiters() {
  Clock::time_point now = Clock::now();
  for (size_t i = 0; i < waiters.size();) {
    Waiter &w = waiters[i];
    if (w.forGone) {
      bool settled = !goneRanks.empty() && now >= firstGoneAt + kGoneSettle;
      if (!settled && w.deadline > now) {
        ++i;
        continue;
      }
      std::string reply;
      putU32(reply, static_cast<uint32_t>(goneRanks.size()));
      for (int rank : goneRanks)
        putU32(reply, static_cast<uint32_t>(rank));
      if (Conn *c = find(w.fd))
        c->out += frame(reply);
      waiters.erase(waiters.begin() + static_cast<long>(i));
      continue;
    }
    std::vector<std::string> absent = missing(w.keys);
    if (!absent.empty() && w.deadline > now) {
      ++i;
      continue;
    }
    std::string reply;
    reply.push_back(absent.empty() ? 1 : 0);
    if (!absent.empty()) {
      putU32(reply, static_cast<uint32_t>(absent.size()));
      for (const std::string &k : absent)
        putStr(reply, k);
    }
    if (Conn *c = find(w.fd))
      c->out += frame(reply);
    waiters.erase(waiters.begin() + static_cast<long>(i));
  }
}

//===----------------------------------------------------------------------===//
// The client (every rank)
//===----------------------------------------------------------------------===//

TcpStore::TcpStore(const WorldInfo &world, milliseconds timeout)
    : world(world), defaultTimeout(timeout),
      masterEndpoint(endpointOf(world.masterAddr, world.masterPort)) {}

TcpStore::~TcpStore() {
  stopHeartbeat();
  // DONE first, so that rank 0 does not take the close for a death. No
  // answer (a master that is gone already) changes nothing: this rank is
  // leaving anyway.
  (void)roundTrip(std::string(1, static_cast<char>(OpDone)),
                  Clock::now() + std::min(defaultTimeout, kDoneTimeout));
  closeConnection();
  if (server)
    server->waitForClientsToLeave(Clock::now() + defaultTimeout);
}

void TcpStore::closeConnection() {
  std::lock_guard<std::mutex> lock(mutex);
  if (fd >= 0)
    ::close(fd);
  fd = -1;
  if (lostReason.empty())
    lostReason = "closed";
}

Expected<std::unique_ptr<TcpStore>> TcpStore::create(const WorldInfo &world,
                                                     milliseconds timeout) {
  Clock::time_point deadline = Clock::now() + timeout;
  if (world.token.empty())
    return Status::error(missingTokenMessage(world.rank));
  std::unique_ptr<TcpStore> store(new TcpStore(world, timeout));
  if (world.rank == 0) {
    auto server = TcpStoreServer::start(world);
    if (!server)
      return server.status();
    store->server = std::move(*server);
  }
  if (Status s = store->connectToMaster(deadline); !s.ok())
    return s;
  if (Status s = store->authenticate(deadline); !s.ok())
    return s;

  std::string hello(1, static_cast<char>(OpHello));
  putU32(hello, static_cast<uint32_t>(world.rank));
  auto reply = store->roundTrip(hello, deadline);
  if ((reply && *reply != kHelloReply) || (!reply && store->foreignReply))
    return Status::error(
        "rank " + std::to_string(world.rank) + ": something other than a " +
        "ds-compile rendezvous answers on MASTER_ADDR:MASTER_PORT " +
        store->masterEndpoint +
        " (another service uses that port?); choose another --master_port");
  if (!reply)
    return reply.status();
  // This rank's address as the others reach the rendezvous from: the local
  // side of the connection.
  sockaddr_storage local{};
  socklen_t localLen = sizeof(local);
  std::string host = "an unknown address";
  if (::getsockname(store->fd, reinterpret_cast<sockaddr *>(&local),
                    &localLen) == 0)
    host = hostName(local, localLen);
  if (Status s = store->trySet(kHostPrefix + std::to_string(world.rank),
                               std::vector<char>(host.begin(), host.end()));
      !s.ok())
    return s;
  if (Status s = store->trySet(kArrivedPrefix + std::to_string(world.rank), {});
      !s.ok())
    return s;

  std::vector<std::string> keys;
  for (int r = 0; r < world.size; ++r)
    keys.push_back(kArrivedPrefix + std::to_string(r));
  milliseconds left = std::chrono::ceil<milliseconds>(deadline - Clock::now());
  auto absent = store->waitForKeys(keys, std::max(left, milliseconds(1)));
  if (!absent)
    return absent.status();
  if (!absent->empty()) {
    std::string ranks;
    for (int r : ranksOfArrivalKeys(*absent))
      ranks += (ranks.empty() ? "" : ", ") + std::to_string(r);
    return Status::error(
        "rank(s) " + ranks + " never arrived at the rendezvous on " +
        store->masterEndpoint + " within " + formatDuration(timeout));
  }
  for (int r = 0; r < world.size; ++r) {
    auto host = store->tryGet(kHostPrefix + std::to_string(r), timeout);
    if (!host)
      return host.status();
    store->rankHosts.emplace_back(host->begin(), host->end());
  }
  return store;
}

void TcpStore::startHeartbeat(SilenceHandler onSilence) {
  if (beatThread.joinable() || world.heartbeatTimeout.count() <= 0)
    return;
  beatThread = std::thread(
      [this, onSilence = std::move(onSilence)] { heartbeat(onSilence); });
}

std::string TcpStore::silence() {
  {
    std::lock_guard<std::mutex> lock(beatMutex);
    if (!silenceMessage.empty() || !beatThread.joinable())
      return silenceMessage;
  }
  // Not heard yet: ask now (a collective that just failed may be the first
  // to feel it; rank 0 asks its own server).
  auto reply = roundTrip(std::string(1, static_cast<char>(OpBeat)),
                         Clock::now() + kBeatInterval);
  return reply ? silentRanksMessage(*reply) : std::string();
}

std::string TcpStore::silentRanksMessage(const std::string &reply) const {
  Reader r(reply);
  uint32_t count = 0;
  std::vector<std::pair<int, std::string>> silent;
  bool ok = r.u32(count);
  for (uint32_t i = 0; ok && i < count; ++i) {
    uint32_t rank = 0;
    std::string host;
    ok = r.u32(rank) && r.str(host);
    silent.push_back({static_cast<int>(rank), host});
  }
  if (!ok || silent.empty())
    return "";
  auto [named, plural] = ranksByHost(silent);
  return named + (plural ? " have" : " has") + " not been heard from for " +
         formatDuration(world.heartbeatTimeout) +
         " (DSC_HEARTBEAT_TIMEOUT): a node down or cut off from the "
         "rendezvous";
}

void TcpStore::stopHeartbeat() {
  {
    std::lock_guard<std::mutex> lock(beatMutex);
    beatStopping = true;
  }
  beatChanged.notify_all();
  if (beatThread.joinable())
    beatThread.join();
}

void TcpStore::heartbeat(SilenceHandler handler) {
  // What it found is kept first, for a collective that fails meanwhile.
  auto onSilence = [&](const std::string &message) {
    {
      std::lock_guard<std::mutex> lock(beatMutex);
      silenceMessage = message;
    }
    handler(message);
  };
  const milliseconds limit = world.heartbeatTimeout;
  const std::string limitText =
      formatDuration(limit) + " (DSC_HEARTBEAT_TIMEOUT)";
  while (true) {
    {
      std::unique_lock<std::mutex> lock(beatMutex);
      if (beatChanged.wait_for(lock, kBeatInterval,
                               [&] { return beatStopping; }))
        return;
    }
    const Clock::time_point sent = Clock::now();
    auto reply =
        roundTrip(std::string(1, static_cast<char>(OpBeat)), sent + limit);
    {
      std::lock_guard<std::mutex> lock(beatMutex);
      if (beatStopping)
        return;
    }
    if (!reply && Clock::now() - sent < limit) {
      // Not silence: the connection closed, so rank 0's process ended (its
      // own failure, or it stopped because others fell silent).
      onSilence("rank 0 on " +
                (rankHosts.empty() ? world.masterAddr : rankHosts[0]) +
                " is gone (" + reply.message() + ")");
      return;
    }
    if (!reply) {
      // The rendezvous host's node is gone or cut off from this one: its
      // ranks are the silent ones.
      std::vector<std::pair<int, std::string>> theirs;
      const std::string master = rankHosts.empty() ? "" : rankHosts[0];
      for (size_t r = 0; r < rankHosts.size(); ++r)
        if (rankHosts[r] == master && static_cast<int>(r) != world.rank)
          theirs.push_back({static_cast<int>(r), rankHosts[r]});
      if (theirs.empty())
        theirs.push_back({0, master});
      auto [named, plural] = ranksByHost(theirs);
      onSilence("the rendezvous on " + masterEndpoint +
                " has not answered for " + limitText + ": " + named +
                (plural ? " are" : " is") +
                " down or cut off from this rank's node");
      return;
    }
    const std::string message = silentRanksMessage(*reply);
    if (message.empty())
      continue;
    // Rank 0 serves the rendezvous: it leaves last, two beats after the
    // others have heard the same news from it (kept already, for its own
    // collective that fails as they leave).
    if (server) {
      std::unique_lock<std::mutex> lock(beatMutex);
      silenceMessage = message;
      if (beatChanged.wait_for(lock, 2 * kBeatInterval,
                               [&] { return beatStopping; }))
        return;
    }
    onSilence(message);
    return;
  }
}

Status TcpStore::authenticate(Clock::time_point deadline) {
  const std::string who = "rank " + std::to_string(world.rank);
  auto foreign = [&] {
    return Status::error(
        who + ": something other than a ds-compile rendezvous answers on " +
        "MASTER_ADDR:MASTER_PORT " + masterEndpoint +
        " (another service uses that port?); choose another --master_port");
  };
  // The server's challenge, then this rank's proof, then the server's. A
  // rendezvous sends its challenge on accept: a service that stays silent
  // is not one.
  Expected<std::string> challenge =
      exchange(nullptr, std::min(deadline, Clock::now() + kAuthTimeout));
  if (!challenge)
    return foreignReply
               ? foreign()
               : Status::error(who +
                               ": nothing answers as a ds-compile "
                               "rendezvous on MASTER_ADDR:MASTER_PORT " +
                               masterEndpoint + " (" + lostReason +
                               "); another service uses that port?");
  if (challenge->size() != 1 + kNonceBytes ||
      static_cast<uint8_t>((*challenge)[0]) != OpChallenge)
    return foreign();
  std::string serverNonce = challenge->substr(1);
  Expected<std::string> clientNonce = randomBytes(kNonceBytes);
  if (!clientNonce)
    return Status::error(who + ": " + clientNonce.message());
  Digest proof = hmacSha256(
      world.token, handshakeMessage("client", serverNonce, *clientNonce));
  std::string auth(1, static_cast<char>(OpAuth));
  auth += *clientNonce;
  auth.append(reinterpret_cast<const char *>(proof.data()), proof.size());
  Expected<std::string> reply = roundTrip(auth, deadline);
  if (!reply)
    return reply.status();
  if (reply->size() == 1 && (*reply)[0] == '\0')
    return Status::error(who + ": the rendezvous on " + masterEndpoint +
                         " refused this rank's job token: it is another "
                         "job's, or the ranks were given different tokens");
  Digest expected = hmacSha256(
      world.token, handshakeMessage("server", serverNonce, *clientNonce));
  Digest answer{};
  if (reply->size() == 1 + answer.size() && (*reply)[0] == '\1')
    std::memcpy(answer.data(), reply->data() + 1, answer.size());
  if (!equalDigests(answer, expected))
    return Status::error(who + ": the rendezvous on " + masterEndpoint +
                         " does not hold this job's token: it is another "
                         "job's rendezvous, or not a ds-compile one");
  return Status::success();
}

Status TcpStore::connectToMaster(Clock::time_point deadline) {
  std::string lastError = "no address";
  std::string port = std::to_string(world.masterPort);
  do {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo *found = nullptr;
    int rc =
        ::getaddrinfo(world.masterAddr.c_str(), port.c_str(), &hints, &found);
    if (rc != 0) {
      // A name the resolver does not know will not appear by retrying.
      if (rc != EAI_AGAIN)
        return Status::error("rank " + std::to_string(world.rank) +
                             ": cannot resolve MASTER_ADDR " +
                             world.masterAddr + " (" + ::gai_strerror(rc) +
                             ")");
      lastError = std::string("getaddrinfo: ") + ::gai_strerror(rc);
    }
    for (addrinfo *a = found; a; a = a->ai_next) {
      int s =
          ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                   a->ai_protocol);
      if (s < 0) {
        lastError = errnoText("socket", errno);
        continue;
      }
      int err = 0;
      if (::connect(s, a->ai_addr, a->ai_addrlen) != 0) {
        err = errno;
        if (err == EINPROGRESS) {
          if (pollUntil(s, POLLOUT, deadline)) {
            socklen_t len = sizeof(err);
            ::getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len);
          } else {
            err = errno ? errno : ETIMEDOUT;
          }
        }
      }
      if (err == 0) {
        int one = 1;
        ::setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        ::freeaddrinfo(found);
        std::lock_guard<std::mutex> lock(mutex);
        fd = s;
        return Status::success();
      }
      lastError = errnoText("connect", err);
      ::close(s);
    }
    if (found)
      ::freeaddrinfo(found);
    // The master may simply not be listening yet: try again until the
    // deadline.
    std::this_thread::sleep_for(
        std::min<Clock::duration>(kConnectRetry, deadline - Clock::now()));
  } while (Clock::now() < deadline);
  return Status::error("rank " + std::to_string(world.rank) +
                       ": could not reach the master " + masterEndpoint +
                       " within " + formatDuration(defaultTimeout) + " (" +
                       lastError + ")");
}

Expected<std::string> TcpStore::roundTrip(const std::string &request,
                                          Clock::time_point deadline) {
  return exchange(&request, deadline);
}

Expected<std::string> TcpStore::exchange(const std::string *request,
                                         Clock::time_point deadline) {
  std::lock_guard<std::mutex> lock(mutex);
  auto lost = [&](const std::string &why) -> Status {
    if (fd >= 0)
      ::close(fd);
    fd = -1;
    lostReason = why;
    return Status::error("rank " + std::to_string(world.rank) +
                         ": lost the connection to the rendezvous on " +
                         masterEndpoint + " (" + why + ")");
  };
  if (fd < 0)
    return Status::error("rank " + std::to_string(world.rank) +
                         ": no connection to the rendezvous on " +
                         masterEndpoint + " (" + lostReason + ")");

  std::string out = request ? frame(*request) : std::string();
  size_t sent = 0;
  while (sent < out.size()) {
    ssize_t n = ::send(fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!pollUntil(fd, POLLOUT, deadline))
        return lost(errno ? errnoText("poll", errno) : "send timed out");
      continue;
    }
    return lost(errnoText("send", errno));
  }

  std::string in;
  size_t want = 4;
  bool haveLength = false;
  while (in.size() < want) {
    char buf[65536];
    size_t chunk = std::min(sizeof(buf), want - in.size());
    ssize_t n = ::recv(fd, buf, chunk, 0);
    if (n > 0) {
      in.append(buf, static_cast<size_t>(n));
      if (!haveLength && in.size() == 4) {
        uint32_t len = 0;
        for (int i = 0; i < 4; ++i)
          len |= static_cast<uint32_t>(static_cast<uint8_t>(in[i])) << (8 * i);
        if (len > kMaxFrame) {
          foreignReply = true;
          return lost("reply frame of " + std::to_string(len) + " bytes");
        }
        haveLength = true;
        want = 4 + len;
      }
      continue;
    }
    if (n == 0)
      return lost("the master closed the connection");
    if (errno == EINTR)
      continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (!pollUntil(fd, POLLIN, deadline))
        return lost(errno ? errnoText("poll", errno)
                          : "no reply from the master in time");
      continue;
    }
    return lost(errnoText("recv", errno));
  }
  return in.substr(4);
}

Status TcpStore::trySet(const std::string &key, const std::vector<char> &data) {
  std::string request(1, static_cast<char>(OpSet));
  putStr(request, key);
  putStr(request, data.data(), data.size());
  auto reply = roundTrip(request, Clock::now() + defaultTimeout);
  if (!reply)
    return reply.status();
  return Status::success();
}

Expected<std::vector<std::string>>
TcpStore::waitForKeys(const std::vector<std::string> &keys,
                      milliseconds timeout) {
  if (timeout <= milliseconds::zero())
    timeout = defaultTimeout;
  std::string request(1, static_cast<char>(OpWait));
  putU32(request,
         static_cast<uint32_t>(std::min<int64_t>(timeout.count(), 0x7fffffff)));
  putU32(request, static_cast<uint32_t>(keys.size()));
  for (const std::string &k : keys)
    putStr(request, k);
  auto reply = roundTrip(request, Clock::now() + timeout + kReplyGrace);
  if (!reply)
    return reply.status();
  Reader r(*reply);
  uint8_t ok;
  std::vector<std::string> absent;
  if (!r.u8(ok))
    return Status::error("rank " + std::to_string(world.rank) +
                         ": malformed reply from the rendezvous on " +
                         masterEndpoint);
  if (!ok) {
    uint32_t count = 0;
    r.u32(count);
    for (uint32_t i = 0; i < count; ++i) {
      std::string key;
      if (!r.str(key))
        break;
      absent.push_back(std::move(key));
    }
  }
  return absent;
}

Expected<std::vector<int>> TcpStore::goneRanks(milliseconds wait) {
  if (wait < milliseconds::zero())
    wait = milliseconds::zero();
  std::string request(1, static_cast<char>(OpGone));
  putU32(request,
         static_cast<uint32_t>(std::min<int64_t>(wait.count(), 0x7fffffff)));
  auto reply = roundTrip(request, Clock::now() + wait + kReplyGrace);
  if (!reply)
    return reply.status();
  Reader r(*reply);
  uint32_t count = 0;
  std::vector<int> ranks;
  bool ok = r.u32(count);
  for (uint32_t i = 0; ok && i < count; ++i) {
    uint32_t rank = 0;
    ok = r.u32(rank);
    ranks.push_back(static_cast<int>(rank));
  }
  if (!ok || !r.atEnd())
    return Status::error("rank " + std::to_string(world.rank) +
                         ": malformed reply from the rendezvous on " +
                         masterEndpoint);
  return ranks;
}

Status TcpStore::tryWait(const std::vector<std::string> &keys,
                         milliseconds timeout) {
  if (timeout <= milliseconds::zero())
    timeout = defaultTimeout;
  auto absent = waitForKeys(keys, timeout);
  if (!absent)
    return absent.status();
  if (!absent->empty())
    return Status::error("rank " + std::to_string(world.rank) +
                         ": timed out after " + formatDuration(timeout) +
                         " waiting for key(s) " + joinQuoted(*absent) +
                         " in the rendezvous on " + masterEndpoint);
  return Status::success();
}

Expected<std::vector<char>> TcpStore::tryGet(const std::string &key,
                                             milliseconds timeout) {
  if (Status s = tryWait({key}, timeout); !s.ok())
    return s;
  std::string request(1, static_cast<char>(OpGet));
  putStr(request, key);
  auto reply = roundTrip(request, Clock::now() + defaultTimeout);
  if (!reply)
    return reply.status();
  Reader r(*reply);
  uint8_t found = 0;
  std::string value;
  if (!r.u8(found) || !found || !r.str(value))
    return Status::error("rank " + std::to_string(world.rank) + ": key '" +
                         key + "' vanished from the rendezvous on " +
                         masterEndpoint);
  return std::vector<char>(value.begin(), value.end());
}

void TcpStore::set(const std::string &key, const std::vector<char> &data) {
  if (Status s = trySet(key, data); !s.ok())
    throw gloo::IoException(s.message());
}

std::vector<char> TcpStore::get(const std::string &key) {
  auto value = tryGet(key, defaultTimeout);
  if (!value)
    throw gloo::IoException(value.message());
  return std::move(*value);
}

void TcpStore::wait(const std::vector<std::string> &keys) {
  wait(keys, defaultTimeout);
}

void TcpStore::wait(const std::vector<std::string> &keys,
                    const milliseconds &timeout) {
  if (Status s = tryWait(keys, timeout); !s.ok())
    throw gloo::IoException(s.message());
}

} // namespace dsc::runtime
