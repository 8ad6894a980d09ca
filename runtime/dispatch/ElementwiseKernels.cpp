//===- ElementwiseKernels.cpp - binary, compare, unary, cast, copy --------===//

#include "runtime/dispatch/DispatchInternal.h"

#include <cstring>

namespace dsc::runtime::detail {
namespace {

template <typename T> int runBinary(const Call &c) {
  k::binary(static_cast<k::BinaryOp>(c.p.op), c.in<T>(0), c.inShape(0),
            c.in<T>(1), c.inShape(1), c.out<T>(0), c.outShape(0));
  return 0;
}

template <typename T> int runCompare(const Call &c) {
  k::compare(static_cast<k::CompareOp>(c.p.op), c.in<T>(0), c.inShape(0),
             c.in<T>(1), c.inShape(1), c.out<uint8_t>(0), c.outShape(0));
  return 0;
}

template <typename T> int runWhere(const Call &c) {
  k::where(c.in<uint8_t>(0), c.inShape(0), c.in<T>(1), c.inShape(1), c.in<T>(2),
           c.inShape(2), c.out<T>(0), c.outShape(0));
  return 0;
}

template <typename T> int runUnary(const Call &c) {
  k::unary(static_cast<k::UnaryOp>(c.p.op), c.in<T>(0), c.out<T>(0),
           c.outShape(0).numel());
  return 0;
}

template <typename T> int runIsNan(const Call &c) {
  k::isNan(c.in<T>(0), c.out<uint8_t>(0), c.outShape(0).numel());
  return 0;
}

void prepareGelu(Prepared &p, AttrReader &attrs, const dsrt_kernel_desc &) {
  std::string approximate = attrs.str("approximate", "none");
  if (approximate != "none" && approximate != "tanh")
    attrs.fail("attribute 'approximate' is '" + approximate +
               "', expected 'none' or 'tanh'");
  p.flag = approximate == "tanh";
}

template <typename T> int runGelu(const Call &c) {
  k::gelu(c.in<T>(0), c.out<T>(0), c.outShape(0).numel(), c.p.flag);
  return 0;
}

template <typename T> int runGeluGrad(const Call &c) {
  k::geluGrad(c.in<T>(0), c.in<T>(1), c.out<T>(0), c.outShape(0).numel(),
              c.p.flag);
  return 0;
}

template <typename From, typename To> int runCast(const Call &c) {
  k::cast(c.in<From>(0), c.out<To>(0), c.outShape(0).numel());
  return 0;
}

void prepareCopy(Prepared &p, AttrReader &attrs, const dsrt_kernel_desc &desc) {
  const dsrt_buffer &in = desc.buffers[0], &out = desc.buffers[1];
  int64_t inBytes = Call::shapeOf(in).numel() * dtypeSize(in.dtype);
  int64_t outBytes = Call::shapeOf(out).numel() * dtypeSize(out.dtype);
  if (dtypeSize(in.dtype) == 0 || inBytes != outBytes)
    attrs.fail("copies " + std::to_string(inBytes) + " bytes into " +
               std::to_string(outBytes));
  p.bytes = inBytes;
}

int runCopy(const Call &c) {
  if (c.data[0] != c.data[1] && c.p.bytes > 0)
    std::memmove(c.data[1], c.data[0], static_cast<size_t>(c.p.bytes));
  return 0;
}

} // namespace

void registerElementwiseKernels(Registry &r) {

  forEachType(NumberTypes(), [&](auto *tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    // The kernels of kernels/cpu/BinaryOps.def and UnaryOps.def.
    for (auto [op, name] : k::binaryOps())
      add<T>(r, std::string(name),
             {runBinary<T>, nullptr, "TT", "T", 2, 0, 0, int(op)});
    for (auto [op, name] : k::compareOps())
      add<T>(r, std::string(name),
             {runCompare<T>, nullptr, "TT", "B", 2, 0, 0, int(op)});
    // Integers have only some unary kernels.
    for (const k::UnaryOpInfo &u : k::unaryOps())
      if (u.integers)
        add<T>(r, std::string(u.name),
               {runUnary<T>, nullptr, "T", "T", 1, 0, 0, int(u.op)});
  });
  forEachType(AllTypes(), [&](auto *tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    add<T>(r, "where", {runWhere<T>, nullptr, "BTT", "T", 3});
  });
  forEachType(FloatTypes(), [&](auto *tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    for (const k::UnaryOpInfo &u : k::unaryOps())
      if (!u.integers)
        add<T>(r, std::string(u.name),
               {runUnary<T>, nullptr, "T", "T", 1, 0, 0, int(u.op)});
    add<T>(r, "is_nan", {runIsNan<T>, nullptr, "T", "B", 1});
    add<T>(r, "gelu", {runGelu<T>, prepareGelu, "T", "T", 1});
    add<T>(r, "gelu_grad", {runGeluGrad<T>, prepareGelu, "TT", "T", 2});
  });
  forEachType(AllTypes(), [&](auto *fromTag) {
    using From = std::remove_pointer_t<decltype(fromTag)>;
    forEachType(AllTypes(), [&](auto *toTag) {
      using To = std::remove_pointer_t<decltype(toTag)>;
      KernelSpec spec{runCast<From, To>, nullptr, "T", "U", 1};
      spec.t = dtypeOf<From>();
      spec.u = dtypeOf<To>();
      r[std::string("cast_") + dtypeName(spec.t) + "_" + dtypeName(spec.u)] =
          spec;
    });
  });
  r["copy"] = {runCopy, prepareCopy, "?", "?", 1};
}

} // namespace dsc::runtime::detail
