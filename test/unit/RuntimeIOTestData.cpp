//===- RuntimeIOTestData.cpp - safetensors and the data feeder ------------===//
//
// Safetensors files are compared with bytes built by hand from the format's
// conventions (what Python's safetensors.torch.save_file writes); corrupt
// files are made by editing those bytes. The data feeder's sample selection
// is pinned row by row.
//
//===----------------------------------------------------------------------===//

#include "runtime/io/DataFeeder.h"
#include "runtime/io/Npy.h"
#include "runtime/io/Safetensors.h"

#include "test/unit/RuntimeIOTestUtil.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <ftw.h>
#include <stdlib.h>
#include <sys/stat.h>

using namespace dsc::runtime;
using testing_util::readFile;
using testing_util::TempDir;
using testing_util::writeFile;

namespace {

template <typename T> std::string rawBytes(const std::vector<T> &values) {
  return std::string(reinterpret_cast<const char *>(values.data()),
                     values.size() * sizeof(T));
}

/// A safetensors file: the 8-byte length of `json` padded with spaces to a
/// multiple of 8 (unless `pad` is false), the JSON, the data.
std::string stFile(const std::string &json, const std::string &data,
                   bool pad = true) {
  std::string header = json;
  if (pad)
    header.append((8 - header.size() % 8) % 8, ' ');
  std::string out(8, '\0');
  for (int b = 0; b < 8; ++b)
    out[b] = static_cast<char>((header.size() >> (8 * b)) & 0xff);
  return out + header + data;
}

//===----------------------------------------------------------------------===//
// safetensors
//===----------------------------------------------------------------------===//

TEST(RuntimeIOSafetensors, WritesWhatPythonWrites) {
  // safetensors.torch.save_file({"weight": torch.tensor([[1., 2.], [3., 4.]]),
  //                              "bias": torch.tensor([0.5, -0.5],
  //                                                   dtype=torch.float16)},
  //                             "w.safetensors", metadata={"format": "pt"})
  // writes __metadata__ first, then the tensors widest dtype first (F32
  // before F16), compact JSON padded with spaces to 8 bytes.
  const std::string json =
      "{\"__metadata__\":{\"format\":\"pt\"},"
      "\"weight\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
      "\"bias\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[16,20]}}";
  const std::vector<float> weight{1, 2, 3, 4};
  const std::vector<uint16_t> bias{0x3800, 0xb800};
  const std::string expected = stFile(json, rawBytes(weight) + rawBytes(bias));
  ASSERT_EQ(expected.size() % 8, 4u);
  ASSERT_EQ((expected.size() - 20) % 8, 0u);

  TempDir tmp;
  const std::string path = tmp / "w.safetensors";
  Status s = writeSafetensors(path,
                              {{"bias", DType::F16, {2}, bias.data()},
                               {"weight", DType::F32, {2, 2}, weight.data()}},
                              {{"format", "pt"}});
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(readFile(path), expected);

  Expected<SafetensorsFile> f = SafetensorsFile::open(path);
  ASSERT_TRUE(f.ok()) << f.message();
  EXPECT_EQ(f->metadata().at("format"), "pt");
  EXPECT_EQ(f->dataOffset(), expected.size() - 20);
  ASSERT_EQ(f->tensors().size(), 2u);
  EXPECT_EQ(f->tensors()[0].name, "weight");
  EXPECT_EQ(f->tensors()[1].name, "bias");
  const SafetensorsTensor *b = f->find("bias");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->dtype, DType::F16);
  EXPECT_EQ(b->shape, (std::vector<int64_t>{2}));
  EXPECT_EQ(b->begin, 16u);
  EXPECT_EQ(b->end, 20u);
  EXPECT_EQ(b->byteSize(), 4u);
  EXPECT_EQ(std::memcmp(b->data, bias.data(), 4), 0);
  EXPECT_EQ(f->find("nope"), nullptr);
}

