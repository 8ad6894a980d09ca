//===- ImporterFuzzer.cpp - libFuzzer target for the ONNX importer --------===//
//
// Feeds arbitrary bytes to the importer as a serialized ModelProto. Every
// input must end in a module or an error; crashes, hangs and sanitizer reports
// are bugs. External data is resolved against a directory that does not
// exist, so no input can make the importer read real files.
//
//===----------------------------------------------------------------------===//

#include "compiler/onnx/OnnxImporter.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace {

/// One context serves many inputs (creating one per input makes fuzzing ten
/// times slower). MLIR never frees uniqued attributes and types, and every
/// fuzzed name or shape adds some, so the context is recreated after this
/// many inputs to keep the RSS bounded (about 330 MB per million inputs
/// otherwise, which would trip -rss_limit_mb in long runs).
constexpr unsigned kInputsPerContext = 100000;

std::unique_ptr<mlir::MLIRContext> makeContext() {
  auto ctx = std::make_unique<mlir::MLIRContext>(
      mlir::MLIRContext::Threading::DISABLED);
  dsc::onnx_import::loadImporterDialects(*ctx);
  // Importer diagnostics are expected for most inputs; keep them quiet.
  ctx->getDiagEngine().registerHandler(
      [](mlir::Diagnostic &) { return mlir::success(); });
  return ctx;
}

mlir::MLIRContext &fuzzContext() {
  static std::unique_ptr<mlir::MLIRContext> context;
  static unsigned uses = 0;
  if (!context || ++uses >= kInputsPerContext) {
    context = makeContext();
    uses = 0;
  }
  return *context;
}

} // namespace

// The code under test is built with ASan, MLIR's libraries are not. An
// inline LLVM function (an allocator's, a SmallVector's) that the linker
// takes from an instrumented object then poisons memory that uninstrumented
// MLIR code uses without unpoisoning it: a false use-after-poison in
// MLIRContext's constructor. Manual poisoning is turned off; ASan's own
// checks (heap, stack, globals) stay on.
extern "C" const char *__asan_default_options() {
  return "allow_user_poisoning=0";
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mlir::MLIRContext &ctx = fuzzContext();
  dsc::onnx_import::ImportOptions options;
  options.batchSize = 2;
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  auto imported = dsc::onnx_import::importOnnxBuffer(
      ctx, bytes, "/nonexistent-dir", options);
  if (!imported) {
    // Building the message exercises the error's formatting as well.
    std::string message = llvm::toString(imported.takeError());
    (void)message;
  }
  return 0;
}
