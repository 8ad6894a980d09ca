//===- RuntimeIOTest.cpp - .npy, metrics lines, output directories --------===//
//
// .npy files are built byte by byte here, or come from numpy itself
// (data/npy/, made by data/npy/make_npy.py). Safetensors and the data feeder
// are in RuntimeIOTestData.cpp.
//
//===----------------------------------------------------------------------===//

#include "runtime/io/FileUtil.h"
#include "runtime/io/Metrics.h"
#include "runtime/io/Npy.h"
#include "runtime/io/OutputDir.h"

#include "test/unit/RuntimeIOTestUtil.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include <dirent.h>
#include <ftw.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef DSC_NPY_TEST_DATA
#error "DSC_NPY_TEST_DATA must name test/unit/data/npy"
#endif

using namespace dsc::runtime;
using testing_util::readFile;
using testing_util::TempDir;
using testing_util::writeFile;

namespace {

std::vector<std::string> listDir(const std::string &path) {
  std::vector<std::string> names;
  if (DIR *d = ::opendir(path.c_str())) {
    while (dirent *e = ::readdir(d))
      if (std::strcmp(e->d_name, ".") && std::strcmp(e->d_name, ".."))
        names.push_back(e->d_name);
    ::closedir(d);
  }
  return names;
}

template <typename T> std::string rawBytes(const std::vector<T> &values) {
  return std::string(reinterpret_cast<const char *>(values.data()),
                     values.size() * sizeof(T));
}

/// A .npy file: magic, version major.0, the header length (2 bytes for 1.0,
/// 4 for 2.0/3.0), `header` verbatim, then `data`.
std::string npyFile(int major, const std::string &header,
                    const std::string &data) {
  std::string out("\x93NUMPY", 6);
  out += static_cast<char>(major);
  out += '\0';
  const size_t n = header.size();
  const int lenBytes = major == 1 ? 2 : 4;
  for (int i = 0; i < lenBytes; ++i)
    out += static_cast<char>((n >> (8 * i)) & 0xff);
  return out + header + data;
}

/// numpy's header for `dict`: padded with spaces and '\n' to 64 bytes.
std::string paddedHeader(const std::string &dict, int major = 1) {
  const size_t prefix = major == 1 ? 10 : 12;
  std::string h = dict;
  while ((prefix + h.size() + 1) % 64 != 0)
    h += ' ';
  return h + '\n';
}

std::string dataPath(const std::string &name) {
  return std::string(DSC_NPY_TEST_DATA) + "/" + name;
}

/// Runs `check` (it returns "" or what went wrong) as a user that
/// permission bits stop: as root (CI), in a forked child that drops to
/// nobody, in `dir` made world-writable for it; otherwise right here.
std::string asUnprivileged(const std::string &dir,
                           const std::function<std::string()> &check) {
  if (::geteuid() != 0)
    return check();
  if (::chmod(dir.c_str(), 0777) != 0)
    return "cannot open " + dir + " to nobody";
  int fds[2];
  if (::pipe(fds) != 0)
    return "pipe failed";
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    std::string result = "cannot become nobody";
    if (::setgid(65534) == 0 && ::setuid(65534) == 0)
      result = check();
    (void)!::write(fds[1], result.data(), result.size());
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string result;
  char buf[256];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;)
    result.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return "the unprivileged child failed";
  return result;
}

//===----------------------------------------------------------------------===//
// .npy reading
//===----------------------------------------------------------------------===//

