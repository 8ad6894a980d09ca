//===- Elementwise.cpp - broadcasting binary, compare, where, unary -------===//

#include "kernels/cpu/ElementwiseMath.h"
#include "kernels/cpu/Indexing.h"

#include <cmath>
#include <limits>
#include <type_traits>

namespace dsc::kernels::cpu {

using detail::broadcastStrides;
using detail::dimsOf;
using detail::forEachRow;
using detail::stridesOf;

namespace {

/// Whether `a` and `b` have the same dimensions.
inline bool sameDims(Shape a, Shape b) {
  if (a.rank != b.rank)
    return false;
  for (int i = 0; i < a.rank; ++i)
    if (a.dims[i] != b.dims[i])
      return false;
  return true;
}

/// out = f(a, b) over the broadcast of `as` and `bs` to `os`; the inner row
/// has fast paths for contiguous and scalar operands.
template <typename T, typename R, typename F>
void broadcastBinary(const T *a, Shape as, const T *b, Shape bs, R *out,
                     Shape os, F f) {
  // The common cases without the stride vectors (allocations cost more than
  // a small kernel's arithmetic): equal shapes, and a scalar operand.
  const int64_t n = os.numel();
  if (sameDims(as, os) && sameDims(bs, os)) {
    for (int64_t i = 0; i < n; ++i)
      out[i] = f(a[i], b[i]);
    return;
  }
  if (sameDims(as, os) && bs.numel() == 1) {
    const T bv = *b;
    for (int64_t i = 0; i < n; ++i)
      out[i] = f(a[i], bv);
    return;
  }
  if (as.numel() == 1 && sameDims(bs, os)) {
    const T av = *a;
    for (int64_t i = 0; i < n; ++i)
      out[i] = f(av, b[i]);
    return;
  }
  forEachRow<3>(
      dimsOf(os),
      {broadcastStrides(as, os), broadcastStrides(bs, os), stridesOf(os)},
      [&](const std::array<int64_t, 3> &off, int64_t n,
          const std::array<int64_t, 3> &st) {
        const T *pa = a + off[0];
        const T *pb = b + off[1];
        R *po = out + off[2];
        if (st[0] == 1 && st[1] == 1) {
          for (int64_t i = 0; i < n; ++i)
            po[i] = f(pa[i], pb[i]);
        } else if (st[0] == 1 && st[1] == 0) {
          T bv = *pb;
          for (int64_t i = 0; i < n; ++i)
            po[i] = f(pa[i], bv);
        } else if (st[0] == 0 && st[1] == 1) {
          T av = *pa;
          for (int64_t i = 0; i < n; ++i)
            po[i] = f(av, pb[i]);
        } else {
          for (int64_t i = 0; i < n; ++i)
            po[i] = f(pa[i * st[0]], pb[i * st[1]]);
        }
      });
}

} // namespace

template <typename T>
void binary(BinaryOp op, const T *lhs, Shape lhsShape, const T *rhs,
            Shape rhsShape, T *out, Shape outShape) {
  auto run = [&](auto f) {
    broadcastBinary(lhs, lhsShape, rhs, rhsShape, out, outShape, f);
  };
  // The op is a constant of each loop (binaryValue inlines to one case).
  switch (op) {
#define DSC_BINARY_OP(Enum, name)                                              \
  case BinaryOp::Enum:                                                         \
    return run([](T a, T b) { return binaryValue(BinaryOp::Enum, a, b); });
#define DSC_COMPARE_OP(Enum, name)
#include "kernels/cpu/BinaryOps.def"
  }
}

template <typename T>
void compare(CompareOp op, const T *lhs, Shape lhsShape, const T *rhs,
             Shape rhsShape, uint8_t *out, Shape outShape) {
  auto run = [&](auto f) {
    broadcastBinary(lhs, lhsShape, rhs, rhsShape, out, outShape, f);
  };
  switch (op) {
  case CompareOp::Equal:
    return run([](T a, T b) -> uint8_t { return a == b; });
  case CompareOp::Less:
    return run([](T a, T b) -> uint8_t { return a < b; });
  case CompareOp::LessEqual:
    return run([](T a, T b) -> uint8_t { return a <= b; });
  case CompareOp::Greater:
    return run([](T a, T b) -> uint8_t { return a > b; });
  case CompareOp::GreaterEqual:
    return run([](T a, T b) -> uint8_t { return a >= b; });
  }
}

template <typename T>
void where(const uint8_t *cond, Shape condShape, const T *lhs, Shape lhsShape,
           const T *rhs, Shape rhsShape, T *out, Shape outShape) {
  forEachRow<4>(dimsOf(outShape),
                {broadcastStrides(condShape, outShape),
                 broadcastStrides(lhsShape, outShape),
                 broadcastStrides(rhsShape, outShape), stridesOf(outShape)},
                [&](const std::array<int64_t, 4> &off, int64_t n,
                    const std::array<int64_t, 4> &st) {
                  const uint8_t *pc = cond + off[0];
                  const T *pa = lhs + off[1];
                  const T *pb = rhs + off[2];
                  T *po = out + off[3];
                  for (int64_t i = 0; i < n; ++i)
                    po[i] = pc[i * st[0]] ? pa[i * st[1]] : pb[i * st[2]];
                });
}

namespace {

template <typename T, typename F>
void map(const T *in, T *out, int64_t numel, F f) {
  for (int64_t i = 0; i < numel; ++i)
    out[i] = f(in[i]);
}

} // namespace

template <typename T>
void unary(UnaryOp op, const T *in, T *out, int64_t numel) {
  // The op is a constant of each loop (unaryValue inlines to one case).
  switch (op) {
#define DSC_UNARY_OP(Enum, name, integers)                                     \
  case UnaryOp::Enum:                                                          \
    return map(in, out, numel,                                                 \
               [](T x) { return unaryValue(UnaryOp::Enum, x); });
#include "kernels/cpu/UnaryOps.def"
  }
}

template <typename T> void isNan(const T *in, uint8_t *out, int64_t numel) {
  for (int64_t i = 0; i < numel; ++i)
    out[i] = std::isnan(in[i]);
}

template <typename T>
void gelu(const T *in, T *out, int64_t numel, bool tanhApprox) {
  for (int64_t i = 0; i < numel; ++i)
    out[i] = geluValue(in[i], tanhApprox);
}

template <typename T>
void geluGrad(const T *x, const T *dy, T *dx, int64_t numel, bool tanhApprox) {
  for (int64_t i = 0; i < numel; ++i)
    dx[i] = geluGradValue(x[i], dy[i], tanhApprox);
}

template <typename From, typename To>
void cast(const From *in, To *out, int64_t numel) {
  for (int64_t i = 0; i < numel; ++i)
    out[i] = convertValue<From, To>(in[i]);
}

#define DSC_BINARY(T)                                                          \
  template void binary<T>(BinaryOp, const T *, Shape, const T *, Shape, T *,   \
                          Shape);                                              \
  template void compare<T>(CompareOp, const T *, Shape, const T *, Shape,      \
                           uint8_t *, Shape);                                  \
  template void where<T>(const uint8_t *, Shape, const T *, Shape, const T *,  \
                         Shape, T *, Shape);                                   \
  template void unary<T>(UnaryOp, const T *, T *, int64_t);
DSC_BINARY(float)
DSC_BINARY(double)
DSC_BINARY(int64_t)
#undef DSC_BINARY
template void where<uint8_t>(const uint8_t *, Shape, const uint8_t *, Shape,
                             const uint8_t *, Shape, uint8_t *, Shape);

#define DSC_FLOAT(T)                                                           \
  template void isNan<T>(const T *, uint8_t *, int64_t);                       \
  template void gelu<T>(const T *, T *, int64_t, bool);                        \
  template void geluGrad<T>(const T *, const T *, T *, int64_t, bool);
DSC_FLOAT(float)
DSC_FLOAT(double)
#undef DSC_FLOAT

#define DSC_CAST_FROM(From)                                                    \
  template void cast<From, float>(const From *, float *, int64_t);             \
  template void cast<From, double>(const From *, double *, int64_t);           \
  template void cast<From, int64_t>(const From *, int64_t *, int64_t);         \
  template void cast<From, uint8_t>(const From *, uint8_t *, int64_t);         \
  template void cast<From, Half>(const From *, Half *, int64_t);               \
  template void cast<From, BFloat16>(const From *, BFloat16 *, int64_t);
DSC_CAST_FROM(float)
DSC_CAST_FROM(double)
DSC_CAST_FROM(int64_t)
DSC_CAST_FROM(uint8_t)
DSC_CAST_FROM(Half)
DSC_CAST_FROM(BFloat16)
#undef DSC_CAST_FROM

} // namespace dsc::kernels::cpu
