//===- KernelDispatch.cpp - errors, and the entry points by name ----------===//

#include "runtime/dispatch/KernelDispatch.h"

#include "runtime/dispatch/DispatchInternal.h"

#include <cstdio>
#include <cstdlib>
#include <unordered_map>

namespace dsc::runtime {
namespace {

struct Entry {
  std::string_view symbol;
  dsrt_kernel_fn fn;
};

const std::vector<Entry> &entries() {
  static const std::vector<Entry> table = {
#define DSC_LIST_ENTRY(Id, sym, Run, Sel, T, U, dT, dU)                        \
  {"dsrt_k_" #sym, dsrt_k_##sym},
#define DSC_KERNEL(Group, Id, name, Types, Ins, Outs, MinInputs, Run, Sel,     \
                   Check, AttrList)                                            \
  Types(DSC_LIST_ENTRY, Id, name, Run, Sel)
#include "kernels/KernelDecls.def"
  };
  return table;
}

void defaultHandler(int exitCode, const std::string &message) {
  std::fprintf(stderr, "%s\n", message.c_str());
  std::fflush(stderr);
  std::exit(exitCode);
}

ErrorHandler &currentHandler() {
  static ErrorHandler handler = defaultHandler;
  return handler;
}

} // namespace

namespace detail {
void reportKernelError(const char *symbol, const char *location, int status) {
  std::string detail = k::lastKernelErrorDetail();
  if (detail.empty())
    detail = k::kernelErrorMessage(status);
  // The kernel as the plan names it: the symbol without dsrt_k_.
  reportError(kExitDataError, std::string("dsrt: ") + symbol + " at node '" +
                                  (location ? location : "") + "': " + detail);
}
} // namespace detail

dsrt_kernel_fn findKernelEntry(std::string_view symbol) {
  // The reference interpreter looks one up per op it evaluates.
  static const std::unordered_map<std::string_view, dsrt_kernel_fn> bySymbol =
      [] {
        std::unordered_map<std::string_view, dsrt_kernel_fn> map;
        for (const Entry &entry : entries())
          map.emplace(entry.symbol, entry.fn);
        return map;
      }();
  auto it = bySymbol.find(symbol);
  return it == bySymbol.end() ? nullptr : it->second;
}

std::vector<std::string> kernelEntryNames() {
  std::vector<std::string> names;
  for (const Entry &entry : entries())
    names.emplace_back(entry.symbol);
  return names;
}

namespace detail {
dsrt_kernel_fn gDeviceEntries[kNumKernelVariants] = {};
} // namespace detail

void setDeviceKernels(dsrt_kernel_fn (*lookup)(const char *symbol)) {
  const std::vector<Entry> &all = entries();
  for (size_t i = 0; i < all.size(); ++i)
    detail::gDeviceEntries[i] =
        lookup ? lookup(std::string(all[i].symbol).c_str()) : nullptr;
}

ErrorHandler setErrorHandler(ErrorHandler handler) {
  ErrorHandler previous = std::move(currentHandler());
  currentHandler() = handler ? std::move(handler) : defaultHandler;
  return previous;
}

void reportError(int exitCode, const std::string &message) {
  currentHandler()(exitCode, message);
}

} // namespace dsc::runtime
