//===- RuntimeIOTestUtil.h - temporary folders and files for tests -*- C++
//-*-===//
//
// Shared by the runtime I/O tests: a fresh directory under the gtest temp
// dir (removed afterwards, read-only subfolders included) and whole-file
// reads and writes.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_TEST_UNIT_RUNTIMEIOTESTUTIL_H
#define DSC_TEST_UNIT_RUNTIMEIOTESTUTIL_H

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <ftw.h>
#include <stdlib.h>
#include <sys/stat.h>

namespace dsc::runtime::testing_util {

/// A fresh directory under the gtest temp dir, removed afterwards.
class TempDir {
public:
  explicit TempDir(const std::string &prefix = "RuntimeIOTest") {
    std::string tmpl = testing::TempDir() + prefix + ".XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (::mkdtemp(buf.data()))
      dir = buf.data();
  }
  ~TempDir() {
    if (dir.empty())
      return;
    // Tests make folders read-only: restore the bits so removal works.
    ::nftw(
        dir.c_str(),
        [](const char *p, const struct stat *, int flag, struct FTW *) {
          if (flag == FTW_DP)
            ::chmod(p, 0700);
          ::remove(p);
          return 0;
        },
        16, FTW_DEPTH | FTW_PHYS);
  }
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;

  const std::string &path() const { return dir; }
  std::string operator/(const std::string &name) const {
    return dir + "/" + name;
  }

private:
  std::string dir;
};

inline std::string readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void writeFile(const std::string &path, const std::string &bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

} // namespace dsc::runtime::testing_util

#endif // DSC_TEST_UNIT_RUNTIMEIOTESTUTIL_H
