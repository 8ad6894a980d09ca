//===- OnnxNodeTests.cpp - ONNX backend node conformance ------------------===//
//
// Runs the ONNX backend node tests (one directory per test: model.onnx and
// test_data_set_0/{input,output}_N.pb) through the importer and checks that
// the result types of `@main` match the expected outputs (static shape and
// element type) and that the module verifies.
//
// A test is applicable when every node is a default-domain op the importer
// supports. Every test runs in a forked child so that an importer crash or
// hang is reported as a failure of that test instead of ending the run.
//
//===----------------------------------------------------------------------===//

#include "compiler/onnx/OnnxImporter.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

using namespace mlir;
namespace fs = llvm::sys::fs;
namespace path = llvm::sys::path;

namespace {

struct Options {
  std::string dataDir;
  std::string knownFailuresPath;
  std::string filter;
  /// The file listing the tests that must pass (pinned); empty: not pinned.
  std::string expectedPassesPath;
  bool verbose = false;
  bool fork = true;
  unsigned timeoutSeconds = 120;
};

enum class Outcome : char { Pass = 'P', Fail = 'F', NotApplicable = 'N' };

struct Result {
  Outcome outcome;
  std::string message;
};

void printUsage(llvm::raw_ostream &os, const char *argv0) {
  os << "usage: " << argv0
     << " --data DIR [--known-failures FILE] [--expected-passes FILE]\n"
        "       [--filter SUBSTR] [-v] [--no-fork] [--timeout SECONDS]\n"
        "Runs the ONNX backend node tests under DIR through the importer.\n";
}

bool parseArgs(int argc, char **argv, Options &opts) {
  for (int i = 1; i < argc; ++i) {
    llvm::StringRef arg = argv[i];
    auto value = [&](llvm::StringRef name, std::string &out) {
      if (arg == name) {
        if (i + 1 >= argc) {
          llvm::errs() << "error: " << name << " needs a value\n";
          return false;
        }
        out = argv[++i];
        return true;
      }
      std::string prefix = (name + "=").str();
      if (arg.starts_with(prefix)) {
        out = arg.drop_front(prefix.size()).str();
        return true;
      }
      return false;
    };
    std::string timeout;
    if (value("--data", opts.dataDir) ||
        value("--expected-passes", opts.expectedPassesPath) ||
        value("--known-failures", opts.knownFailuresPath) ||
        value("--filter", opts.filter))
      continue;
    if (value("--timeout", timeout)) {
      if (!llvm::to_integer(timeout, opts.timeoutSeconds)) {
        llvm::errs() << "error: bad --timeout value '" << timeout << "'\n";
        return false;
      }
      continue;
    }
    if (arg == "-v" || arg == "--verbose") {
      opts.verbose = true;
    } else if (arg == "--no-fork") {
      opts.fork = false;
    } else if (arg == "-h" || arg == "--help") {
      printUsage(llvm::outs(), argv[0]);
      std::exit(0);
    } else {
      llvm::errs() << "error: unknown argument '" << arg << "'\n";
      return false;
    }
  }
  if (opts.dataDir.empty()) {
    llvm::errs() << "error: --data is required\n";
    return false;
  }
  return true;
}

/// A known failure: the test must fail with a message containing `message`.
struct KnownFailure {
  std::string message;
  std::string reason;
};

/// Reads `test_name | failure message fragment | reason` lines (`#` starts a
/// comment line); returns false when the file cannot be read or a line is
/// not of that form.
bool readKnownFailures(llvm::StringRef filePath,
                       llvm::StringMap<KnownFailure> &known) {
  auto buffer = llvm::MemoryBuffer::getFile(filePath, /*IsText=*/true);
  if (!buffer) {
    llvm::errs() << "error: cannot read known failures '" << filePath
                 << "': " << buffer.getError().message() << "\n";
    return false;
  }
  llvm::SmallVector<llvm::StringRef> lines;
  (*buffer)->getBuffer().split(lines, '\n');
  for (size_t n = 0; n < lines.size(); ++n) {
    llvm::StringRef line = lines[n].trim();
    if (line.empty() || line.starts_with("#"))
      continue;
    llvm::SmallVector<llvm::StringRef, 3> fields;
    line.split(fields, '|', /*MaxSplit=*/2);
    if (fields.size() != 3 || fields[0].trim().empty() ||
        fields[1].trim().empty()) {
      llvm::errs() << filePath << ":" << n + 1
                   << ": error: expected 'test_name | failure message "
                      "fragment | reason'\n";
      return false;
    }
    known[fields[0].trim()] = {fields[1].trim().str(), fields[2].trim().str()};
  }
  return true;
}

/// Reads test names, one per line (`#` starts a comment line); false when
/// the file cannot be read.
bool readNames(llvm::StringRef filePath, llvm::StringSet<> &names) {
  auto buffer = llvm::MemoryBuffer::getFile(filePath, /*IsText=*/true);
  if (!buffer) {
    llvm::errs() << "error: cannot read '" << filePath
                 << "': " << buffer.getError().message() << "\n";
    return false;
  }
  llvm::SmallVector<llvm::StringRef> lines;
  (*buffer)->getBuffer().split(lines, '\n');
  for (llvm::StringRef line : lines) {
    line = line.trim();
    if (!line.empty() && !line.starts_with("#"))
      names.insert(line);
  }
  return true;
}

template <typename Proto>
std::optional<std::string> parseProtoFile(llvm::StringRef filePath,
                                          Proto &proto) {
  auto buffer = llvm::MemoryBuffer::getFile(filePath, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return ("cannot read '" + filePath + "': " + buffer.getError().message())
        .str();
  llvm::StringRef bytes = (*buffer)->getBuffer();
  if (bytes.size() > static_cast<size_t>(INT32_MAX) ||
      !proto.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return ("cannot parse '" + filePath + "' as " + proto.GetTypeName()).str();
  return std::nullopt;
}

/// The MLIR element type the importer must produce for an ONNX data type.
Type elementTypeFor(int32_t dataType, MLIRContext &ctx) {
  Builder b(&ctx);
  switch (dataType) {
  case onnx::TensorProto::FLOAT:
    return b.getF32Type();
  case onnx::TensorProto::DOUBLE:
    return b.getF64Type();
  case onnx::TensorProto::FLOAT16:
    return b.getF16Type();
  case onnx::TensorProto::BFLOAT16:
    return b.getBF16Type();
  case onnx::TensorProto::INT8:
    return b.getIntegerType(8);
  case onnx::TensorProto::INT16:
    return b.getIntegerType(16);
  case onnx::TensorProto::INT32:
    return b.getIntegerType(32);
  case onnx::TensorProto::INT64:
    return b.getIntegerType(64);
  case onnx::TensorProto::UINT8:
    return b.getIntegerType(8, /*isSigned=*/false);
  case onnx::TensorProto::UINT16:
    return b.getIntegerType(16, /*isSigned=*/false);
  case onnx::TensorProto::UINT32:
    return b.getIntegerType(32, /*isSigned=*/false);
  case onnx::TensorProto::UINT64:
    return b.getIntegerType(64, /*isSigned=*/false);
  case onnx::TensorProto::BOOL:
    return b.getI1Type();
  default:
    return {};
  }
}

std::string dataTypeName(int32_t dataType) {
  if (onnx::TensorProto_DataType_IsValid(dataType))
    return onnx::TensorProto_DataType_Name(
        static_cast<onnx::TensorProto_DataType>(dataType));
  return "data type " + std::to_string(dataType);
}

std::string typeToString(Type type) {
  std::string s;
  llvm::raw_string_ostream os(s);
  type.print(os);
  return s;
}

std::string expectedTypeString(const onnx::TensorProto &tensor,
                               MLIRContext &ctx) {
  std::string s = "tensor<";
  for (int64_t d : tensor.dims())
    s += std::to_string(d) + "x";
  Type elt = elementTypeFor(tensor.data_type(), ctx);
  s += elt ? typeToString(elt) : dataTypeName(tensor.data_type());
  return s + ">";
}

/// Files `prefix_0.pb`, `prefix_1.pb`, ... in `dir`, stopping at the first gap.
std::vector<std::string> numberedFiles(llvm::StringRef dir,
                                       llvm::StringRef prefix) {
  std::vector<std::string> files;
  for (unsigned i = 0;; ++i) {
    llvm::SmallString<256> file(dir);
    path::append(file, prefix + "_" + llvm::Twine(i) + ".pb");
    if (!fs::exists(file))
      break;
    files.push_back(std::string(file));
  }
  return files;
}

/// Runs one test in the current process.
Result runTest(llvm::StringRef testDir) {
  llvm::SmallString<256> modelPath(testDir);
  path::append(modelPath, "model.onnx");
  onnx::ModelProto model;
  if (auto err = parseProtoFile(modelPath, model))
    return {Outcome::Fail, *err};

  for (const onnx::NodeProto &node : model.graph().node()) {
    llvm::StringRef domain = node.domain();
    if (!domain.empty() && domain != "ai.onnx")
      return {Outcome::NotApplicable,
              "op " + node.op_type() + " in domain '" + node.domain() + "'"};
    if (!dsc::onnx_import::isSupportedOp(node.op_type()))
      return {Outcome::NotApplicable, "unsupported op " + node.op_type()};
  }

  llvm::SmallString<256> dataDir(testDir);
  path::append(dataDir, "test_data_set_0");
  std::vector<std::string> inputFiles = numberedFiles(dataDir, "input");
  std::vector<std::string> outputFiles = numberedFiles(dataDir, "output");
  if (outputFiles.empty())
    return {Outcome::Fail, "test_data_set_0 has no output_0.pb"};

  llvm::DenseSet<llvm::StringRef> initializers;
  for (const onnx::TensorProto &init : model.graph().initializer())
    initializers.insert(init.name());
  std::vector<std::string> inputNames;
  for (const onnx::ValueInfoProto &input : model.graph().input())
    if (!initializers.contains(input.name()))
      inputNames.push_back(input.name());
  if (inputFiles.size() > inputNames.size())
    return {Outcome::Fail, "test data has " +
                               std::to_string(inputFiles.size()) +
                               " inputs, but the graph only " +
                               std::to_string(inputNames.size())};

  dsc::onnx_import::ImportOptions options;
  for (auto [i, file] : llvm::enumerate(inputFiles)) {
    onnx::TensorProto tensor;
    if (auto err = parseProtoFile(file, tensor))
      return {Outcome::Fail, *err};
    llvm::SmallVector<int64_t> dims(tensor.dims().begin(), tensor.dims().end());
    options.inputShapes[inputNames[i]] = std::move(dims);
  }

  MLIRContext ctx(MLIRContext::Threading::DISABLED);
  dsc::onnx_import::loadImporterDialects(ctx);
  ctx.loadDialect<func::FuncDialect>();
  // Diagnostics (from the importer or the verifier) become part of the
  // failure message instead of going to stderr.
  std::string diagnostics;
  ScopedDiagnosticHandler handler(&ctx, [&](Diagnostic &diag) {
    if (!diagnostics.empty())
      diagnostics += "; ";
    diagnostics += diag.str();
    return success();
  });
  auto withDiagnostics = [&](std::string msg) {
    if (!diagnostics.empty())
      msg += " [diagnostics: " + diagnostics + "]";
    return msg;
  };

  auto imported = dsc::onnx_import::importOnnxFile(ctx, modelPath, options);
  if (!imported)
    return {Outcome::Fail,
            withDiagnostics(llvm::toString(imported.takeError()))};
  if (!imported->module)
    return {Outcome::Fail, withDiagnostics("importer returned no module")};
  ModuleOp module = imported->module.get();
  if (failed(verify(module)))
    return {Outcome::Fail, withDiagnostics("module does not verify")};

  auto main = module.lookupSymbol<func::FuncOp>("main");
  if (!main)
    return {Outcome::Fail, withDiagnostics("module has no func.func @main")};
  llvm::ArrayRef<Type> results = main.getFunctionType().getResults();
  if (results.size() != outputFiles.size())
    return {Outcome::Fail, "@main has " + std::to_string(results.size()) +
                               " results, expected " +
                               std::to_string(outputFiles.size())};

  std::string mismatches;
  for (auto [i, file] : llvm::enumerate(outputFiles)) {
    onnx::TensorProto tensor;
    if (auto err = parseProtoFile(file, tensor))
      return {Outcome::Fail, *err};
    // NumPy has no bfloat16: the reference data stores bf16 outputs as their
    // UINT16 bit patterns, so the model's declared type decides.
    if (tensor.data_type() == onnx::TensorProto::UINT16 &&
        static_cast<int>(i) < model.graph().output_size() &&
        model.graph().output(i).type().tensor_type().elem_type() ==
            onnx::TensorProto::BFLOAT16)
      tensor.set_data_type(onnx::TensorProto::BFLOAT16);
    Type expectedElt = elementTypeFor(tensor.data_type(), ctx);
    auto actual = dyn_cast<RankedTensorType>(results[i]);
    bool ok = expectedElt && actual && actual.hasStaticShape() &&
              actual.getElementType() == expectedElt &&
              llvm::equal(actual.getShape(), tensor.dims());
    if (ok)
      continue;
    if (!mismatches.empty())
      mismatches += "; ";
    mismatches += "result " + std::to_string(i) + " is " +
                  typeToString(results[i]) + ", expected " +
                  expectedTypeString(tensor, ctx);
    if (!expectedElt)
      mismatches +=
          " (no MLIR type for " + dataTypeName(tensor.data_type()) + ")";
  }
  if (!mismatches.empty())
    return {Outcome::Fail, mismatches};
  return {Outcome::Pass, ""};
}

std::string describeStatus(int status) {
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    if (sig == SIGALRM)
      return "timed out";
    return std::string("crashed (signal ") + std::to_string(sig) + ", " +
           strsignal(sig) + ")";
  }
  if (WIFEXITED(status))
    return "test process exited with status " +
           std::to_string(WEXITSTATUS(status)) + " without a result";
  return "test process ended abnormally";
}

/// Runs one test in a forked child that reports its result over a pipe.
Result runTestIsolated(llvm::StringRef testDir, unsigned timeoutSeconds) {
  int fds[2];
  if (pipe(fds) != 0)
    return {Outcome::Fail, std::string("pipe: ") + strerror(errno)};
  llvm::outs().flush();
  llvm::errs().flush();
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return {Outcome::Fail, std::string("fork: ") + strerror(errno)};
  }
  if (pid == 0) {
    close(fds[0]);
    if (timeoutSeconds)
      alarm(timeoutSeconds);
    Result r = runTest(testDir);
    std::string payload(1, static_cast<char>(r.outcome));
    payload += r.message;
    const char *p = payload.data();
    size_t left = payload.size();
    while (left) {
      ssize_t n = write(fds[1], p, left);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        _exit(3);
      p += n;
      left -= static_cast<size_t>(n);
    }
    close(fds[1]);
    _exit(0);
  }
  close(fds[1]);
  std::string payload;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fds[0], buf, sizeof(buf));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    payload.append(buf, static_cast<size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  bool exitedCleanly = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (!exitedCleanly || payload.empty())
    return {Outcome::Fail, describeStatus(status)};
  char tag = payload[0];
  if (tag != 'P' && tag != 'F' && tag != 'N')
    return {Outcome::Fail, "malformed result from the test process"};
  return {static_cast<Outcome>(tag), payload.substr(1)};
}

} // namespace

