//===- GlooCommunicator.cpp - Collectives on the CPU with Gloo ------------===//

#include "runtime/comm/GlooCommunicator.h"

#include "runtime/comm/TcpStore.h"

#include "runtime/io/FloatConversion.h"

#include <gloo/allgatherv.h>
#include <gloo/allreduce.h>
#include <gloo/barrier.h>
#include <gloo/broadcast.h>
#include <gloo/common/error.h>
#include <gloo/common/logging.h>
#include <gloo/rendezvous/context.h>
#include <gloo/transport/tcp/device.h>
#include <gloo/types.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

namespace dsc::runtime {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

/// Gloo's slot prefixes run from 0x01 to 0x08; the ring reduce-scatter takes
/// one of its own so that its messages never match a Gloo collective's.
constexpr uint8_t kReduceScatterSlotPrefix = 0x40;

using ReduceFn = void (*)(void *, const void *, const void *, size_t);

// Gloo's own gloo::sum/max count with an int (more than 2^31 elements
// overflow) and its max drops NaNs depending on operand order; the loss
// scaler's overflow check needs a NaN on any rank to reach every rank.
// 16-bit floats add and compare in float32, the sum rounded back (as NCCL
// reduces them).
template <typename T>
void sumOf(void *c, const void *a, const void *b, size_t n) {
  T *out = static_cast<T *>(c);
  const T *x = static_cast<const T *>(a);
  const T *y = static_cast<const T *>(b);
  for (size_t i = 0; i < n; ++i)
    out[i] = narrow<T>(widen(x[i]) + widen(y[i]));
}

template <typename T>
void maxOf(void *c, const void *a, const void *b, size_t n) {
  T *out = static_cast<T *>(c);
  const T *x = static_cast<const T *>(a);
  const T *y = static_cast<const T *>(b);
  for (size_t i = 0; i < n; ++i) {
    auto u = widen(x[i]), v = widen(y[i]);
    out[i] = (u > v || u != u) ? x[i] : y[i];
  }
}

ReduceFn reduceFunction(DType dtype, ReduceOp op) {
  bool sum = op == ReduceOp::Sum;
  switch (dtype) {
  case DType::F16:
    return sum ? sumOf<kernels::cpu::Half> : maxOf<kernels::cpu::Half>;
  case DType::BF16:
    return sum ? sumOf<kernels::cpu::BFloat16> : maxOf<kernels::cpu::BFloat16>;
  case DType::F32:
    return sum ? sumOf<float> : maxOf<float>;
  case DType::F64:
    return sum ? sumOf<double> : maxOf<double>;
  case DType::I64:
    return sum ? sumOf<int64_t> : maxOf<int64_t>;
  case DType::I32:
    return sum ? sumOf<int32_t> : maxOf<int32_t>;
  default:
    return nullptr;
  }
}

Status unsupported(const char *what, DType dtype) {
  return Status::error(std::string(what) + ": dtype " +
                       std::string(dtypeName(dtype)) +
                       " is not supported (float32, float64, float16, "
                       "bfloat16, int64, int32)");
}

/// Gloo's messages start with the source location ("[./gloo/transport/tcp/
/// pair.cc:598] Connection closed by peer ..."): useful to Gloo's authors,
/// noise to a user.
std::string glooMessage(const char *text) {
  std::string s = text;
  if (!s.empty() && s[0] == '[') {
    size_t close = s.find("] ");
    if (close != std::string::npos && s.find(':', 0) < close) // "[file:line] "
      s = s.substr(close + 2);
  }
  return s;
}

/// Runs `fn`, turning every exception Gloo throws into a message.
template <typename Fn> std::string catchGloo(Fn &&fn) {
  try {
    fn();
    return {};
  } catch (const gloo::IoException &e) {
    return glooMessage(e.what());
  } catch (const gloo::EnforceNotMet &e) {
    return glooMessage(e.what());
  } catch (const gloo::Exception &e) {
    return glooMessage(e.what());
  } catch (const std::exception &e) {
    return e.what();
  } catch (...) {
    return "unknown exception";
  }
}

/// The address of this host that the kernel would use to reach `host`: a
/// UDP socket's connect() picks the route and sends nothing.
std::string localAddressToward(const std::string &host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo *found = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints,
                    &found) != 0)
    return {};
  std::string result;
  for (addrinfo *a = found; a && result.empty(); a = a->ai_next) {
    int fd = ::socket(a->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
      continue;
    sockaddr_storage local{};
    socklen_t len = sizeof(local);
    if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr *>(&local), &len) == 0) {
      char text[INET6_ADDRSTRLEN] = {};
      const void *raw =
          local.ss_family == AF_INET6
              ? static_cast<const void *>(
                    &reinterpret_cast<sockaddr_in6 *>(&local)->sin6_addr)
              : static_cast<const void *>(
                    &reinterpret_cast<sockaddr_in *>(&local)->sin_addr);
      if (::inet_ntop(local.ss_family, raw, text, sizeof(text)))
        result = text;
    }
    ::close(fd);
  }
  ::freeaddrinfo(found);
  return result;
}

