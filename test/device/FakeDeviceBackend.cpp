//===- FakeDeviceBackend.cpp - A "GPU" backend on the host, for tests -----===//
//
// runtime/device's DeviceBackend with host memory and the CPU kernels, so
// that CI (no GPU) runs a rank through the whole GPU path: the backend
// loaded at run time, every kernel call forwarded to it, the step's copies,
// zeroing and optimizer updates routed to it, its memory for the arena and
// the runtime's buffers, the object's constants handed over. Its kernels are
// its own copy of the CPU kernels, so a run must equal the CPU run bit for
// bit. At exit it prints what it was asked to do, for the test to check:
//   fake-gpu: kernels N, copies N, zeros N, syncs N, adam N, sgd N, lamb N,
//   norms N, scales N, blocks N (B bytes) live 0, constants B bytes
// Each allocation is fresh memory filled with 0xff, so a block the runtime
// forgets to zero shows.
//
//===----------------------------------------------------------------------===//

#include "kernels/optimizer/Optimizer.h"
#include "runtime/device/DeviceBackend.h"
#include "runtime/dispatch/KernelDispatch.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

namespace {

namespace cpu = dsc::kernels::cpu;
using dsc::runtime::DeviceBackend;

struct Counts {
  std::atomic<long> kernels{0}, copies{0}, zeros{0}, syncs{0}, adam{0}, sgd{0},
      lamb{0}, norms{0}, scales{0}, blocks{0}, bytes{0};
  std::atomic<long> live{0}, constants{0};
  ~Counts() {
    std::fprintf(stderr,
                 "fake-gpu: kernels %ld, copies %ld, zeros %ld, syncs %ld, "
                 "adam %ld, sgd %ld, lamb %ld, norms %ld, scales %ld, blocks "
                 "%ld (%ld bytes) live %ld, constants %ld bytes\n",
                 kernels.load(), copies.load(), zeros.load(), syncs.load(),
                 adam.load(), sgd.load(), lamb.load(), norms.load(),
                 scales.load(), blocks.load(), bytes.load(), live.load(),
                 constants.load());
  }
} gCounts;

int init(int localRank, char *message, size_t size) {
  std::snprintf(message, size, "fake GPU on the host (cuda:%d)", localRank);
  return 0;
}

void *alloc(size_t bytes) {
  void *p = std::aligned_alloc(4096, (bytes + 4095) / 4096 * 4096);
  if (p) {
    std::memset(p, 0xff, bytes);
    ++gCounts.blocks;
    ++gCounts.live;
    gCounts.bytes += static_cast<long>(bytes);
  }
  return p;
}

void release(void *p) {
  --gCounts.live;
  std::free(p);
}

int hostConstants(const void *begin, const void *end) {
  gCounts.constants =
      static_cast<const char *>(end) - static_cast<const char *>(begin);
  return 0;
}

void prefetch(const void *, size_t) {}

const char *synchronize() {
  ++gCounts.syncs;
  return nullptr;
}

void copy(void *dst, const void *src, size_t bytes) {
  ++gCounts.copies;
  std::memmove(dst, src, bytes);
}

void zero(void *dst, size_t bytes) {
  ++gCounts.zeros;
  std::memset(dst, 0, bytes);
}

// Each entry point counts its call, then runs this library's own copy of
// the CPU kernel (whose dispatch forwards nowhere).
#define DSC_FAKE_ENTRY(Id, sym, Run, Sel, T, U, dT, dU)                        \
  void fake_##sym(dsrt_ctx *ctx, void *const *data, const int64_t *site,       \
                  const char *location) {                                      \
    ++gCounts.kernels;                                                         \
    dsrt_k_##sym(ctx, data, site, location);                                   \
  }
#define DSC_KERNEL(Group, Id, name, Types, Ins, Outs, MinInputs, Run, Sel,     \
                   Check, AttrList)                                            \
  Types(DSC_FAKE_ENTRY, Id, name, Run, Sel)
#include "kernels/KernelDecls.def"

dsrt_kernel_fn kernel(const char *symbol) {
  static const std::map<std::string, dsrt_kernel_fn> entries = {
#define DSC_FAKE_LIST(Id, sym, Run, Sel, T, U, dT, dU)                         \
  {"dsrt_k_" #sym, fake_##sym},
#define DSC_KERNEL(Group, Id, name, Types, Ins, Outs, MinInputs, Run, Sel,     \
                   Check, AttrList)                                            \
  Types(DSC_FAKE_LIST, Id, name, Run, Sel)
#include "kernels/KernelDecls.def"
  };
  auto it = entries.find(symbol);
  return it == entries.end() ? nullptr : it->second;
}

int takeKernelStatus() { return 0; }

void adam(float *param, const float *grad, float *m, float *v, int64_t n,
          const cpu::AdamParams &p, int64_t step) {
  ++gCounts.adam;
  cpu::adamStep(param, grad, m, v, n, p, step);
}

void sgd(float *param, const float *grad, float *buffer, int64_t n,
         const cpu::SgdParams &p, int64_t step) {
  ++gCounts.sgd;
  cpu::sgdStep(param, grad, buffer, n, p, step);
}

cpu::LambNorms lambUpdate(const float *param, const float *grad, float *m,
                          float *v, float *update, int64_t n,
                          const cpu::LambParams &p, int64_t step) {
  ++gCounts.lamb;
  return cpu::lambComputeUpdate(param, grad, m, v, update, n, p, step);
}

void lambApply(float *param, const float *update, int64_t n, double lr,
               double ratio) {
  cpu::lambApply(param, update, n, lr, ratio);
}

double sumOfSquares(const float *x, int64_t n) {
  ++gCounts.norms;
  return cpu::sumOfSquares(x, n);
}

void scale(float *x, int64_t n, float factor) {
  ++gCounts.scales;
  cpu::scale(x, n, factor);
}

} // namespace

extern "C" const DeviceBackend *dsrt_cuda_backend() {
  static const DeviceBackend table = {
      dsc::runtime::kDeviceBackendVersion,
      init,
      alloc,
      release,
      hostConstants,
      prefetch,
      synchronize,
      copy,
      zero,
      kernel,
      takeKernelStatus,
      adam,
      sgd,
      lambUpdate,
      lambApply,
      sumOfSquares,
      scale,
      nullptr, // no NCCL: the rank's collectives stay Gloo's
  };
  return &table;
}