TEST(RuntimeIONpy, ReadsHandBuiltVersion1) {
  TempDir tmp;
  const std::string path = tmp / "a.npy";
  const std::vector<int32_t> values{1, -2, 300000, 4, 5, 6};
  writeFile(path, npyFile(1,
                          paddedHeader("{'descr': '<i4', 'fortran_order': "
                                       "False, 'shape': (2, 3), }"),
                          rawBytes(values)));
  Expected<NpyArray> a = NpyArray::open(path);
  ASSERT_TRUE(a.ok()) << a.message();
  EXPECT_EQ(a->dtype(), DType::I32);
  EXPECT_EQ(a->shape(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(a->numel(), 6);
  EXPECT_EQ(a->byteSize(), 24u);
  EXPECT_EQ(a->formatVersion(), 1);
  EXPECT_EQ(a->dataOffset(), 128u);
  EXPECT_EQ(a->path(), path);
  ASSERT_NE(a->data(), nullptr);
  EXPECT_EQ(std::memcmp(a->data(), values.data(), 24), 0);
}

TEST(RuntimeIONpy, ReadsVersions2And3WithLooseHeaders) {
  TempDir tmp;
  // Unpadded, double quotes, no trailing comma, a Python 2 long: all legal.
  const std::vector<uint16_t> values{1, 65535, 7};
  writeFile(tmp / "v2.npy", npyFile(2,
                                    "{\"descr\": \"<u2\", \"shape\": (3L,), "
                                    "\"fortran_order\": False}\n",
                                    rawBytes(values)));
  Expected<NpyArray> v2 = NpyArray::open(tmp / "v2.npy");
  ASSERT_TRUE(v2.ok()) << v2.message();
  EXPECT_EQ(v2->formatVersion(), 2);
  EXPECT_EQ(v2->dtype(), DType::U16);
  EXPECT_EQ(v2->shape(), (std::vector<int64_t>{3}));
  EXPECT_EQ(std::memcmp(v2->data(), values.data(), 6), 0);

  writeFile(tmp / "v3.npy",
            npyFile(3,
                    "{'descr': '<i1', 'fortran_order': False, 'shape': "
                    "(2,), }",
                    std::string("\x7f\x80", 2)));
  Expected<NpyArray> v3 = NpyArray::open(tmp / "v3.npy");
  ASSERT_TRUE(v3.ok()) << v3.message();
  EXPECT_EQ(v3->formatVersion(), 3);
  EXPECT_EQ(v3->dtype(), DType::I8);
  const auto *p = static_cast<const int8_t *>(v3->data());
  EXPECT_EQ(p[0], 127);
  EXPECT_EQ(p[1], -128);
}

TEST(RuntimeIONpy, ReadsEmptyAndScalarArrays) {
  TempDir tmp;
  writeFile(tmp / "empty.npy",
            npyFile(1,
                    paddedHeader("{'descr': '<f8', 'fortran_order': False, "
                                 "'shape': (0, 5), }"),
                    ""));
  Expected<NpyArray> e = NpyArray::open(tmp / "empty.npy");
  ASSERT_TRUE(e.ok()) << e.message();
  EXPECT_EQ(e->numel(), 0);
  EXPECT_EQ(e->byteSize(), 0u);
  EXPECT_EQ(e->data(), nullptr);

  Expected<NpyArray> s = NpyArray::open(dataPath("f64_scalar.npy"));
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_TRUE(s->shape().empty());
  EXPECT_EQ(s->numel(), 1);
  double v;
  std::memcpy(&v, s->data(), 8);
  EXPECT_EQ(v, 2.5);
}

TEST(RuntimeIONpy, ReadsNumpyWrittenFiles) {
  Expected<NpyArray> f32 = NpyArray::open(dataPath("f32_2x3.npy"));
  ASSERT_TRUE(f32.ok()) << f32.message();
  EXPECT_EQ(f32->dtype(), DType::F32);
  EXPECT_EQ(f32->shape(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(f32->dataOffset() % 64, 0u);
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(static_cast<const float *>(f32->data())[i], 0.5f * i);

  Expected<NpyArray> i64 = NpyArray::open(dataPath("i64_5x4_v2.npy"));
  ASSERT_TRUE(i64.ok()) << i64.message();
  EXPECT_EQ(i64->formatVersion(), 2);
  EXPECT_EQ(i64->dtype(), DType::I64);
  EXPECT_EQ(i64->shape(), (std::vector<int64_t>{5, 4}));
  for (int r = 0; r < 5; ++r)
    for (int c = 0; c < 4; ++c)
      EXPECT_EQ(static_cast<const int64_t *>(i64->data())[r * 4 + c],
                100 * r + c - 7);

  Expected<NpyArray> u8 = NpyArray::open(dataPath("u8_3_v3.npy"));
  ASSERT_TRUE(u8.ok()) << u8.message();
  EXPECT_EQ(u8->formatVersion(), 3);
  EXPECT_EQ(u8->dtype(), DType::U8);
  const auto *bytes = static_cast<const uint8_t *>(u8->data());
  EXPECT_EQ(bytes[0], 7);
  EXPECT_EQ(bytes[1], 255);
  EXPECT_EQ(bytes[2], 0);

  Expected<NpyArray> b = NpyArray::open(dataPath("bool_4.npy"));
  ASSERT_TRUE(b.ok()) << b.message();
  EXPECT_EQ(b->dtype(), DType::Bool);
  EXPECT_EQ(std::string(static_cast<const char *>(b->data()), 4),
            std::string("\1\0\0\1", 4));

  Expected<NpyArray> h = NpyArray::open(dataPath("f16_2x2.npy"));
  ASSERT_TRUE(h.ok()) << h.message();
  EXPECT_EQ(h->dtype(), DType::F16);
  // IEEE half bits of 1, -2, 0.5, 65504.
  const std::vector<uint16_t> halfBits{0x3c00, 0xc000, 0x3800, 0x7bff};
  EXPECT_EQ(std::memcmp(h->data(), halfBits.data(), 8), 0);
}

TEST(RuntimeIONpy, CopiesShareTheMapping) {
  Expected<NpyArray> a = NpyArray::open(dataPath("f32_2x3.npy"));
  ASSERT_TRUE(a.ok()) << a.message();
  NpyArray copy = *a;
  const void *data = a->data();
  a = Status::error("dropped");
  EXPECT_EQ(copy.data(), data);
  EXPECT_EQ(static_cast<const float *>(copy.data())[5], 2.5f);
}

/// The error NpyArray::open gives for a file with these bytes.
std::string npyError(const TempDir &tmp, const std::string &bytes) {
  const std::string path = tmp / "bad.npy";
  writeFile(path, bytes);
  Expected<NpyArray> a = NpyArray::open(path);
  if (a.ok())
    return "(no error)";
  const std::string prefix = path + ": ";
  EXPECT_EQ(a.message().compare(0, prefix.size(), prefix), 0) << a.message();
  return a.message().substr(std::min(prefix.size(), a.message().size()));
}

std::string f32Header(const std::string &shape) {
  return paddedHeader(
      "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }");
}

TEST(RuntimeIONpy, RejectsBadFilesWithTheirProblem) {
  TempDir tmp;
  const std::string eight(8, '\0');
  EXPECT_EQ(npyError(tmp, ""), "not a .npy file (no \\x93NUMPY magic)");
  EXPECT_EQ(npyError(tmp, "PK\3\4 a zip file, maybe an .npz"),
            "not a .npy file (no \\x93NUMPY magic)");
  std::string v4 = npyFile(1, f32Header("(2,)"), eight);
  v4[6] = 4;
  EXPECT_EQ(npyError(tmp, v4),
            "unsupported .npy format version 4.0 (supported: 1.0, 2.0, 3.0)");
  std::string v11 = npyFile(1, f32Header("(2,)"), eight);
  v11[7] = 1;
  EXPECT_EQ(npyError(tmp, v11),
            "unsupported .npy format version 1.1 (supported: 1.0, 2.0, 3.0)");
  EXPECT_EQ(npyError(tmp, npyFile(1, f32Header("(2,)"), "").substr(0, 40)),
            "truncated: header length says 118 bytes, file has 30 after the "
            "header length");
  EXPECT_EQ(npyError(tmp, npyFile(1, "not a dict\n", "")),
            "bad header: header does not start with '{'");
  EXPECT_EQ(npyError(tmp, npyFile(1, "{'descr': '<f4', 'shape': (2,)}", "")),
            "bad header: no 'fortran_order' key");
  EXPECT_EQ(npyError(tmp, npyFile(1,
                                  "{'descr': '<f4', 'fortran_order': False, "
                                  "'shape': (2,), 'extra': 1}",
                                  eight)),
            "bad header: unexpected key 'extra'");
  EXPECT_EQ(npyError(tmp, npyFile(1,
                                  "{'descr': '<f4', 'fortran_order': False, "
                                  "'shape': (2,), 'shape': (2,)}",
                                  eight)),
            "bad header: duplicate key 'shape' in the header dict");
  EXPECT_EQ(npyError(tmp, npyFile(1,
                                  "{'descr': '<f4', 'fortran_order': False, "
                                  "'shape': (2,",
                                  eight)),
            "bad header: header dict ends early");
  EXPECT_EQ(npyError(tmp, npyFile(1,
                                  "{'descr': '<c8', 'fortran_order': False, "
                                  "'shape': (2,), }",
                                  std::string(16, '\0'))),
            "unsupported dtype <c8 (supported: <f4 <f8 <f2 <i8 <i4 <i2 |i1 "
            "|u1 |b1 <u2 <u4 <u8)");
  EXPECT_EQ(npyError(tmp, npyFile(1,
                                  "{'descr': '|f4', 'fortran_order': False, "
                                  "'shape': (2,), }",
                                  eight)),
            "unsupported dtype |f4 (supported: <f4 <f8 <f2 <i8 <i4 <i2 |i1 "
            "|u1 |b1 <u2 <u4 <u8)");
  EXPECT_EQ(npyError(tmp, npyFile(1,
                                  "{'descr': [('a', '<f4'), ('b', '<i4')], "
                                  "'fortran_order': False, 'shape': (1,), }",
                                  eight)),
            "structured dtypes are not supported (descr is not a string)");
  EXPECT_EQ(npyError(tmp, npyFile(1,
                                  "{'descr': '<f4', 'fortran_order': 0, "
                                  "'shape': (2,), }",
                                  eight)),
            "bad header: fortran_order is not True or False");
  EXPECT_EQ(npyError(tmp, npyFile(1,
                                  "{'descr': '<f4', 'fortran_order': False, "
                                  "'shape': [2], }",
                                  eight)),
            "bad header: shape is not a tuple");
  EXPECT_EQ(npyError(tmp, npyFile(1,
                                  "{'descr': '<f4', 'fortran_order': False, "
                                  "'shape': (2, -1), }",
                                  eight)),
            "bad header: shape is not a tuple of non-negative integers");
  EXPECT_EQ(
      npyError(tmp, npyFile(1, f32Header("(10, 32)"), std::string(1200, '\0'))),
      "truncated: shape (10, 32) of <f4 needs 1280 bytes of data, file "
      "has 1200");
  EXPECT_EQ(npyError(tmp, npyFile(1, f32Header("(2,)"), eight + "xyz")),
            "3 unexpected bytes after the data (shape (2,) of <f4 needs 8)");
  EXPECT_EQ(
      npyError(tmp, npyFile(1, f32Header("(4294967296, 4294967296)"), "")),
      "shape (4294967296, 4294967296) is too large");
}

TEST(RuntimeIONpy, RejectsFortranOrderAndBigEndianFromNumpy) {
  const std::string fortran = dataPath("f32_fortran.npy");
  Expected<NpyArray> f = NpyArray::open(fortran);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.message(), fortran +
                             ": fortran_order is True; only C-order arrays "
                             "are supported (save np.ascontiguousarray(a))");
  const std::string big = dataPath("f4_bigendian.npy");
  Expected<NpyArray> b = NpyArray::open(big);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.message(),
            big + ": big-endian dtype >f4 is not supported; save it "
                  "little-endian (arr.astype(arr.dtype.newbyteorder('<')))");
}

TEST(RuntimeIONpy, ReportsMissingFilesAndDirectories) {
  TempDir tmp;
  Expected<NpyArray> a = NpyArray::open(tmp / "nope.npy");
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.message(),
            tmp / "nope.npy" + ": cannot open: No such file or directory");
  Expected<NpyArray> d = NpyArray::open(tmp.path());
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.message(), tmp.path() + ": not a regular file");
}

