//===- KernelDispatch.h - The kernels' entry points and the rank's hooks -*- C++
//-*-===//
//
// The runtime side of the kernels' entry points (dsrt_k_<kernel>_<types>,
// one per kernel and element type of kernels/KernelDecls.def): each decodes
// its call site's constants and runs a CPU kernel of
// kernels/cpu/CpuKernels.h. The compiler has checked every call site, so an
// entry point looks nothing up and parses nothing.
//
// Errors go through one function, reportError: by default it prints the
// message to stderr and exits with the code (65 for a data error raised by
// a kernel: index or target out of range). Tests replace it with
// setErrorHandler.
//
// No LLVM or MLIR here: every rank executable links this library.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_RUNTIME_DISPATCH_KERNELDISPATCH_H
#define DSC_RUNTIME_DISPATCH_KERNELDISPATCH_H

#include "kernels/KernelDecls.h"
#include "runtime/include/dsrt.h"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

/// The context generated code passes to every entry point. The kernels
/// read only `step` (dropout's random stream); the collectives the step calls
/// (dsrt_collective_at) go to `collectives`, a dsc::runtime::CollectiveRunner.
struct dsrt_ctx {
  int64_t step = 0;
  void *collectives = nullptr;
  /// The micro-steps' hooks (dsrt_micro_step): a dsc::runtime::MicroSteps.
  void *microSteps = nullptr;
};

// The entry points, declared from KernelDecls.def.
#define DSC_DECLARE_ENTRY(Id, sym, Run, Sel, T, U, dT, dU)                     \
  extern "C" void dsrt_k_##sym(dsrt_ctx *, void *const *, const int64_t *,     \
                               const char *);
#define DSC_KERNEL(Group, Id, name, Types, Ins, Outs, MinInputs, Run, Sel,     \
                   Check, AttrList)                                            \
  Types(DSC_DECLARE_ENTRY, Id, name, Run, Sel)
#include "kernels/KernelDecls.def"
#undef DSC_DECLARE_ENTRY

namespace dsc::runtime {

/// Runs the collectives a step calls (dsrt_collective_at): index counts the
/// step's collectives; data holds the buffers' addresses, inputs then
/// outputs. Kernels know nothing of ranks: the runtime main provides it.
class CollectiveRunner {
public:
  virtual ~CollectiveRunner() = default;
  virtual void run(int32_t index, void *const *data) = 0;
  /// Blocks until asynchronous collective `index` of the step is done.
  virtual void wait(int32_t index) = 0;
  /// dsrt_boundary_collective: the index-th collective outside the step, in
  /// place on `data`.
  virtual void runOutside(int32_t index, void *data) = 0;
};

/// What the runtime does around each micro-step of a training step
/// (dsrt_micro_step, dsrt_micro_step_end): data, the dropout stream, the
/// collectives' bookkeeping.
class MicroSteps {
public:
  virtual ~MicroSteps() = default;
  virtual void begin(int64_t step, int64_t micro) = 0;
  virtual void end(int64_t micro) = 0;
};

/// Exit code for a data error raised by a kernel (EX_DATAERR).
constexpr int kExitDataError = 65;

/// A kernel entry point of KernelDecls.def (dsrt_k_add_f32 ...), by its C
/// symbol, or null. Generated code calls the entry points directly; this is
/// for tests and benchmarks.
dsrt_kernel_fn findKernelEntry(std::string_view symbol);

/// Every entry point's symbol, in KernelDecls.def's order.
std::vector<std::string> kernelEntryNames();

/// From now on each entry point forwards to `lookup(its symbol)` when that
/// is not null (a GPU backend's entry point, runtime/device); a null
/// `lookup` restores the CPU kernels.
void setDeviceKernels(dsrt_kernel_fn (*lookup)(const char *symbol));

/// Receives every error: the exit code and the full message, e.g.
/// "dsrt: unknown kernel 'foo_f32' at node 'x'".
using ErrorHandler = std::function<void(int exitCode, const std::string &)>;

/// Replaces the error handler and returns the previous one; an empty handler
/// restores the default (print to stderr, then exit with the code).
ErrorHandler setErrorHandler(ErrorHandler handler);

/// Reports an error through the current handler.
void reportError(int exitCode, const std::string &message);

} // namespace dsc::runtime

#endif // DSC_RUNTIME_DISPATCH_KERNELDISPATCH_H
