//===- KernelDecls.cpp - KernelDecls.def as a table; sites checked --------===//

#include "kernels/KernelDecls.h"

#include "kernels/KernelChecks.h"
#include "kernels/cpu/CpuKernels.h"

#include <cstring>
#include <iterator>
#include <unordered_map>

namespace dsc::kernels {

int64_t dtypeSize(int32_t dtype) {
  switch (dtype) {
  case DSRT_F64:
  case DSRT_I64:
    return 8;
  case DSRT_F32:
  case DSRT_I32:
    return 4;
  case DSRT_F16:
  case DSRT_BF16:
  case DSRT_I16:
    return 2;
  case DSRT_I8:
  case DSRT_U8:
  case DSRT_BOOL:
    return 1;
  default:
    return 0;
  }
}

const char *dtypeName(int32_t dtype) {
  switch (dtype) {
  case DSRT_F32:
    return "f32";
  case DSRT_F64:
    return "f64";
  case DSRT_F16:
    return "f16";
  case DSRT_BF16:
    return "bf16";
  case DSRT_I64:
    return "i64";
  case DSRT_I32:
    return "i32";
  case DSRT_I16:
    return "i16";
  case DSRT_I8:
    return "i8";
  case DSRT_U8:
    return "ui8";
  case DSRT_BOOL:
    return "i1";
  default:
    return "unknown";
  }
}

std::string AttrDecl::caseList() const {
  std::string text;
  for (size_t i = 0; i < numCases; ++i) {
    if (i)
      text += i + 1 == numCases ? " or " : ", ";
    text += "'" + std::string(cases[i]) + "'";
  }
  return text;
}

int KernelDecl::attrIndex(std::string_view attr) const {
  for (size_t i = 0; i < attrs.size(); ++i)
    if (attr == attrs[i].name)
      return static_cast<int>(i);
  return -1;
}

namespace {
using namespace checks;
namespace cpu = dsc::kernels::cpu;

template <typename E> AttrDecl enumAttr(const char *name, E byDefault) {
  return {name,
          AttrKind::Enum,
          false,
          static_cast<int64_t>(byDefault),
          0,
          cpu::EnumCases<E>::spellings,
          std::size(cpu::EnumCases<E>::spellings)};
}
} // namespace

const std::vector<KernelDecl> &kernelDecls() {
  static const std::vector<KernelDecl> decls = {
#define DSC_ATTR_I64(n) {#n, AttrKind::I64, true},
#define DSC_ATTR_F64(n) {#n, AttrKind::F64, true},
#define DSC_ATTR_BOOL(n) {#n, AttrKind::Bool, true},
#define DSC_ATTR_I64S(n) {#n, AttrKind::I64s, true},
#define DSC_ATTR_ENUM(n, E, D) enumAttr(#n, cpu::E::D),
#define DSC_ATTR_BOOL_OR(n, d) {#n, AttrKind::Bool, false, (d) ? 1 : 0},
#define DSC_ATTR_F64_OR(n, d) {#n, AttrKind::F64, false, 0, d},
#define DSC_ATTR_OPT_I64(n) {#n, AttrKind::OptionalI64, false},
#define DSC_ATTR_DERIVED(n) {#n, AttrKind::Derived, false},
#define DSC_VARIANT(Id, sym, Run, Sel, T, U, dT, dU) {"dsrt_k_" #sym, dT, dU},
#define DSC_KERNEL(Group, Id, name, Types, Ins, Outs, MinInputs, Run, Sel,     \
                   Check, AttrList)                                            \
  {#name,     Ins,        Outs,                                                \
   MinInputs, {AttrList}, {Types(DSC_VARIANT, Id, name, Run, Sel)},            \
   Check},
#include "kernels/KernelDecls.def"
#undef DSC_VARIANT
  };
  return decls;
}

const KernelDecl *findKernelDecl(std::string_view name) {
  static const std::unordered_map<std::string_view, const KernelDecl *> byName =
      [] {
        std::unordered_map<std::string_view, const KernelDecl *> map;
        for (const KernelDecl &decl : kernelDecls())
          map.emplace(decl.name, &decl);
        return map;
      }();
  auto it = byName.find(name);
  return it == byName.end() ? nullptr : it->second;
}

int64_t KernelSite::numel(int buffer) const {
  int64_t n = 1;
  for (int64_t d : shapes[buffer])
    n *= d;
  return n;
}

AttrValue &KernelSite::attr(std::string_view name) {
  return attrs[decl->attrIndex(name)];
}