//===----------------------------------------------------------------------===//
// .npy writing
//===----------------------------------------------------------------------===//

TEST(RuntimeIONpy, WriterHeaderIsNumpyStyleAndAligned) {
  Expected<std::string> h = npyHeader(DType::F32, {10, 32});
  ASSERT_TRUE(h.ok()) << h.message();
  ASSERT_EQ(h->size(), 128u);
  EXPECT_EQ(h->substr(0, 10), std::string("\x93NUMPY\x01\x00\x76\x00", 10));
  EXPECT_EQ(h->substr(10, 61),
            "{'descr': '<f4', 'fortran_order': False, 'shape': (10, 32), }");
  EXPECT_EQ(h->substr(71, 56), std::string(56, ' '));
  EXPECT_EQ(h->back(), '\n');

  Expected<std::string> scalar = npyHeader(DType::Bool, {});
  ASSERT_TRUE(scalar.ok());
  EXPECT_EQ(scalar->size(), 128u);
  EXPECT_NE(scalar->find("'descr': '|b1'"), std::string::npos);
  EXPECT_NE(scalar->find("'shape': (), }"), std::string::npos);

  Expected<std::string> bf16 = npyHeader(DType::BF16, {2});
  ASSERT_FALSE(bf16.ok());
  EXPECT_EQ(bf16.message(), "bfloat16 cannot be stored in a .npy file");
}

