//===- DispatchInternal.h - the kernel table behind dsrt_kernel -*- C++ -*-===//
//
// Shared by the dispatch sources: a resolved call site (Prepared), one call
// (Call), the attribute reader, and the table from kernel names to specs.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_RUNTIME_DISPATCH_DISPATCHINTERNAL_H
#define DSC_RUNTIME_DISPATCH_DISPATCHINTERNAL_H

#include "kernels/cpu/CpuKernels.h"
#include "runtime/include/dsrt.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace dsc::runtime::detail {

namespace k = dsc::kernels::cpu;

struct Call;
struct Prepared;

/// Runs the kernel; returns 0 or a k::KernelError.
using RunFn = int (*)(const Call &);

class AttrReader;
/// Reads the attributes into `p` and checks them (and, where a kernel needs
/// it, the buffers' shapes) against the descriptor; problems go to `attrs`.
using PrepareFn = void (*)(Prepared &p, AttrReader &attrs,
                           const dsrt_kernel_desc &desc);

/// One kernel name's implementation.
struct KernelSpec {
  RunFn run = nullptr;
  PrepareFn prepare = nullptr;
  /// Dtype signatures of the inputs and outputs, one character per buffer:
  /// 'T' the name's element type, 'U' the second (cast's target), 'B' bool,
  /// 'I' i64 index, '*' any number of 'T' (inputs only), '?' any dtype.
  const char *ins = "";
  const char *outs = "";
  /// Inputs beyond this count are optional (trailing).
  int minInputs = 0;
  int32_t t = DSRT_F32;
  int32_t u = DSRT_F32;
  /// A kernel-specific selector (a k::BinaryOp, k::UnaryOp ...).
  int op = 0;
};

/// A call site resolved once: the handler and the parsed attributes.
struct Prepared {
  /// The descriptor's strings when resolved, to detect a reused address.
  const char *kernelName = nullptr;
  const char *attrsJson = nullptr;
  RunFn run = nullptr;
  int op = 0;

  int64_t axis = 0;
  std::vector<int64_t> axes, perm, starts, ends, steps, pads;
  double epsilon = 0, ratio = 0, value = 0;
  int64_t seed = 0;
  bool flag = false;                               // upper, tanh approximation
  bool transposeLhs = false, transposeRhs = false; // matmul
  k::PadMode padMode = k::PadMode::Constant;
  k::LossReduction reduction = k::LossReduction::Mean;
  k::ScatterReduction scatter = k::ScatterReduction::None;
  k::IgnoreIndex ignore;
  k::ConvParams conv;
  /// concat: the inputs' shapes; copy: the byte count.
  std::vector<k::Shape> shapes;
  int64_t bytes = 0;
};

/// One call of a resolved kernel.
struct Call {
  const Prepared &p;
  const dsrt_kernel_desc &desc;
  void *const *data;
  int64_t step;

  int numInputs() const { return desc.num_inputs; }
  bool hasInput(int i) const { return i < desc.num_inputs; }
  template <typename T> const T *in(int i) const {
    return static_cast<const T *>(data[i]);
  }
  /// Input `i`, or null when the optional operand is absent.
  template <typename T> const T *optIn(int i) const {
    return hasInput(i) ? in<T>(i) : nullptr;
  }
  template <typename T> T *out(int i) const {
    return static_cast<T *>(data[desc.num_inputs + i]);
  }
  k::Shape inShape(int i) const { return shapeOf(desc.buffers[i]); }
  k::Shape optInShape(int i) const {
    return hasInput(i) ? inShape(i) : k::Shape();
  }
  k::Shape outShape(int i) const {
    return shapeOf(desc.buffers[desc.num_inputs + i]);
  }
  static k::Shape shapeOf(const dsrt_buffer &b) { return {b.dims, b.rank}; }
};

/// Reads attributes from the parsed JSON object; the first problem is kept
/// (`error`), later reads then return defaults.
class AttrReader {
public:
  explicit AttrReader(const nlohmann::json &attrs) : attrs(attrs) {}

  bool ok() const { return error.empty(); }
  const std::string &message() const { return error; }
  void fail(const std::string &message) {
    if (ok())
      error = message;
  }

  bool has(const char *name) const;
  int64_t i64(const char *name);
  int64_t i64Or(const char *name, int64_t otherwise);
  std::optional<int64_t> optI64(const char *name);
  double f64(const char *name);
  double f64Or(const char *name, double otherwise);
  bool boolean(const char *name);
  std::string str(const char *name, const char *otherwise);
  /// An integer array; `size` (when >= 0) is the required length.
  std::vector<int64_t> i64s(const char *name, int64_t size = -1);
  /// An axis attribute normalised into [0, rank).
  int64_t axis(const char *name, int rank);

private:
  const nlohmann::json *find(const char *name);

  const nlohmann::json &attrs;
  std::string error;
};

using Registry = std::unordered_map<std::string, KernelSpec>;

/// "f32", "i64", "i1" ...
const char *dtypeName(int32_t dtype);
/// Bytes per element of a dtype (0 for an unknown code).
int64_t dtypeSize(int32_t dtype);

template <typename T> constexpr int32_t dtypeOf();
template <> constexpr int32_t dtypeOf<float>() { return DSRT_F32; }
template <> constexpr int32_t dtypeOf<double>() { return DSRT_F64; }
template <> constexpr int32_t dtypeOf<int64_t>() { return DSRT_I64; }
template <> constexpr int32_t dtypeOf<uint8_t>() { return DSRT_BOOL; }

/// Element type lists to register a kernel for each of.
template <typename... Ts> struct Types {};
using FloatTypes = Types<float, double>;
using NumberTypes = Types<float, double, int64_t>;
using AllTypes = Types<float, double, int64_t, uint8_t>;

/// Calls `f(static_cast<T *>(nullptr))` for each T.
template <typename... Ts, typename F> void forEachType(Types<Ts...>, F &&f) {
  (f(static_cast<Ts *>(nullptr)), ...);
}

/// Registers `<base>_<T>` with the spec's element type set to T.
template <typename T>
void add(Registry &r, const std::string &base, KernelSpec spec) {
  spec.t = dtypeOf<T>();
  r[base + "_" + dtypeName(spec.t)] = spec;
}

void registerElementwiseKernels(Registry &r);
void registerNumericKernels(Registry &r);
void registerDataMovementKernels(Registry &r);

} // namespace dsc::runtime::detail

#endif // DSC_RUNTIME_DISPATCH_DISPATCHINTERNAL_H
