//===- DispatchInternal.h - What the kernels' entry points share -*- C++
//-*-===//
//
// Each entry point dsrt_k_<kernel>_<types> (KernelDecls.def) decodes its
// call site's constants (kernels/KernelDecls.h has the layout) into a Call,
// the buffers' shapes, and the kernel's typed attributes (<Id>Attrs,
// generated from the declaration), then runs the kernel. The compiler has
// checked the constants; decoding is a walk over them, with no lookup.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_RUNTIME_DISPATCH_DISPATCHINTERNAL_H
#define DSC_RUNTIME_DISPATCH_DISPATCHINTERNAL_H

#include "kernels/KernelDecls.h"
#include "kernels/cpu/CpuKernels.h"
#include "runtime/dispatch/KernelDispatch.h"

#include <cstdint>
#include <cstring>
#include <optional>
#include <vector>

namespace dsc::runtime::detail {

namespace k = dsc::kernels::cpu;
using namespace dsc::kernels::cpu;

/// An integer-array attribute: a view of the site's constants.
struct SiteInts {
  const int64_t *data = nullptr;
  int64_t size = 0;
};

/// One call: the buffers' addresses, the site's constants (a buffer's shape
/// is read where it lies in them), the step, the selector.
class Call {
public:
  Call(void *const *data, const int64_t *site, int64_t step, int op)
      : data(data), step(step), op(op), site(site),
        numIn(static_cast<int>(site[0])) {}

  /// Where the attributes start.
  const int64_t *attributes() const {
    return site + site[2 + site[0] + site[1]];
  }

  int numInputs() const { return numIn; }
  bool hasInput(int i) const { return i < numIn; }
  template <typename T> const T *in(int i) const {
    return static_cast<const T *>(data[i]);
  }
  /// Input `i`, or null when the optional operand is absent.
  template <typename T> const T *optIn(int i) const {
    return hasInput(i) ? in<T>(i) : nullptr;
  }
  template <typename T> T *out(int i) const {
    return static_cast<T *>(data[numIn + i]);
  }
  k::Shape inShape(int i) const { return shape(i); }
  k::Shape optInShape(int i) const {
    return hasInput(i) ? inShape(i) : k::Shape();
  }
  k::Shape outShape(int i) const { return shape(numIn + i); }
  int numOutputs() const { return static_cast<int>(site[1]); }
  /// Buffer `i` of the inputs then the outputs.
  k::Shape bufferShape(int i) const { return shape(i); }
  const int64_t *siteConstants() const { return site; }

  void *const *data;
  int64_t step;
  int op;

private:
  /// Buffer `i`'s record: its rank, then its dims.
  k::Shape shape(int i) const {
    const int64_t *record = site + site[2 + i];
    return {record + 1, static_cast<int>(record[0])};
  }

  const int64_t *site;
  int numIn;
};

/// Reads a site's attribute constants in declaration order.
class SiteReader {
public:
  explicit SiteReader(const int64_t *words) : words(words) {}
  int64_t i64() { return *words++; }
  bool boolean() { return *words++ != 0; }
  double f64() {
    double value;
    std::memcpy(&value, words++, sizeof value);
    return value;
  }
  SiteInts ints() {
    SiteInts values{words + 1, *words};
    words += 1 + values.size;
    return values;
  }
  std::optional<int64_t> optI64() {
    bool present = *words++ != 0;
    int64_t value = *words++;
    return present ? std::optional<int64_t>(value) : std::nullopt;
  }

private:
  const int64_t *words;
};

//===----------------------------------------------------------------------===//
// <Id>Attrs and decode(SiteReader &, <Id>Attrs &), from KernelDecls.def
//===----------------------------------------------------------------------===//

#define DSC_ATTR_I64(n) int64_t n = 0;
#define DSC_ATTR_F64(n) double n = 0;
#define DSC_ATTR_BOOL(n) bool n = false;
#define DSC_ATTR_I64S(n) SiteInts n;
#define DSC_ATTR_ENUM(n, E, D) k::E n = k::E::D;
#define DSC_ATTR_BOOL_OR(n, d) bool n = d;
#define DSC_ATTR_F64_OR(n, d) double n = d;
#define DSC_ATTR_OPT_I64(n) std::optional<int64_t> n;
#define DSC_ATTR_DERIVED(n) int64_t n = 0;
#define DSC_KERNEL(Group, Id, name, Types, Ins, Outs, MinInputs, Run, Sel,     \
                   Check, AttrList)                                            \
  struct Id##Attrs {                                                           \
    static constexpr const char *kIns = Ins, *kOuts = Outs;                    \
    AttrList                                                                   \
  };
#include "kernels/KernelDecls.def"
#include "runtime/dispatch/UndefAttrMacros.h"

#define DSC_ATTR_I64(n) a.n = r.i64();
#define DSC_ATTR_F64(n) a.n = r.f64();
#define DSC_ATTR_BOOL(n) a.n = r.boolean();
#define DSC_ATTR_I64S(n) a.n = r.ints();
#define DSC_ATTR_ENUM(n, E, D) a.n = static_cast<k::E>(r.i64());
#define DSC_ATTR_BOOL_OR(n, d) a.n = r.boolean();
#define DSC_ATTR_F64_OR(n, d) a.n = r.f64();
#define DSC_ATTR_OPT_I64(n) a.n = r.optI64();
#define DSC_ATTR_DERIVED(n) a.n = r.i64();
#define DSC_KERNEL(Group, Id, name, Types, Ins, Outs, MinInputs, Run, Sel,     \
                   Check, AttrList)                                            \
  inline void decode([[maybe_unused]] SiteReader &r,                           \
                     [[maybe_unused]] Id##Attrs &a) {                          \
    AttrList                                                                   \
  }