TEST(RuntimeIONpy, WriterMatchesNumpyBytes) {
  // numpy 1.24 pads for in-place growth as well; for these small shapes the
  // header still ends at 128 bytes, so the files are identical.
  TempDir tmp;
  const std::vector<float> f32{0, 0.5, 1, 1.5, 2, 2.5};
  ASSERT_TRUE(writeNpy(tmp / "f32.npy", DType::F32, {2, 3}, f32.data()).ok());
  EXPECT_EQ(readFile(tmp / "f32.npy"), readFile(dataPath("f32_2x3.npy")));
  const std::vector<uint8_t> mask{1, 0, 0, 1};
  ASSERT_TRUE(writeNpy(tmp / "b.npy", DType::Bool, {4}, mask.data()).ok());
  EXPECT_EQ(readFile(tmp / "b.npy"), readFile(dataPath("bool_4.npy")));
}

TEST(RuntimeIONpy, WriterRoundTripsEveryDType) {
  TempDir tmp;
  const std::vector<uint8_t> bytes{
      1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
      17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
      33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48};
  for (DType t : {DType::F64, DType::F32, DType::F16, DType::I64, DType::I32,
                  DType::I16, DType::I8, DType::U8, DType::U16, DType::U32,
                  DType::U64, DType::Bool}) {
    const std::string path = tmp / (std::string(dtypeName(t)) + ".npy");
    const std::vector<int64_t> shape{2, 3};
    ASSERT_TRUE(writeNpy(path, t, shape, bytes.data()).ok());
    Expected<NpyArray> a = NpyArray::open(path);
    ASSERT_TRUE(a.ok()) << a.message();
    EXPECT_EQ(a->dtype(), t);
    EXPECT_EQ(a->shape(), shape);
    EXPECT_EQ(a->dataOffset() % 64, 0u);
    ASSERT_EQ(a->byteSize(), 6 * dtypeSize(t));
    EXPECT_EQ(std::memcmp(a->data(), bytes.data(), a->byteSize()), 0);
  }
  // Only the final files: the temporaries were renamed away.
  EXPECT_EQ(listDir(tmp.path()).size(), 12u);
}

