//===- CommTest.cpp - World environment, rendezvous, Gloo collectives -----===//
//
// The ranks of a world are threads of this process, each with its own
// communicator on loopback and a fresh port per world; the tests of dead
// ranks fork them, so that a real process ends (_exit: no destructor, no
// DONE) under its peers. Timeouts are short where a failure is expected and
// 5 s where none is (a broken test fails at 5 s rather than hanging).
//
//===----------------------------------------------------------------------===//

#include "kernels/cpu/CpuKernels.h"
#include "runtime/comm/Communicator.h"
#include "runtime/comm/GlooCommunicator.h"
#include "runtime/comm/JobToken.h"
#include "runtime/comm/TcpStore.h"
#include "runtime/comm/WorldEnv.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <mutex>
#include <numeric>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace dsc::runtime;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

constexpr milliseconds kTimeout(5000);

EnvLookup envOf(std::map<std::string, std::string> vars) {
  auto shared =
      std::make_shared<std::map<std::string, std::string>>(std::move(vars));
  return [shared](const char *name) -> const char * {
    auto it = shared->find(name);
    return it == shared->end() ? nullptr : it->second.c_str();
  };
}

std::string envError(std::map<std::string, std::string> vars) {
  auto world = worldFromEnvironment(envOf(std::move(vars)));
  EXPECT_FALSE(world.ok());
  return world.message();
}

/// A port nothing listens on right now: the kernel's pick for port 0.
int freePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

/// The job token of the tests' worlds.
const char *const kToken = "test-job-token-0123456789";

WorldInfo worldOf(int rank, int size, int port) {
  WorldInfo w;
  w.rank = rank;
  w.size = size;
  w.localRank = rank;
  w.localSize = size;
  w.masterPort = port;
  w.source = "env";
  w.token = kToken;
  return w;
}

/// The communicators of a world in one thread, destroyed rank 0 last: rank
/// 0's destructor serves the rendezvous until the other ranks have left.
struct Communicators {
  explicit Communicators(int n) : comms(n) {}
  ~Communicators() { clear(); }
  void clear() {
    while (!comms.empty())
      comms.pop_back();
  }
  std::unique_ptr<Communicator> &operator[](int r) { return comms[r]; }

  std::vector<std::unique_ptr<Communicator>> comms;
};

/// Runs `body` on `n` ranks, each a thread with its own communicator. The
/// world is made first (in threads: the ranks meet at the rendezvous); a
/// world that cannot form is retried on another port, because the free port
/// picked may be taken by another process before rank 0 binds it.
void onRanks(int n, const std::function<void(Communicator &)> &body,
             milliseconds timeout = kTimeout) {
  Communicators comms(n);
  std::vector<std::string> errors(n);
  for (int attempt = 0; attempt < 3; ++attempt) {
    int port = freePort();
    std::vector<std::thread> threads;
    for (int r = 0; r < n; ++r)
      threads.emplace_back([&, r] {
        auto comm = createGlooCommunicator(worldOf(r, n, port), timeout);
        if (comm.ok())
          comms[r] = std::move(comm).value();
        else
          errors[r] = comm.message();
      });
    for (std::thread &t : threads)
      t.join();
    bool formed = true;
    for (int r = 0; r < n; ++r)
      formed = formed && comms[r];
    if (formed)
      break;
    comms.clear();
    comms.comms.resize(n);
  }
  for (int r = 0; r < n; ++r) {
    ASSERT_TRUE(comms[r]) << "rank " << r << ": " << errors[r];
    ASSERT_EQ(comms[r]->rank(), r);
    ASSERT_EQ(comms[r]->size(), n);
  }
  std::vector<std::thread> threads;
  for (int r = 0; r < n; ++r)
    threads.emplace_back([&, r] { body(*comms[r]); });
  for (std::thread &t : threads)
    t.join();
}

std::vector<int64_t> offsetsOf(const std::vector<int64_t> &counts) {
  std::vector<int64_t> offsets(counts.size() + 1, 0);
  std::partial_sum(counts.begin(), counts.end(), offsets.begin() + 1);
  return offsets;
}

/// One-shot event between the rank threads of a test.
class Latch {
public:
  void open() {
    std::lock_guard<std::mutex> lock(mutex);
    opened = true;
    cv.notify_all();
  }
  void waitOpen(milliseconds limit = kTimeout) {
    std::unique_lock<std::mutex> lock(mutex);
    cv.wait_for(lock, limit, [&] { return opened; });
  }

private:
  std::mutex mutex;
  std::condition_variable cv;
  bool opened = false;
};

//===----------------------------------------------------------------------===//
// The world from the environment
//===----------------------------------------------------------------------===//

TEST(WorldEnv, NothingSetIsOneRank) {
  auto world = worldFromEnvironment(envOf({}));
  ASSERT_TRUE(world.ok()) << world.message();
  EXPECT_EQ(world->rank, 0);
  EXPECT_EQ(world->size, 1);
  EXPECT_EQ(world->localRank, 0);
  EXPECT_EQ(world->localSize, 1);
  EXPECT_EQ(world->masterAddr, "127.0.0.1");
  EXPECT_EQ(world->masterPort, 29500);
  EXPECT_EQ(world->source, "default");
}

TEST(WorldEnv, TorchVariables) {
  auto world = worldFromEnvironment(envOf({{"RANK", "3"},
                                           {"WORLD_SIZE", "4"},
                                           {"LOCAL_RANK", "1"},
                                           {"LOCAL_SIZE", "2"},
                                           {"MASTER_ADDR", "node0"},
                                           {"MASTER_PORT", "1234"}}));
  ASSERT_TRUE(world.ok()) << world.message();
  EXPECT_EQ(world->rank, 3);
  EXPECT_EQ(world->size, 4);
  EXPECT_EQ(world->localRank, 1);
  EXPECT_EQ(world->localSize, 2);
  EXPECT_EQ(world->masterAddr, "node0");
  EXPECT_EQ(world->masterPort, 1234);
  EXPECT_EQ(world->source, "env");
}

TEST(WorldEnv, MissingLocalVariablesMeanOneNode) {
  auto world =
      worldFromEnvironment(envOf({{"RANK", "2"}, {"WORLD_SIZE", "3"}}));
  ASSERT_TRUE(world.ok()) << world.message();
  EXPECT_EQ(world->localRank, 2);
  EXPECT_EQ(world->localSize, 3);
  world = worldFromEnvironment(
      envOf({{"RANK", "5"}, {"WORLD_SIZE", "8"}, {"LOCAL_SIZE", "4"}}));
  ASSERT_TRUE(world.ok()) << world.message();
  EXPECT_EQ(world->localRank, 1);
  EXPECT_EQ(world->localSize, 4);
}