TEST(RuntimeIOSafetensors, RoundTripsEveryDTypeInAlignedOrder) {
  TempDir tmp;
  const std::vector<uint8_t> bytes(64, 0);
  std::vector<uint8_t> pattern(64);
  for (size_t i = 0; i < pattern.size(); ++i)
    pattern[i] = static_cast<uint8_t>(i * 7 + 1);
  // Odd element counts, so that a careless order would misalign the wider
  // types that follow.
  std::vector<TensorToWrite> tensors{
      {"mask", DType::Bool, {3}, pattern.data()},
      {"u8", DType::U8, {1}, pattern.data()},
      {"i8", DType::I8, {3}, pattern.data()},
      {"half", DType::F16, {3}, pattern.data()},
      {"brain", DType::BF16, {1}, pattern.data()},
      {"i16", DType::I16, {1}, pattern.data()},
      {"u16", DType::U16, {1}, pattern.data()},
      {"b.w", DType::F32, {1, 3}, pattern.data()},
      {"a.w", DType::F32, {1}, pattern.data()},
      {"i32", DType::I32, {1}, pattern.data()},
      {"u32", DType::U32, {1}, pattern.data()},
      {"f64", DType::F64, {1}, pattern.data()},
      {"ids", DType::I64, {3}, pattern.data()},
      {"u64", DType::U64, {1}, pattern.data()},
      {"empty", DType::F32, {0, 4}, nullptr},
  };
  const std::string path = tmp / "all.safetensors";
  Status s = writeSafetensors(path, tensors, {{"step", "7"}, {"a", "b"}});
  ASSERT_TRUE(s.ok()) << s.message();

  Expected<SafetensorsFile> f = SafetensorsFile::open(path);
  ASSERT_TRUE(f.ok()) << f.message();
  EXPECT_EQ(f->dataOffset() % 8, 0u);
  EXPECT_EQ(f->metadata(),
            (std::map<std::string, std::string>{{"a", "b"}, {"step", "7"}}));
  std::vector<std::string> order;
  for (const SafetensorsTensor &t : f->tensors()) {
    order.push_back(t.name);
    EXPECT_EQ((f->dataOffset() + t.begin) % dtypeSize(t.dtype), 0u) << t.name;
  }
  // The reference's order: dtype descending (U64 I64 F64 F32 U32 I32 BF16
  // F16 U16 I16 I8 U8 BOOL), then name; the empty F32 tensor sorts by name
  // among the F32s but has no bytes.
  EXPECT_EQ(order, (std::vector<std::string>{
                       "u64", "ids", "f64", "a.w", "b.w", "empty", "u32", "i32",
                       "brain", "half", "u16", "i16", "i8", "u8", "mask"}));
  for (const TensorToWrite &w : tensors) {
    const SafetensorsTensor *t = f->find(w.name);
    ASSERT_NE(t, nullptr) << w.name;
    EXPECT_EQ(t->dtype, w.dtype);
    EXPECT_EQ(t->shape, w.shape);
    ASSERT_EQ(t->byteSize(),
              static_cast<size_t>(t->numel) * dtypeSize(w.dtype));
    if (t->numel)
      EXPECT_EQ(std::memcmp(t->data, pattern.data(), t->byteSize()), 0)
          << w.name;
    else
      EXPECT_EQ(t->data, nullptr);
  }
}

TEST(RuntimeIOSafetensors, WriterErrors) {
  TempDir tmp;
  const float x = 1;
  const std::string path = tmp / "w.safetensors";
  Status s = writeSafetensors(
      path, {{"a", DType::F32, {1}, &x}, {"a", DType::F16, {1}, &x}});
  EXPECT_EQ(s.message(), path + ": duplicate tensor name 'a'");
  s = writeSafetensors(path, {{"__metadata__", DType::F32, {1}, &x}});
  EXPECT_EQ(s.message(), path + ": '__metadata__' is reserved and cannot "
                                "name a tensor");
  s = writeSafetensors(path, {{"a", DType::F32, {-1}, &x}});
  EXPECT_EQ(s.message(), path + ": tensor 'a': bad shape (-1,)");
  s = writeSafetensors(path, {{"a", DType::F32, {2}, nullptr}});
  EXPECT_EQ(s.message(), path + ": tensor 'a': no data");
  s = writeSafetensors(path, {{"bad\xff", DType::F32, {1}, &x}});
  EXPECT_EQ(s.message(), path + ": tensor name 'bad\xff' is not valid UTF-8");
  const std::string missing = tmp / "no/w.safetensors";
  s = writeSafetensors(missing, {{"a", DType::F32, {1}, &x}});
  EXPECT_EQ(s.message(), tmp / "no/" + ": cannot create '" + missing +
                             "': No such file or directory");
  // Nothing was left behind.
  EXPECT_FALSE(SafetensorsFile::open(path).ok());
}

