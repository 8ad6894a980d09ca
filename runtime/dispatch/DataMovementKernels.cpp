//===- DataMovementKernels.cpp - transpose, slice, gather, pad ... --------===//
//
// The entry points of KernelDecls.def's DataMovement kernels.
//
//===----------------------------------------------------------------------===//

#include "runtime/dispatch/DispatchInternal.h"

namespace dsc::runtime::detail {
namespace {

template <typename T, typename, typename A>
int runTranspose(const Call &c, const A &a) {
  k::transpose(c.in<T>(0), c.inShape(0), a.perm.data, c.out<T>(0));
  return 0;
}

template <typename T, typename, typename A>
int runSlice(const Call &c, const A &a) {
  k::slice(c.in<T>(0), c.inShape(0), a.starts.data, a.ends.data, a.steps.data,
           c.out<T>(0));
  return 0;
}

template <typename T, typename, typename A>
int runSliceGrad(const Call &c, const A &a) {
  k::sliceGrad(c.in<T>(0), a.starts.data, a.ends.data, a.steps.data,
               c.out<T>(0), c.outShape(0));
  return 0;
}

template <typename T, typename, typename A>
int runConcat(const Call &c, const A &a) {
  constexpr int kInline = 16;
  const T *inlineInputs[kInline];
  k::Shape inlineShapes[kInline];
  std::vector<const T *> heapInputs;
  std::vector<k::Shape> heapShapes;
  const T **inputs = inlineInputs;
  k::Shape *shapes = inlineShapes;
  if (c.numInputs() > kInline) {
    heapInputs.resize(c.numInputs());
    heapShapes.resize(c.numInputs());
    inputs = heapInputs.data();
    shapes = heapShapes.data();
  }
  for (int i = 0; i < c.numInputs(); ++i) {
    inputs[i] = c.in<T>(i);
    shapes[i] = c.inShape(i);
  }
  k::concat(inputs, shapes, c.numInputs(), static_cast<int>(a.axis),
            c.out<T>(0));
  return 0;
}

template <typename T, typename, typename A>
int runExpand(const Call &c, const A &) {
  k::expand(c.in<T>(0), c.inShape(0), c.out<T>(0), c.outShape(0));
  return 0;
}

template <typename T, typename, typename A>
int runGather(const Call &c, const A &a) {
  return k::gather(c.in<T>(0), c.inShape(0), c.in<int64_t>(1), c.inShape(1),
                   static_cast<int>(a.axis), c.out<T>(0));
}

template <typename T, typename, typename A>
int runGatherElements(const Call &c, const A &a) {
  return k::gatherElements(c.in<T>(0), c.inShape(0), c.in<int64_t>(1),
                           c.inShape(1), static_cast<int>(a.axis), c.out<T>(0));
}

template <typename T, typename, typename A>
int runGatherGrad(const Call &c, const A &a) {
  return k::gatherGrad(c.in<int64_t>(0), c.inShape(0), c.in<T>(1),
                       static_cast<int>(a.axis), c.out<T>(0), c.outShape(0));
}

template <typename T, typename, typename A>
int runGatherElementsGrad(const Call &c, const A &a) {
  return k::gatherElementsGrad(c.in<int64_t>(0), c.inShape(0), c.in<T>(1),
                               static_cast<int>(a.axis), c.out<T>(0),
                               c.outShape(0));
}

template <typename T, typename, typename A>
int runScatterND(const Call &c, const A &a) {
  return k::scatterND(c.in<T>(0), c.inShape(0), c.in<int64_t>(1), c.inShape(1),
                      c.in<T>(2), a.reduction, c.out<T>(0));
}

template <typename T, typename, typename A>
int runPad(const Call &c, const A &a) {
  k::pad(c.in<T>(0), c.inShape(0), a.pads.data, a.mode, a.value, c.out<T>(0));
  return 0;
}

template <typename T, typename, typename A>
int runPadGrad(const Call &c, const A &a) {
  k::padGrad(c.in<T>(0), a.pads.data, a.mode, c.out<T>(0), c.outShape(0));
  return 0;
}

template <typename T, typename, typename A>
int runTrilu(const Call &c, const A &a) {
  int64_t kValue = c.hasInput(1) ? *c.in<int64_t>(1) : 0;
  k::trilu(c.in<T>(0), c.inShape(0), kValue, a.upper, c.out<T>(0));
  return 0;
}

} // namespace

#define DSC_KERNEL(Group, Id, name, Types, Ins, Outs, MinInputs, Run, Sel,     \
                   Check, AttrList)                                            \
  DSC_KERNELS_OF_##Group(Id, name, Types, Run, Sel)
#define DSC_KERNELS_OF_Elementwise(...)
#define DSC_KERNELS_OF_Numeric(...)
#define DSC_KERNELS_OF_DataMovement DSC_DEFINE_ENTRIES
#include "kernels/KernelDecls.def"

} // namespace dsc::runtime::detail
