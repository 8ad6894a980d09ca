//===- Device.cpp - The device a rank runs on -----------------------------===//

#include "runtime/device/Device.h"

#include "kernels/cpu/CpuKernels.h"
#include "runtime/dispatch/KernelDispatch.h"

#include <dlfcn.h>
#include <unistd.h>

// The rank object's constants (DSRT_CONSTANT_SECTION), bounded by the
// linker; null in a program without them.
extern "C" {
extern const char __start_dsc_consts[] __attribute__((weak));
extern const char __stop_dsc_consts[] __attribute__((weak));
}

namespace dsc::runtime {
namespace {

const DeviceBackend *gBackend = nullptr;

/// The backend's table, or why not.
Expected<const DeviceBackend *> loadBackend(const std::string &path) {
  void *library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    const char *why = dlerror();
    return Status::error("cannot load the CUDA backend " + path + ": " +
                         (why ? why : "unknown error"));
  }
  auto entry = reinterpret_cast<const DeviceBackend *(*)()>(
      dlsym(library, "dsrt_cuda_backend"));
  const DeviceBackend *backend = entry ? entry() : nullptr;
  if (!backend || backend->version != kDeviceBackendVersion)
    return Status::error(path + " is not this runtime's CUDA backend (rebuild "
                                "it with the compiler)");
  return backend;
}

} // namespace

Expected<std::string> selectDevice(const std::string &request, int localRank,
                                   const std::string &backendPath) {
  if (request != "" && request != "auto" && request != "cpu" &&
      request != "cuda")
    return Status::error("DSC_DEVICE: '" + request +
                         "' is not auto, cpu or cuda");
  if (request == "cpu")
    return std::string();
  const bool required = request == "cuda";
  auto unavailable = [&](const std::string &why) -> Expected<std::string> {
    if (required)
      return Status::error("DSC_DEVICE=cuda: " + why);
    return std::string();
  };
  if (backendPath.empty())
    return unavailable("this build of ds-compile has no CUDA backend");
  // Without NVIDIA's driver there is no GPU to find: a CPU host does not
  // load the backend (and cuBLASLt) at all.
  if (!required && ::access("/dev/nvidiactl", F_OK) != 0)
    return std::string();
  Expected<const DeviceBackend *> backend = loadBackend(backendPath);
  if (!backend)
    return unavailable(backend.message());
  char message[256] = {};
  if ((*backend)->init(localRank, message, sizeof message) != 0)
    return unavailable(message);
  if ((*backend)->hostConstants(__start_dsc_consts, __stop_dsc_consts) != 0)
    return Status::error(
        "the GPU has no memory for the program's " +
        std::to_string(__stop_dsc_consts - __start_dsc_consts) +
        " bytes of constants");
  gBackend = *backend;
  setDeviceKernels(gBackend->kernel);
  return std::string("cuda: ") + message;
}

const DeviceBackend *gpu() { return gBackend; }

void deviceSynchronize() {
  if (!gBackend)
    return;
  if (const char *error = gBackend->synchronize())
    reportError(1, std::string("dsrt: the GPU failed: ") + error);
}

Status deviceStepDone() {
  if (!gBackend)
    return Status::success();
  deviceSynchronize();
  if (int status = gBackend->takeKernelStatus())
    return Status::error(std::string("a kernel on the GPU: ") +
                         kernels::cpu::kernelErrorMessage(status) +
                         " (DSC_DEVICE=cpu runs the step on the CPU, whose "
                         "message names the node)");
  return Status::success();
}

void resetDeviceForTest() {
  gBackend = nullptr;
  setDeviceKernels(nullptr);
}

} // namespace dsc::runtime