TEST(WorldEnv, OpenMpiVariables) {
  auto world = worldFromEnvironment(envOf({{"OMPI_COMM_WORLD_RANK", "1"},
                                           {"OMPI_COMM_WORLD_SIZE", "2"},
                                           {"OMPI_COMM_WORLD_LOCAL_RANK", "0"},
                                           {"OMPI_COMM_WORLD_LOCAL_SIZE", "1"},
                                           {"SLURM_PROCID", "5"},
                                           {"SLURM_NTASKS", "8"},
                                           {"MASTER_ADDR", "10.0.0.7"}}));
  ASSERT_TRUE(world.ok()) << world.message();
  EXPECT_EQ(world->rank, 1);
  EXPECT_EQ(world->size, 2);
  EXPECT_EQ(world->localRank, 0);
  EXPECT_EQ(world->localSize, 1);
  EXPECT_EQ(world->masterAddr, "10.0.0.7");
  EXPECT_EQ(world->source, "openmpi");
}

TEST(WorldEnv, SlurmVariables) {
  auto world = worldFromEnvironment(envOf({{"SLURM_PROCID", "5"},
                                           {"SLURM_NTASKS", "8"},
                                           {"SLURM_LOCALID", "1"},
                                           {"SLURM_NTASKS_PER_NODE", "4"}}));
  ASSERT_TRUE(world.ok()) << world.message();
  EXPECT_EQ(world->rank, 5);
  EXPECT_EQ(world->size, 8);
  EXPECT_EQ(world->localRank, 1);
  EXPECT_EQ(world->localSize, 4);
  EXPECT_EQ(world->source, "slurm");
}

TEST(WorldEnv, RankWinsOverLaunchers) {
  auto world = worldFromEnvironment(envOf({{"RANK", "0"},
                                           {"WORLD_SIZE", "2"},
                                           {"OMPI_COMM_WORLD_RANK", "1"},
                                           {"OMPI_COMM_WORLD_SIZE", "2"}}));
  ASSERT_TRUE(world.ok()) << world.message();
  EXPECT_EQ(world->rank, 0);
  EXPECT_EQ(world->source, "env");
}

TEST(WorldEnv, Errors) {
  EXPECT_EQ(envError({{"RANK", "abc"}, {"WORLD_SIZE", "2"}}),
            "RANK='abc' is not an integer");
  EXPECT_EQ(envError({{"RANK", " 1"}, {"WORLD_SIZE", "2"}}),
            "RANK=' 1' is not an integer");
  EXPECT_EQ(envError({{"RANK", ""}, {"WORLD_SIZE", "2"}}),
            "RANK='' is not an integer");
  EXPECT_EQ(envError({{"RANK", "0"}, {"WORLD_SIZE", "2x"}}),
            "WORLD_SIZE='2x' is not an integer");
  EXPECT_EQ(envError({{"RANK", "-1"}, {"WORLD_SIZE", "2"}}),
            "RANK=-1 is negative");
  EXPECT_EQ(envError({{"RANK", "4"}, {"WORLD_SIZE", "4"}}),
            "RANK=4 is not below WORLD_SIZE=4");
  EXPECT_EQ(envError({{"RANK", "1"}}), "RANK=1 is set but WORLD_SIZE is not");
  EXPECT_EQ(envError({{"WORLD_SIZE", "2"}}),
            "WORLD_SIZE=2 is set but RANK is not");
  EXPECT_EQ(envError({{"RANK", "0"}, {"WORLD_SIZE", "0"}}),
            "WORLD_SIZE=0 must be at least 1");
  EXPECT_EQ(envError({{"RANK", "0"}, {"WORLD_SIZE", "99999999999"}}),
            "WORLD_SIZE=99999999999 is too large");
  EXPECT_EQ(envError({{"RANK", "1"},
                      {"WORLD_SIZE", "4"},
                      {"LOCAL_RANK", "2"},
                      {"LOCAL_SIZE", "2"}}),
            "LOCAL_RANK=2 is not below LOCAL_SIZE=2");
  EXPECT_EQ(envError({{"RANK", "1"}, {"WORLD_SIZE", "4"}, {"LOCAL_RANK", "4"}}),
            "LOCAL_RANK=4 is not below WORLD_SIZE=4 (no LOCAL_SIZE)");
  EXPECT_EQ(envError({{"RANK", "1"}, {"WORLD_SIZE", "4"}, {"LOCAL_SIZE", "0"}}),
            "LOCAL_SIZE=0 must be at least 1");
  EXPECT_EQ(
      envError({{"OMPI_COMM_WORLD_RANK", "2"}, {"OMPI_COMM_WORLD_SIZE", "2"}}),
      "OMPI_COMM_WORLD_RANK=2 is not below OMPI_COMM_WORLD_SIZE=2");
  EXPECT_EQ(envError({{"SLURM_PROCID", "0"}}),
            "SLURM_PROCID=0 is set but SLURM_NTASKS is not");
  EXPECT_EQ(envError({{"SLURM_PROCID", "0"},
                      {"SLURM_NTASKS", "2"},
                      {"SLURM_NTASKS_PER_NODE", "2(x3)"}}),
            "SLURM_NTASKS_PER_NODE='2(x3)' is not an integer");
  EXPECT_EQ(envError({{"MASTER_PORT", "0"}}),
            "MASTER_PORT=0 is out of range 1..65535");
  EXPECT_EQ(envError({{"MASTER_PORT", "65536"}}),
            "MASTER_PORT=65536 is out of range 1..65535");
  EXPECT_EQ(envError({{"MASTER_PORT", "-5"}}),
            "MASTER_PORT=-5 is out of range 1..65535");
  EXPECT_EQ(envError({{"MASTER_PORT", "http"}}),
            "MASTER_PORT='http' is not an integer");
  EXPECT_EQ(envError({{"MASTER_ADDR", ""}}), "MASTER_ADDR is set but empty");
}

TEST(WorldEnv, JobToken) {
  auto world = worldFromEnvironment(
      envOf({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"DSC_JOB_TOKEN", kToken}}));
  ASSERT_TRUE(world.ok()) << world.message();
  EXPECT_EQ(world->token, kToken);
  char path[] = "/tmp/dsc-token-XXXXXX";
  int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  std::string text = std::string(kToken) + "\nignored\n";
  ASSERT_EQ(::write(fd, text.data(), text.size()),
            static_cast<ssize_t>(text.size()));
  ::close(fd);
  world = worldFromEnvironment(envOf({{"DSC_JOB_TOKEN_FILE", path}}));
  ASSERT_TRUE(world.ok()) << world.message();
  EXPECT_EQ(world->token, kToken);
  EXPECT_EQ(envError({{"DSC_JOB_TOKEN", "short"}}),
            "the job token (DSC_JOB_TOKEN) has 5 characters; use a random one "
            "of at least 16");
  EXPECT_EQ(envError({{"DSC_JOB_TOKEN", kToken}, {"DSC_JOB_TOKEN_FILE", path}}),
            "DSC_JOB_TOKEN and DSC_JOB_TOKEN_FILE are both set; give the job "
            "token once");
  ::unlink(path);
  EXPECT_EQ(envError({{"DSC_JOB_TOKEN_FILE", path}}),
            std::string("DSC_JOB_TOKEN_FILE=") + path + ": " + path +
                ": cannot open: No such file or directory");
}