TEST(RuntimeIONpy, WriterReplacesAndReportsErrors) {
  TempDir tmp;
  const std::string path = tmp / "loss.npy";
  const std::vector<float> one{1}, two{2, 3};
  ASSERT_TRUE(writeNpy(path, DType::F32, {1}, one.data()).ok());
  ASSERT_TRUE(writeNpy(path, DType::F32, {2}, two.data()).ok());
  Expected<NpyArray> a = NpyArray::open(path);
  ASSERT_TRUE(a.ok()) << a.message();
  EXPECT_EQ(a->shape(), (std::vector<int64_t>{2}));

  const std::string missing = tmp / "no/such/dir/out.npy";
  Status s = writeNpy(missing, DType::F32, {1}, one.data());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), tmp / "no/such/dir/" + ": cannot create '" + missing +
                             "': No such file or directory");
  s = writeNpy(tmp / "x.npy", DType::BF16, {1}, one.data());
  EXPECT_EQ(s.message(),
            tmp / "x.npy" + ": bfloat16 cannot be stored in a .npy file");
  s = writeNpy(tmp / "x.npy", DType::F32, {2}, nullptr);
  EXPECT_EQ(s.message(), tmp / "x.npy" + ": no data for shape (2,)");
  EXPECT_TRUE(writeNpy(tmp / "e.npy", DType::F32, {0, 3}, nullptr).ok());
}

