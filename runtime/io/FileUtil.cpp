//===- FileUtil.cpp - Memory-mapped files and atomic writes ---------------===//

#include "runtime/io/FileUtil.h"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <type_traits>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace dsc::runtime {

std::string errnoMessage(int err) {
  char buf[256];
  // GNU strerror_r returns the message (maybe not in buf); XSI returns int.
  auto result = strerror_r(err, buf, sizeof(buf));
  if constexpr (std::is_same_v<decltype(result), char *>)
    return result;
  else
    return result == 0 ? std::string(buf) : "error " + std::to_string(err);
}

std::string errnoText(const char *call, int err) {
  return std::string(call) + ": " + errnoMessage(err);
}

Expected<std::string> readWholeFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int err = errno;
    return Status::error(path +
                         ": cannot open: " + errnoMessage(err ? err : ENOENT));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad())
    return Status::error(path + ": read failed");
  return text.str();
}

std::string parentDirOf(const std::string &path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos)
    return "./";
  return path.substr(0, slash + 1);
}

Expected<MappedFile> MappedFile::open(const std::string &path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return Status::error(path + ": cannot open: " + errnoMessage(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return Status::error(path + ": cannot stat: " + errnoMessage(err));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::error(path + ": not a regular file");
  }
  MappedFile file;
  file.filePath = path;
  file.length = static_cast<size_t>(st.st_size);
  if (file.length > 0) {
    void *addr = ::mmap(nullptr, file.length, PROT_READ, MAP_PRIVATE, fd, 0);
    if (addr == MAP_FAILED) {
      const int err = errno;
      ::close(fd);
      return Status::error(path + ": cannot mmap: " + errnoMessage(err));
    }
    file.bytes = static_cast<const uint8_t *>(addr);
  }
  ::close(fd);
  return file;
}

MappedFile::MappedFile(MappedFile &&other) noexcept
    : filePath(std::move(other.filePath)), bytes(other.bytes),
      length(other.length) {
  other.bytes = nullptr;
  other.length = 0;
}

MappedFile &MappedFile::operator=(MappedFile &&other) noexcept {
  if (this != &other) {
    reset();
    filePath = std::move(other.filePath);
    bytes = other.bytes;
    length = other.length;
    other.bytes = nullptr;
    other.length = 0;
  }
  return *this;
}

MappedFile::~MappedFile() { reset(); }

void MappedFile::reset() {
  if (bytes)
    ::munmap(const_cast<uint8_t *>(bytes), length);
  bytes = nullptr;
  length = 0;
}

Status writeFileAtomically(const std::string &path,
                           const std::vector<ByteChunk> &chunks) {
  static std::atomic<unsigned> counter{0};
  const std::string tmp = path + ".tmp." + std::to_string(::getpid()) + "." +
                          std::to_string(counter++);
  const int fd =
      ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0)
    return Status::error(parentDirOf(path) + ": cannot create '" + path +
                         "': " + errnoMessage(errno));
  auto fail = [&](const std::string &what, int err) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return Status::error(path + ": " + what + ": " + errnoMessage(err));
  };
  for (const ByteChunk &chunk : chunks) {
    const char *p = static_cast<const char *>(chunk.data);
    size_t left = chunk.size;
    while (left > 0) {
      const ssize_t n = ::write(fd, p, left);
      if (n < 0) {
        if (errno == EINTR)
          continue;
        return fail("write failed", errno);
      }
      p += n;
      left -= static_cast<size_t>(n);
    }
  }
  if (::fsync(fd) != 0 && errno != EINVAL && errno != EROFS)
    return fail("fsync failed", errno);
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return Status::error(path + ": close failed: " + errnoMessage(err));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return Status::error(path + ": cannot rename '" + tmp +
                         "' to it: " + errnoMessage(err));
  }
  return Status::success();
}

} // namespace dsc::runtime