namespace {

/// "3 inputs, expected 1 to 2", or "".
std::string checkCounts(const KernelSite &site) {
  const KernelDecl &decl = *site.decl;
  std::string ins = decl.ins, outs = decl.outs;
  bool variadic = !ins.empty() && ins.back() == '*';
  int maxInputs = variadic ? INT32_MAX : static_cast<int>(ins.size());
  if (site.numInputs < decl.minInputs || site.numInputs > maxInputs) {
    std::string want = std::to_string(decl.minInputs);
    if (variadic)
      want += " or more";
    else if (maxInputs != decl.minInputs)
      want += " to " + std::to_string(maxInputs);
    return std::to_string(site.numInputs) + " inputs, expected " + want;
  }
  if (site.numOutputs != static_cast<int>(outs.size()))
    return std::to_string(site.numOutputs) + " outputs, expected " +
           std::to_string(outs.size());
  if (site.shapes.size() != site.dtypes.size() ||
      static_cast<int>(site.shapes.size()) != site.numInputs + site.numOutputs)
    return "buffer types do not match the buffer count";
  return "";
}

/// "buffer 2 has element type i64, expected f32", or "".
std::string checkTypes(const KernelSite &site, const KernelVariant &v) {
  const KernelDecl &decl = *site.decl;
  std::string ins = decl.ins, outs = decl.outs;
  bool variadic = !ins.empty() && ins.back() == '*';
  for (int i = 0; i < site.numInputs + site.numOutputs; ++i) {
    char c =
        i < site.numInputs ? ins[variadic ? 0 : i] : outs[i - site.numInputs];
    int32_t want = kAnyDType;
    if (c == 'T' || c == '*')
      want = v.t;
    else if (c == 'U')
      want = v.u;
    else if (c == 'B')
      want = DSRT_BOOL;
    else if (c == 'I')
      want = DSRT_I64;
    if (want != kAnyDType && site.dtypes[i] != want)
      return "buffer " + std::to_string(i) + " has element type " +
             dtypeName(site.dtypes[i]) + ", expected " + dtypeName(want);
  }
  return "";
}

/// The element type of the first buffer of `decl`'s signature marked
/// `which` ('T' or 'U'), or kAnyDType when it has none.
int32_t typeOf(const KernelSite &site, char which) {
  const KernelDecl &decl = *site.decl;
  std::string ins = decl.ins, outs = decl.outs;
  for (int i = 0; i < site.numInputs && i < static_cast<int>(ins.size()); ++i)
    if (ins[i] == which || (which == 'T' && ins[i] == '*'))
      return site.dtypes[i];
  for (int i = 0; i < site.numOutputs && i < static_cast<int>(outs.size()); ++i)
    if (outs[i] == which)
      return site.dtypes[site.numInputs + i];
  return kAnyDType;
}

} // namespace

const KernelVariant *resolveSite(KernelSite &site, std::string &problem) {
  const KernelDecl &decl = *site.decl;
  if (problem = checkCounts(site); !problem.empty())
    return nullptr;
  // The entry point for the buffers' element types.
  bool twoTypes = std::strchr(decl.outs, 'U') != nullptr;
  int32_t t = typeOf(site, 'T'), u = typeOf(site, 'U');
  const KernelVariant *variant = nullptr;
  for (const KernelVariant &v : decl.variants)
    if ((v.t == kAnyDType || v.t == t) && (!twoTypes || v.u == u))
      variant = &v;
  if (!variant) {
    problem = std::string("has no entry point for element type ") +
              dtypeName(t) +
              (twoTypes ? std::string(" to ") + dtypeName(u) : std::string());
    return nullptr;
  }
  if (problem = checkTypes(site, *variant); !problem.empty())
    return nullptr;
  site.attrs.resize(decl.attrs.size());
  for (size_t i = 0; i < decl.attrs.size(); ++i) {
    const AttrDecl &a = decl.attrs[i];
    AttrValue &value = site.attrs[i];
    if (!value.present && a.required) {
      problem = std::string("attribute '") + a.name + "' missing";
      return nullptr;
    }
    if (a.kind == AttrKind::Enum && value.present &&
        (value.i < 0 || value.i >= static_cast<int64_t>(a.numCases))) {
      problem = std::string("attribute '") + a.name + "' has no case " +
                std::to_string(value.i);
      return nullptr;
    }
    if (!value.present && a.kind != AttrKind::OptionalI64 &&
        a.kind != AttrKind::Derived) {
      value.i = a.intDefault;
      value.f = a.floatDefault;
    }
  }
  if (problem = decl.check(site); !problem.empty())
    return nullptr;
  return variant;
}

std::vector<int64_t> encodeSite(const KernelSite &site) {
  // The header: the counts, then each buffer's record's offset and the
  // attributes' offset, filled in as the records are written.
  size_t n = site.shapes.size();
  std::vector<int64_t> words(3 + n, 0);
  words[0] = site.numInputs;
  words[1] = site.numOutputs;
  for (size_t i = 0; i < n; ++i) {
    words[2 + i] = static_cast<int64_t>(words.size());
    words.push_back(static_cast<int64_t>(site.shapes[i].size()));
    words.insert(words.end(), site.shapes[i].begin(), site.shapes[i].end());
  }
  words[2 + n] = static_cast<int64_t>(words.size());
  for (size_t i = 0; i < site.decl->attrs.size(); ++i) {
    const AttrValue &value = site.attrs[i];
    switch (site.decl->attrs[i].kind) {
    case AttrKind::I64:
    case AttrKind::Bool:
    case AttrKind::Enum:
    case AttrKind::Derived:
      words.push_back(value.i);
      break;
    case AttrKind::F64: {
      int64_t bits;
      std::memcpy(&bits, &value.f, sizeof bits);
      words.push_back(bits);
      break;
    }
    case AttrKind::I64s:
      words.push_back(static_cast<int64_t>(value.ints.size()));
      words.insert(words.end(), value.ints.begin(), value.ints.end());
      break;
    case AttrKind::OptionalI64:
      words.push_back(value.present ? 1 : 0);
      words.push_back(value.present ? value.i : 0);
      break;
    }
  }
  return words;
}

} // namespace dsc::kernels