/// The message of opening `bytes` as a safetensors file, without the path.
std::string stError(const TempDir &tmp, const std::string &bytes) {
  const std::string path = tmp / "bad.safetensors";
  writeFile(path, bytes);
  Expected<SafetensorsFile> f = SafetensorsFile::open(path);
  if (f.ok())
    return "(no error)";
  const std::string prefix = path + ": ";
  EXPECT_EQ(f.message().compare(0, prefix.size(), prefix), 0) << f.message();
  return f.message().substr(std::min(prefix.size(), f.message().size()));
}

std::string tensorJson(const std::string &name, const std::string &dtype,
                       const std::string &shape, uint64_t begin, uint64_t end) {
  return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape +
         ",\"data_offsets\":[" + std::to_string(begin) + "," +
         std::to_string(end) + "]}";
}

TEST(RuntimeIOSafetensors, RejectsCorruptFiles) {
  TempDir tmp;
  const std::string good = "{" + tensorJson("a", "F32", "[2,2]", 0, 16) + "," +
                           tensorJson("b", "F32", "[2]", 16, 24) + "}";
  const std::string data(24, '\x11');
  ASSERT_EQ(stError(tmp, stFile(good, data)), "(no error)");

  // Truncated data.
  EXPECT_EQ(stError(tmp, stFile(good, data.substr(0, 20))),
            "truncated: header says 24 bytes of data, file has 20");
  // Header length larger than the file; a file shorter than the length.
  std::string longLen = stFile(good, data);
  longLen[0] = '\xff';
  longLen[1] = '\x7f';
  EXPECT_EQ(stError(tmp, longLen),
            "bad header length: 32767 bytes, but the file has " +
                std::to_string(longLen.size() - 8) +
                " after the 8-byte length");
  std::string hugeLen = stFile(good, data);
  hugeLen[7] = '\x80';
  EXPECT_EQ(stError(tmp, hugeLen),
            "bad header length: 9223372036854775920 bytes, but the file has " +
                std::to_string(hugeLen.size() - 8) +
                " after the 8-byte length");
  EXPECT_EQ(stError(tmp, std::string("\x08\0\0", 3)),
            "too short: 3 bytes, a safetensors file starts with an 8-byte "
            "header length");
  // Bad JSON.
  const std::string badJson = stError(tmp, stFile("{\"a\":{\"dtype\":", ""));
  EXPECT_EQ(badJson.substr(0, 17), "bad JSON header: ") << badJson;
  EXPECT_EQ(stError(tmp, stFile("[1, 2]", "")),
            "bad header: the JSON header does not start with '{'");
  EXPECT_EQ(stError(tmp, stFile("{} trailing", "")).substr(0, 17),
            "bad JSON header: ");
  // Overlapping, gapped, out-of-order offsets.
  EXPECT_EQ(
      stError(tmp, stFile("{" + tensorJson("a", "F32", "[4]", 0, 16) + "," +
                              tensorJson("b", "F32", "[4]", 8, 24) + "}",
                          data)),
      "tensors 'a' [0, 16] and 'b' [8, 24] overlap");
  EXPECT_EQ(
      stError(tmp, stFile("{" + tensorJson("a", "F32", "[2]", 0, 8) + "," +
                              tensorJson("b", "F32", "[2]", 16, 24) + "}",
                          data)),
      "8 bytes of the data section before tensor 'b' [16, 24] belong "
      "to no tensor");
  EXPECT_EQ(
      stError(tmp, stFile("{" + tensorJson("a", "F32", "[2]", 4, 12) + "}",
                          data.substr(0, 12))),
      "4 bytes of the data section before tensor 'a' [4, 12] belong to "
      "no tensor");
  EXPECT_EQ(stError(tmp, stFile("{" + tensorJson("a", "F32", "[2]", 0, 8) + "}",
                                data)),
            "16 bytes after the last tensor belong to no tensor (header says "
            "8 bytes of data, file has 24)");
  EXPECT_EQ(stError(tmp, stFile("{" + tensorJson("a", "F32", "[2]", 8, 0) + "}",
                                data)),
            "tensor 'a': data_offsets [8, 0] end before they begin");
  // Bad dtype; sizes that do not match the shape.
  EXPECT_EQ(stError(tmp, stFile("{" + tensorJson("a", "F33", "[2]", 0, 8) + "}",
                                data.substr(0, 8))),
            "tensor 'a': unsupported dtype 'F33' (supported: F64 F32 F16 "
            "BF16 I64 I32 I16 I8 U8 U16 U32 U64 BOOL)");
  EXPECT_EQ(
      stError(tmp, stFile("{" + tensorJson("a", "F16", "[2,3]", 0, 8) + "}",
                          data.substr(0, 8))),
      "tensor 'a': shape (2, 3) of F16 needs 12 bytes, but "
      "data_offsets [0, 8] hold 8");
  EXPECT_EQ(
      stError(tmp, stFile("{" + tensorJson("a", "F32", "[-2]", 0, 8) + "}",
                          data.substr(0, 8))),
      "tensor 'a': shape is not a list of non-negative integers");
  EXPECT_EQ(stError(tmp, stFile("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],"
                                "\"data_offsets\":[0]}}",
                                data.substr(0, 8))),
            "tensor 'a': data_offsets is not [begin, end]");
  EXPECT_EQ(stError(tmp, stFile("{\"a\":{\"shape\":[2],"
                                "\"data_offsets\":[0,8]}}",
                                data.substr(0, 8))),
            "tensor 'a': no dtype string");
  // Duplicate names (JSON allows them; safetensors must not).
  EXPECT_EQ(
      stError(tmp, stFile("{" + tensorJson("a", "F32", "[2]", 0, 8) + "," +
                              tensorJson("a", "F32", "[2]", 8, 16) + "}",
                          data.substr(0, 16))),
      "bad header: duplicate tensor name 'a'");
  // Metadata must map strings to strings.
  EXPECT_EQ(stError(tmp, stFile("{\"__metadata__\":{\"n\":1}}", "")),
            "bad header: __metadata__ value of 'n' is not a string");
  EXPECT_EQ(stError(tmp, stFile("{\"__metadata__\":[]}", "")),
            "bad header: __metadata__ is not an object");
}

