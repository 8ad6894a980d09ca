//===- KernelDecls.h - The kernels' declarations as a table -----*- C++ -*-===//
//
// KernelDecls.def declares every kernel once; this header gives the macros
// its lines use (the element type sets) and the table the compiler reads:
// each kernel's buffers, attributes (in the order a call site's constants
// hold them) and entry points. A call site (KernelSite) is checked and
// encoded here too, so the compiler's verifier, its lowering and the
// reference interpreter agree on one layout, which the runtime's entry
// points decode (runtime/dispatch/DispatchInternal.h).
//
// The site's constants, one int64 word each: the number of inputs, the
// number of outputs, the offset (in words) of each buffer's record and of
// the attributes; then each buffer's record, its rank then its dims (inputs,
// then outputs); then the attributes in declaration order: an integer, bool
// or enum is one word; a float one word holding its IEEE bits; an array its
// length then its values; an optional integer a presence word then the
// value. An entry point reads a shape where it lies, decoding nothing.
//
// No LLVM or MLIR here: the runtime's tests and the reference interpreter
// link it.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_KERNELS_KERNELDECLS_H
#define DSC_KERNELS_KERNELDECLS_H

#include "runtime/include/dsrt.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

//===----------------------------------------------------------------------===//
// Element type sets: Set(M, Id, name, Run, Sel) gives, per entry point,
// M(Id, symbol, Run, Sel, T, U, dtypeT, dtypeU).
//===----------------------------------------------------------------------===//

