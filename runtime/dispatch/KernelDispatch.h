//===- KernelDispatch.h - dsrt_kernel: kernel names to CPU kernels -*- C++
//-*-===//
//
// The runtime side of `dsrt_kernel` (runtime/include/dsrt.h): a call site's
// kernel name (`<graph op>_<element type>`, `cast_<from>_<to>`, `copy`)
// selects one of the CPU kernels of kernels/cpu/CpuKernels.h, and its
// attributes (JSON, the graph op's ODS names) become the kernel's
// parameters. Each descriptor is resolved once: its attributes are parsed
// and its buffer count and dtypes checked. A rank resolves its whole kernel
// table at start (resolveKernel, ResolvedKernel), so a call is the kernel
// alone; runKernel caches its resolutions by the descriptor's address. Not
// thread-safe.
//
// Errors go through one function, reportError: by default it prints the
// message to stderr and exits with the code (70 for a bad call site: unknown
// kernel, missing or malformed attribute, wrong buffers; 65 for a data error
// raised by a kernel: index or target out of range). Tests replace it with
// setErrorHandler; runKernel then returns the code instead of exiting.
//
// No LLVM or MLIR here: every rank executable links this library.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_RUNTIME_DISPATCH_KERNELDISPATCH_H
#define DSC_RUNTIME_DISPATCH_KERNELDISPATCH_H

#include "runtime/include/dsrt.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

/// The context generated code passes to every dsrt_kernel call. Dispatch
/// reads only `step` (dropout's random stream); the runtime main hangs its
/// own state off `runtime`, and the collectives the step calls
/// (dsrt_collective_at) go to `collectives`, a dsc::runtime::CollectiveRunner.
struct dsrt_ctx {
  int64_t step = 0;
  void *runtime = nullptr;
  void *collectives = nullptr;
  /// The micro-steps' hooks (dsrt_micro_step): a dsc::runtime::MicroSteps.
  void *microSteps = nullptr;
};

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

/// Exit code for a call site the runtime cannot run (EX_SOFTWARE).
constexpr int kExitBadKernel = 70;
/// Exit code for a data error raised by a kernel (EX_DATAERR).
constexpr int kExitDataError = 65;

/// Runs the kernel of `desc` on `data` (inputs, then outputs). Returns 0, or
/// the exit code of an error after reporting it (which by default exits).
int runKernel(const dsrt_kernel_desc &desc, void *const *data, int64_t step);

namespace detail {
struct Prepared;
} // namespace detail

/// A call site resolved ahead of its calls (resolveKernel): running it is
/// the kernel alone, with no lookup and no parsing.
class ResolvedKernel {
public:
  ResolvedKernel();
  ~ResolvedKernel();
  ResolvedKernel(ResolvedKernel &&) noexcept;
  ResolvedKernel &operator=(ResolvedKernel &&) noexcept;

  /// Runs the kernel on `data` (inputs, then outputs). Returns 0, or the
  /// exit code of a data error after reporting it, as runKernel does.
  int run(void *const *data, int64_t step) const;

private:
  friend std::string resolveKernel(const dsrt_kernel_desc &desc,
                                   ResolvedKernel &out);
  const dsrt_kernel_desc *desc = nullptr;
  std::unique_ptr<detail::Prepared> prepared;
};

/// Resolves `desc` (which must outlive `out`) into `out`: its kernel, its
/// buffers' count and types, its attributes. Reports nothing; returns the
/// problem, e.g. "unknown kernel 'foo_f32' at node 'x'", or "" when the
/// call site can run. The compiler runs it on every call site it emits.
std::string resolveKernel(const dsrt_kernel_desc &desc, ResolvedKernel &out);

/// Receives every error: the exit code and the full message, e.g.
/// "dsrt: unknown kernel 'foo_f32' at node 'x'".
using ErrorHandler = std::function<void(int exitCode, const std::string &)>;

/// Replaces the error handler and returns the previous one; an empty handler
/// restores the default (print to stderr, then exit with the code).
ErrorHandler setErrorHandler(ErrorHandler handler);

/// Reports an error through the current handler.
void reportError(int exitCode, const std::string &message);

/// Every kernel name dispatch knows, sorted.
std::vector<std::string> supportedKernelNames();

/// Test hooks: how many descriptors' attributes have been parsed so far, and
/// dropping every cached resolution (tests reuse descriptor addresses).
int64_t attributeParseCount();
void clearKernelCache();

} // namespace dsc::runtime

#endif // DSC_RUNTIME_DISPATCH_KERNELDISPATCH_H