void ignoreSigpipe() {
  struct sigaction current {};
  if (::sigaction(SIGPIPE, nullptr, &current) == 0 &&
      current.sa_handler == SIG_DFL && !(current.sa_flags & SA_SIGINFO)) {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    ::sigaction(SIGPIPE, &ignore, nullptr);
  }
}

class GlooCommunicator final : public Communicator {
public:
  GlooCommunicator(std::unique_ptr<TcpStore> store,
                   std::shared_ptr<gloo::transport::Device> device,
                   std::shared_ptr<gloo::Context> context, milliseconds timeout)
      : store(std::move(store)), device(std::move(device)),
        context(std::move(context)), timeout(timeout) {}

  ~GlooCommunicator() override {
    // The pairs refer to the device: the context goes first. The store goes
    // last: its DONE tells the others this rank left on purpose, and rank
    // 0's keeps serving them until they have left too.
    context.reset();
    device.reset();
    store.reset();
  }

  int rank() const override { return context->rank; }
  int size() const override { return context->size; }

  Status allReduce(void *data, int64_t count, DType dtype,
                   ReduceOp op) override;
  Status reduceScatter(void *data, const std::vector<int64_t> &counts,
                       DType dtype) override;
  Status allGather(void *data, const std::vector<int64_t> &counts,
                   DType dtype) override;
  Status broadcast(void *data, int64_t bytes, int root) override;
  Status barrier() override;

private:
  /// Runs one collective: refuses when an earlier one failed, counts
  /// `bytes` when it succeeds, and turns a failure into a Status.
  template <typename Fn> Status run(const char *what, uint64_t bytes, Fn &&fn);
  void ringReduceScatter(char *data, const std::vector<int64_t> &counts,
                         size_t elemSize, ReduceFn reduce, uint32_t tag);

  std::unique_ptr<TcpStore> store; // the rendezvous, kept for liveness
  std::shared_ptr<gloo::transport::Device> device;
  std::shared_ptr<gloo::Context> context;
  milliseconds timeout;
  uint32_t nextTag = 0;
  std::string failure; // the first failed collective's message
};

template <typename Fn>
Status GlooCommunicator::run(const char *what, uint64_t bytes, Fn &&fn) {
  if (!failure.empty())
    return Status::error(std::string(what) +
                         ": the communicator is unusable after an earlier "
                         "failure (" +
                         failure + ")");
  std::string error = catchGloo(fn);
  if (error.empty()) {
    count(bytes);
    return Status::success();
  }
  // The peers may be blocked on this rank; closing our ends fails their
  // collective now instead of at their timeout.
  (void)catchGloo([&] { context->closeConnections(); });
  // The heartbeat may know the cause already: ranks fell silent, and a
  // rank that stopped for it closed its connections. Said in the same
  // words as every other survivor's, so ds-run says it once.
  if (std::string silence = store ? store->silence() : ""; !silence.empty()) {
    notePeerFailure();
    failure = silence;
    return Status::error(failure);
  }
  // Gloo names a socket; the store knows which rank's process is gone.
  std::string gone = store ? describeGoneRanks(*store, timeout) : "";
  if (!gone.empty())
    notePeerFailure();
  failure = std::string(what) + " failed on rank " + std::to_string(rank()) +
            " of " + std::to_string(size()) + ": " +
            (gone.empty() ? error : gone + "; gloo: " + error);
  return Status::error(failure);
}

template <typename T>
void allreduceAs(const std::shared_ptr<gloo::Context> &context, void *data,
                 size_t count, ReduceFn reduce, uint32_t tag,
                 milliseconds timeout) {
  gloo::AllreduceOptions opts(context);
  // Output only: Gloo reduces in place.
  opts.setOutput(static_cast<T *>(data), count);
  opts.setReduceFunction(reduce);
  opts.setTag(tag);
  opts.setTimeout(timeout);
  gloo::allreduce(opts);
}