#include "kernels/KernelDecls.def"
#include "runtime/dispatch/UndefAttrMacros.h"

/// Every entry point's index, in KernelDecls.def's order.
enum KernelVariantIndex : int {
#define DSC_INDEX_ENTRY(Id, sym, Run, Sel, T, U, dT, dU) kVariant_##sym,
#define DSC_KERNEL(Group, Id, name, Types, Ins, Outs, MinInputs, Run, Sel,     \
                   Check, AttrList)                                            \
  Types(DSC_INDEX_ENTRY, Id, name, Run, Sel)
#include "kernels/KernelDecls.def"
#undef DSC_INDEX_ENTRY
  kNumKernelVariants
};

/// The device entry point each CPU entry point forwards to, by index (all
/// null on the CPU; setDeviceKernels).
extern dsrt_kernel_fn gDeviceEntries[kNumKernelVariants];

/// Reports a data error a kernel returned (an index out of range ...).
void reportKernelError(const char *symbol, const char *location, int status);

/// The body of every entry point: decode, run, report.
template <typename A, typename Run>
inline void runEntry(dsrt_ctx *ctx, void *const *data, const int64_t *site,
                     const char *location, const char *symbol, int op,
                     Run run) {
  Call call(data, site, ctx ? ctx->step : 0, op);
  A attrs;
  SiteReader reader(call.attributes());
  decode(reader, attrs);
  if (int status = run(call, attrs))
    reportKernelError(symbol, location, status);
}

/// Kernels whose Run takes 16-bit storage itself instead of through
/// viaFloat: fused_elementwise rounds between its ops, as the unfused
/// kernels store their results.
template <typename A> inline constexpr bool kRunsOnSixteenBit = false;
template <>
inline constexpr bool kRunsOnSixteenBit<FusedElementwiseAttrs> = true;

/// Runs a float kernel on 16-bit storage (`T` a Half or BFloat16): each
/// buffer of type T in the signature (`T`, `*`, and `U`: a cast from T to
/// T) becomes a float temporary,
/// `run` runs on them, and the T outputs are rounded back.
template <typename T, typename Run>
int viaFloat(const Call &c, const char *ins, const char *outs, Run run) {
  const int n = c.numInputs() + c.numOutputs();
  const bool variadic = ins[0] && ins[std::strlen(ins) - 1] == '*';
  auto isT = [&](int i) {
    char s =
        i < c.numInputs() ? ins[variadic ? 0 : i] : outs[i - c.numInputs()];
    return s == 'T' || s == '*' || s == 'U';
  };
  std::vector<std::vector<float>> temps(n);
  std::vector<void *> data(c.data, c.data + n);
  for (int i = 0; i < n; ++i) {
    if (!isT(i))
      continue;
    temps[i].resize(static_cast<size_t>(c.bufferShape(i).numel()));
    if (i < c.numInputs())
      for (size_t j = 0; j < temps[i].size(); ++j)
        temps[i][j] = k::toFloat(static_cast<const T *>(c.data[i])[j]);
    data[i] = temps[i].data();
  }
  Call floats(data.data(), c.siteConstants(), c.step, c.op);
  int status = run(floats);
  for (int i = c.numInputs(); i < n; ++i)
    if (isT(i))
      for (size_t j = 0; j < temps[i].size(); ++j)
        static_cast<T *>(c.data[i])[j] = k::convertValue<float, T>(temps[i][j]);
  return status;
}

/// The entry points of the kernels of group `Group` (KernelDecls.def), each
/// forwarding to its device entry point when the rank runs on a GPU, else
/// calling Run<T, U>(call, attrs) (for 16-bit storage, Run<float, float>
/// through viaFloat). A file defines DSC_KERNELS_OF_<Group> as
/// DSC_DEFINE_ENTRIES and the other groups as nothing, then includes the
/// .def.
#define DSC_DEFINE_ENTRY(Id, sym, Run, Sel, T, U, dT, dU)                      \
  extern "C" void dsrt_k_##sym(dsrt_ctx *ctx, void *const *data,               \
                               const int64_t *site, const char *location) {    \
    if (dsrt_kernel_fn device = gDeviceEntries[kVariant_##sym])                \
      return device(ctx, data, site, location);                                \
    runEntry<Id##Attrs>(                                                       \
        ctx, data, site, location, #sym, static_cast<int>(Sel),                \
        [](const Call &c, const auto &a) {                                     \
          using A = std::decay_t<decltype(a)>;                                 \
          if constexpr (k::kIsFloat16<T> && std::is_same_v<T, U> &&            \
                        !kRunsOnSixteenBit<A>)                                 \
            return viaFloat<T>(c, A::kIns, A::kOuts, [&](const Call &f) {      \
              return Run<float, float>(f, a);                                  \
            });                                                                \
          else                                                                 \
            return Run<T, U>(c, a);                                            \
        });                                                                    \
  }
#define DSC_DEFINE_ENTRIES(Id, name, Types, Run, Sel)                          \
  Types(DSC_DEFINE_ENTRY, Id, name, Run, Sel)

} // namespace dsc::runtime::detail

#endif // DSC_RUNTIME_DISPATCH_DISPATCHINTERNAL_H
