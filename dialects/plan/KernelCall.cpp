//===- KernelCall.cpp - A plan.kernel against its declaration -------------===//

#include "dialects/plan/KernelCall.h"

#include "dialects/graph/GraphEnums.h"
#include "dialects/plan/PlanOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;
namespace kd = dsc::kernels;

namespace dsc::plan {

int32_t dsrtDType(Type element) {
  if (element.isF32())
    return DSRT_F32;
  if (element.isF64())
    return DSRT_F64;
  if (element.isF16())
    return DSRT_F16;
  if (element.isBF16())
    return DSRT_BF16;
  if (element.isInteger(1))
    return DSRT_BOOL;
  if (element.isUnsignedInteger(8))
    return DSRT_U8;
  // The runtime has no wider unsigned types.
  if (element.isUnsignedInteger())
    return kd::kAnyDType;
  if (element.isInteger(8))
    return DSRT_I8;
  if (element.isInteger(16))
    return DSRT_I16;
  if (element.isInteger(32))
    return DSRT_I32;
  if (element.isInteger(64))
    return DSRT_I64;
  return kd::kAnyDType;
}

namespace {

std::string attrProblem(const kd::AttrDecl &decl, const char *what) {
  return std::string("attribute '") + decl.name + "' " + what;
}

/// An enum attribute's spelling: its case, for a graph enum attribute (the
/// graph op's, copied onto the kernel).
std::optional<std::string> enumSpelling(Attribute attr) {
  if (std::optional<StringRef> name = graph::enumCaseName(attr))
    return name->str();
  return std::nullopt;
}

/// Reads `attr` as `decl` says into `value`; "" or the problem.
std::string readAttr(const kd::AttrDecl &decl, Attribute attr,
                     kd::AttrValue &value) {
  value.present = true;
  switch (decl.kind) {
  case kd::AttrKind::I64:
  case kd::AttrKind::OptionalI64:
    if (auto i = dyn_cast<IntegerAttr>(attr); i && !i.getType().isInteger(1)) {
      value.i = i.getInt();
      return "";
    }
    return attrProblem(decl, "is not an integer");
  case kd::AttrKind::Bool:
    if (auto b = dyn_cast<BoolAttr>(attr)) {
      value.i = b.getValue();
      return "";
    }
    return attrProblem(decl, "is not a boolean");
  case kd::AttrKind::F64:
    if (auto f = dyn_cast<FloatAttr>(attr)) {
      value.f = f.getValueAsDouble();
      return "";
    }
    return attrProblem(decl, "is not a float");
  case kd::AttrKind::I64s:
    if (auto a = dyn_cast<DenseI64ArrayAttr>(attr)) {
      value.ints.assign(a.asArrayRef().begin(), a.asArrayRef().end());
      return "";
    }
    return attrProblem(decl, "is not an array of i64");
  case kd::AttrKind::Enum:
    if (std::optional<std::string> spelling = enumSpelling(attr)) {
      for (size_t c = 0; c < decl.numCases; ++c)
        if (decl.cases[c] == *spelling) {
          value.i = static_cast<int64_t>(c);
          return "";
        }
      return attrProblem(decl, "is '") + *spelling + "', expected " +
             decl.caseList();
    }
    return attrProblem(decl, "is not an enum attribute (its cases: ") +
           decl.caseList() + ")";
  case kd::AttrKind::Derived:
    return attrProblem(decl, "is computed by the compiler, not given");
  }
  return "";
}

void addBuffers(TypeRange types, kd::KernelSite &site) {
  for (Type type : types) {
    auto shaped = cast<ShapedType>(type);
    site.shapes.emplace_back(shaped.getShape().begin(),
                             shaped.getShape().end());
    site.dtypes.push_back(dsrtDType(shaped.getElementType()));
  }
}

} // namespace

std::string resolveKernelCall(StringRef name, TypeRange ins, TypeRange outs,
                              ArrayRef<NamedAttribute> attrs, KernelCall &call,
                              StringRef node, bool encode) {
  // Named only in a message: a verifier runs this on every call site after
  // every pass.
  auto where = [&] {
    std::string text = "kernel '" + name.str() + "'";
    if (!node.empty())
      text += " at node '" + node.str() + "'";
    return text;
  };
  const kd::KernelDecl *decl = kd::findKernelDecl(name);
  if (!decl)
    return "calls unknown " + where();
  int buffer = 0;
  for (TypeRange types : {ins, outs})
    for (Type type : types) {
      auto shaped = dyn_cast<ShapedType>(type);
      if (!shaped || !shaped.hasStaticShape())
        return where() + " needs statically shaped buffers";
      if (dsrtDType(shaped.getElementType()) == kd::kAnyDType) {
        std::string element;
        llvm::raw_string_ostream os(element);
        os << shaped.getElementType();
        return where() + ": buffer " + std::to_string(buffer) +
               " has element type " + element + ", which no kernel takes";
      }
      ++buffer;
    }
  kd::KernelSite site;
  site.decl = decl;
  site.numInputs = static_cast<int>(ins.size());
  site.numOutputs = static_cast<int>(outs.size());
  addBuffers(ins, site);
  addBuffers(outs, site);
  site.attrs.resize(decl->attrs.size());
  for (const NamedAttribute &attr : attrs) {
    StringRef attrName = attr.getName().getValue();
    if (attrName.contains('.') || attrName == "callee" ||
        attrName == "operandSegmentSizes")
      continue;
    int index = decl->attrIndex(attrName);
    if (index < 0)
      return where() + " has no attribute '" + attrName.str() + "'";
    if (std::string problem =
            readAttr(decl->attrs[index], attr.getValue(), site.attrs[index]);
        !problem.empty())
      return where() + ": " + problem;
  }
  std::string problem;
  call.variant = kd::resolveSite(site, problem);
  if (!call.variant)
    return where() + ": " + problem;
  call.decl = decl;
  if (encode)
    call.site = kd::encodeSite(site);
  return "";
}

std::string resolveKernelCall(KernelOp op, KernelCall &call, bool encode) {
  StringRef node;
  if (auto loc = dyn_cast<NameLoc>(op.getLoc()))
    node = loc.getName().getValue();
  return resolveKernelCall(op.getCallee(), op.getIns().getTypes(),
                           op.getOuts().getTypes(), op->getAttrs(), call, node,
                           encode);
}

} // namespace dsc::plan