/// The float kernels' 16-bit storage variants: the CPU entry points convert
/// the buffers to float around the float kernel. A backend without them
/// defines DSC_FLOAT16_ROWS as nothing before including KernelDecls.def.
#ifndef DSC_FLOAT16_ROWS
#define DSC_FLOAT16_ROWS(M, Id, name, Run, Sel)                                \
  M(Id, name##_f16, Run, Sel, Half, Half, DSRT_F16, DSRT_F16)                  \
  M(Id, name##_bf16, Run, Sel, BFloat16, BFloat16, DSRT_BF16, DSRT_BF16)
#endif
#define DSC_FLOAT(M, Id, name, Run, Sel)                                       \
  M(Id, name##_f32, Run, Sel, float, float, DSRT_F32, DSRT_F32)                \
  M(Id, name##_f64, Run, Sel, double, double, DSRT_F64, DSRT_F64)              \
  DSC_FLOAT16_ROWS(M, Id, name, Run, Sel)
#define DSC_NUMBER(M, Id, name, Run, Sel)                                      \
  DSC_FLOAT(M, Id, name, Run, Sel)                                             \
  M(Id, name##_i64, Run, Sel, int64_t, int64_t, DSRT_I64, DSRT_I64)
#define DSC_ALL(M, Id, name, Run, Sel)                                         \
  DSC_NUMBER(M, Id, name, Run, Sel)                                            \
  M(Id, name##_i1, Run, Sel, uint8_t, uint8_t, DSRT_BOOL, DSRT_BOOL)
#define DSC_CAST_FROM(M, Id, name, Run, Sel, From, f, dFrom)                   \
  M(Id, name##_##f##_f32, Run, Sel, From, float, dFrom, DSRT_F32)              \
  M(Id, name##_##f##_f64, Run, Sel, From, double, dFrom, DSRT_F64)             \
  M(Id, name##_##f##_i64, Run, Sel, From, int64_t, dFrom, DSRT_I64)            \
  M(Id, name##_##f##_i1, Run, Sel, From, uint8_t, dFrom, DSRT_BOOL)            \
  M(Id, name##_##f##_f16, Run, Sel, From, Half, dFrom, DSRT_F16)               \
  M(Id, name##_##f##_bf16, Run, Sel, From, BFloat16, dFrom, DSRT_BF16)
/// Every pair of f32, f64, i64, i1 and the 16-bit floats f16 and bf16
/// (kernels/cpu's Half, BFloat16: storage, converted through float).
#define DSC_CAST(M, Id, name, Run, Sel)                                        \
  DSC_CAST_FROM(M, Id, name, Run, Sel, float, f32, DSRT_F32)                   \
  DSC_CAST_FROM(M, Id, name, Run, Sel, double, f64, DSRT_F64)                  \
  DSC_CAST_FROM(M, Id, name, Run, Sel, int64_t, i64, DSRT_I64)                 \
  DSC_CAST_FROM(M, Id, name, Run, Sel, uint8_t, i1, DSRT_BOOL)                 \
  DSC_CAST_FROM(M, Id, name, Run, Sel, Half, f16, DSRT_F16)                    \
  DSC_CAST_FROM(M, Id, name, Run, Sel, BFloat16, bf16, DSRT_BF16)
/// Typeless (a copy of bytes): one entry point, named after the kernel.
#define DSC_BYTES(M, Id, name, Run, Sel)                                       \
  M(Id, name, Run, Sel, uint8_t, uint8_t, kAnyDType, kAnyDType)

namespace dsc::kernels {

/// A buffer of any element type ('?').
constexpr int32_t kAnyDType = -1;

/// Bytes per element of a dsrt_dtype (0 for an unknown code).
int64_t dtypeSize(int32_t dtype);
/// "f32", "i64", "i1" ... (the entry points' suffixes, MLIR's spelling).
const char *dtypeName(int32_t dtype);

enum class AttrKind { I64, F64, Bool, I64s, Enum, OptionalI64, Derived };

struct AttrDecl {
  const char *name;
  AttrKind kind;
  /// Absent is an error; otherwise absent means the default (or, for an
  /// optional integer, absent).
  bool required = false;
  int64_t intDefault = 0; // a bool's or an enum's
  double floatDefault = 0;
  /// An enum's spellings, indexed by value.
  const std::string_view *cases = nullptr;
  size_t numCases = 0;

  /// An enum's spellings for a message: "'none', 'sum' or 'mean'".
  std::string caseList() const;
};

/// One entry point: its C symbol and the element types it takes.
struct KernelVariant {
  const char *symbol;
  int32_t t, u;
};

struct KernelSite;
/// A kernel's own check of a call site (KernelChecks.cpp): "" or the
/// problem. It may normalise attributes (a negative axis) and fill derived
/// ones.
using KernelCheck = std::string (*)(KernelSite &site);

struct KernelDecl {
  const char *name;
  const char *ins, *outs;
  int minInputs;
  std::vector<AttrDecl> attrs;
  std::vector<KernelVariant> variants;
  KernelCheck check;

  /// The index of attribute `name`, or -1.
  int attrIndex(std::string_view name) const;
};

/// Every kernel of KernelDecls.def, in its order.
const std::vector<KernelDecl> &kernelDecls();
/// The kernel called `name`, or null.
const KernelDecl *findKernelDecl(std::string_view name);

/// One attribute's value at a call site.
struct AttrValue {
  bool present = false;
  int64_t i = 0;
  double f = 0;
  std::vector<int64_t> ints;
};

/// A call site, as the compiler (or the reference interpreter) sees it.
struct KernelSite {
  const KernelDecl *decl = nullptr;
  int numInputs = 0, numOutputs = 0;
  /// Inputs, then outputs.
  std::vector<std::vector<int64_t>> shapes;
  std::vector<int32_t> dtypes;
  /// In declaration order; absent ones with their defaults filled by
  /// resolveSite.
  std::vector<AttrValue> attrs;

  int rank(int buffer) const { return static_cast<int>(shapes[buffer].size()); }
  int64_t numel(int buffer) const;
  AttrValue &attr(std::string_view name);
};

/// Checks `site` (its buffers against the declaration, its attributes'
/// presence, an enum's range, then the kernel's own check), fills the
/// defaults and returns the entry point to call: null with `problem` set
/// when the site cannot run.
const KernelVariant *resolveSite(KernelSite &site, std::string &problem);

/// The site's constants (the layout above); `site` must have resolved.
std::vector<int64_t> encodeSite(const KernelSite &site);

} // namespace dsc::kernels

#endif // DSC_KERNELS_KERNELDECLS_H