TEST(RuntimeIOSafetensors, AcceptsUnpaddedHeadersAndEmptyFiles) {
  TempDir tmp;
  const std::vector<int64_t> ids{5, -6};
  const std::string json = "{" + tensorJson("ids", "I64", "[2]", 0, 16) + "}";
  ASSERT_NE(json.size() % 8, 0u);
  writeFile(tmp / "u.safetensors", stFile(json, rawBytes(ids), false));
  Expected<SafetensorsFile> f = SafetensorsFile::open(tmp / "u.safetensors");
  ASSERT_TRUE(f.ok()) << f.message();
  const SafetensorsTensor *t = f->find("ids");
  ASSERT_NE(t, nullptr);
  int64_t second;
  std::memcpy(&second, static_cast<const char *>(t->data) + 8, 8);
  EXPECT_EQ(second, -6);

  ASSERT_TRUE(writeSafetensors(tmp / "e.safetensors", {}).ok());
  EXPECT_EQ(readFile(tmp / "e.safetensors"), stFile("{}", ""));
  Expected<SafetensorsFile> e = SafetensorsFile::open(tmp / "e.safetensors");
  ASSERT_TRUE(e.ok()) << e.message();
  EXPECT_TRUE(e->tensors().empty());
  EXPECT_TRUE(e->metadata().empty());
}

//===----------------------------------------------------------------------===//
// DataFeeder
//===----------------------------------------------------------------------===//

/// `<dir>/ids.npy`: int64 (n, 3), row i = [10i, 10i+1, 10i+2];
/// `<dir>/labels.npy`: int32 (n,), row i = i.
void writeDataset(const std::string &dir, int64_t n) {
  ::mkdir(dir.c_str(), 0755);
  std::vector<int64_t> ids;
  std::vector<int32_t> labels;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t c = 0; c < 3; ++c)
      ids.push_back(10 * i + c);
    labels.push_back(static_cast<int32_t>(i));
  }
  ASSERT_TRUE(writeNpy(dir + "/ids.npy", DType::I64, {n, 3}, ids.data()).ok());
  ASSERT_TRUE(
      writeNpy(dir + "/labels.npy", DType::I32, {n}, labels.data()).ok());
}

std::vector<FeedInput> datasetInputs() {
  return {{"ids", DType::I64, {3}}, {"labels", DType::I32, {}}};
}

/// The label rows (= sample indices) of each micro-batch of `rank` at
/// `step`, read back through copyMicroBatch.
std::vector<std::vector<int32_t>> microBatches(const DataFeeder &feeder,
                                               int64_t step) {
  std::vector<std::vector<int32_t>> out;
  for (int64_t m = 0; m < feeder.layout().gradAccumSteps; ++m) {
    std::vector<int32_t> labels(
        static_cast<size_t>(feeder.layout().microBatchSize));
    EXPECT_TRUE(feeder.copyMicroBatch(step, m, 1, labels.data()).ok());
    out.push_back(labels);
  }
  return out;
}

