//===- RankReport.cpp - How a rank reports its end ------------------------===//

#include "runtime/io/RankReport.h"

#include <cctype>

namespace dsc::runtime {

namespace {
constexpr std::string_view kPrefix = "ds-rank";
constexpr std::string_view kError = ": error: ";
constexpr std::string_view kStopped = ": stopped: ";
} // namespace

std::string formatRankReport(const RankReport &report) {
  std::string line(kPrefix);
  if (report.rank >= 0)
    line += " " + std::to_string(report.rank);
  line += report.stopped ? kStopped : kError;
  return line + report.message;
}

std::optional<RankReport> parseRankReport(std::string_view line) {
  // pdsh prefixes each line with "<host>: ".
  if (line.substr(0, kPrefix.size()) != kPrefix) {
    size_t at = line.find(": ");
    if (at == std::string_view::npos || at == 0 ||
        line.substr(0, at).find(' ') != std::string_view::npos)
      return std::nullopt;
    line.remove_prefix(at + 2);
    if (line.substr(0, kPrefix.size()) != kPrefix)
      return std::nullopt;
  }
  line.remove_prefix(kPrefix.size());
  RankReport report;
  if (!line.empty() && line.front() == ' ') {
    size_t digits = 1;
    while (digits < line.size() && digits < 10 &&
           std::isdigit(static_cast<unsigned char>(line[digits])))
      ++digits;
    if (digits == 1)
      return std::nullopt;
    report.rank = std::stoi(std::string(line.substr(1, digits - 1)));
    line.remove_prefix(digits);
  }
  if (line.substr(0, kError.size()) == kError) {
    line.remove_prefix(kError.size());
  } else if (line.substr(0, kStopped.size()) == kStopped) {
    report.stopped = true;
    line.remove_prefix(kStopped.size());
  } else {
    return std::nullopt;
  }
  report.message = std::string(line);
  return report;
}

} // namespace dsc::runtime
