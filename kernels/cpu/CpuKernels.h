//===- CpuKernels.h - CPU kernels for the graph dialect ---------*- C++ -*-===//
//
// Forward and backward kernels for every op of the `graph` dialect
// (dialects/graph/GraphOps.td states the semantics) over row-major buffers.
// The library knows nothing of ranks and never includes LLVM or MLIR: the
// runtime links it. Float kernels are instantiated for float and double;
// elementwise integer-capable kernels also for int64_t; data movement also
// for uint8_t (booleans are uint8_t 0/1). Indices are int64_t; negative
// indices count from the end where the op says so. Kernels that can fail on
// data return 0 or a KernelError; lastKernelErrorDetail() then describes it.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_KERNELS_CPU_CPUKERNELS_H
#define DSC_KERNELS_CPU_CPUKERNELS_H

#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>
#include <type_traits>
#include <vector>

namespace dsc::kernels::cpu {

//===----------------------------------------------------------------------===//
// Enum attributes
//===----------------------------------------------------------------------===//

/// The case lists of the kernels' enum attributes, X(Enumerator, spelling),
/// in value order: the spelling is the ONNX one. Each list gives its enum
/// and its spellings, which the compiler's check of the attribute reads
/// (KernelDecls.def).
#define DSC_GELU_APPROXIMATION_CASES(X) X(None, none) X(Tanh, tanh)
#define DSC_LOSS_REDUCTION_CASES(X) X(None, none) X(Sum, sum) X(Mean, mean)
#define DSC_SCATTER_REDUCTION_CASES(X)                                         \
  X(None, none) X(Add, add) X(Mul, mul) X(Max, max) X(Min, min)
#define DSC_PAD_MODE_CASES(X)                                                  \
  X(Constant, constant) X(Reflect, reflect) X(Edge, edge) X(Wrap, wrap)

#define DSC_ENUM_ENUMERATOR(Enumerator, spelling) Enumerator,
#define DSC_ENUM_SPELLING(Enumerator, spelling) #spelling,

/// The spellings of enum E's cases, indexed by value.
template <typename E> struct EnumCases;
#define DSC_DECLARE_KERNEL_ENUM(E, CASES)                                      \
  enum class E { CASES(DSC_ENUM_ENUMERATOR) };                                 \
  template <> struct EnumCases<E> {                                            \
    static constexpr std::string_view spellings[] = {                          \
        CASES(DSC_ENUM_SPELLING)};                                             \
  };

DSC_DECLARE_KERNEL_ENUM(GeluApproximation, DSC_GELU_APPROXIMATION_CASES)
DSC_DECLARE_KERNEL_ENUM(LossReduction, DSC_LOSS_REDUCTION_CASES)
DSC_DECLARE_KERNEL_ENUM(ScatterReduction, DSC_SCATTER_REDUCTION_CASES)
DSC_DECLARE_KERNEL_ENUM(PadMode, DSC_PAD_MODE_CASES)

/// The dimensions of a row-major tensor; `dims` is borrowed.
struct Shape {
  const int64_t *dims = nullptr;
  int rank = 0;