TEST(WorldEnv, HeartbeatTimeout) {
  auto world = worldFromEnvironment(envOf({}));
  ASSERT_TRUE(world.ok());
  EXPECT_EQ(world->heartbeatTimeout, milliseconds(10000));
  world = worldFromEnvironment(envOf({{"DSC_HEARTBEAT_TIMEOUT", "3"}}));
  ASSERT_TRUE(world.ok());
  EXPECT_EQ(world->heartbeatTimeout, milliseconds(3000));
  EXPECT_EQ(envError({{"DSC_HEARTBEAT_TIMEOUT", "-1"}}),
            "DSC_HEARTBEAT_TIMEOUT=-1 is out of range 0..86400 (seconds; 0: "
            "off)");
  EXPECT_EQ(envError({{"DSC_HEARTBEAT_TIMEOUT", "ten"}}),
            "DSC_HEARTBEAT_TIMEOUT='ten' is not an integer");
}

TEST(WorldEnv, ProcessEnvironmentReadsGetenv) {
  EXPECT_EQ(processEnvironment()("DSC_COMM_TEST_SURELY_UNSET"), nullptr);
  EXPECT_NE(processEnvironment()("PATH"), nullptr);
}

//===----------------------------------------------------------------------===//
// The rendezvous
//===----------------------------------------------------------------------===//

TEST(TcpStore, SetGetWaitAcrossRanks) {
  int port = freePort();
  Latch set, asking;
  std::thread rank0([&] {
    auto store = TcpStore::create(worldOf(0, 2, port), kTimeout);
    ASSERT_TRUE(store.ok()) << store.message();
    ASSERT_TRUE((*store)->trySet("greeting", {'h', 'i', '\0', '!'}).ok());
    set.open();
    // "late" is set once rank 1 is about to ask for it.
    asking.waitOpen();
    (*store)->set("late", {'x'});
    // Rank 0's destructor keeps serving until rank 1 has let go.
  });
  std::thread rank1([&] {
    auto store = TcpStore::create(worldOf(1, 2, port), kTimeout);
    ASSERT_TRUE(store.ok()) << store.message();
    set.waitOpen();
    auto value = (*store)->tryGet("greeting", kTimeout);
    ASSERT_TRUE(value.ok()) << value.message();
    EXPECT_EQ(*value, (std::vector<char>{'h', 'i', '\0', '!'}));
    // Gloo's interface waits for a key that comes later.
    asking.open();
    EXPECT_EQ((*store)->get("late"), std::vector<char>{'x'});
    auto start = Clock::now();
    Status missing =
        (*store)->tryWait({"late", "never", "nor-this"}, milliseconds(200));
    EXPECT_GE(Clock::now() - start, milliseconds(190));
    EXPECT_EQ(missing.message(),
              "rank 1: timed out after 200 ms waiting for key(s) 'never', "
              "'nor-this' in the rendezvous on 127.0.0.1:" +
                  std::to_string(port));
    try {
      (*store)->wait({"never"}, milliseconds(100));
      ADD_FAILURE() << "wait for a missing key returned";
    } catch (const std::exception &e) {
      EXPECT_NE(std::string(e.what()).find("'never'"), std::string::npos)
          << e.what();
    }
  });
  rank0.join();
  rank1.join();
}

//===----------------------------------------------------------------------===//
// The job token
//===----------------------------------------------------------------------===//

std::string hexOf(const Digest &d) {
  return toHex(
      std::string_view(reinterpret_cast<const char *>(d.data()), d.size()));
}

