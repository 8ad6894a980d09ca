//===- RankReport.h - How a rank reports its end ----------------*- C++ -*-===//
//
// A rank that fails prints one line, "ds-rank 1: error: <message>", and
// exits 1 (2 for usage). A rank whose failure is a consequence of another
// rank's (a collective failed because a peer is gone, or the ranks agreed
// that another failed) says so instead, "ds-rank 1: stopped: <message>",
// and exits kExitStopped. ds-run reads these lines from every rank's stderr
// and reports the failure that came first, once. Both sides use this file.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_RUNTIME_IO_RANKREPORT_H
#define DSC_RUNTIME_IO_RANKREPORT_H

#include <optional>
#include <string>
#include <string_view>

namespace dsc::runtime {

/// The exit code of a usage error.
inline constexpr int kExitUsage = 2;
/// The exit code of a rank that stopped because another rank failed.
inline constexpr int kExitStopped = 3;

struct RankReport {
  /// The rank, or -1 for a rank of a one-rank job ("ds-rank: ...").
  int rank = -1;
  /// A consequence of another rank's failure ("stopped:"), not an "error:".
  bool stopped = false;
  std::string message;
};

/// "ds-rank 1: error: <message>" / "ds-rank: stopped: <message>".
std::string formatRankReport(const RankReport &report);

/// The report a line of a rank's stderr holds, if it is one (also behind
/// pdsh's "<host>: " prefix).
std::optional<RankReport> parseRankReport(std::string_view line);

} // namespace dsc::runtime

#endif // DSC_RUNTIME_IO_RANKREPORT_H
