//===- JobToken.h - The job's secret and the rendezvous handshake -*- C++
//-*-===//
//
// Only the job's ranks may enter its rendezvous. ds-run draws a random token
// per job and hands it to every rank (DSC_JOB_TOKEN, as it hands
// MASTER_PORT; with mpirun or srun the user sets DSC_JOB_TOKEN or
// DSC_JOB_TOKEN_FILE). Every connection to rank 0's store proves it holds
// the token before any key is read or written, and the server proves it
// too, without the token crossing the wire:
//
//   server -> client   challenge: a fresh 32-byte nonce Ns
//   client -> server   Nc (32 bytes), HMAC-SHA256(token, "client" Ns Nc)
//   server -> client   HMAC-SHA256(token, "server" Ns Nc)
//
// A fresh Ns per connection makes a recorded answer useless on another.
// SHA-256 and HMAC are implemented here (FIPS 180-4, RFC 2104), checked
// against the RFC 4231 vectors in the unit tests: no crypto library to link.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_RUNTIME_COMM_JOBTOKEN_H
#define DSC_RUNTIME_COMM_JOBTOKEN_H

#include "runtime/io/Status.h"

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace dsc::runtime {

using Digest = std::array<uint8_t, 32>;

/// SHA-256 of `data`.
Digest sha256(std::string_view data);

/// HMAC-SHA256 of `message` under `key`.
Digest hmacSha256(std::string_view key, std::string_view message);

/// Compares without an early exit, so the time taken says nothing about
/// where two digests first differ.
bool equalDigests(const Digest &a, const Digest &b);

/// `n` bytes from the kernel's random source (getrandom).
Expected<std::string> randomBytes(size_t n);

/// Lower-case hexadecimal.
std::string toHex(std::string_view bytes);

/// The variables a rank reads its job token from.
inline constexpr const char *kJobTokenVariable = "DSC_JOB_TOKEN";
inline constexpr const char *kJobTokenFileVariable = "DSC_JOB_TOKEN_FILE";

/// The job token's variables as `env` has them: DSC_JOB_TOKEN's value and
/// DSC_JOB_TOKEN_FILE's (each null when unset). Error: both set.
struct JobTokenVariables {
  const char *token = nullptr;
  const char *file = nullptr;
};
Expected<JobTokenVariables>
jobTokenVariables(const std::function<const char *(const char *)> &env);

/// A token must be at least this long (a random one: ds-run's has 64 hex
/// digits).
inline constexpr size_t kMinTokenLength = 16;

/// What a rank started without a token is told.
std::string missingTokenMessage(int rank);

/// The bytes both sides MAC: the role ("client" or "server"), then the two
/// nonces.
std::string handshakeMessage(std::string_view role,
                             std::string_view serverNonce,
                             std::string_view clientNonce);

} // namespace dsc::runtime

#endif // DSC_RUNTIME_COMM_JOBTOKEN_H
