//===- ElementwiseKernels.cpp - binary, compare, unary, cast, copy --------===//
//
// The entry points of KernelDecls.def's Elementwise kernels.
//
//===----------------------------------------------------------------------===//

#include "runtime/dispatch/DispatchInternal.h"

#include "kernels/cpu/FusedProgram.h"

#include <cstring>

namespace dsc::runtime::detail {
namespace {

template <typename T, typename, typename A>
int runBinary(const Call &c, const A &) {
  k::binary(static_cast<BinaryOp>(c.op), c.in<T>(0), c.inShape(0), c.in<T>(1),
            c.inShape(1), c.out<T>(0), c.outShape(0));
  return 0;
}

template <typename T, typename, typename A>
int runCompare(const Call &c, const A &) {
  k::compare(static_cast<CompareOp>(c.op), c.in<T>(0), c.inShape(0), c.in<T>(1),
             c.inShape(1), c.out<uint8_t>(0), c.outShape(0));
  return 0;
}

template <typename T, typename, typename A>
int runWhere(const Call &c, const A &) {
  k::where(c.in<uint8_t>(0), c.inShape(0), c.in<T>(1), c.inShape(1), c.in<T>(2),
           c.inShape(2), c.out<T>(0), c.outShape(0));
  return 0;
}

template <typename T, typename, typename A>
int runUnary(const Call &c, const A &) {
  k::unary(static_cast<UnaryOp>(c.op), c.in<T>(0), c.out<T>(0),
           c.outShape(0).numel());
  return 0;
}

template <typename T, typename, typename A>
int runIsNan(const Call &c, const A &) {
  k::isNan(c.in<T>(0), c.out<uint8_t>(0), c.outShape(0).numel());
  return 0;
}

template <typename T, typename, typename A>
int runGelu(const Call &c, const A &a) {
  k::gelu(c.in<T>(0), c.out<T>(0), c.outShape(0).numel(),
          a.approximate == GeluApproximation::Tanh);
  return 0;
}

template <typename T, typename, typename A>
int runGeluGrad(const Call &c, const A &a) {
  k::geluGrad(c.in<T>(0), c.in<T>(1), c.out<T>(0), c.outShape(0).numel(),
              a.approximate == GeluApproximation::Tanh);
  return 0;
}

template <typename From, typename To, typename A>
int runCast(const Call &c, const A &) {
  k::cast(c.in<From>(0), c.out<To>(0), c.outShape(0).numel());
  return 0;
}

template <typename T, typename, typename A>
int runFused(const Call &c, const A &a) {
  const T *inputs[k::kFusedMaxInputs];
  k::Shape shapes[k::kFusedMaxInputs];
  for (int i = 0; i < c.numInputs(); ++i) {
    inputs[i] = c.in<T>(i);
    shapes[i] = c.inShape(i);
  }
  k::fusedElementwise(a.program.data, inputs, shapes, c.numInputs(),
                      c.out<T>(0), c.outShape(0));
  return 0;
}

template <typename, typename, typename A>
int runCopy(const Call &c, const A &a) {
  if (c.data[0] != c.data[1] && a.bytes > 0)
    std::memmove(c.data[1], c.data[0], static_cast<size_t>(a.bytes));
  return 0;
}

} // namespace

#define DSC_KERNEL(Group, Id, name, Types, Ins, Outs, MinInputs, Run, Sel,     \
                   Check, AttrList)                                            \
  DSC_KERNELS_OF_##Group(Id, name, Types, Run, Sel)
#define DSC_KERNELS_OF_Elementwise DSC_DEFINE_ENTRIES
#define DSC_KERNELS_OF_Numeric(...)
#define DSC_KERNELS_OF_DataMovement(...)
#include "kernels/KernelDecls.def"

} // namespace dsc::runtime::detail
