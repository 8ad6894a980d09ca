//===- ProcessGroup.cpp - Start processes, fail fast together -------------===//
//
// The signals that matter (a child exiting, a request to stop) are blocked
// and waited for with sigtimedwait, so that none is lost between checking
// and waiting; children get the original mask back before exec.
//
// Each child's stderr is a pipe that a reader thread drains: ordinary lines
// are passed on at once, a rank's report of its end ("ds-rank 1: error: ..."
// or "ds-rank 1: stopped: ...") is held, numbered in the order events
// arrive, and reported once at the end, naming the failure that came first.
//
//===----------------------------------------------------------------------===//

#include "tools/ds-run/ProcessGroup.h"

#include "runtime/io/RankReport.h"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <iostream>
#include <mutex>
#include <optional>
#include <poll.h>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace dsc::run {
namespace {

using runtime::RankReport;

/// How long stopped processes get to exit before SIGKILL.
constexpr std::chrono::seconds kGracePeriod(10);
/// How long the reader waits for the last output once every child ended
/// (a grandchild may hold a pipe open).
constexpr std::chrono::milliseconds kDrainTime(2000);
/// How long the others may go on after a rank stopped because of another's
/// failure: the failing rank reports and ends on its own within it.
constexpr std::chrono::seconds kReportGrace(2);
/// Text without a newline held back at most (a report is one short line).
constexpr size_t kMaxHeldLine = 64 * 1024;

struct Child {
  const Command *command = nullptr;
  pid_t pid = -1;
  bool done = false;
  int status = 0;
  /// When its failed exit was seen, in the order of all events (0: it did
  /// not fail).
  uint64_t exitSeq = 0;
  /// It ended of the SIGTERM or SIGKILL ds-run sent to stop the job.
  bool stoppedByUs = false;
  /// The read end of its stderr pipe (the reader thread owns it).
  int errFd = -1;
};

/// A rank's report, as it arrived.
struct HeldReport {
  size_t child;
  uint64_t seq;
  RankReport report;
};

void noteChild(int) {}

/// fork + exec of `command` with stderr to `errFd`; the child restores
/// `mask`. Returns the pid or -1 when fork fails.
pid_t start(const Command &command, const sigset_t &mask, int errFd) {
  pid_t pid = fork();
  if (pid != 0)
    return pid;
  sigprocmask(SIG_SETMASK, &mask, nullptr);
  signal(SIGPIPE, SIG_DFL); // ds-run ignores it; the ranks must not
  if (errFd >= 0)
    dup2(errFd, STDERR_FILENO);
  if (command.inheritFd >= 0)
    fcntl(command.inheritFd, F_SETFD, 0); // in this child only
  for (const auto &[name, value] : command.env)
    setenv(name.c_str(), value.c_str(), 1);
  std::vector<char *> argv;
  for (const std::string &word : command.argv)
    argv.push_back(const_cast<char *>(word.c_str()));
  argv.push_back(nullptr);
  execvp(argv[0], argv.data());
  std::string message = "ds-run: cannot start " + command.argv[0] + ": " +
                        std::strerror(errno) + "\n";
  (void)!write(STDERR_FILENO, message.data(), message.size());
  _exit(127);
}

/// "exited with code 3", "was killed by signal 9 (Killed)".
std::string describeExit(int status) {
  if (WIFSIGNALED(status))
    return "was killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
           strsignal(WTERMSIG(status)) + ")";
  return "exited with code " + std::to_string(WEXITSTATUS(status));
}

int exitCodeOf(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/// Drains every child's stderr until all of them are closed or `stop` is
/// set: plain lines go to this process's stderr as they come, reports are
/// held in `reports`.
class StderrReader {
public:
  StderrReader(std::vector<Child> &children, std::atomic<uint64_t> &seq)
      : children(children), seq(seq), partial(children.size()) {}

  void run() {
    std::vector<pollfd> fds;
    std::vector<size_t> owner;
    for (size_t i = 0; i < children.size(); ++i)
      if (children[i].errFd >= 0) {
        fds.push_back({children[i].errFd, POLLIN, 0});
        owner.push_back(i);
      }
    size_t open = fds.size();
    char buf[4096];
    while (open > 0 && !stop.load()) {
      if (poll(fds.data(), fds.size(), 100) <= 0)
        continue;
      for (size_t k = 0; k < fds.size(); ++k) {
        if (fds[k].fd < 0 || !(fds[k].revents & (POLLIN | POLLHUP | POLLERR)))
          continue;
        ssize_t n = read(fds[k].fd, buf, sizeof buf);
        if (n > 0) {
          take(owner[k], std::string_view(buf, static_cast<size_t>(n)));
          continue;
        }
        if (n < 0 && errno == EINTR)
          continue;
        // End of the child's output: a last line without a newline counts.
        if (!partial[owner[k]].empty())
          line(owner[k], std::move(partial[owner[k]]));
        close(fds[k].fd);
        fds[k].fd = -1;
        --open;
      }
    }
    for (pollfd &p : fds)
      if (p.fd >= 0)
        close(p.fd);
  }

  std::vector<HeldReport> takeReports() {
    std::lock_guard<std::mutex> guard(mutex);
    return std::move(reports);
  }

  std::atomic<bool> stop{false};

private:
  void take(size_t child, std::string_view bytes) {
    std::string &rest = partial[child];
    rest.append(bytes);
    size_t begin = 0, end;
    while ((end = rest.find('\n', begin)) != std::string::npos) {
      line(child, rest.substr(begin, end - begin));
      begin = end + 1;
    }
    rest.erase(0, begin);
    // Output without newlines (progress bars redrawn with \r) is passed on
    // as it comes once it is long: only a report needs whole lines.
    if (rest.size() > kMaxHeldLine) {
      relay(rest);
      rest.clear();
    }
  }

  /// Passes text on to this process's stderr; once that is gone (a closed
  /// pipe), nothing more is relayed, and the job goes on.
  void relay(const std::string &text) {
    if (relayGone)
      return;
    if (write(STDERR_FILENO, text.data(), text.size()) < 0 && errno == EPIPE)
      relayGone = true;
  }

  void line(size_t child, std::string text) {
    if (std::optional<RankReport> report = runtime::parseRankReport(text)) {
      std::lock_guard<std::mutex> guard(mutex);
      reports.push_back({child, ++seq, std::move(*report)});
      return;
    }
    text += '\n';
    relay(text);
  }

  std::vector<Child> &children;
  std::atomic<uint64_t> &seq;
  std::vector<std::string> partial;
  bool relayGone = false;
  std::mutex mutex;
  std::vector<HeldReport> reports;
};

/// Who a report is from: "rank 3", or the child's label when the line does
/// not name a rank.
std::string reporter(const HeldReport &held,
                     const std::vector<Child> &children) {
  if (held.report.rank >= 0)
    return "rank " + std::to_string(held.report.rank);
  return children[held.child].command->label;
}

/// A message shown beside the first failure must not read as a second one.
std::string withoutErrorWord(std::string text) {
  for (size_t at; (at = text.find("error:")) != std::string::npos;)
    text.replace(at, 6, "error -");
  return text;
}

/// Says once what ended the job: the failure that came first (the earliest
/// "error:" report, or the earliest child that ended on its own without
/// one), then what the others reported. With `forward` (a node's ds-run
/// under a launcher's) the first failure goes up as a rank report, so the
/// top ds-run says it. Returns the job's exit code.
int reportFailure(const std::vector<Child> &children,
                  std::vector<HeldReport> reports, llvm::StringRef others,
                  int fallbackCode, bool forward) {
  const HeldReport *firstReport = nullptr;
  for (const HeldReport &held : reports)
    if (!held.report.stopped && (!firstReport || held.seq < firstReport->seq))
      firstReport = &held;
  // A child that failed with neither an error report nor a "stopped" exit
  // (killed from outside, crashed, not started) is a failure of its own.
  const Child *silent = nullptr;
  for (size_t i = 0; i < children.size(); ++i) {
    const Child &c = children[i];
    bool reported = false;
    for (const HeldReport &held : reports)
      reported |= held.child == i;
    bool stopped =
        WIFEXITED(c.status) && WEXITSTATUS(c.status) == runtime::kExitStopped;
    if (c.exitSeq && !c.stoppedByUs && !reported && !stopped &&
        (!silent || c.exitSeq < silent->exitSeq))
      silent = &c;
  }
  // Nothing of its own: the earliest report of any kind, else the earliest
  // failed exit, so that the failure is always said.
  const HeldReport *shown = nullptr;
  if (firstReport && (!silent || firstReport->seq < silent->exitSeq))
    shown = firstReport;
  if (!shown && !silent) {
    for (const HeldReport &held : reports)
      if (!shown || held.seq < shown->seq)
        shown = &held;
    for (const Child &c : children)
      if (!shown && c.exitSeq && (!silent || c.exitSeq < silent->exitSeq))
        silent = &c;
  }
  int code = fallbackCode;
  std::string first;
  if (shown) {
    first =
        reporter(*shown, children) + " failed first: " + shown->report.message;
    // Its own exit code, unless the stop killed it after it reported (then
    // its status is our SIGTERM, not its failure).
    const Child &c = children[shown->child];
    if (c.done && !c.stoppedByUs && exitCodeOf(c.status) != 0)
      code = exitCodeOf(c.status);
    if (forward) {
      RankReport up = shown->report;
      up.stopped = false;
      std::cerr << runtime::formatRankReport(up) << "\n";
    }
  } else if (silent) {
    first = silent->command->label + " " + describeExit(silent->status);
    code = exitCodeOf(silent->status);
    if (forward)
      std::cerr << runtime::formatRankReport({-1, false, first}) << "\n";
  }
  if (!first.empty() && !forward)
    std::cerr << "ds-run: error: " << first << "; stopped the other "
              << others.str() << "\n";
  for (const HeldReport &held : reports) {
    if (&held == shown)
      continue;
    // Ranks that say the same thing (every survivor of a silent node does),
    // possibly after the context of the collective they were in, are
    // named, not repeated: the message appears once.
    auto sameCause = [](llvm::StringRef a, llvm::StringRef b) {
      return a == b || a.ends_with(": " + b.str()) ||
             b.ends_with(": " + a.str());
    };
    if (shown && sameCause(withoutErrorWord(held.report.message),
                           withoutErrorWord(shown->report.message))) {
      std::cerr << "ds-run: " << reporter(held, children)
                << " stopped for the same reason\n";
      continue;
    }
    std::cerr << "ds-run: " << reporter(held, children)
              << (held.report.stopped ? " stopped after it: "
                                      : " also failed: ")
              << withoutErrorWord(held.report.message) << "\n";
  }
  return code;
}

} // namespace

int runFailFast(llvm::ArrayRef<Command> commands, llvm::StringRef others,
                bool forwardReports) {
  struct sigaction action {};
  action.sa_handler = noteChild;
  sigemptyset(&action.sa_mask);
  sigaction(SIGCHLD, &action, nullptr);
  sigset_t watched, original;
  sigemptyset(&watched);
  for (int sig : {SIGCHLD, SIGINT, SIGTERM, SIGHUP})
    sigaddset(&watched, sig);
  sigprocmask(SIG_BLOCK, &watched, &original);

  std::vector<Child> children;
  children.reserve(commands.size());
  std::atomic<uint64_t> seq{0};
  bool stopping = false, failedFirst = false;
  int exitCode = 0;
  // When to stop the others after a rank stopped because of another's
  // failure (kExitStopped) and that one has not ended yet.
  std::optional<std::chrono::steady_clock::time_point> stopAt;
  auto stopDeadline = std::chrono::steady_clock::now();
  auto stopAll = [&] {
    stopping = true;
    stopDeadline = std::chrono::steady_clock::now() + kGracePeriod;
    for (Child &child : children)
      if (!child.done)
        kill(child.pid, SIGTERM);
  };

  for (const Command &command : commands) {
    int fds[2] = {-1, -1};
    if (pipe2(fds, O_CLOEXEC) != 0)
      fds[0] = fds[1] = -1; // the child keeps ds-run's stderr
    pid_t pid = start(command, original, fds[1]);
    if (fds[1] >= 0)
      close(fds[1]);
    // The process owns the socket now: with ds-run's copy closed, a client
    // of a dead rank 0 is refused instead of queued.
    if (command.inheritFd >= 0)
      close(command.inheritFd);
    if (pid < 0) {
      if (fds[0] >= 0)
        close(fds[0]);
      std::cerr << "ds-run: error: cannot start " << command.label << ": "
                << std::strerror(errno) << "\n";
      exitCode = 1;
      stopAll();
      break;
    }
    Child child;
    child.command = &command;
    child.pid = pid;
    child.errFd = fds[0];
    children.push_back(child);
  }
  StderrReader reader(children, seq);
  std::thread readerThread([&] { reader.run(); });

  size_t running = children.size();
  while (running > 0) {
    int status = 0;
    pid_t pid;
    while (running > 0 && (pid = waitpid(-1, &status, WNOHANG)) > 0) {
      for (Child &child : children) {
        if (child.pid != pid || child.done)
          continue;
        child.done = true;
        child.status = status;
        --running;
        bool failed = !WIFEXITED(status) || WEXITSTATUS(status) != 0;
        if (!failed)
          break;
        child.exitSeq = ++seq;
        // After the stop, a death by its signals is its doing.
        child.stoppedByUs =
            stopping && WIFSIGNALED(status) &&
            (WTERMSIG(status) == SIGTERM || WTERMSIG(status) == SIGKILL);
        if (stopping)
          break;
        // A rank that stopped because another failed: that one is about to
        // say why; it gets a moment to, before the stop would cut it off.
        bool consequence =
            WIFEXITED(status) && WEXITSTATUS(status) == runtime::kExitStopped;
        if (!failedFirst || !consequence)
          exitCode = exitCodeOf(status);
        failedFirst = true;
        if (consequence && !stopAt) {
          stopAt = std::chrono::steady_clock::now() + kReportGrace;
          break;
        }
        if (!consequence)
          stopAll();
      }
    }
    if (running == 0)
      break;
    if (!stopping && stopAt && std::chrono::steady_clock::now() > *stopAt)
      stopAll();
    // Processes that ignore SIGTERM are killed after the grace period.
    if (stopping && std::chrono::steady_clock::now() > stopDeadline)
      for (Child &child : children)
        if (!child.done)
          kill(child.pid, SIGKILL);
    bool soon = stopping || stopAt;
    timespec wait{soon ? 0 : 1, soon ? 20'000'000 : 0};
    int sig = sigtimedwait(&watched, nullptr, &wait);
    if (sig <= 0 || sig == SIGCHLD)
      continue;
    if (stopping) {
      // A second request (another Ctrl-C) does not wait for the grace
      // period.
      stopDeadline = std::chrono::steady_clock::now();
      continue;
    }
    std::cerr << "ds-run: received signal " << sig << " (" << strsignal(sig)
              << "); stopping the " << others.str() << "\n";
    exitCode = 128 + sig;
    stopAll();
  }
  sigprocmask(SIG_SETMASK, &original, nullptr);

  // The children are gone; their last lines may still be in the pipes.
  auto drainUntil = std::chrono::steady_clock::now() + kDrainTime;
  std::thread stopper([&] {
    while (std::chrono::steady_clock::now() < drainUntil && !reader.stop.load())
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    reader.stop = true;
  });
  readerThread.join();
  reader.stop = true;
  stopper.join();

  std::vector<HeldReport> reports = reader.takeReports();
  if (failedFirst)
    return reportFailure(children, std::move(reports), others, exitCode,
                         forwardReports);
  // A clean run or a stop ds-run was asked for: the reports as they came.
  for (const HeldReport &held : reports)
    std::cerr << runtime::formatRankReport(held.report) << "\n";
  return exitCode;
}

} // namespace dsc::run