// FIPS 180-4's examples and RFC 4231's test cases 1, 2 and 6.
TEST(JobToken, Sha256AndHmacVectors) {
  EXPECT_EQ(hexOf(sha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hexOf(sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(
      hexOf(sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(hexOf(sha256(std::string(1000000, 'a'))),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  EXPECT_EQ(hexOf(hmacSha256(std::string(20, '\x0b'), "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(hexOf(hmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(hexOf(hmacSha256(
                std::string(131, '\xaa'),
                "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  Digest a = sha256("a"), b = a;
  EXPECT_TRUE(equalDigests(a, b));
  b[31] ^= 1;
  EXPECT_FALSE(equalDigests(a, b));
  auto r1 = randomBytes(32), r2 = randomBytes(32);
  ASSERT_TRUE(r1.ok() && r2.ok());
  EXPECT_EQ(r1->size(), 32u);
  EXPECT_NE(*r1, *r2);
}

namespace {

/// A raw client of the rendezvous, to play what is not a rank of the job.
class RawClient {
public:
  explicit RawClient(int port) {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    connected =
        ::connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof(addr)) == 0;
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  ~RawClient() { ::close(fd); }
  void send(const std::string &body) {
    std::string out;
    for (int i = 0; i < 4; ++i)
      out.push_back(static_cast<char>((body.size() >> (8 * i)) & 0xff));
    out += body;
    ASSERT_EQ(::send(fd, out.data(), out.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(out.size()));
  }
  /// One frame's body; nullopt when the server closed the connection.
  std::optional<std::string> receive() {
    std::string in;
    size_t want = 4;
    while (in.size() < want) {
      char buf[256];
      ssize_t n = ::recv(fd, buf, std::min(sizeof(buf), want - in.size()), 0);
      if (n <= 0)
        return std::nullopt;
      in.append(buf, static_cast<size_t>(n));
      if (want == 4 && in.size() == 4) {
        uint32_t len = 0;
        for (int i = 0; i < 4; ++i)
          len |= static_cast<uint32_t>(static_cast<uint8_t>(in[i])) << (8 * i);
        want += len;
      }
    }
    return in.substr(4);
  }
  /// AUTH for `challenge` with `token`'s proof.
  static std::string auth(const std::string &challenge,
                          const std::string &token) {
    std::string nonce(32, 'n');
    Digest proof = hmacSha256(
        token, handshakeMessage("client", challenge.substr(1), nonce));
    return std::string(1, '\x08') + nonce +
           std::string(reinterpret_cast<const char *>(proof.data()), 32);
  }

  int fd;
  bool connected = false;
};

} // namespace

// Only a client that proves the job token gets an answer: no token, a wrong
// one and a replayed proof are refused, each said once on stderr with the
// peer's address, and the job's ranks go on meeting.
TEST(TcpStore, OnlyTheJobsTokenEnters) {
  int port = freePort();
  testing::internal::CaptureStderr();
  std::unique_ptr<TcpStore> store0;
  std::thread first([&] {
    auto s = TcpStore::create(worldOf(0, 2, port), kTimeout);
    ASSERT_TRUE(s.ok()) << s.message();
    store0 = std::move(*s);
  });
  std::string hello = std::string(1, '\x01') + std::string(4, '\0');
  {
    // Without a token: HELLO straight away (once rank 0 listens).
    std::unique_ptr<RawClient> c;
    std::optional<std::string> challenge;
    for (int i = 0; i < 250 && !challenge; ++i) {
      c = std::make_unique<RawClient>(port);
      if (c->connected)
        challenge = c->receive();
      if (!challenge)
        std::this_thread::sleep_for(milliseconds(20));
    }
    ASSERT_TRUE(challenge && challenge->size() == 33 && (*challenge)[0] == 7);
    c->send(hello);
    EXPECT_FALSE(c->receive().has_value());
  }
  std::string recorded;
  {
    // A wrong token: told so, and closed.
    RawClient c(port);
    auto challenge = c.receive();
    ASSERT_TRUE(challenge.has_value());
    c.send(RawClient::auth(*challenge, "another-jobs-token-000"));
    EXPECT_EQ(c.receive(), std::string(1, '\0'));
    EXPECT_FALSE(c.receive().has_value());
  }
  {
    // The right token on one connection; its proof replayed on another.
    RawClient c(port);
    auto challenge = c.receive();
    ASSERT_TRUE(challenge.has_value());
    recorded = RawClient::auth(*challenge, kToken);
    c.send(recorded);
    auto reply = c.receive();
    ASSERT_TRUE(reply.has_value());
    EXPECT_EQ(reply->size(), 33u);
    EXPECT_EQ((*reply)[0], 1);
    RawClient replay(port);
    ASSERT_TRUE(replay.receive().has_value());
    replay.send(recorded);
    EXPECT_EQ(replay.receive(), std::string(1, '\0'));
  }
  // The job's rank 1 still meets rank 0.
  auto store1 = TcpStore::create(worldOf(1, 2, port), kTimeout);
  ASSERT_TRUE(store1.ok()) << store1.message();
  first.join();
  ASSERT_TRUE(store0);
  ASSERT_TRUE((*store1)->trySet("k", {'v'}).ok());
  auto value = store0->tryGet("k", kTimeout);
  ASSERT_TRUE(value.ok()) << value.message();
  store1->reset();
  store0.reset();
  std::string log = testing::internal::GetCapturedStderr();
  for (const char *why : {"it is not a rank of this job (no job token proof)",
                          "wrong job token"}) {
    std::string line = "the rendezvous refused a connection from 127.0.0.1:";
    EXPECT_NE(log.find(line), std::string::npos) << log;
    EXPECT_NE(log.find(why), std::string::npos) << log;
  }
  // Two wrong proofs (the other token's, the replay), one without any.
  size_t wrong = 0;
  for (size_t at = log.find("wrong job token"); at != std::string::npos;
       at = log.find("wrong job token", at + 1))
    ++wrong;
  EXPECT_EQ(wrong, 2u) << log;
}

TEST(TcpStore, ARankWithoutTheTokenIsToldHowToPassIt) {
  WorldInfo w = worldOf(1, 2, freePort());
  w.token.clear();
  auto store = TcpStore::create(w, milliseconds(500));
  EXPECT_EQ(store.message(), missingTokenMessage(1));
  EXPECT_NE(store.message().find("DSC_JOB_TOKEN"), std::string::npos);
  // A rank with another job's token is refused and says so.
  int port = freePort();
  std::thread rank0([&] {
    auto s = TcpStore::create(worldOf(0, 2, port), milliseconds(3000));
    EXPECT_FALSE(s.ok());
  });
  WorldInfo other = worldOf(1, 2, port);
  other.token = "another-jobs-token-000";
  auto refused = TcpStore::create(other, milliseconds(3000));
  EXPECT_EQ(refused.message(),
            "rank 1: the rendezvous on 127.0.0.1:" + std::to_string(port) +
                " refused this rank's job token: it is another job's, or the "
                "ranks were given different tokens");
  rank0.join();
}

// A rendezvous speaks first (its challenge): a service on MASTER_PORT that
// accepts and stays silent is named as such, not waited on forever.
TEST(TcpStore, ASilentServiceIsNotARendezvous) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &len);
  int port = ntohs(addr.sin_port);
  auto store = TcpStore::create(worldOf(1, 2, port), milliseconds(300));
  EXPECT_EQ(store.message(),
            "rank 1: nothing answers as a ds-compile rendezvous on "
            "MASTER_ADDR:MASTER_PORT 127.0.0.1:" +
                std::to_string(port) +
                " (no reply from the master in time); another service uses "
                "that port?");
  ::close(fd);
}

// A rank that stops beating is named, with its host, to the ranks that
// still beat, within the heartbeat timeout and a beat or two; ranks that
// beat are never named.
TEST(TcpStore, ASilentRankIsNamed) {
  int port = freePort();
  WorldInfo w0 = worldOf(0, 3, port), w1 = worldOf(1, 3, port),
            w2 = worldOf(2, 3, port);
  for (WorldInfo *w : {&w0, &w1, &w2})
    w->heartbeatTimeout = milliseconds(1500);
  std::unique_ptr<TcpStore> stores[3];
  std::thread ranks[3];
  WorldInfo worlds[3] = {w0, w1, w2};
  for (int r = 0; r < 3; ++r)
    ranks[r] = std::thread([&, r] {
      auto s = TcpStore::create(worlds[r], kTimeout);
      ASSERT_TRUE(s.ok()) << s.message();
      stores[r] = std::move(*s);
    });
  for (std::thread &t : ranks)
    t.join();
  ASSERT_TRUE(stores[0] && stores[1] && stores[2]);
  EXPECT_EQ(stores[1]->hosts(),
            (std::vector<std::string>{"127.0.0.1", "127.0.0.1", "127.0.0.1"}));
  std::mutex mutex;
  std::vector<std::pair<int, std::string>> heard;
  auto start = Clock::now();
  // Ranks 0 and 1 beat; rank 2 never does.
  for (int r = 0; r < 2; ++r)
    stores[r]->startHeartbeat([&, r](const std::string &message) {
      std::lock_guard<std::mutex> lock(mutex);
      heard.push_back({r, message});
    });
  for (int i = 0; i < 100; ++i) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (heard.size() == 2)
        break;
    }
    std::this_thread::sleep_for(milliseconds(50));
  }
  auto took = Clock::now() - start;
  std::lock_guard<std::mutex> lock(mutex);
  ASSERT_EQ(heard.size(), 2u);
  for (const auto &[r, message] : heard)
    EXPECT_EQ(message, "rank 2 on 127.0.0.1 has not been heard from for 1.5 "
                       "s (DSC_HEARTBEAT_TIMEOUT): a node down or cut off "
                       "from the rendezvous")
        << "rank " << r;
  // Rank 1 hears it first; rank 0, which serves the rendezvous, two beats
  // later.
  EXPECT_EQ(heard[0].first, 1);
  EXPECT_GE(took, milliseconds(1500));
  EXPECT_LT(took, milliseconds(5000));
  stores[2].reset();
  stores[1].reset();
  stores[0].reset();
}

TEST(TcpStore, PortInUse) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &len);
  int port = ntohs(addr.sin_port);
  std::string expected = "MASTER_PORT " + std::to_string(port) +
                         " on 127.0.0.1 is in use (bind: Address already in "
                         "use); choose another with --master_port";
  auto store = TcpStore::create(worldOf(0, 2, port), milliseconds(500));
  EXPECT_EQ(store.message(), expected);
  auto comm = createGlooCommunicator(worldOf(0, 2, port), milliseconds(500));
  EXPECT_EQ(comm.message(), expected);
  ::close(fd);
}

/// The local address of the socket listening on `port` (hex, as
/// /proc/net/tcp shows it: "0100007F" is 127.0.0.1), or "" if none.
std::string listeningAddress(int port) {
  std::ifstream tcp("/proc/net/tcp");
  std::string line;
  char wanted[8];
  std::snprintf(wanted, sizeof wanted, ":%04X", port);
  while (std::getline(tcp, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state;
    fields >> slot >> local >> remote >> state;
    if (state == "0A" && local.size() > 5 &&
        local.substr(local.size() - 5) == wanted)
      return local.substr(0, local.size() - 5);
  }
  return "";
}

TEST(TcpStore, ListensOnMasterAddrOnly) {
  // A local job (MASTER_ADDR 127.0.0.1) is reachable from this host alone.
  int port = freePort();
  {
    auto store = TcpStore::create(worldOf(0, 1, port), kTimeout);
    ASSERT_TRUE(store.ok()) << store.message();
    EXPECT_EQ(listeningAddress(port), "0100007F");
  }
  // Every interface only when asked.
  ::setenv("DSC_RENDEZVOUS_ALL_INTERFACES", "1", 1);
  port = freePort();
  {
    auto store = TcpStore::create(worldOf(0, 1, port), kTimeout);
    ASSERT_TRUE(store.ok()) << store.message();
    EXPECT_EQ(listeningAddress(port), "00000000");
  }
  ::unsetenv("DSC_RENDEZVOUS_ALL_INTERFACES");
  // A MASTER_ADDR that is not this host's is one message saying so.
  WorldInfo elsewhere = worldOf(0, 2, freePort());
  elsewhere.masterAddr = "192.0.2.1"; // TEST-NET-1: never local
  auto store = TcpStore::create(elsewhere, milliseconds(500));
  EXPECT_NE(store.message().find("MASTER_ADDR 192.0.2.1 is not an address of "
                                 "this host"),
            std::string::npos)
      << store.message();
}

TEST(TcpStore, MasterUnreachable) {
  int port = freePort();
  auto start = Clock::now();
  auto store = TcpStore::create(worldOf(1, 2, port), milliseconds(300));
  EXPECT_LT(Clock::now() - start, milliseconds(2000));
  EXPECT_EQ(store.message(), "rank 1: could not reach the master 127.0.0.1:" +
                                 std::to_string(port) +
                                 " within 300 ms (connect: Connection "
                                 "refused)");
}

TEST(TcpStore, RanksThatNeverArriveAreNamed) {
  int port = freePort();
  std::string expected = "rank(s) 1, 3 never arrived at the rendezvous on "
                         "127.0.0.1:" +
                         std::to_string(port) + " within 1 s";
  std::vector<std::thread> threads;
  for (int r : {0, 2})
    threads.emplace_back([&, r] {
      auto start = Clock::now();
      auto comm =
          createGlooCommunicator(worldOf(r, 4, port), milliseconds(1000));
      EXPECT_LT(Clock::now() - start, milliseconds(3000));
      EXPECT_EQ(comm.message(), expected);
    });
  for (std::thread &t : threads)
    t.join();
}

/// Forks a rank that runs `body`, which ends the process with ::_exit()
/// while its store or communicator is still alive: no destructor, no DONE,
/// as when a process is killed. It never outlives a broken test by 10 s.
pid_t forkRank(const std::function<void()> &body) {
  pid_t child = ::fork();
  if (child == 0) {
    ::alarm(10);
    body();
    ::_exit(3);
  }
  return child;
}

/// Waits for a forked rank; true when it exited with code 0.
bool exitedCleanly(pid_t child) {
  int status = 0;
  return ::waitpid(child, &status, 0) == child && WIFEXITED(status) &&
         WEXITSTATUS(status) == 0;
}

TEST(TcpStore, RanksThatLeaveNormallyAreNotGone) {
  int port = freePort();
  Latch left;
  std::atomic<int> leaving{2};
  std::vector<std::thread> threads;
  for (int r = 1; r < 3; ++r)
    threads.emplace_back([&, r] {
      auto store = TcpStore::create(worldOf(r, 3, port), kTimeout);
      ASSERT_TRUE(store.ok()) << store.message();
      store.value().reset(); // DONE, then the close
      if (--leaving == 0)
        left.open();
    });
  auto store = TcpStore::create(worldOf(0, 3, port), kTimeout);
  ASSERT_TRUE(store.ok()) << store.message();
  left.waitOpen();
  // Whether or not the server has seen the closes yet, they are clean ones:
  // nobody is gone.
  auto start = Clock::now();
  auto gone = (*store)->goneRanks(milliseconds(200));
  ASSERT_TRUE(gone.ok()) << gone.message();
  EXPECT_TRUE(gone->empty()) << ::testing::PrintToString(*gone);
  EXPECT_GE(Clock::now() - start, milliseconds(190));
  // Everyone has left: rank 0's destructor does not wait.
  start = Clock::now();
  store.value().reset();
  // Half the 5 s it would wait for a rank still there: room for a loaded
  // machine, none for a wait.
  EXPECT_LT(Clock::now() - start, milliseconds(2500));
  for (std::thread &t : threads)
    t.join();
}

TEST(TcpStore, RanksWhoseProcessEndsAreGone) {
  int port = freePort();
  // Fork before this process starts any thread of its own.
  std::vector<pid_t> children;
  for (int r = 1; r < 3; ++r)
    children.push_back(forkRank([&] {
      auto store = TcpStore::create(worldOf(r, 3, port), kTimeout);
      ::_exit(store.ok() ? 0 : 1);
    }));
  auto store = TcpStore::create(worldOf(0, 3, port), kTimeout);
  ASSERT_TRUE(store.ok()) << store.message();
  for (pid_t child : children)
    EXPECT_TRUE(exitedCleanly(child));
  // Both closes are seen within moments; GONE answers at the first.
  auto start = Clock::now();
  std::vector<int> gone;
  while (gone.size() < 2 && Clock::now() - start < milliseconds(2000)) {
    auto now = (*store)->goneRanks(milliseconds(2000));
    ASSERT_TRUE(now.ok()) << now.message();
    gone = *now;
  }
  EXPECT_LT(Clock::now() - start, milliseconds(1000));
  EXPECT_EQ(gone, (std::vector<int>{1, 2}));
  start = Clock::now();
  store.value().reset();
  // Half the 5 s it would wait for a rank still there: room for a loaded
  // machine, none for a wait.
  EXPECT_LT(Clock::now() - start, milliseconds(2500));
}

TEST(TcpStore, PortIsReusableRightAfterAJob) {
  int port = freePort();
  for (int round = 0; round < 2; ++round) {
    std::vector<std::thread> threads;
    for (int r = 0; r < 2; ++r)
      threads.emplace_back([&, r] {
        auto comm = createGlooCommunicator(worldOf(r, 2, port), kTimeout);
        ASSERT_TRUE(comm.ok()) << "round " << round << ": " << comm.message();
        double x = r + 1;
        ASSERT_TRUE((*comm)->allReduce(&x, 1, DType::F64, ReduceOp::Sum).ok());
        EXPECT_EQ(x, 3.0);
      });
    for (std::thread &t : threads)
      t.join();
  }
}

//===----------------------------------------------------------------------===//
// Collectives
//===----------------------------------------------------------------------===//

template <typename T> void checkAllReduce(int n, DType dtype, int64_t count) {
  SCOPED_TRACE("ranks " + std::to_string(n) + ", " +
               std::string(dtypeName(dtype)));
  onRanks(n, [&](Communicator &comm) {
    int r = comm.rank();
    // Halves (whole numbers for integer types) below 2^11: every sum is
    // exact in any order.
    const T step = std::is_integral<T>::value ? T(1) : T(0.5);
    std::vector<T> x(count), y(count);
    for (int64_t i = 0; i < count; ++i) {
      x[i] = static_cast<T>(r) + static_cast<T>(i % 1000) * step;
      y[i] = static_cast<T>(i % n == r ? 100 + i % 1000 : -(i % 1000));
    }
    ASSERT_TRUE(comm.allReduce(x.data(), count, dtype, ReduceOp::Sum).ok());
    ASSERT_TRUE(comm.allReduce(y.data(), count, dtype, ReduceOp::Max).ok());
    for (int64_t i = 0; i < count; ++i) {
      T sum = static_cast<T>(n * (n - 1) / 2) +
              static_cast<T>(n) * static_cast<T>(i % 1000) * step;
      ASSERT_EQ(x[i], sum) << "rank " << r << " element " << i;
      ASSERT_EQ(y[i], static_cast<T>(100 + i % 1000))
          << "rank " << r << " element " << i;
    }
  });
}

TEST(GlooCommunicator, AllReduceSumAndMax) {
  for (int n : {2, 3, 4}) {
    checkAllReduce<float>(n, DType::F32, 1001);
    checkAllReduce<double>(n, DType::F64, 37);
  }
  checkAllReduce<int64_t>(3, DType::I64, 500);
  checkAllReduce<int32_t>(2, DType::I32, 7);
  // More than Gloo's 1 MiB segment: several segments per rank.
  checkAllReduce<float>(3, DType::F32, 400000);
}

// fp16 / bf16 gradients: each addition in float32, rounded back to 16 bits
// (the bits compared: 1 + 2^-11 is no float16, so a sum kept in float32
// would end elsewhere).
TEST(GlooCommunicator, SixteenBitFloatsAddInFloat32) {
  namespace k = dsc::kernels::cpu;
  onRanks(3, [](Communicator &comm) {
    const float values[] = {1.0f, 0.00048828125f, -2.5f, 65504.0f};
    std::vector<k::Half> half;
    std::vector<k::BFloat16> bf;
    for (float v : values) {
      half.push_back(k::toHalf(v * static_cast<float>(comm.rank() + 1)));
      bf.push_back(k::toBFloat16(v * static_cast<float>(comm.rank() + 1)));
    }
    ASSERT_TRUE(comm.allReduce(half.data(), 4, DType::F16, ReduceOp::Sum).ok());
    ASSERT_TRUE(comm.allReduce(bf.data(), 4, DType::BF16, ReduceOp::Sum).ok());
    for (int i = 0; i < 4; ++i) {
      // Ranks 0, 1, 2 hold v, 2v, 3v; the ring adds them in some order,
      // each partial sum rounded: every order gives 6v here except the
      // largest (inf) and the tiny one (exact in both types).
      EXPECT_EQ(k::toFloat(half[i]), i == 3 ? INFINITY : 6.0f * values[i])
          << "float16 element " << i;
      EXPECT_EQ(k::toFloat(bf[i]), k::toFloat(k::toBFloat16(6.0f * values[i])))
          << "bfloat16 element " << i;
    }
    // The max of 16-bit values.
    k::Half m = k::toHalf(static_cast<float>(comm.rank()) - 0.5f);
    ASSERT_TRUE(comm.allReduce(&m, 1, DType::F16, ReduceOp::Max).ok());
    EXPECT_EQ(k::toFloat(m), 1.5f);
  });
}

TEST(GlooCommunicator, MaxSpreadsNaN) {
  onRanks(3, [](Communicator &comm) {
    float x[2] = {1.0f, static_cast<float>(comm.rank())};
    if (comm.rank() == 1)
      x[0] = std::numeric_limits<float>::quiet_NaN();
    ASSERT_TRUE(comm.allReduce(x, 2, DType::F32, ReduceOp::Max).ok());
    EXPECT_TRUE(std::isnan(x[0])) << "rank " << comm.rank();
    EXPECT_EQ(x[1], 2.0f);
  });
}

template <typename T>
void checkReduceScatter(const std::vector<int64_t> &counts, DType dtype) {
  int n = static_cast<int>(counts.size());
  std::vector<int64_t> offsets = offsetsOf(counts);
  int64_t total = offsets.back();
  SCOPED_TRACE("counts " + ::testing::PrintToString(counts) + ", " +
               std::string(dtypeName(dtype)));
  onRanks(n, [&](Communicator &comm) {
    int r = comm.rank();
    std::vector<T> data(total);
    for (int64_t i = 0; i < total; ++i)
      data[i] = static_cast<T>((r + 1) * 1000 + i);
    Status s = comm.reduceScatter(data.data(), counts, dtype);
    ASSERT_TRUE(s.ok()) << s.message();
    for (int64_t i = offsets[r]; i < offsets[r + 1]; ++i)
      ASSERT_EQ(data[i], static_cast<T>(n * (n + 1) / 2 * 1000 + n * i))
          << "rank " << r << " element " << i;
  });
}

TEST(GlooCommunicator, ReduceScatterUnevenCounts) {
  checkReduceScatter<float>({4, 3, 3}, DType::F32);
  // Gloo's ReduceScatterHalvingDoubling hangs on this split.
  checkReduceScatter<float>({4, 0, 6}, DType::F32);
  checkReduceScatter<double>({0, 0, 10}, DType::F64);
  checkReduceScatter<double>({0, 5, 0, 2}, DType::F64);
  checkReduceScatter<int64_t>({1, 0}, DType::I64);
  checkReduceScatter<int32_t>({3, 3, 3, 3}, DType::I32);
  checkReduceScatter<float>({0, 0, 0}, DType::F32);
}

template <typename T>
void checkAllGather(const std::vector<int64_t> &counts, DType dtype) {
  int n = static_cast<int>(counts.size());
  std::vector<int64_t> offsets = offsetsOf(counts);
  SCOPED_TRACE("counts " + ::testing::PrintToString(counts) + ", " +
               std::string(dtypeName(dtype)));
  onRanks(n, [&](Communicator &comm) {
    int r = comm.rank();
    std::vector<T> data(offsets.back(), static_cast<T>(-1));
    for (int64_t i = offsets[r]; i < offsets[r + 1]; ++i)
      data[i] = static_cast<T>(r * 100 + (i - offsets[r]));
    Status s = comm.allGather(data.data(), counts, dtype);
    ASSERT_TRUE(s.ok()) << s.message();
    for (int q = 0; q < n; ++q)
      for (int64_t i = offsets[q]; i < offsets[q + 1]; ++i)
        ASSERT_EQ(data[i], static_cast<T>(q * 100 + (i - offsets[q])))
            << "rank " << r << " element " << i;
  });
}

TEST(GlooCommunicator, AllGatherUnevenCounts) {
  checkAllGather<float>({4, 3, 3}, DType::F32);
  checkAllGather<float>({4, 0, 6}, DType::F32);
  checkAllGather<int64_t>({0, 5, 0, 2}, DType::I64);
  checkAllGather<double>({2, 1}, DType::F64);
}

TEST(GlooCommunicator, Broadcast) {
  for (int root : {0, 2})
    onRanks(3, [&](Communicator &comm) {
      char text[14] = "not yet here";
      if (comm.rank() == root)
        std::strcpy(text, "from the root");
      Status s = comm.broadcast(text, sizeof(text), root);
      ASSERT_TRUE(s.ok()) << s.message();
      EXPECT_STREQ(text, "from the root") << "rank " << comm.rank();
      ASSERT_TRUE(comm.broadcast(nullptr, 0, root).ok());
    });
}

TEST(GlooCommunicator, BarrierWaitsForEveryRank) {
  std::mutex mutex;
  Clock::time_point lastArrival{}, firstDeparture = Clock::time_point::max();
  std::atomic<int> arrived{0};
  onRanks(4, [&](Communicator &comm) {
    // Rank 3 arrives last, after the three others have.
    if (comm.rank() == 3)
      while (arrived.load() < 3)
        std::this_thread::yield();
    {
      std::lock_guard<std::mutex> lock(mutex);
      lastArrival = std::max(lastArrival, Clock::now());
    }
    ++arrived;
    ASSERT_TRUE(comm.barrier().ok());
    std::lock_guard<std::mutex> lock(mutex);
    firstDeparture = std::min(firstDeparture, Clock::now());
  });
  EXPECT_LE(lastArrival, firstDeparture);
}

/// The collectives of PayloadBytesAsThePlanCountsThem, on any communicator.
void runCountedCollectives(Communicator &comm) {
  int n = comm.size();
  std::vector<int64_t> counts(n, 0);
  counts[0] = 10;
  std::vector<float> f(10, 1.0f);
  std::vector<double> d(10, 1.0);
  std::vector<int64_t> l(10, 1);
  char bytes[13] = {};
  ASSERT_TRUE(comm.allReduce(f.data(), 10, DType::F32, ReduceOp::Sum).ok());
  ASSERT_TRUE(comm.reduceScatter(d.data(), counts, DType::F64).ok());
  ASSERT_TRUE(comm.allGather(l.data(), counts, DType::I64).ok());
  ASSERT_TRUE(comm.broadcast(bytes, sizeof(bytes), 0).ok());
  ASSERT_TRUE(comm.barrier().ok());
  EXPECT_EQ(comm.payloadBytes(), 40u + 80u + 80u + 13u);
  EXPECT_EQ(comm.collectiveCount(), 5u);
}

TEST(GlooCommunicator, PayloadBytesAsThePlanCountsThem) {
  onRanks(2, runCountedCollectives);
  auto single = createSingleRankCommunicator();
  EXPECT_EQ(single->rank(), 0);
  EXPECT_EQ(single->size(), 1);
  runCountedCollectives(*single);
  // World size 1 needs no port, and gets the same.
  auto one = createGlooCommunicator(worldOf(0, 1, 1), kTimeout);
  ASSERT_TRUE(one.ok()) << one.message();
  runCountedCollectives(**one);
}

TEST(GlooCommunicator, BadArgumentsAreErrorsNotFailures) {
  onRanks(2, [](Communicator &comm) {
    float x[4] = {};
    EXPECT_EQ(comm.reduceScatter(x, {4}, DType::F32).message(),
              "reduce_scatter: 1 counts for 2 ranks");
    EXPECT_EQ(comm.allGather(x, {2, -1}, DType::F32).message(),
              "all_gather: negative count -1 for rank 1");
    EXPECT_EQ(comm.broadcast(x, 4, 2).message(),
              "broadcast: root 2 is not a rank of a world of size 2");
    EXPECT_EQ(comm.allReduce(x, 2, DType::Bool, ReduceOp::Sum).message(),
              "all_reduce: dtype bool is not supported (float32, float64, "
              "float16, bfloat16, int64, int32)");
    EXPECT_EQ(comm.collectiveCount(), 0u);
    // Nothing was sent: the communicator still works.
    EXPECT_TRUE(comm.barrier().ok());
  });
  auto single = createSingleRankCommunicator();
  float x = 0;
  EXPECT_EQ(single->reduceScatter(&x, {1, 0}, DType::F32).message(),
            "reduce_scatter: 2 counts for a world of size 1");
  EXPECT_EQ(single->broadcast(&x, 4, 1).message(),
            "broadcast: root 1 is not a rank of a world of size 1");
}

//===----------------------------------------------------------------------===//
// Peers that fail
//===----------------------------------------------------------------------===//

TEST(GlooCommunicator, PeerThatStopsAnsweringTimesOut) {
  Latch failed;
  onRanks(
      2,
      [&](Communicator &comm) {
        if (comm.rank() == 1) {
          // Alive but never joins the collective.
          failed.waitOpen();
          return;
        }
        std::vector<float> x(16, 1.0f);
        auto start = Clock::now();
        Status s = comm.allReduce(x.data(), 16, DType::F32, ReduceOp::Sum);
        auto took = Clock::now() - start;
        failed.open();
        // The timeout, then as long again asking the store for a gone rank.
        EXPECT_GE(took, milliseconds(900));
        EXPECT_LT(took, milliseconds(2000));
        EXPECT_EQ(s.message().rfind("all_reduce failed on rank 0 of 2: ", 0),
                  0u)
            << s.message();
        // Rank 1 is alive: nobody is named gone.
        EXPECT_EQ(s.message().find("is gone"), std::string::npos)
            << s.message();
        Status again = comm.barrier();
        EXPECT_EQ(again.message().rfind("barrier: the communicator is "
                                        "unusable after an earlier failure "
                                        "(all_reduce failed on rank 0 of 2: ",
                                        0),
                  0u)
            << again.message();
        EXPECT_EQ(comm.collectiveCount(), 0u);
      },
      milliseconds(500));
}

TEST(GlooCommunicator, PeerThatLeavesFailsTheNextCollective) {
  int port = freePort();
  Latch gone;
  std::vector<std::thread> threads;
  for (int r = 0; r < 3; ++r)
    threads.emplace_back([&, r] {
      // 1 s: the survivors ask the store for a gone rank that long.
      auto comm =
          createGlooCommunicator(worldOf(r, 3, port), milliseconds(1000));
      ASSERT_TRUE(comm.ok()) << comm.message();
      std::vector<float> x(1000, 1.0f);
      ASSERT_TRUE(
          (*comm)->allReduce(x.data(), 1000, DType::F32, ReduceOp::Sum).ok());
      if (r == 2) {
        comm.value().reset();
        gone.open();
        return;
      }
      gone.waitOpen();
      auto start = Clock::now();
      std::vector<int64_t> counts = {400, 300, 300};
      Status s = (*comm)->reduceScatter(x.data(), counts, DType::F32);
      // A closed socket is noticed at once, then the store is asked.
      EXPECT_LT(Clock::now() - start, milliseconds(2500));
      EXPECT_EQ(s.message().rfind("reduce_scatter failed on rank " +
                                      std::to_string(r) + " of 3: ",
                                  0),
                0u)
          << s.message();
      // Rank 2 left normally: it is not gone.
      EXPECT_EQ(s.message().find("is gone"), std::string::npos) << s.message();
    });
  for (std::thread &t : threads)
    t.join();
}

TEST(GlooCommunicator, PeerProcessThatExitsFailsTheNextCollective) {
  int port = freePort();
  // Fork before this process starts any thread of its own.
  pid_t child = forkRank([&] {
    auto comm = createGlooCommunicator(worldOf(1, 2, port), kTimeout);
    std::vector<float> x(1 << 18, 1.0f);
    if (!comm.ok() ||
        !(*comm)->allReduce(x.data(), x.size(), DType::F32, ReduceOp::Sum).ok())
      ::_exit(1);
    ::_exit(x[0] == 2.0f ? 0 : 2);
  });
  ASSERT_GE(child, 0);
  auto comm = createGlooCommunicator(worldOf(0, 2, port), kTimeout);
  ASSERT_TRUE(comm.ok()) << comm.message();
  std::vector<float> x(1 << 18, 1.0f);
  Status first =
      (*comm)->allReduce(x.data(), x.size(), DType::F32, ReduceOp::Sum);
  EXPECT_TRUE(first.ok()) << first.message();
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  // The big buffer makes Gloo write to the dead peer: SIGPIPE must not end
  // this process.
  auto start = Clock::now();
  Status s = (*comm)->allReduce(x.data(), x.size(), DType::F32, ReduceOp::Sum);
  EXPECT_LT(Clock::now() - start, milliseconds(2000));
  EXPECT_EQ(s.message().rfind("all_reduce failed on rank 0 of 2: rank 1 is "
                              "gone (its process ended or lost its "
                              "connection); gloo: ",
                              0),
            0u)
      << s.message();
  std::printf("dead peer noticed after %lld ms: %s\n",
              static_cast<long long>(
                  std::chrono::duration_cast<milliseconds>(Clock::now() - start)
                      .count()),
              s.message().c_str());
}

TEST(GlooCommunicator, EverySurvivorNamesTheDeadRank) {
  int port = freePort();
  int pipeFds[2];
  ASSERT_EQ(::pipe(pipeFds), 0);
  // Rank 2 ends once the others have its first collective's result (a read
  // from the pipe), so that its exit cuts none of that short.
  pid_t child = forkRank([&] {
    ::close(pipeFds[1]);
    auto comm = createGlooCommunicator(worldOf(2, 3, port), kTimeout);
    std::vector<float> x(1000, 1.0f);
    if (!comm.ok() ||
        !(*comm)->allReduce(x.data(), 1000, DType::F32, ReduceOp::Sum).ok())
      ::_exit(1);
    char byte;
    ::_exit(::read(pipeFds[0], &byte, 1) == 1 ? 0 : 2);
  });
  ::close(pipeFds[0]);
  Latch firstDone, childGone;
  std::atomic<int> running{2};
  std::vector<std::thread> threads;
  for (int r = 0; r < 2; ++r)
    threads.emplace_back([&, r] {
      auto comm = createGlooCommunicator(worldOf(r, 3, port), kTimeout);
      std::vector<float> x(1000, 1.0f);
      bool ok =
          comm.ok() &&
          (*comm)->allReduce(x.data(), 1000, DType::F32, ReduceOp::Sum).ok();
      if (--running == 0)
        firstDone.open();
      ASSERT_TRUE(ok) << comm.message();
      childGone.waitOpen();
      auto start = Clock::now();
      Status s = (*comm)->allReduce(x.data(), 1000, DType::F32, ReduceOp::Sum);
      EXPECT_LT(Clock::now() - start, milliseconds(2000));
      EXPECT_EQ(s.message().rfind("all_reduce failed on rank " +
                                      std::to_string(r) +
                                      " of 3: rank 2 is gone (its process "
                                      "ended or lost its connection); gloo: ",
                                  0),
                0u)
          << s.message();
    });
  firstDone.waitOpen();
  ASSERT_EQ(::write(pipeFds[1], "x", 1), 1);
  EXPECT_TRUE(exitedCleanly(child));
  childGone.open();
  for (std::thread &t : threads)
    t.join();
  ::close(pipeFds[1]);
}

TEST(GlooCommunicator, SurvivorsNameTheRendezvousHostWhenItDies) {
  int port = freePort();
  int pipeFds[2];
  ASSERT_EQ(::pipe(pipeFds), 0);
  pid_t child = forkRank([&] {
    ::close(pipeFds[1]);
    auto comm = createGlooCommunicator(worldOf(0, 2, port), kTimeout);
    double x = 1;
    if (!comm.ok() ||
        !(*comm)->allReduce(&x, 1, DType::F64, ReduceOp::Sum).ok())
      ::_exit(1);
    char byte;
    ::_exit(::read(pipeFds[0], &byte, 1) == 1 ? 0 : 2);
  });
  ::close(pipeFds[0]);
  auto comm = createGlooCommunicator(worldOf(1, 2, port), kTimeout);
  ASSERT_TRUE(comm.ok()) << comm.message();
  double x = 2;
  Status first = (*comm)->allReduce(&x, 1, DType::F64, ReduceOp::Sum);
  EXPECT_TRUE(first.ok()) << first.message();
  EXPECT_EQ(x, 3.0);
  ASSERT_EQ(::write(pipeFds[1], "x", 1), 1);
  ::close(pipeFds[1]);
  EXPECT_TRUE(exitedCleanly(child));
  auto start = Clock::now();
  Status s = (*comm)->allReduce(&x, 1, DType::F64, ReduceOp::Sum);
  EXPECT_LT(Clock::now() - start, milliseconds(2000));
  EXPECT_EQ(s.message().rfind("all_reduce failed on rank 1 of 2: rank 0 (the "
                              "rendezvous host) is gone; gloo: ",
                              0),
            0u)
      << s.message();
  std::printf("dead rendezvous host noticed after %lld ms: %s\n",
              static_cast<long long>(
                  std::chrono::duration_cast<milliseconds>(Clock::now() - start)
                      .count()),
              s.message().c_str());
  // Leaving does not wait for the dead host.
  start = Clock::now();
  comm.value().reset();
  EXPECT_LT(Clock::now() - start, milliseconds(2500));
}

} // namespace
