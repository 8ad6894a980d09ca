//===- ElementwiseKernels.cu - The Elementwise kernels on a GPU -----------===//
//
// The CUDA entry points of KernelDecls.def's Elementwise kernels,
// dsrt_cuda_k_<kernel>_<types>: the same declarations, site constants and
// signature as the CPU entry points (runtime/dispatch), on device buffers.
// The site's constants are host memory (the object's globals): the entry
// point reads the shapes there, works out the broadcast strides, and
// launches one thread per output element on the default stream. The math
// is the CPU kernels' (kernels/cpu/Elementwise.cpp): integer division by
// zero gives 0, min and max propagate NaN, a cast to bool is x != 0.
//
//===----------------------------------------------------------------------===//

#include "kernels/cpu/ElementwiseMath.h"
#include "kernels/cpu/FusedProgram.h"
#include "kernels/cuda/CudaEntries.cuh"
#include "kernels/cuda/CudaLaunch.cuh"

#include <cmath>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace dsc::kernels::cuda {
namespace {

using runtime::detail::Call;

/// Up to three inputs broadcast to the output (CudaLaunch.cuh's AxisMap),
/// by value into the kernel.
struct Operands {
  AxisMap in[3];
};

/// The first `inputs` inputs of `c` broadcast to its output; false past
/// kMaxRank axes.
bool operandsOf(const Call &c, int inputs, Operands &s) {
  for (int i = 0; i < inputs; ++i)
    if (!broadcastMap(c.inShape(i), c.outShape(0), s.in[i]))
      return false;
  return true;
}

template <typename T> __device__ uint8_t compareOp(k::CompareOp op, T a, T b) {
  switch (op) {
  case k::CompareOp::Equal:
    return a == b;
  case k::CompareOp::Less:
    return a < b;
  case k::CompareOp::LessEqual:
    return a <= b;
  case k::CompareOp::Greater:
    return a > b;
  case k::CompareOp::GreaterEqual:
    return a >= b;
  }
  return 0;
}

template <typename T, typename R>
__global__ void binaryKernel(int64_t n, int op, bool compare, const T *a,
                             const T *b, R *out, Operands s) {
  int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (i >= n)
    return;
  Acc<T> x = load(a[s.in[0].offsetOf(i)]), y = load(b[s.in[1].offsetOf(i)]);
  if constexpr (std::is_same_v<R, uint8_t> && !std::is_same_v<T, uint8_t>)
    out[i] = compareOp(static_cast<k::CompareOp>(op), x, y);
  else
    out[i] = compare
                 ? store<R>(compareOp(static_cast<k::CompareOp>(op), x, y))
                 : store<R>(k::binaryValue(static_cast<k::BinaryOp>(op), x, y));
}

template <typename T>
__global__ void whereKernel(int64_t n, const uint8_t *cond, const T *a,
                            const T *b, T *out, Operands s) {
  int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (i < n)
    out[i] = cond[s.in[0].offsetOf(i)] ? a[s.in[1].offsetOf(i)]
                                       : b[s.in[2].offsetOf(i)];
}

template <typename T>
__global__ void unaryKernel(int64_t n, int op, const T *in, T *out) {
  int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (i < n)
    out[i] = store<T>(k::unaryValue(static_cast<k::UnaryOp>(op), load(in[i])));
}

template <typename T>
__global__ void isNanKernel(int64_t n, const T *in, uint8_t *out) {
  int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (i < n)
    out[i] = isnan(load(in[i]));
}

template <typename From, typename To>
__global__ void castKernel(int64_t n, const From *in, To *out) {
  int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (i < n)
    out[i] = k::convertValue<From, To>(in[i]);
}

int tooManyAxes() { return unsupported("more than 8 axes to broadcast"); }

/// A binary op with NumPy broadcasting, its result of type Out (T, or
/// uint8_t for a comparison).
template <typename T, typename Out>
int launchBinary(const Call &c, bool compare) {
  Operands s;
  int64_t n = c.outShape(0).numel();
  if (!operandsOf(c, 2, s))
    return tooManyAxes();
  return launchOver(binaryKernel<T, Out>, n, c.op, compare, c.in<T>(0),
                    c.in<T>(1), c.out<Out>(0), s);
}

template <typename T, typename, typename A>
int runBinary(const Call &c, const A &) {
  return launchBinary<T, T>(c, /*compare=*/false);
}

template <typename T, typename, typename A>
int runCompare(const Call &c, const A &) {
  return launchBinary<T, uint8_t>(c, /*compare=*/true);
}

template <typename T, typename, typename A>
int runWhere(const Call &c, const A &) {
  Operands s;
  int64_t n = c.outShape(0).numel();
  if (!operandsOf(c, 3, s))
    return tooManyAxes();
  return launchOver(whereKernel<T>, n, c.in<uint8_t>(0), c.in<T>(1), c.in<T>(2),
                    c.out<T>(0), s);
}

template <typename T, typename, typename A>
int runUnary(const Call &c, const A &) {
  return launchOver(unaryKernel<T>, c.outShape(0).numel(), c.op, c.in<T>(0),
                    c.out<T>(0));
}

template <typename T, typename, typename A>
int runIsNan(const Call &c, const A &) {
  return launchOver(isNanKernel<T>, c.outShape(0).numel(), c.in<T>(0),
                    c.out<uint8_t>(0));
}

template <typename From, typename To, typename A>
int runCast(const Call &c, const A &) {
  return launchOver(castKernel<From, To>, c.outShape(0).numel(), c.in<From>(0),
                    c.out<To>(0));
}

/// fused_elementwise's program and inputs, by value into the kernel.
struct FusedArgs {
  int inputs = 0;
  int64_t program[1 + k::kFusedWordsPerInstruction * k::kFusedMaxInstructions];
  const void *in[k::kFusedMaxInputs];
  AxisMap maps[k::kFusedMaxInputs];
};

template <typename T>
__global__ void fusedKernel(int64_t n, FusedArgs args, T *out) {
  int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (i >= n)
    return;
  Acc<T> regs[k::kFusedMaxInputs + k::kFusedMaxInstructions];
  for (int j = 0; j < args.inputs; ++j)
    regs[j] =
        load(static_cast<const T *>(args.in[j])[args.maps[j].offsetOf(i)]);
  const int64_t count = args.program[0];
  for (int64_t s = 0; s < count; ++s)
    // Rounded to T after each op, as the unfused kernels store it.
    regs[args.inputs + s] = load(store<T>(k::fusedInstruction(
        args.program + 1 + s * k::kFusedWordsPerInstruction, regs)));
  out[i] = store<T>(regs[args.inputs + count - 1]);
}

template <typename T, typename, typename A>
int runFused(const Call &c, const A &a) {
  FusedArgs args;
  args.inputs = c.numInputs();
  if (args.inputs > k::kFusedMaxInputs ||
      a.program.size > static_cast<int64_t>(sizeof args.program / 8))
    return unsupported("fused_elementwise: program too large");
  for (int64_t w = 0; w < a.program.size; ++w)
    args.program[w] = a.program.data[w];
  for (int j = 0; j < args.inputs; ++j) {
    args.in[j] = c.in<T>(j);
    if (!broadcastMap(c.inShape(j), c.outShape(0), args.maps[j]))
      return tooManyAxes();
  }
  return launchOver(fusedKernel<T>, c.outShape(0).numel(), args, c.out<T>(0));
}

template <typename, typename, typename A>
int runCopy(const Call &c, const A &a) {
  if (c.data[0] != c.data[1] && a.bytes > 0)
    cudaMemcpyAsync(c.data[1], c.data[0], static_cast<size_t>(a.bytes),
                    cudaMemcpyDeviceToDevice, stream());
  return launched();
}

template <typename T>
__global__ void geluKernel(int64_t n, const T *in, T *out, bool tanhApprox) {
  int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (i < n)
    out[i] = store<T>(k::geluValue(load(in[i]), tanhApprox));
}

template <typename T>
__global__ void geluGradKernel(int64_t n, const T *x, const T *dy, T *dx,
                               bool tanhApprox) {
  int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (i < n)
    dx[i] = store<T>(k::geluGradValue(load(x[i]), load(dy[i]), tanhApprox));
}

template <typename T, typename, typename A>
int runGelu(const Call &c, const A &a) {
  return launchOver(geluKernel<T>, c.outShape(0).numel(), c.in<T>(0),
                    c.out<T>(0), a.approximate == k::GeluApproximation::Tanh);
}

template <typename T, typename, typename A>
int runGeluGrad(const Call &c, const A &a) {
  return launchOver(geluGradKernel<T>, c.outShape(0).numel(), c.in<T>(0),
                    c.in<T>(1), c.out<T>(0),
                    a.approximate == k::GeluApproximation::Tanh);
}

} // namespace

using namespace dsc::kernels::cpu;

#define DSC_KERNEL(Group, Id, name, Types, Ins, Outs, MinInputs, Run, Sel,     \
                   Check, AttrList)                                            \
  DSC_CUDA_KERNELS_OF_##Group(Id, name, Types, Run, Sel)
#define DSC_CUDA_KERNELS_OF_Elementwise DSC_CUDA_ENTRIES
#define DSC_CUDA_KERNELS_OF_Numeric(...)
#define DSC_CUDA_KERNELS_OF_DataMovement(...)
#include "kernels/KernelDecls.def"
#undef DSC_CUDA_KERNELS_OF_Elementwise

const EntryList &elementwiseEntries() {
  static const EntryList list = {
#define DSC_KERNEL(Group, Id, name, Types, Ins, Outs, MinInputs, Run, Sel,     \
                   Check, AttrList)                                            \
  DSC_CUDA_KERNELS_OF_##Group(Id, name, Types, Run, Sel)
#define DSC_CUDA_KERNELS_OF_Elementwise DSC_CUDA_LIST_ENTRIES
#include "kernels/KernelDecls.def"
  };
  return list;
}

} // namespace dsc::kernels::cuda
