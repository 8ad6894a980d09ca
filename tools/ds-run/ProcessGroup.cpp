//===- ProcessGroup.cpp - Start processes, fail fast together -------------===//
//
// The signals that matter (a child exiting, a request to stop) are blocked
// and waited for with sigtimedwait, so that none is lost between checking
// and waiting; children get the original mask back before exec.
//
//===----------------------------------------------------------------------===//

#include "tools/ds-run/ProcessGroup.h"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <iostream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace dsc::run {
namespace {

/// How long stopped processes get to exit before SIGKILL.
constexpr std::chrono::seconds kGracePeriod(10);

struct Child {
  const Command *command;
  pid_t pid = -1;
  bool done = false;
};

void noteChild(int) {}

/// fork + exec of `command`; the child restores `mask`. Returns the pid or
/// -1 when fork fails.
pid_t start(const Command &command, const sigset_t &mask) {
  pid_t pid = fork();
  if (pid != 0)
    return pid;
  sigprocmask(SIG_SETMASK, &mask, nullptr);
  for (const auto &[name, value] : command.env)
    setenv(name.c_str(), value.c_str(), 1);
  std::vector<char *> argv;
  for (const std::string &word : command.argv)
    argv.push_back(const_cast<char *>(word.c_str()));
  argv.push_back(nullptr);
  execvp(argv[0], argv.data());
  std::perror(("ds-run: cannot start " + command.argv[0]).c_str());
  _exit(127);
}

/// "exited with code 3", "was killed by signal 9 (Killed)".
std::string describeExit(int status) {
  if (WIFSIGNALED(status))
    return "was killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
           strsignal(WTERMSIG(status)) + ")";
  return "exited with code " + std::to_string(WEXITSTATUS(status));
}

} // namespace

int runFailFast(llvm::ArrayRef<Command> commands, llvm::StringRef others) {
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
  bool stopping = false;
  int exitCode = 0;
  auto stopDeadline = std::chrono::steady_clock::now();
  auto stopAll = [&] {
    stopping = true;
    stopDeadline = std::chrono::steady_clock::now() + kGracePeriod;
    for (Child &child : children)
      if (!child.done)
        kill(child.pid, SIGTERM);
  };

  for (const Command &command : commands) {
    pid_t pid = start(command, original);
    if (pid < 0) {
      std::cerr << "ds-run: cannot start " << command.label << ": "
                << std::strerror(errno) << "\n";
      exitCode = 1;
      stopAll();
      break;
    }
    children.push_back({&command, pid});
  }

  size_t running = children.size();
  while (running > 0) {
    int status = 0;
    pid_t pid;
    while (running > 0 && (pid = waitpid(-1, &status, WNOHANG)) > 0) {
      for (Child &child : children) {
        if (child.pid != pid || child.done)
          continue;
        child.done = true;
        --running;
        bool failed = !WIFEXITED(status) || WEXITSTATUS(status) != 0;
        if (!failed || stopping)
          break;
        exitCode =
            WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        std::cerr << "ds-run: " << child.command->label << " "
                  << describeExit(status);
        if (running > 0)
          std::cerr << "; stopping the other " << others.str();
        std::cerr << "\n";
        stopAll();
      }
    }
    if (running == 0)
      break;
    // Processes that ignore SIGTERM are killed after the grace period.
    if (stopping && std::chrono::steady_clock::now() > stopDeadline)
      for (Child &child : children)
        if (!child.done)
          kill(child.pid, SIGKILL);
    timespec wait{stopping ? 0 : 1, stopping ? 20'000'000 : 0};
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
  return exitCode;
}

} // namespace dsc::run
