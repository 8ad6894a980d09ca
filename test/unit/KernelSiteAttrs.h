//===- KernelSiteAttrs.h - A call site's attributes from JSON ---*- C++ -*-===//
//
// The kernel tests write a call site's attributes as a JSON object of the
// declaration's names (enums by their spelling), as a plan would carry them.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_TEST_UNIT_KERNELSITEATTRS_H
#define DSC_TEST_UNIT_KERNELSITEATTRS_H

#include "kernels/KernelDecls.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>

namespace dsc::test {

/// Sizes site.attrs to the declaration and sets those `json` names; "" or
/// the problem (an unknown name).
inline std::string setSiteAttrs(kernels::KernelSite &site,
                                const std::string &json) {
  const kernels::KernelDecl *decl = site.decl;
  site.attrs.assign(decl->attrs.size(), kernels::AttrValue());
  nlohmann::json parsed = nlohmann::json::parse(json.empty() ? "{}" : json);
  for (auto &[name, value] : parsed.items()) {
    int index = decl->attrIndex(name);
    if (index < 0)
      return std::string(decl->name) + " has no attribute '" + name + "'";
    const kernels::AttrDecl &a = decl->attrs[index];
    kernels::AttrValue &v = site.attrs[index];
    v.present = true;
    if (a.kind == kernels::AttrKind::F64)
      v.f = value.get<double>();
    else if (a.kind == kernels::AttrKind::I64s)
      v.ints = value.get<std::vector<int64_t>>();
    else if (a.kind == kernels::AttrKind::Enum)
      v.i = std::find(a.cases, a.cases + a.numCases, value.get<std::string>()) -
            a.cases;
    else
      v.i = value.is_boolean() ? value.get<bool>() : value.get<int64_t>();
  }
  return "";
}

} // namespace dsc::test

#endif // DSC_TEST_UNIT_KERNELSITEATTRS_H