TEST(RuntimeIONpy, WriterIntoReadOnlyDirectory) {
  TempDir tmp;
  const std::string out = tmp / "out";
  EXPECT_EQ(asUnprivileged(tmp.path(),
                           [&]() -> std::string {
                             if (::mkdir(out.c_str(), 0500) != 0)
                               return "mkdir failed";
                             const std::vector<float> one{1};
                             Status s = writeNpy(out + "/loss.npy", DType::F32,
                                                 {1}, one.data());
                             if (s.ok())
                               return "wrote into a read-only directory";
                             return s.message();
                           }),
            out + "/: cannot create '" + out + "/loss.npy': Permission denied");
}

//===----------------------------------------------------------------------===//
// Metrics and log lines
//===----------------------------------------------------------------------===//

TEST(RuntimeIOMetrics, PythonFloatRepr) {
  // Each expected string is Python 3's repr() of the same double.
  const std::vector<std::pair<double, std::string>> cases{
      {0.001, "0.001"},
      {1e-5, "1e-05"},
      {2.0, "2.0"},
      {1e16, "1e+16"},
      {1e15, "1000000000000000.0"},
      {0.0001, "0.0001"},
      {123.456, "123.456"},
      {-0.0, "-0.0"},
      {0.0, "0.0"},
      {0.1 + 0.2, "0.30000000000000004"},
      {1.5e300, "1.5e+300"},
      {5e-324, "5e-324"},
      {12345678901234567.0, "1.2345678901234568e+16"},
      {-2.5e-7, "-2.5e-07"},
      {3e-4, "0.0003"},
      {1.0 / 3.0, "0.3333333333333333"},
      {65504.0, "65504.0"},
      {std::numeric_limits<double>::quiet_NaN(), "nan"},
      {-std::numeric_limits<double>::infinity(), "-inf"},
  };
  for (const auto &[value, text] : cases)
    EXPECT_EQ(pythonFloatRepr(value), text);
}

