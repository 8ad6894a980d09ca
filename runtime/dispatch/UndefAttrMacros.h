//===- UndefAttrMacros.h - Ends one expansion of KernelDecls.def -*- C++
//-*-===//
//
// Included (not guarded) after each expansion of KernelDecls.def that
// defined the attribute macros, so the next one can define them anew.
//
//===----------------------------------------------------------------------===//

#undef DSC_ATTR_I64
#undef DSC_ATTR_F64
#undef DSC_ATTR_BOOL
#undef DSC_ATTR_I64S
#undef DSC_ATTR_ENUM
#undef DSC_ATTR_BOOL_OR
#undef DSC_ATTR_F64_OR
#undef DSC_ATTR_OPT_I64
#undef DSC_ATTR_DERIVED
