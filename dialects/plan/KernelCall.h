//===- KernelCall.h - A plan.kernel against its declaration -----*- C++ -*-===//
//
// Reads a call site (a kernel name, its buffers' types, its attributes)
// into a kernels::KernelSite and resolves it against KernelDecls.def: the
// plan.kernel verifier, the lowering (which calls the entry point with the
// encoded constants) and the reference interpreter share it, so a site
// either runs everywhere or is an error at compile time.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_DIALECTS_PLAN_KERNELCALL_H
#define DSC_DIALECTS_PLAN_KERNELCALL_H

#include "kernels/KernelDecls.h"

#include "mlir/IR/Attributes.h"
#include "mlir/IR/Operation.h"
#include "mlir/IR/TypeRange.h"

#include <string>
#include <vector>

namespace dsc::plan {

class KernelOp;

/// A resolved call: the entry point and the site's constants.
struct KernelCall {
  const kernels::KernelDecl *decl = nullptr;
  const kernels::KernelVariant *variant = nullptr;
  std::vector<int64_t> site;

  /// The kernel as plan.json reports it: "matmul_f32", "copy".
  llvm::StringRef typedName() const {
    return llvm::StringRef(variant->symbol).drop_front(7); // "dsrt_k_"
  }
};

/// The dsrt_dtype of an element type, or kernels::kAnyDType for one the
/// runtime has no code for.
int32_t dsrtDType(mlir::Type element);

/// Resolves kernel `name` on buffers of `ins` then `outs` (shaped types)
/// with `attrs` (those whose name has a '.' are the plan's own and
/// skipped); "" and `call` filled, or the problem, naming `node` (the ONNX
/// node) when given.
std::string resolveKernelCall(llvm::StringRef name, mlir::TypeRange ins,
                              mlir::TypeRange outs,
                              llvm::ArrayRef<mlir::NamedAttribute> attrs,
                              KernelCall &call, llvm::StringRef node = "",
                              bool encode = true);

/// The same for a plan.kernel, naming the node of its location. Without
/// `encode` the site's constants are left out (the verifier needs none).
std::string resolveKernelCall(KernelOp op, KernelCall &call,
                              bool encode = true);

} // namespace dsc::plan

#endif // DSC_DIALECTS_PLAN_KERNELCALL_H