using Rows = std::vector<std::vector<int32_t>>;

TEST(RuntimeIODataFeeder, SplitsStepsLikeDeepSpeedWithWrapAround) {
  TempDir tmp;
  const std::string dir = tmp / "data";
  writeDataset(dir, 10);
  // TBS 8 = MBS 2 * GAS 2 * dp 2; 10 samples, so step 1 wraps around.
  FeedLayout layout{8, 2, 2, 0, 2};
  Expected<DataFeeder> r0 = DataFeeder::open(dir, datasetInputs(), layout);
  ASSERT_TRUE(r0.ok()) << r0.message();
  layout.dpRank = 1;
  Expected<DataFeeder> r1 = DataFeeder::open(dir, datasetInputs(), layout);
  ASSERT_TRUE(r1.ok()) << r1.message();
  EXPECT_EQ(r0->numSamples(), 10);
  EXPECT_EQ(r0->numInputs(), 2u);

  // Step s covers rows [8s, 8s + 8) mod 10; rank r takes the contiguous
  // shard [4r, 4r + 4) of it, cut into micro-batches of 2 in order.
  EXPECT_EQ(microBatches(*r0, 0), (Rows{{0, 1}, {2, 3}}));
  EXPECT_EQ(microBatches(*r1, 0), (Rows{{4, 5}, {6, 7}}));
  EXPECT_EQ(microBatches(*r0, 1), (Rows{{8, 9}, {0, 1}}));
  EXPECT_EQ(microBatches(*r1, 1), (Rows{{2, 3}, {4, 5}}));
  EXPECT_EQ(microBatches(*r0, 2), (Rows{{6, 7}, {8, 9}}));
  EXPECT_EQ(microBatches(*r1, 2), (Rows{{0, 1}, {2, 3}}));
  // Far-away steps: (8 * 1000000000000) mod 10 = 0.
  EXPECT_EQ(microBatches(*r1, 1000000000000), (Rows{{4, 5}, {6, 7}}));

  EXPECT_EQ(r1->sampleIndex(1, 1, 1), 5);
  EXPECT_EQ(r1->microBatchBytes(0), 2 * 3 * 8u);
  EXPECT_EQ(r1->microBatchBytes(1), 2 * 4u);
  EXPECT_EQ(r1->microBatchShape(0), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(r1->microBatchShape(1), (std::vector<int64_t>{2}));

  // The whole samples come along for multi-dimensional inputs.
  std::vector<int64_t> ids(6);
  ASSERT_TRUE(r0->copyMicroBatch(1, 1, 0, ids.data()).ok());
  EXPECT_EQ(ids, (std::vector<int64_t>{0, 1, 2, 10, 11, 12}));
}

TEST(RuntimeIODataFeeder, WrapsInsideAMicroBatch) {
  TempDir tmp;
  const std::string dir = tmp / "data";
  writeDataset(dir, 10);
  // TBS 3 = MBS 3 * GAS 1 * dp 1: step 3 is rows 9, 0, 1.
  Expected<DataFeeder> f =
      DataFeeder::open(dir, datasetInputs(), FeedLayout{3, 3, 1, 0, 1});
  ASSERT_TRUE(f.ok()) << f.message();
  EXPECT_EQ(microBatches(*f, 3), (Rows{{9, 0, 1}}));
  std::vector<int64_t> ids(9);
  ASSERT_TRUE(f->copyMicroBatch(3, 0, 0, ids.data()).ok());
  EXPECT_EQ(ids, (std::vector<int64_t>{90, 91, 92, 0, 1, 2, 10, 11, 12}));

  // Single rank, GAS 4, MBS 1: step 2 is rows 8, 9, 0, 1.
  Expected<DataFeeder> g =
      DataFeeder::open(dir, datasetInputs(), FeedLayout{4, 1, 4, 0, 1});
  ASSERT_TRUE(g.ok()) << g.message();
  EXPECT_EQ(microBatches(*g, 2), (Rows{{8}, {9}, {0}, {1}}));

  Status s = g->copyMicroBatch(0, 4, 1, ids.data());
  EXPECT_EQ(s.message(), dir + "/labels.npy: no micro-batch 4 of step 0 "
                               "(gradient_accumulation_steps 4)");
  s = g->copyMicroBatch(-1, 0, 1, ids.data());
  EXPECT_FALSE(s.ok());
  s = g->copyMicroBatch(0, 0, 2, ids.data());
  EXPECT_EQ(s.message(), "copyMicroBatch: input 2 of 2");
}

TEST(RuntimeIODataFeeder, ReportsBadInputs) {
  TempDir tmp;
  const std::string dir = tmp / "data";
  writeDataset(dir, 10);
  const FeedLayout layout{4, 1, 4, 0, 1};
  auto error = [&](std::vector<FeedInput> inputs, FeedLayout l) {
    Expected<DataFeeder> f = DataFeeder::open(dir, std::move(inputs), l);
    return f.ok() ? std::string("(no error)") : f.message();
  };

  EXPECT_EQ(error({{"mask", DType::Bool, {3}}}, layout),
            dir + "/: no file for graph input 'mask': expected '" + dir +
                "/mask.npy' (one .npy per graph input, first dimension = "
                "samples)");
  EXPECT_EQ(error({{"ids", DType::F32, {3}}}, layout),
            dir + "/ids.npy: dtype <i8, expected float32 (<f4)");
  EXPECT_EQ(error({{"ids", DType::BF16, {3}}}, layout),
            dir + "/ids.npy: dtype <i8, expected bfloat16, which .npy cannot "
                  "hold");
  EXPECT_EQ(error({{"ids", DType::I64, {48}}}, layout),
            dir + "/ids.npy: shape (10, 3), expected (N, 48)");
  EXPECT_EQ(error({{"ids", DType::I64, {3, 1}}}, layout),
            dir + "/ids.npy: shape (10, 3), expected (N, 3, 1)");
  EXPECT_EQ(error({{"labels", DType::I32, {1}}}, layout),
            dir + "/labels.npy: shape (10,), expected (N, 1)");
  EXPECT_EQ(error({{"ids", DType::I64, {}}}, layout),
            dir + "/ids.npy: shape (10, 3), expected (N,)");
  EXPECT_EQ(error(datasetInputs(), FeedLayout{12, 3, 2, 1, 2}),
            dir + "/ids.npy: 10 samples, but one optimizer step needs 12 "
                  "(train_batch_size)");

  // Different sample counts.
  std::vector<float> w(7 * 2, 0.f);
  ASSERT_TRUE(writeNpy(dir + "/w.npy", DType::F32, {7, 2}, w.data()).ok());
  EXPECT_EQ(error({{"ids", DType::I64, {3}}, {"w", DType::F32, {2}}}, layout),
            dir + "/w.npy: 7 samples, but " + dir +
                "/ids.npy has 10; all inputs must have the same number of "
                "samples");

  // A corrupt file reports the reader's problem.
  std::ofstream(dir + "/junk.npy") << "junk";
  EXPECT_EQ(error({{"junk", DType::F32, {}}}, layout),
            dir + "/junk.npy: not a .npy file (no \\x93NUMPY magic)");

  // Inconsistent batch sizes, bad ranks.
  EXPECT_EQ(error(datasetInputs(), FeedLayout{8, 2, 2, 0, 1}),
            "batch layout: train_batch_size 8 != "
            "train_micro_batch_size_per_gpu 2 * gradient_accumulation_steps "
            "2 * data-parallel size 1");
  EXPECT_EQ(error(datasetInputs(), FeedLayout{4, 1, 2, 2, 2}),
            "batch layout: data-parallel rank 2 is not in [0, 2)");
  EXPECT_EQ(error(datasetInputs(), FeedLayout{0, 0, 1, 0, 1}),
            "batch layout: train_batch_size, train_micro_batch_size_per_gpu, "
            "gradient_accumulation_steps and the data-parallel size must be "
            "positive (got 0, 0, 1, 1)");
}

TEST(RuntimeIODataFeeder, DirectoryWithTrailingSlash) {
  TempDir tmp;
  const std::string dir = tmp / "data";
  writeDataset(dir, 4);
  Expected<DataFeeder> f =
      DataFeeder::open(dir + "/", datasetInputs(), FeedLayout{4, 2, 2, 0, 1});
  ASSERT_TRUE(f.ok()) << f.message();
  EXPECT_EQ(f->array(0).path(), dir + "/ids.npy");
  EXPECT_EQ(microBatches(*f, 1), (Rows{{0, 1}, {2, 3}}));
}

} // namespace
