//===- Device.h - The device a rank runs on ---------------------*- C++ -*-===//
//
// A rank runs on the CPU or on one GPU. The GPU comes through the CUDA
// backend library (DeviceBackend.h), loaded at start-up: DSC_DEVICE=auto
// (the default) takes GPU LOCAL_RANK when the host has NVIDIA's driver and
// the library loads and sees a GPU, and the CPU otherwise; DSC_DEVICE=cpu never
// looks; DSC_DEVICE=cuda is an error without one. On a GPU the arena and the
// runtime's buffers are memory both sides address, the kernels' entry points
// forward to the backend's, and the runtime waits for the device wherever the
// host reads or writes that memory.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_RUNTIME_DEVICE_DEVICE_H
#define DSC_RUNTIME_DEVICE_DEVICE_H

#include "runtime/device/DeviceBackend.h"
#include "runtime/io/Status.h"

#include <string>

namespace dsc::runtime {

/// Picks the rank's device. `request` is DSC_DEVICE's value ("" is auto);
/// `backendPath` the CUDA backend library. Returns a line for the log
/// ("cuda: NVIDIA H100 80GB HBM3 (cuda:0)"), "" for the CPU. Errors:
/// "DSC_DEVICE=cuda: <why there is no GPU>", "DSC_DEVICE: 'x' is not auto,
/// cpu or cuda".
Expected<std::string> selectDevice(const std::string &request, int localRank,
                                   const std::string &backendPath);

/// The GPU backend in use, or null on the CPU.
const DeviceBackend *gpu();

/// Waits for the device (nothing on the CPU).
void deviceSynchronize();

/// After a step: waits for the device, then the data error a GPU kernel
/// recorded, if any, as "a kernel on the GPU: <problem> (DSC_DEVICE=cpu
/// runs the step on the CPU, whose message names the node)".
Status deviceStepDone();

/// The rank's own device setup undone (tests).
void resetDeviceForTest();

} // namespace dsc::runtime

#endif // DSC_RUNTIME_DEVICE_DEVICE_H
