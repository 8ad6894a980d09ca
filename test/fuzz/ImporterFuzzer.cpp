//===- ImporterFuzzer.cpp - libFuzzer target for the ONNX importer --------===//
//
// Feeds arbitrary bytes to the importer as a serialized ModelProto. Every
// input must end in a module or an error; crashes, hangs and sanitizer reports
// are bugs. External data is resolved against a directory that does not
// exist, so no input can make the importer read real files.
//
//===----------------------------------------------------------------------===//

#include "compiler/onnx/OnnxImporter.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstddef>
#include <cstdint>
#include <string>

static mlir::MLIRContext &fuzzContext() {
  static mlir::MLIRContext *context = [] {
    auto *ctx = new mlir::MLIRContext(mlir::MLIRContext::Threading::DISABLED);
    dsc::onnx_import::loadImporterDialects(*ctx);
    // Importer diagnostics are expected for most inputs; keep them quiet.
    ctx->getDiagEngine().registerHandler(
        [](mlir::Diagnostic &) { return mlir::success(); });
    return ctx;
  }();
  return *context;
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