Status GlooCommunicator::allReduce(void *data, int64_t count, DType dtype,
                                   ReduceOp op) {
  if (count < 0)
    return Status::error("all_reduce: negative count " + std::to_string(count));
  ReduceFn reduce = reduceFunction(dtype, op);
  if (!reduce)
    return unsupported("all_reduce", dtype);
  uint64_t bytes = static_cast<uint64_t>(count) * dtypeSize(dtype);
  return run("all_reduce", bytes, [&] {
    if (count == 0)
      return;
    // Gloo splits the buffer into segments by element: it must know the
    // element type, not just the bytes.
    auto n = static_cast<size_t>(count);
    uint32_t tag = nextTag++;
    switch (dtype) {
    case DType::F32:
      return allreduceAs<float>(context, data, n, reduce, tag, timeout);
    case DType::F64:
      return allreduceAs<double>(context, data, n, reduce, tag, timeout);
    case DType::I64:
      return allreduceAs<int64_t>(context, data, n, reduce, tag, timeout);
    case DType::F16:
    case DType::BF16:
      return allreduceAs<uint16_t>(context, data, n, reduce, tag, timeout);
    default:
      return allreduceAs<int32_t>(context, data, n, reduce, tag, timeout);
    }
  });
}

void GlooCommunicator::ringReduceScatter(char *data,
                                         const std::vector<int64_t> &counts,
                                         size_t elemSize, ReduceFn reduce,
                                         uint32_t tag) {
  // The ring: in step s rank r sends its partial sum of chunk r-s-1 to rank
  // r+1 and adds rank r-1's partial sum of chunk r-s-2 into its own. After
  // n-1 steps chunk r has passed every rank and ends, complete, at rank r.
  // Each rank sends and receives (n-1)/n of the buffer, as in Gloo's ring
  // allreduce's first half.
  const int n = size(), me = rank();
  std::vector<size_t> offset(n + 1, 0);
  size_t largest = 0;
  for (int r = 0; r < n; ++r) {
    size_t bytes = static_cast<size_t>(counts[r]) * elemSize;
    offset[r + 1] = offset[r] + bytes;
    largest = std::max(largest, bytes);
  }
  if (largest == 0)
    return;
  std::vector<char> incoming(largest);
  auto sendBuf = context->createUnboundBuffer(data, offset[n]);
  auto recvBuf = context->createUnboundBuffer(incoming.data(), largest);
  const uint64_t slot = gloo::Slot::build(kReduceScatterSlotPrefix, tag);
  const int next = (me + 1) % n, prev = (me + n - 1) % n;
  const Clock::time_point deadline = Clock::now() + timeout;
  // Waits take what is left of the collective's timeout, at least 1 ms
  // (Gloo reads 0 as "no timeout").
  auto left = [&] {
    return std::max(milliseconds(1),
                    std::chrono::ceil<milliseconds>(deadline - Clock::now()));
  };
  for (int s = 0; s + 1 < n; ++s) {
    int sendChunk = ((me - s - 1) % n + n) % n;
    int recvChunk = ((me - s - 2) % n + n) % n;
    size_t sendBytes = offset[sendChunk + 1] - offset[sendChunk];
    size_t recvBytes = offset[recvChunk + 1] - offset[recvChunk];
    // Both ends know the counts, so an empty chunk is simply not sent.
    if (sendBytes)
      sendBuf->send(next, slot, offset[sendChunk], sendBytes);
    if (recvBytes) {
      recvBuf->recv(prev, slot, 0, recvBytes);
      if (!recvBuf->waitRecv(left()))
        throw gloo::IoException("receive from rank " + std::to_string(prev) +
                                " aborted");
      reduce(data + offset[recvChunk], data + offset[recvChunk],
             incoming.data(), recvBytes / elemSize);
    }
    // The chunk sent in this step is never written again, but the next
    // step's send must not queue behind an unfinished one indefinitely.
    if (sendBytes && !sendBuf->waitSend(left()))
      throw gloo::IoException("send to rank " + std::to_string(next) +
                              " aborted");
  }
}

Status GlooCommunicator::reduceScatter(void *data,
                                       const std::vector<int64_t> &counts,
                                       DType dtype) {
  if (Status s = checkCounts("reduce_scatter", counts); !s.ok())
    return s;
  ReduceFn reduce = reduceFunction(dtype, ReduceOp::Sum);
  if (!reduce)
    return unsupported("reduce_scatter", dtype);
  const uint64_t total = totalCount(counts);
  size_t elemSize = dtypeSize(dtype);
  return run("reduce_scatter", total * elemSize, [&] {
    ringReduceScatter(static_cast<char *>(data), counts, elemSize, reduce,
                      nextTag++);
  });
}

