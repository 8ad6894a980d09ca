//===- DataMovementKernels.cpp - transpose, slice, gather, pad ... --------===//

#include "runtime/dispatch/DispatchInternal.h"

namespace dsc::runtime::detail {
namespace {

int rankOf(const dsrt_kernel_desc &desc, int buffer) {
  return desc.buffers[buffer].rank;
}

void preparePerm(Prepared &p, AttrReader &attrs, const dsrt_kernel_desc &desc) {
  int rank = rankOf(desc, 0);
  p.perm = attrs.i64s("perm", rank);
  std::vector<bool> seen(rank, false);
  for (int64_t a : p.perm) {
    if (a < 0 || a >= rank || seen[a]) {
      attrs.fail("attribute 'perm' is not a permutation of [0, " +
                 std::to_string(rank) + ")");
      break;
    }
    seen[a] = true;
  }
}

template <typename T> int runTranspose(const Call &c) {
  k::transpose(c.in<T>(0), c.inShape(0), c.p.perm.data(), c.out<T>(0));
  return 0;
}

/// slice: the bounds are per input axis; slice_grad: per output axis.
void prepareSliceBounds(Prepared &p, AttrReader &attrs, int rank) {
  p.starts = attrs.i64s("starts", rank);
  p.ends = attrs.i64s("ends", rank);
  p.steps = attrs.i64s("steps", rank);
  for (int64_t s : p.steps)
    if (s == 0) {
      attrs.fail("attribute 'steps' has a zero step");
      break;
    }
}

void prepareSlice(Prepared &p, AttrReader &attrs,
                  const dsrt_kernel_desc &desc) {
  prepareSliceBounds(p, attrs, rankOf(desc, 0));
}

void prepareSliceGrad(Prepared &p, AttrReader &attrs,
                      const dsrt_kernel_desc &desc) {
  prepareSliceBounds(p, attrs, rankOf(desc, 1));
}

template <typename T> int runSlice(const Call &c) {
  k::slice(c.in<T>(0), c.inShape(0), c.p.starts.data(), c.p.ends.data(),
           c.p.steps.data(), c.out<T>(0));
  return 0;
}

template <typename T> int runSliceGrad(const Call &c) {
  k::sliceGrad(c.in<T>(0), c.p.starts.data(), c.p.ends.data(), c.p.steps.data(),
               c.out<T>(0), c.outShape(0));
  return 0;
}

void prepareConcat(Prepared &p, AttrReader &attrs,
                   const dsrt_kernel_desc &desc) {
  int rank = rankOf(desc, 0);
  p.axis = attrs.axis("axis", rank);
  for (int i = 0; i < desc.num_inputs; ++i) {
    if (rankOf(desc, i) != rank)
      attrs.fail("input " + std::to_string(i) + " has rank " +
                 std::to_string(rankOf(desc, i)) + ", expected " +
                 std::to_string(rank));
    p.shapes.push_back(Call::shapeOf(desc.buffers[i]));
  }
}

template <typename T> int runConcat(const Call &c) {
  constexpr int kInline = 16;
  const T *inline_[kInline];
  std::vector<const T *> heap;
  const T **inputs = inline_;
  if (c.numInputs() > kInline) {
    heap.resize(c.numInputs());
    inputs = heap.data();
  }
  for (int i = 0; i < c.numInputs(); ++i)
    inputs[i] = c.in<T>(i);
  k::concat(inputs, c.p.shapes.data(), c.numInputs(),
            static_cast<int>(c.p.axis), c.out<T>(0));
  return 0;
}

template <typename T> int runExpand(const Call &c) {
  k::expand(c.in<T>(0), c.inShape(0), c.out<T>(0), c.outShape(0));
  return 0;
}

/// gather, gather_elements: the axis of input 0.
void prepareInputAxis(Prepared &p, AttrReader &attrs,
                      const dsrt_kernel_desc &desc) {
  p.axis = attrs.axis("axis", rankOf(desc, 0));
}

/// gather_grad, gather_elements_grad: the axis of the result.
void prepareResultAxis(Prepared &p, AttrReader &attrs,
                       const dsrt_kernel_desc &desc) {
  p.axis = attrs.axis("axis", rankOf(desc, desc.num_inputs));
}

template <typename T> int runGather(const Call &c) {
  return k::gather(c.in<T>(0), c.inShape(0), c.in<int64_t>(1), c.inShape(1),
                   static_cast<int>(c.p.axis), c.out<T>(0));
}

template <typename T> int runGatherElements(const Call &c) {
  return k::gatherElements(c.in<T>(0), c.inShape(0), c.in<int64_t>(1),
                           c.inShape(1), static_cast<int>(c.p.axis),
                           c.out<T>(0));
}

template <typename T> int runGatherGrad(const Call &c) {
  return k::gatherGrad(c.in<int64_t>(0), c.inShape(0), c.in<T>(1),
                       static_cast<int>(c.p.axis), c.out<T>(0), c.outShape(0));
}

template <typename T> int runGatherElementsGrad(const Call &c) {
  return k::gatherElementsGrad(c.in<int64_t>(0), c.inShape(0), c.in<T>(1),
                               static_cast<int>(c.p.axis), c.out<T>(0),
                               c.outShape(0));
}

void prepareScatterND(Prepared &p, AttrReader &attrs,
                      const dsrt_kernel_desc &) {
  std::string reduction = attrs.str("reduction", "none");
  if (std::optional<k::ScatterReduction> r =
          k::parseScatterReduction(reduction))
    p.scatter = *r;
  else
    attrs.fail("attribute 'reduction' is '" + reduction + "', expected " +
               k::kScatterReductionNames);
}

template <typename T> int runScatterND(const Call &c) {
  return k::scatterND(c.in<T>(0), c.inShape(0), c.in<int64_t>(1), c.inShape(1),
                      c.in<T>(2), c.p.scatter, c.out<T>(0));
}

/// pad: the pads are per input axis; pad_grad: per result axis.
void preparePadMode(Prepared &p, AttrReader &attrs, int rank) {
  p.pads = attrs.i64s("pads", 2 * int64_t(rank));
  std::string mode = attrs.str("mode", "constant");
  if (std::optional<k::PadMode> m = k::parsePadMode(mode))
    p.padMode = *m;
  else
    attrs.fail("attribute 'mode' is '" + mode + "', expected " +
               k::kPadModeNames);
}

void preparePad(Prepared &p, AttrReader &attrs, const dsrt_kernel_desc &desc) {
  preparePadMode(p, attrs, rankOf(desc, 0));
  p.value = attrs.f64Or("value", 0.0);
}

void preparePadGrad(Prepared &p, AttrReader &attrs,
                    const dsrt_kernel_desc &desc) {
  preparePadMode(p, attrs, rankOf(desc, 1));
}

template <typename T> int runPad(const Call &c) {
  k::pad(c.in<T>(0), c.inShape(0), c.p.pads.data(), c.p.padMode, c.p.value,
         c.out<T>(0));
  return 0;
}

template <typename T> int runPadGrad(const Call &c) {
  k::padGrad(c.in<T>(0), c.p.pads.data(), c.p.padMode, c.out<T>(0),
             c.outShape(0));
  return 0;
}

void prepareTrilu(Prepared &p, AttrReader &attrs,
                  const dsrt_kernel_desc &desc) {
  p.flag = attrs.boolean("upper");
  if (rankOf(desc, 0) < 2)
    attrs.fail("input has rank " + std::to_string(rankOf(desc, 0)) +
               ", expected 2 or more");
  if (desc.num_inputs == 2 && Call::shapeOf(desc.buffers[1]).numel() != 1)
    attrs.fail("k is not a scalar");
}

template <typename T> int runTrilu(const Call &c) {
  int64_t kValue = c.hasInput(1) ? *c.in<int64_t>(1) : 0;
  k::trilu(c.in<T>(0), c.inShape(0), kValue, c.p.flag, c.out<T>(0));
  return 0;
}

} // namespace

void registerDataMovementKernels(Registry &r) {
  forEachType(AllTypes(), [&](auto *tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    add<T>(r, "transpose", {runTranspose<T>, preparePerm, "T", "T", 1});
    add<T>(r, "slice", {runSlice<T>, prepareSlice, "T", "T", 1});
    add<T>(r, "concat", {runConcat<T>, prepareConcat, "*", "T", 1});
    add<T>(r, "expand", {runExpand<T>, nullptr, "T", "T", 1});
    add<T>(r, "gather", {runGather<T>, prepareInputAxis, "TI", "T", 2});
    add<T>(r, "gather_elements",
           {runGatherElements<T>, prepareInputAxis, "TI", "T", 2});
    add<T>(r, "scatter_nd", {runScatterND<T>, prepareScatterND, "TIT", "T", 3});
    add<T>(r, "pad", {runPad<T>, preparePad, "T", "T", 1});
    add<T>(r, "trilu", {runTrilu<T>, prepareTrilu, "TI", "T", 1});
  });
  forEachType(FloatTypes(), [&](auto *tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    add<T>(r, "slice_grad", {runSliceGrad<T>, prepareSliceGrad, "T", "T", 1});
    add<T>(r, "gather_grad",
           {runGatherGrad<T>, prepareResultAxis, "IT", "T", 2});
    add<T>(r, "gather_elements_grad",
           {runGatherElementsGrad<T>, prepareResultAxis, "IT", "T", 2});
    add<T>(r, "pad_grad", {runPadGrad<T>, preparePadGrad, "T", "T", 1});
  });
}

} // namespace dsc::runtime::detail