TEST(RuntimeIOMetrics, LineFormatMatchesJsonDumps) {
  StepMetrics m;
  m.step = 1;
  m.loss = 4.8079;
  m.lr = 1e-5;
  m.samplesPerSec = 512.25;
  m.extra = {{"loss_scale", 65536.0},
             {"skipped", int64_t{0}},
             {"overflow", false},
             {"phase", std::string("train\n\"x\"")}};
  Expected<std::string> line = formatMetricsLine(m);
  ASSERT_TRUE(line.ok()) << line.message();
  // json.dumps({"step": 1, "loss": 4.8079, "lr": 1e-05, "grad_norm": None,
  //             "samples_per_s": 512.25, "loss_scale": 65536.0,
  //             "skipped": 0, "overflow": False, "phase": 'train\n"x"'})
  EXPECT_EQ(*line,
            "{\"step\": 1, \"loss\": 4.8079, \"lr\": 1e-05, \"grad_norm\": "
            "null, \"samples_per_s\": 512.25, \"loss_scale\": 65536.0, "
            "\"skipped\": 0, \"overflow\": false, \"phase\": "
            "\"train\\n\\\"x\\\"\"}");

  m.extra.clear();
  m.loss = std::numeric_limits<double>::quiet_NaN();
  m.gradNorm = 1.25;
  line = formatMetricsLine(m);
  ASSERT_TRUE(line.ok());
  EXPECT_EQ(*line, "{\"step\": 1, \"loss\": null, \"lr\": 1e-05, "
                   "\"grad_norm\": 1.25, \"samples_per_s\": 512.25}");

  m.extra = {{"lr", 1.0}};
  line = formatMetricsLine(m);
  ASSERT_FALSE(line.ok());
  EXPECT_EQ(line.message(), "metrics: field 'lr' given twice");
}

TEST(RuntimeIOMetrics, WriterWritesFlushedLines) {
  TempDir tmp;
  const std::string path = tmp / "metrics.jsonl";
  {
    Expected<MetricsWriter> w = MetricsWriter::open(path);
    ASSERT_TRUE(w.ok()) << w.message();
    StepMetrics m;
    m.step = 1;
    m.loss = 2.5;
    m.lr = 0.001;
    m.gradNorm = 0.5;
    m.samplesPerSec = 100;
    ASSERT_TRUE(w->write(m).ok());
    // Flushed: visible before the writer closes.
    EXPECT_EQ(readFile(path),
              "{\"step\": 1, \"loss\": 2.5, \"lr\": 0.001, \"grad_norm\": "
              "0.5, \"samples_per_s\": 100.0}\n");
    m.step = 2;
    ASSERT_TRUE(w->write(m).ok());
    EXPECT_TRUE(w->close().ok());
    EXPECT_FALSE(w->write(m).ok());
  }
  {
    Expected<MetricsWriter> w = MetricsWriter::open(path, /*append=*/true);
    ASSERT_TRUE(w.ok()) << w.message();
    StepMetrics m;
    m.step = 3;
    ASSERT_TRUE(w->write(m).ok());
  }
  std::istringstream lines(readFile(path));
  std::string line;
  std::vector<std::string> all;
  while (std::getline(lines, line))
    all.push_back(line);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[1].substr(0, 11), "{\"step\": 2,");
  EXPECT_EQ(all[2], "{\"step\": 3, \"loss\": 0.0, \"lr\": 0.0, \"grad_norm\": "
                    "null, \"samples_per_s\": 0.0}");

  Expected<MetricsWriter> bad = MetricsWriter::open(tmp / "none/m.jsonl");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.message(), tmp / "none/" + ": cannot create '" +
                               tmp / "none/m.jsonl" +
                               "': No such file or directory");
}

