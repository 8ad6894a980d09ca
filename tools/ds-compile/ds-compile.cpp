//===- ds-compile.cpp - the ds-compile command line -----------------------===//
//
// Parses the command line into a CompileRequest and runs the driver. Every
// failure is one `error: ...` line on stderr and exit code 1; nothing is
// written on failure.
//
//===----------------------------------------------------------------------===//

#include "compiler/driver/CompileDriver.h"
#include "compiler/onnx/OnnxImporter.h"

#include <CLI/CLI.hpp>

#include <new>
#include <string>

int main(int argc, char **argv) {
  using dsc::driver::CompileRequest;
  using dsc::driver::EmitKind;
  CompileRequest request;
  std::string emit;
  std::optional<int64_t> numNodes, numGpus;
  std::string hostfile;

  CLI::App app{"ds-compile: compiles an ONNX model and a DeepSpeed config "
               "into a per-rank parallel plan",
               "ds-compile"};
  bool listOps = false;
  app.add_option("model", request.modelPath, "ONNX model (.onnx)");
  app.add_option("--config", request.configPath,
                 "DeepSpeed JSON config (ds_config.json)");
  app.add_flag("--list-ops", listOps,
               "print the supported ONNX op types, one per line, and exit");
  app.add_option("--hostfile", hostfile,
                 "DeepSpeed hostfile: one '<host> slots=<n>' per line");
  app.add_option("--include", request.resources.include,
                 "use only these hosts/slots: host[:slot[,slot]]@host...");
  app.add_option("--exclude", request.resources.exclude,
                 "use all but these hosts/slots: host[:slot[,slot]]@host...");
  app.add_option("--num_nodes", numNodes, "use the first N hosts");
  app.add_option("--num_gpus", numGpus,
                 "use slots 0..N-1 of every host (CPU ranks without GPUs)");
  app.add_option("--input-shape", request.inputShapes,
                 "static shape of a graph input, NAME=D0xD1x... "
                 "(repeatable); default: the first dim is the micro-batch "
                 "size");
  app.add_flag("--keep-copies", request.keepCopies,
               "train initializers that are exact copies or transposes of "
               "another (exported tied weights) as parameters of their own "
               "instead of restoring the tie");
  bool noParamWeights = false;
  app.add_flag("--no-param-weights", noParamWeights,
               "leave the trainable params' values out of the weights files "
               "(a model too big to copy): the ranks draw them with "
               "--init-seed N, from each initializer's mean and standard "
               "deviation, or read --weights FILE");
  bool noFusion = false;
  app.add_flag("--no-fusion", noFusion,
               "run every elementwise kernel on its own instead of fusing "
               "chains of them (for comparisons; the results are the same)");
  app.add_option("--freeze", request.freeze,
                 "do not train the initializers whose names match this "
                 "regular expression (repeatable); rotary position tables "
                 "are frozen without it");
  app.add_option("-o,--output", request.outputDir,
                 "output directory: bin/rank_<r>, weights/, plan.json, "
                 "plan.txt, launch.json");
  app.add_flag("--dump-ir", request.dumpIr,
               "also write the IR after every stage to OUT/mlir/");
  app.add_option("--emit", emit,
                 "what to produce instead of executables: 'graph' prints the "
                 "imported graph-dialect module, 'plan' the planned rank "
                 "program (gradients when the config has an optimizer, "
                 "kernels on buffers at static arena offsets)")
      ->check(CLI::IsMember({"graph", "plan"}));
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp &e) {
    return app.exit(e);
  } catch (const CLI::ParseError &e) {
    llvm::errs() << "error: " << e.what() << "\nRun 'ds-compile --help' for "
                 << "usage.\n";
    return 1;
  }
  if (listOps) {
    for (llvm::StringRef op : dsc::onnx_import::supportedOps())
      llvm::outs() << op << "\n";
    return 0;
  }
  for (auto [value, name] : {std::pair{&request.modelPath, "model"},
                             std::pair{&request.configPath, "--config"}})
    if (value->empty()) {
      llvm::errs() << "error: " << name << " is required\nRun 'ds-compile "
                   << "--help' for usage.\n";
      return 1;
    }
  if (request.outputDir && request.outputDir->empty()) {
    llvm::errs() << "error: -o: empty path; give the output directory\n";
    return 1;
  }
  request.paramWeights = !noParamWeights;
  request.fuseElementwise = !noFusion;
  if (!hostfile.empty())
    request.hostfilePath = hostfile;
  request.resources.numNodes = numNodes;
  request.resources.numGpus = numGpus;
  if (emit == "graph")
    request.emit = EmitKind::Graph;
  else if (emit == "plan")
    request.emit = EmitKind::Plan;

  // The module is printed only when the whole pipeline succeeded.
  std::string artefact;
  llvm::raw_string_ostream out(artefact);
  // Running out of memory unwinds like any failure, so the temporary output
  // directory is removed on the way out.
  try {
    if (llvm::Error err = dsc::driver::runCompile(request, out, llvm::errs())) {
      llvm::errs() << "error: " << llvm::toString(std::move(err)) << "\n";
      return 1;
    }
  } catch (const std::bad_alloc &) {
    llvm::errs() << "error: out of memory while compiling " << request.modelPath
                 << "\n";
    return 1;
  }
  llvm::outs() << artefact;
  return 0;
}
