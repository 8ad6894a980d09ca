//===- NcclCommunicator.h - Collectives on GPUs with NCCL -------*- C++ -*-===//
//
// The GPU backend: NCCL on one CUDA device per rank, bootstrapped through
// the env:// rendezvous (TcpStore) like the Gloo backend. Built only when
// CMake found CUDA and NCCL (DSC_HAVE_NCCL); the CPU ranks never link it.
//
// The data is device memory: every pointer given to a collective is a CUDA
// device pointer on the communicator's device. The collectives run on a
// stream the communicator owns (a blocking stream, so it is ordered after
// work on the legacy default stream; work on other streams must be finished
// by the caller). Every call returns once the collective has completed on
// the device, as the Communicator interface's blocking calls promise.
//
// Creation: cudaSetDevice(device); with more than one rank, rank 0 takes an
// NCCL unique id and publishes it in the store, the others read it within
// the timeout; then a non-blocking ncclCommInitRankConfig, polled until it
// completes or the timeout passes (then it is aborted). A world of one
// rank needs no store and no network. Every CUDA or NCCL failure is a Status
// naming the call: "NCCL backend: cudaSetDevice(0) failed: CUDA driver
// version is insufficient for CUDA runtime version".
//
// Collectives: allReduce is ncclAllReduce (Sum or Max over F32, F64, F16,
// BF16, I64, I32); broadcast is ncclBroadcast of bytes; barrier an
// allReduce of one int32 on a device buffer of the communicator's. Unlike
// the Gloo backend, a floating-point Max does not spread a NaN: NCCL
// reduces with fmax, which drops a NaN against a number (a Sum spreads
// NaN and Inf on both backends).
// reduceScatter and allGather take uneven counts, which NCCL's own
// ncclReduceScatter and ncclAllGather cannot: equal counts use them (in
// place), uneven counts become one group of per-chunk ncclReduce (root:
// the chunk's owner) or ncclBroadcast (root: the owner) calls, in place.
// The group moves the same bytes per rank as a ring would, without the
// scratch buffer and copies that padding every chunk to the largest would
// need; the cost is one NCCL operation per rank in the group.
//
// Failures: after enqueueing, the call polls ncclCommGetAsyncError and
// cudaStreamQuery until the collective completes, fails, or the timeout
// passes. Then it aborts the NCCL communicator (peers blocked on this rank
// fail rather than wait), asks the store which ranks are gone, as the Gloo
// backend does, and refuses further collectives: "all_reduce failed on rank
// 0 of 2: rank 1 is gone (its process ended or lost its connection); nccl:
// ncclAllReduce: remote process exited or there was a network error".
//
//===----------------------------------------------------------------------===//

#ifndef DSC_RUNTIME_COMM_NCCLCOMMUNICATOR_H
#define DSC_RUNTIME_COMM_NCCLCOMMUNICATOR_H

#include "runtime/comm/Communicator.h"
#include "runtime/comm/WorldEnv.h"
#include "runtime/io/DType.h"
#include "runtime/io/Status.h"

#include <nccl.h>

#include <chrono>
#include <memory>
#include <optional>

namespace dsc::runtime {

/// Joins the world `world` describes on CUDA device `device` (normally
/// world.localRank); returns once NCCL connected every rank, within
/// `timeout`, which is also each collective's timeout. Collectives take
/// device pointers.
Expected<std::unique_ptr<Communicator>>
createNcclCommunicator(const WorldInfo &world,
                       std::chrono::milliseconds timeout, int device);

/// The same communicator, whose collectives also take host memory (staged
/// through a device buffer; NcclHostStaging.cpp): a GPU rank's.
Expected<std::unique_ptr<Communicator>>
createStagedNcclCommunicator(const WorldInfo &world,
                             std::chrono::milliseconds timeout, int device);

/// NCCL's type for the arithmetic of allReduce and reduceScatter: F32, F64,
/// F16, BF16, I64, I32; none for the others (the Gloo backend refuses them
/// too, so a plan fails the same way on either).
std::optional<ncclDataType_t> ncclDataTypeOf(DType dtype);

/// NCCL's reduction for `op`.
ncclRedOp_t ncclRedOpOf(ReduceOp op);

} // namespace dsc::runtime

#endif // DSC_RUNTIME_COMM_NCCLCOMMUNICATOR_H
