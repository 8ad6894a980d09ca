//===- OutputDir.cpp - Checking output directories ------------------------===//

#include "runtime/io/OutputDir.h"

#include "runtime/io/FileUtil.h"

#include <atomic>
#include <cerrno>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace dsc::runtime {

Status ensureWritableDir(const std::string &path) {
  if (path.empty())
    return Status::error("output directory: empty path");
  const std::string shown = path.back() == '/' ? path : path + "/";
  auto err = [&](const std::string &what) {
    return Status::error(shown + ": " + what);
  };
  // mkdir -p: every prefix that ends before a '/', then the whole path.
  for (size_t end = 1; end <= path.size(); ++end) {
    if (end < path.size() && path[end] != '/')
      continue;
    if (path[end - 1] == '/')
      continue; // "a//b" or a trailing '/'.
    const std::string prefix = path.substr(0, end);
    struct stat st;
    if (::stat(prefix.c_str(), &st) == 0) {
      if (!S_ISDIR(st.st_mode))
        return err("'" + prefix + "' exists and is not a directory");
      continue;
    }
    if (errno != ENOENT)
      return err("cannot access '" + prefix + "': " + errnoMessage(errno));
    if (::mkdir(prefix.c_str(), 0777) != 0 && errno != EEXIST)
      return err("cannot create directory '" + prefix +
                 "': " + errnoMessage(errno));
  }
  // Creating (and removing) a file is the real test: it covers permissions,
  // ACLs, read-only mounts and exhausted inodes alike.
  static std::atomic<unsigned> counter{0};
  const std::string probe = shown + ".dsc-write-test." +
                            std::to_string(::getpid()) + "." +
                            std::to_string(counter++);
  const int fd =
      ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return err("not writable: cannot create a file in it: " +
               errnoMessage(errno));
  ::close(fd);
  ::unlink(probe.c_str());
  return Status::success();
}

} // namespace dsc::runtime