  int64_t numel() const {
    int64_t n = 1;
    for (int i = 0; i < rank; ++i)
      n *= dims[i];
    return n;
  }
  int64_t dim(int i) const { return dims[i]; }
};

//===----------------------------------------------------------------------===//
// Errors
//===----------------------------------------------------------------------===//

enum KernelError : int {
  KernelOk = 0,
  /// An index (gather, gather_elements, scatter_nd) is outside its axis.
  KernelIndexOutOfRange = 1,
  /// A loss target is outside [0, C) and is not the ignore_index.
  KernelTargetOutOfRange = 2,
  /// The device refused the kernel (a GPU backend's launch error).
  KernelDeviceError = 3,
};

/// A fixed description of `code`, e.g. "index out of range".
const char *kernelErrorMessage(int code);

/// Records `detail` as this thread's last error and returns `code`.
int raiseKernelError(int code, const char *detail);

/// The detail of the last error raised on this thread, e.g.
/// "index 600 out of range [0, 512) in gather"; empty when none.
const char *lastKernelErrorDetail();

//===----------------------------------------------------------------------===//
// Elementwise (Elementwise.cpp)
//===----------------------------------------------------------------------===//

/// The binary and comparison kernels of BinaryOps.def, in its order.
enum class BinaryOp {
#define DSC_BINARY_OP(Enum, name) Enum,
#include "kernels/cpu/BinaryOps.def"
};
enum class CompareOp {
#define DSC_COMPARE_OP(Enum, name) Enum,
#include "kernels/cpu/BinaryOps.def"
};
/// The unary kernels of UnaryOps.def, in its order.
enum class UnaryOp {
#define DSC_UNARY_OP(Enum, name, integers) Enum,
#include "kernels/cpu/UnaryOps.def"
};

/// out = lhs op rhs with NumPy broadcasting; `outShape` is the broadcast
/// shape. Integer division truncates toward zero; an integer division by zero
/// gives 0 (no trap). Min/max propagate NaN. T: float, double, int64_t.
template <typename T>
void binary(BinaryOp op, const T *lhs, Shape lhsShape, const T *rhs,
            Shape rhsShape, T *out, Shape outShape);

/// out = lhs cmp rhs as 0/1 with NumPy broadcasting. T: float, double,
/// int64_t.
template <typename T>
void compare(CompareOp op, const T *lhs, Shape lhsShape, const T *rhs,
             Shape rhsShape, uint8_t *out, Shape outShape);

/// out = cond ? lhs : rhs, all three broadcast to `outShape`. T: float,
/// double, int64_t, uint8_t.
template <typename T>
void where(const uint8_t *cond, Shape condShape, const T *lhs, Shape lhsShape,
           const T *rhs, Shape rhsShape, T *out, Shape outShape);

/// out[i] = op(in[i]); `in` and `out` may alias. T: float, double; int64_t for
/// Neg, Abs and Relu.
template <typename T>
void unary(UnaryOp op, const T *in, T *out, int64_t numel);

/// out[i] = isnan(in[i]). T: float, double.
template <typename T> void isNan(const T *in, uint8_t *out, int64_t numel);

/// GELU's constants: sqrt(2 / pi), 1 / sqrt(2), 1 / sqrt(2 pi), and the
/// cubic term's coefficient of the tanh form (every backend's).
inline constexpr double kSqrt2OverPi = 0.79788456080286535588;
inline constexpr double kInvSqrt2 = 0.70710678118654752440;
inline constexpr double kInvSqrt2Pi = 0.39894228040143267794;
inline constexpr double kGeluCubic = 0.044715;

/// GELU, exact (x Phi(x)) or with the tanh approximation. T: float, double.
template <typename T>
void gelu(const T *in, T *out, int64_t numel, bool tanhApprox);

/// dx = dy * d gelu(x) / dx: exact Phi(x) + x phi(x); the tanh form
/// differentiated exactly. T: float, double.
template <typename T>
void geluGrad(const T *x, const T *dy, T *dx, int64_t numel, bool tanhApprox);

//===----------------------------------------------------------------------===//
// 16-bit floats: storage only; kernels compute in float
//===----------------------------------------------------------------------===//

// The conversions serve the CPU kernels and the CUDA ones alike.
#ifdef __CUDACC__
#define DSC_HOST_DEVICE __host__ __device__
#else
#define DSC_HOST_DEVICE
#endif

/// IEEE 754 binary16 and bfloat16 values, as their bits.
struct Half {
  uint16_t bits;
};
struct BFloat16 {
  uint16_t bits;
};
template <typename T>
inline constexpr bool kIsFloat16 =
    std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>;

DSC_HOST_DEVICE inline float floatFromBits(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}
DSC_HOST_DEVICE inline uint32_t bitsOf(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  return bits;
}

DSC_HOST_DEVICE inline float toFloat(Half h) {
  uint32_t sign = uint32_t(h.bits & 0x8000) << 16;
  uint32_t exponent = (h.bits >> 10) & 0x1f, mantissa = h.bits & 0x3ff;
  if (exponent == 0x1f) // inf, NaN
    return floatFromBits(sign | 0x7f800000 | (mantissa << 13));
  if (exponent == 0) { // zero, subnormal: mantissa * 2^-24, exact in float
    float v = static_cast<float>(mantissa) * 5.9604644775390625e-8f;
    return sign ? -v : v;
  }
  return floatFromBits(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

/// Rounds to nearest, ties to even; beyond the largest half (65504) rounds
/// to infinity; a NaN stays a (quiet) NaN.
DSC_HOST_DEVICE inline Half toHalf(float f) {
  uint32_t bits = bitsOf(f);
  uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000);
  uint32_t magnitude = bits & 0x7fffffff;
  if (magnitude >= 0x47800000) // >= 65536 (2^16), inf or NaN
    return {static_cast<uint16_t>(sign |
                                  (magnitude > 0x7f800000 ? 0x7e00 : 0x7c00))};
  if (magnitude < 0x38800000) { // below 2^-14: a subnormal half or zero
    // Adding 0.5 (2^-1) puts the value's 2^-24 units in the low mantissa
    // bits; the float addition rounds them to nearest even.
    float shifted = floatFromBits(magnitude) + 0.5f;
    return {static_cast<uint16_t>(sign | (bitsOf(shifted) - 0x3f000000))};
  }
  // Rebias the exponent (127 -> 15) and round the 13 dropped bits to
  // nearest even; a carry into the exponent is the right result (up to
  // infinity above 65504).
  uint32_t odd = (magnitude >> 13) & 1;
  uint32_t rounded = magnitude - (112u << 23) + 0xfff + odd;
  return {static_cast<uint16_t>(sign | (rounded >> 13))};
}

DSC_HOST_DEVICE inline float toFloat(BFloat16 b) {
  return floatFromBits(uint32_t(b.bits) << 16);
}

/// Rounds to nearest, ties to even; a NaN stays a quiet NaN.
DSC_HOST_DEVICE inline BFloat16 toBFloat16(float f) {
  uint32_t bits = bitsOf(f);
  if ((bits & 0x7fffffff) > 0x7f800000)
    return {static_cast<uint16_t>((bits >> 16) | 0x40)};
  uint32_t odd = (bits >> 16) & 1;
  return {static_cast<uint16_t>((bits + 0x7fff + odd) >> 16)};
}

/// One element's conversion: to uint8_t (boolean) is x != 0, float to
/// integer truncates toward zero, to a narrower float rounds to nearest
/// even. A 16-bit float goes through float (exact, and rounding double to
/// float to half is rounding double to half: float has more than twice
/// half's and bfloat16's bits).
template <typename From, typename To>
DSC_HOST_DEVICE inline To convertValue(From v) {
  if constexpr (kIsFloat16<From>) {
    return convertValue<float, To>(toFloat(v));
  } else if constexpr (std::is_same_v<To, Half>) {
    return toHalf(static_cast<float>(v));
  } else if constexpr (std::is_same_v<To, BFloat16>) {
    return toBFloat16(static_cast<float>(v));
  } else if constexpr (std::is_same_v<To, uint8_t>) {
    return v != From(0);
  } else {
    return static_cast<To>(v);
  }
}

/// Element type conversion (convertValue). From, To: any of float, double,
/// int64_t, uint8_t, Half, BFloat16.
template <typename From, typename To>
void cast(const From *in, To *out, int64_t numel);

/// A chain of elementwise ops in one pass (FusedProgram.h: `program`'s
/// layout) over `numInputs` inputs broadcast to `outShape`. T: float,
/// double, and Half and BFloat16 (computed in float, rounded after each op
/// as the unfused kernels store it).
template <typename T>
void fusedElementwise(const int64_t *program, const T *const *inputs,
                      const Shape *inShapes, int numInputs, T *out,
                      Shape outShape);

//===----------------------------------------------------------------------===//
// Reductions (Reduction.cpp)
//===----------------------------------------------------------------------===//

enum class ReduceOp { Sum, Mean, Max };

/// Reduces `in` over `axes` (sorted, unique, in [0, rank)); the result has
/// the kept axes in order (keepdims only changes the result's shape, not its
/// layout). No axes copies the input. Max propagates NaN. T: float, double,
/// int64_t (mean of integers truncates).
template <typename T>
void reduce(ReduceOp op, const T *in, Shape inShape, const int64_t *axes,
            int numAxes, T *out);

//===----------------------------------------------------------------------===//
// Softmax (Softmax.cpp)
//===----------------------------------------------------------------------===//

/// y = exp(x) / sum(exp(x), axis). T: float, double.
template <typename T> void softmax(const T *x, Shape shape, int axis, T *y);

/// y = x - log(sum(exp(x), axis)). T: float, double.
template <typename T> void logSoftmax(const T *x, Shape shape, int axis, T *y);

/// dx = y * (dy - sum(dy * y, axis)) with y = softmax(x). T: float, double.
template <typename T>
void softmaxGrad(const T *y, const T *dy, Shape shape, int axis, T *dx);

/// dx = dy - exp(y) * sum(dy, axis) with y = log_softmax(x).
template <typename T>
void logSoftmaxGrad(const T *y, const T *dy, Shape shape, int axis, T *dx);

//===----------------------------------------------------------------------===//
// Layer normalisation (LayerNorm.cpp)
//===----------------------------------------------------------------------===//

/// y = (x - mean) * invStdDev * scale + bias over the axes [axis, rank), with
/// invStdDev = 1 / sqrt(biased var + epsilon). `scale` and `bias` (nullable)
/// broadcast against the normalised axes (right-aligned). `mean` and
/// `invStdDev` (each nullable) hold one value per normalised group.
/// T: float, double.
template <typename T>
void layerNorm(const T *x, Shape xShape, const T *scale, Shape scaleShape,
               const T *bias, Shape biasShape, int axis, double epsilon, T *y,
               T *mean, T *invStdDev);

/// With xh = (x - mean) * r and g = dy * scale:
/// dx = r * (g - mean(g) - xh * mean(g * xh)), dscale = sum(dy * xh),
/// dbias = sum(dy), both summed down to the scale's shape. `dx`, `dscale` and
/// `dbias` may each be null (not needed). T: float, double.
template <typename T>
void layerNormGrad(const T *x, Shape xShape, const T *scale, Shape scaleShape,
                   const T *mean, const T *invStdDev, const T *dy, int axis,
                   T *dx, T *dscale, T *dbias);

//===----------------------------------------------------------------------===//
// Contractions (MatMul.cpp, Conv.cpp)
//===----------------------------------------------------------------------===//

/// NumPy matmul through OpenBLAS: 1-D lhs is a row vector, 1-D rhs a column
/// vector, batch axes broadcast; `outShape` is the result's. T: float,
/// double.
/// `transposeLhs` / `transposeRhs`: that operand (rank >= 2) is stored with
/// its last two axes swapped and is read transposed in place.
template <typename T>
void matmul(const T *lhs, Shape lhsShape, const T *rhs, Shape rhsShape, T *out,
            Shape outShape, bool transposeLhs = false,
            bool transposeRhs = false);

struct ConvParams {
  int64_t strides[2] = {1, 1};
  /// top, left, bottom, right.
  int64_t pads[4] = {0, 0, 0, 0};
  int64_t dilations[2] = {1, 1};
  int64_t group = 1;
};

/// 2-D NCHW cross-correlation: x [N, C, H, W], w [M, C/group, kH, kW],
/// bias [M] (nullable), y [N, M, oH, oW]. im2col + GEMM. T: float, double.
template <typename T>
void conv2d(const T *x, Shape xShape, const T *w, Shape wShape, const T *bias,
            T *y, Shape yShape, const ConvParams &params);

/// dx of conv2d (shape `xShape`), from dy [N, M, oH, oW] and the filter.
template <typename T>
void conv2dGradInput(const T *dy, Shape dyShape, const T *w, Shape wShape,
                     T *dx, Shape xShape, const ConvParams &params);

/// dw of conv2d (shape `wShape`), from the input and dy.
template <typename T>
void conv2dGradFilter(const T *x, Shape xShape, const T *dy, Shape dyShape,
                      T *dw, Shape wShape, const ConvParams &params);

//===----------------------------------------------------------------------===//
// Data movement (DataMovement.cpp); T: float, double, int64_t, uint8_t.
//===----------------------------------------------------------------------===//

/// out axis i is in axis perm[i].
template <typename T>
void transpose(const T *in, Shape inShape, const int64_t *perm, T *out);

/// Strided slice, one (start, end, step) per axis, already clamped; a
/// negative step runs down to end (exclusive; -1 reaches element 0).
template <typename T>
void slice(const T *in, Shape inShape, const int64_t *starts,
           const int64_t *ends, const int64_t *steps, T *out);

/// d_input of slice: zeros, with dy written at the sliced positions.
template <typename T>
void sliceGrad(const T *dy, const int64_t *starts, const int64_t *ends,
               const int64_t *steps, T *dIn, Shape inShape);

/// Joins `numInputs` tensors of the same rank along `axis`.
template <typename T>
void concat(const T *const *inputs, const Shape *inShapes, int numInputs,
            int axis, T *out);

/// Broadcast copy of `in` to `outShape` (NumPy rules).
template <typename T>
void expand(const T *in, Shape inShape, T *out, Shape outShape);

/// out[i..., j..., k...] = in[i..., indices[j...], k...]; negative indices
/// count from the end. Returns KernelIndexOutOfRange for a bad index.
template <typename T>
int gather(const T *in, Shape inShape, const int64_t *indices,
           Shape indicesShape, int axis, T *out);

/// d_input of gather: zeroed, then dy scatter-added (repeated indices
/// accumulate).
template <typename T>
int gatherGrad(const int64_t *indices, Shape indicesShape, const T *dy,
               int axis, T *dIn, Shape inShape);

/// out has the indices' shape; along `axis` each element comes from `in` at
/// the given (possibly negative) index.
template <typename T>
int gatherElements(const T *in, Shape inShape, const int64_t *indices,
                   Shape indicesShape, int axis, T *out);

/// d_input of gather_elements: zeroed, then dy scatter-added.
template <typename T>
int gatherElementsGrad(const int64_t *indices, Shape indicesShape, const T *dy,
                       int axis, T *dIn, Shape inShape);

/// out = copy of `in` (may alias it) with the slices addressed by the last
/// axis of `indices` replaced by (or combined with) `updates`, applied in
/// order. Negative indices count from the end.
template <typename T>
int scatterND(const T *in, Shape inShape, const int64_t *indices,
              Shape indicesShape, const T *updates, ScatterReduction reduction,
              T *out);

/// `pads` = [before_0..before_{r-1}, after_0..after_{r-1}]; negative amounts
/// crop. The output has in_d + before_d + after_d along each axis.
template <typename T>
void pad(const T *in, Shape inShape, const int64_t *pads, PadMode mode,
         double value, T *out);

/// d_input of pad (shape `inShape`): for reflect/edge/wrap the padded cells
/// accumulate into their sources; cropped cells get zero.
template <typename T>
void padGrad(const T *dy, const int64_t *pads, PadMode mode, T *dIn,
             Shape inShape);

/// Keeps, over the last two axes, the elements with col - row >= k (upper)
/// or col - row <= k (lower) and zeroes the rest. rank >= 2.
template <typename T>
void trilu(const T *in, Shape shape, int64_t k, bool upper, T *out);
/// trilu with k read from a one-element tensor (null: 0).
template <typename T>
void triluByTensor(const T *in, Shape shape, const int64_t *k, bool upper,
                   T *out) {
  trilu(in, shape, k ? *k : 0, upper, out);
}

//===----------------------------------------------------------------------===//
// Losses (Loss.cpp); T: float, double.
//===----------------------------------------------------------------------===//

/// The ignore_index attribute: absent unless `enabled`.
struct IgnoreIndex {
  bool enabled = false;
  int64_t value = -100;
};

/// loss = -log_softmax(input)[target] * weight[target], reduced; input is
/// [N, C, d1...] (class axis 1), target [N, d1...]. `loss` is a scalar for
/// mean/sum, shaped like the target for none. `logProb` (input's shape) may
/// be null. `weight` ([C]) may be null. Mean divides by the total weight of
/// the non-ignored samples (NaN when there are none, as in PyTorch).
/// Returns KernelTargetOutOfRange for a target outside [0, C) that is not
/// ignored.
template <typename T>
int softmaxCrossEntropyLoss(const T *input, Shape inShape,
                            const int64_t *target, const T *weight,
                            LossReduction reduction, IgnoreIndex ignore,
                            T *loss, T *logProb);

/// d_input = scale * weight[t] * (exp(log_prob) - onehot(t)) for each
/// non-ignored sample, where scale is dloss / total weight (mean), dloss
/// (sum) or dloss[sample] (none).
template <typename T>
int softmaxCrossEntropyLossGrad(const T *logProb, Shape inShape,
                                const int64_t *target, const T *weight,
                                const T *dloss, LossReduction reduction,
                                IgnoreIndex ignore, T *dInput);

/// loss = -input[target] * weight[target], reduced as above.
template <typename T>
int nllLoss(const T *input, Shape inShape, const int64_t *target,
            const T *weight, LossReduction reduction, IgnoreIndex ignore,
            T *loss);

/// d_input = -scale * weight[t] at the target class, zero elsewhere.
template <typename T>
int nllLossGrad(const int64_t *target, const T *weight, const T *dloss,
                LossReduction reduction, IgnoreIndex ignore, T *dInput,
                Shape inShape);

//===----------------------------------------------------------------------===//
// Dropout (Dropout.cpp); T: float, double.
//===----------------------------------------------------------------------===//

/// Keeps element i with probability 1 - ratio, scaling it by 1 / (1 - ratio);
/// mask[i] = kept. The decision is a splitmix64 hash of (seed, step,
/// elementOffset + i), so it is reproducible and independent of threading
/// and of how a tensor is split into calls.
template <typename T>
void dropout(const T *in, int64_t numel, double ratio, int64_t seed,
             int64_t step, T *out, uint8_t *mask, int64_t elementOffset = 0);

} // namespace dsc::kernels::cpu

#endif // DSC_KERNELS_CPU_CPUKERNELS_H