Status GlooCommunicator::allGather(void *data,
                                   const std::vector<int64_t> &counts,
                                   DType dtype) {
  if (Status s = checkCounts("all_gather", counts); !s.ok())
    return s;
  size_t elemSize = dtypeSize(dtype);
  const uint64_t total = totalCount(counts);
  std::vector<size_t> bytes;
  for (int64_t c : counts)
    bytes.push_back(static_cast<size_t>(c) * elemSize);
  return run("all_gather", total * elemSize, [&] {
    if (total == 0)
      return;
    // Moving bytes needs no element type. Output only: Gloo takes this
    // rank's part from its place in the output.
    gloo::AllgathervOptions opts(context);
    opts.setOutput(static_cast<char *>(data), bytes);
    opts.setTag(nextTag++);
    opts.setTimeout(timeout);
    gloo::allgatherv(opts);
  });
}

Status GlooCommunicator::broadcast(void *data, int64_t bytes, int root) {
  if (root < 0 || root >= size())
    return Status::error("broadcast: root " + std::to_string(root) +
                         " is not a rank of a world of size " +
                         std::to_string(size()));
  if (bytes < 0)
    return Status::error("broadcast: negative size " + std::to_string(bytes));
  return run("broadcast", static_cast<uint64_t>(bytes), [&] {
    if (bytes == 0)
      return;
    // Output only: the root sends from it, the others receive into it.
    gloo::BroadcastOptions opts(context);
    opts.setOutput(static_cast<char *>(data), static_cast<size_t>(bytes));
    opts.setRoot(root);
    opts.setTag(nextTag++);
    opts.setTimeout(timeout);
    gloo::broadcast(opts);
  });
}

Status GlooCommunicator::barrier() {
  return run("barrier", 0, [&] {
    gloo::BarrierOptions opts(context);
    opts.setTag(nextTag++);
    opts.setTimeout(timeout);
    gloo::barrier(opts);
  });
}

} // namespace

Expected<std::unique_ptr<Communicator>>
createGlooCommunicator(const WorldInfo &world, milliseconds timeout,
                       TcpStore::SilenceHandler onSilence) {
  if (world.size < 1 || world.rank < 0 || world.rank >= world.size)
    return Status::error("rank " + std::to_string(world.rank) +
                         " is not a rank of a world of size " +
                         std::to_string(world.size));
  if (world.size == 1)
    return createSingleRankCommunicator();
  if (timeout <= milliseconds::zero())
    return Status::error("the communicator's timeout must be positive");
  ignoreSigpipe();

  auto store = TcpStore::create(world, timeout);
  if (!store)
    return store.status();

  gloo::transport::tcp::attr attr;
  if (const char *iface = std::getenv("GLOO_SOCKET_IFNAME"); iface && *iface)
    attr.iface = iface;
  else
    attr.hostname = localAddressToward(world.masterAddr, world.masterPort);
  // With neither set Gloo resolves this host's name, which can be an
  // address the other ranks cannot reach; only the fallback.

  std::shared_ptr<gloo::transport::Device> device;
  std::shared_ptr<gloo::rendezvous::Context> context;
  std::string error = catchGloo([&] {
    device = gloo::transport::tcp::CreateDevice(attr);
    context =
        std::make_shared<gloo::rendezvous::Context>(world.rank, world.size);
    // Before connecting: the pairs take their timeout from the context.
    context->setTimeout(timeout);
    context->connectFullMesh(**store, device);
  });
  if (!error.empty()) {
    std::string where =
        attr.iface.empty() ? attr.hostname : "interface " + attr.iface;
    return Status::error(
        "rank " + std::to_string(world.rank) +
        ": connecting to the other ranks failed" +
        (where.empty() ? "" : " (listening on " + where + ")") + ": " + error);
  }
  // The mesh stands. The store stays for the whole job: its server tells a
  // failed collective which rank is gone, and the heartbeats which one fell
  // silent.
  if (onSilence)
    (*store)->startHeartbeat(std::move(onSilence));
  return std::unique_ptr<Communicator>(
      new GlooCommunicator(std::move(store).value(), std::move(device),
                           std::move(context), timeout));
}

} // namespace dsc::runtime