int main(int argc, char **argv) {
  Options opts;
  if (!parseArgs(argc, argv, opts)) {
    printUsage(llvm::errs(), argv[0]);
    return 2;
  }
  GOOGLE_PROTOBUF_VERIFY_VERSION;

  llvm::StringMap<KnownFailure> known;
  if (!opts.knownFailuresPath.empty() &&
      !readKnownFailures(opts.knownFailuresPath, known))
    return 2;

  std::vector<std::string> tests;
  std::error_code ec;
  for (fs::directory_iterator it(opts.dataDir, ec), end; it != end && !ec;
       it.increment(ec)) {
    llvm::StringRef name = path::filename(it->path());
    if (!opts.filter.empty() && !name.contains(opts.filter))
      continue;
    llvm::SmallString<256> model(it->path());
    path::append(model, "model.onnx");
    if (fs::is_directory(it->path()) && fs::exists(model))
      tests.push_back(it->path());
  }
  if (ec) {
    llvm::errs() << "error: cannot list '" << opts.dataDir
                 << "': " << ec.message() << "\n";
    return 2;
  }
  if (tests.empty()) {
    llvm::errs() << "error: no tests (directories with model.onnx) under '"
                 << opts.dataDir << "'"
                 << (opts.filter.empty() ? "" : " matching the filter") << "\n";
    return 2;
  }
  llvm::sort(tests);

  llvm::StringSet<> expectedPasses;
  if (!opts.expectedPassesPath.empty() &&
      !readNames(opts.expectedPassesPath, expectedPasses))
    return 2;
  unsigned passed = 0, failed = 0, expectedFailures = 0, unexpectedPasses = 0,
           notApplicable = 0;
  llvm::StringSet<> seen, passedNames;
  for (const std::string &testDir : tests) {
    std::string name = path::filename(testDir).str();
    seen.insert(name);
    if (opts.verbose) {
      llvm::outs() << "RUN " << name << "\n";
      llvm::outs().flush();
    }
    Result r = opts.fork ? runTestIsolated(testDir, opts.timeoutSeconds)
                         : runTest(testDir);
    auto knownIt = known.find(name);
    bool isKnown = knownIt != known.end();
    switch (r.outcome) {
    case Outcome::NotApplicable:
      ++notApplicable;
      if (opts.verbose)
        llvm::outs() << "N/A " << name << ": " << r.message << "\n";
      if (isKnown)
        llvm::outs() << "WARNING " << name
                     << " is listed in the known failures but is not "
                        "applicable: "
                     << r.message << "\n";
      break;
    case Outcome::Pass:
      if (isKnown) {
        ++unexpectedPasses;
        llvm::outs() << "UNEXPECTED PASS " << name
                     << " (known failure: " << knownIt->second.reason
                     << "); remove it from the known failures\n";
      } else {
        ++passed;
        passedNames.insert(name);
        if (opts.verbose)
          llvm::outs() << "PASS " << name << "\n";
      }
      break;
    case Outcome::Fail:
      if (isKnown &&
          !llvm::StringRef(r.message).contains(knownIt->second.message)) {
        // Known to fail, but not like this: a new bug hiding behind an old
        // limitation.
        ++failed;
        llvm::outs() << "FAIL " << name << ": " << r.message
                     << " (a known failure, but its message should contain '"
                     << knownIt->second.message << "')\n";
      } else if (isKnown) {
        ++expectedFailures;
        if (opts.verbose)
          llvm::outs() << "XFAIL " << name << ": " << r.message
                       << " (known: " << knownIt->second.reason << ")\n";
      } else {
        ++failed;
        llvm::outs() << "FAIL " << name << ": " << r.message << "\n";
      }
      break;
    }
    llvm::outs().flush();
  }

  if (opts.filter.empty()) {
    llvm::SmallVector<llvm::StringRef> stale;
    for (const auto &entry : known)
      if (!seen.contains(entry.getKey()))
        stale.push_back(entry.getKey());
    llvm::sort(stale);
    for (llvm::StringRef name : stale)
      llvm::outs() << "WARNING known failure " << name
                   << " names no test under " << opts.dataDir << "\n";
  }

  unsigned totalFailed = failed + unexpectedPasses;
  llvm::outs() << notApplicable << " not applicable\n";
  llvm::outs() << expectedFailures << " known failures\n";
  if (unexpectedPasses)
    llvm::outs() << unexpectedPasses << " unexpectedly passing\n";
  // The passing tests are pinned: one that stops passing (even by becoming
  // not applicable) or starts is a change the list must record.
  if (!opts.expectedPassesPath.empty() && opts.filter.empty()) {
    std::vector<std::string> lost, gained;
    for (const auto &entry : expectedPasses)
      if (!passedNames.contains(entry.getKey()))
        lost.push_back(entry.getKey().str());
    for (const auto &entry : passedNames)
      if (!expectedPasses.contains(entry.getKey()))
        gained.push_back(entry.getKey().str());
    llvm::sort(lost);
    llvm::sort(gained);
    for (const std::string &name : lost)
      llvm::outs() << "PASS LIST " << name << " is pinned in "
                   << opts.expectedPassesPath << " but did not pass\n";
    for (const std::string &name : gained)
      llvm::outs() << "PASS LIST " << name << " passed but is not in "
                   << opts.expectedPassesPath << ": add it\n";
    totalFailed += lost.size() + gained.size();
  }
  llvm::outs() << passed << " passed, " << totalFailed << " failed\n";
  return totalFailed == 0 ? 0 : 1;
}
