//===- CompileDriver.h - the ds-compile pipeline ----------------*- C++ -*-===//
//
// Runs the stages that exist, in order: read the config and the hostfile,
// build the world, resolve the batch sizes, import the model. The CLI parses
// arguments into a CompileRequest and prints what this returns.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_COMPILER_DRIVER_COMPILEDRIVER_H
#define DSC_COMPILER_DRIVER_COMPILEDRIVER_H

#include "compiler/topology/ResourceFilter.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>
#include <string>
#include <vector>

namespace dsc::driver {

/// What ds-compile produces: the rank executables (not implemented yet), the
/// imported graph, or the planned per-rank program.
enum class EmitKind { Executables, Graph, Plan };

struct CompileRequest {
  std::string modelPath;
  std::string configPath;
  std::optional<std::string> hostfilePath;
  topology::ResourceRequest resources;
  /// `NAME=DIMS` as given on the command line.
  std::vector<std::string> inputShapes;
  /// --keep-copies: train tied copies as parameters of their own.
  bool keepCopies = false;
  /// --freeze REGEX (repeatable): initializers not to train.
  std::vector<std::string> freeze;
  /// --no-param-weights: the weights files leave out the trainable params'
  /// values; the ranks draw them (--init-seed) or read --weights FILE.
  bool paramWeights = true;
  /// --no-fusion: every elementwise kernel on its own (for comparisons).
  bool fuseElementwise = true;
  std::optional<std::string> outputDir;
  EmitKind emit = EmitKind::Executables;
  /// Write the IR after every stage to OUT/mlir/.
  bool dumpIr = false;
};

/// Runs the pipeline. `out` receives the requested artefact (the module for
/// EmitKind::Graph); `log` receives warnings and the plan summary.
llvm::Error runCompile(const CompileRequest &request, llvm::raw_ostream &out,
                       llvm::raw_ostream &log);

/// Parses `NAME=D0xD1x...` (dims >= 1).
llvm::Expected<std::pair<std::string, llvm::SmallVector<int64_t>>>
parseInputShape(llvm::StringRef text);

} // namespace dsc::driver

#endif // DSC_COMPILER_DRIVER_COMPILEDRIVER_H