TEST(RuntimeIOMetrics, WriterCreatesTheFileAtTheFirstLine) {
  TempDir tmp;
  // A run that fails before its first step leaves no empty file...
  const std::string fresh = tmp / "fresh.jsonl";
  {
    Expected<MetricsWriter> w = MetricsWriter::open(fresh);
    ASSERT_TRUE(w.ok()) << w.message();
  }
  struct stat st;
  EXPECT_NE(::stat(fresh.c_str(), &st), 0);
  // ... and leaves an earlier run's file as it was.
  const std::string old = tmp / "old.jsonl";
  writeFile(old, "{\"step\": 1}\n");
  {
    Expected<MetricsWriter> w = MetricsWriter::open(old);
    ASSERT_TRUE(w.ok()) << w.message();
    EXPECT_TRUE(w->close().ok());
  }
  EXPECT_EQ(readFile(old), "{\"step\": 1}\n");
  // What can be checked up front is.
  Expected<MetricsWriter> dir = MetricsWriter::open(tmp.path());
  ASSERT_FALSE(dir.ok());
  EXPECT_EQ(dir.message(), tmp.path() + ": exists and is not a regular file");
}

TEST(RuntimeIOMetrics, ProgressLineMirrorsDeepSpeed) {
  ProgressLine p;
  p.rank = 0;
  p.step = 10;
  p.skipped = 0;
  p.lr = {0.001};
  p.mom = {{0.9, 0.999}};
  // engine._report_progress: "step={step}, skipped={skipped}, lr={lr},
  // mom={mom}" with Python list reprs, through log_dist's "[Rank 0] ".
  EXPECT_EQ(formatProgressLine(p),
            "[Rank 0] step=10, skipped=0, lr=[0.001], mom=[(0.9, 0.999)]");
  p.loss = 4.80791;
  p.gradNorm = 1.23;
  p.samplesPerSec = 512.34;
  EXPECT_EQ(formatProgressLine(p),
            "[Rank 0] step=10, skipped=0, lr=[0.001], mom=[(0.9, 0.999)], "
            "loss=4.8079, grad_norm=1.23, samples/sec=512.3");

  ProgressLine sgd;
  sgd.rank = 3;
  sgd.step = 200;
  sgd.skipped = 2;
  sgd.lr = {1e-5, 3e-4};
  sgd.mom = {{0.9}, {0.0}};
  EXPECT_EQ(formatProgressLine(sgd), "[Rank 3] step=200, skipped=2, "
                                     "lr=[1e-05, 0.0003], mom=[0.9, 0.0]");
}

//===----------------------------------------------------------------------===//
// Output directories
//===----------------------------------------------------------------------===//

TEST(RuntimeIOOutputDir, CreatesMissingDirectories) {
  TempDir tmp;
  const std::string out = tmp / "out/a/b";
  ASSERT_TRUE(ensureWritableDir(out).ok());
  struct stat st;
  ASSERT_EQ(::stat(out.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_TRUE(ensureWritableDir(out).ok());
  EXPECT_TRUE(ensureWritableDir(out + "/").ok());
  // The probe file is gone.
  EXPECT_TRUE(listDir(out).empty());
}

TEST(RuntimeIOOutputDir, ReportsAFileInTheWay) {
  TempDir tmp;
  writeFile(tmp / "file", "x");
  Status s = ensureWritableDir(tmp / "file/sub");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), tmp / "file/sub/" + ": '" + tmp / "file" +
                             "' exists and is not a directory");
  EXPECT_EQ(ensureWritableDir("").message(), "output directory: empty path");
}

TEST(RuntimeIOOutputDir, ReportsReadOnlyDirectories) {
  TempDir tmp;
  const std::string ro = tmp / "ro";
  EXPECT_EQ(asUnprivileged(tmp.path(),
                           [&]() -> std::string {
                             if (::mkdir(ro.c_str(), 0500) != 0)
                               return "mkdir failed";
                             Status s = ensureWritableDir(ro);
                             Status sub = ensureWritableDir(ro + "/sub");
                             return s.message() + " | " + sub.message();
                           }),
            ro +
                "/: not writable: cannot create a file in it: Permission "
                "denied | " +
                ro + "/sub/: cannot create directory '" + ro +
                "/sub': Permission denied");
}

} // namespace
