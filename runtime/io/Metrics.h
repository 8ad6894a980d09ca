//===- Metrics.h - Per-step metrics (JSON lines) and log lines -*- C++ -*-===//
//
// Two ways the runtime reports progress:
//  - MetricsWriter appends one JSON object per optimizer step to a file
//    (JSON lines), in Python json.dumps' spacing:
//      {"step": 1, "loss": 4.8079, "lr": 0.001, "grad_norm": 1.23,
//       "samples_per_s": 512.3, <extra fields in the given order>}
//    (on one line). Floats are written as Python's repr writes them (the
//    shortest text that reads back to the same double: 0.001, 1e-05, 2.0),
//    so a line equals what json.dumps would print for the same dict (strings
//    ASCII-escaped as json.dumps does by default); NaN and
//    infinities become null (json.dumps would write NaN/Infinity, which is
//    not JSON). A missing grad_norm is null. Each line is flushed.
//  - formatProgressLine renders DeepSpeed's steps_per_print line
//    (engine._report_progress through log_dist):
//      [Rank 0] step=10, skipped=0, lr=[0.001], mom=[(0.9, 0.999)]
//    followed by ds-compile's additions, each only when given:
//      , loss=4.8079, grad_norm=1.23, samples/sec=512.3
//    DeepSpeed's logger puts "[<asctime>] [INFO] [logging.py:<n>:log_dist] "
//    in front; that prefix is the caller's logger's business.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_RUNTIME_IO_METRICS_H
#define DSC_RUNTIME_IO_METRICS_H

#include "runtime/io/Status.h"

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace dsc::runtime {

/// Python's repr() of a float: "0.001", "1e-05", "2.0", "1e+16", "-0.0",
/// "nan", "inf".
std::string pythonFloatRepr(double value);

/// An extra field's value.
using MetricValue = std::variant<int64_t, double, bool, std::string>;

struct StepMetrics {
  int64_t step = 0;
  double loss = 0.0;
  double lr = 0.0;
  /// Absent (null) when the step did not compute it.
  std::optional<double> gradNorm;
  double samplesPerSec = 0.0;
  /// Written after the fixed fields, in order; names must differ from each
  /// other and from the fixed ones.
  std::vector<std::pair<std::string, MetricValue>> extra;
};

/// The JSON object for `m`, without the newline.
Expected<std::string> formatMetricsLine(const StepMetrics &m);

/// A JSON-lines file of StepMetrics.
class MetricsWriter {
public:
  /// Writes `path`, created (truncated) at the first line, or appended to
  /// when `append` (resuming from a checkpoint): a run that fails before its
  /// first step leaves the file as it was. Error: "out/: cannot create
  /// 'out/metrics.jsonl': Permission denied".
  static Expected<MetricsWriter> open(const std::string &path,
                                      bool append = false);

  /// Writes one line and flushes it.
  Status write(const StepMetrics &m);
  /// Flushes and closes; later writes fail. The destructor closes too, but
  /// cannot report errors.
  Status close();

  const std::string &path() const { return filePath; }

private:
  struct FileCloser {
    void operator()(std::FILE *f) const {
      if (f)
        std::fclose(f);
    }
  };
  MetricsWriter() = default;

  std::string filePath;
  bool appending = false;
  bool closed = false;
  std::unique_ptr<std::FILE, FileCloser> file;
};

/// One steps_per_print line's values. lr and mom have one entry per
/// optimizer parameter group, as DeepSpeed's get_lr()/get_mom() return them:
/// mom entries are (beta1, beta2) for Adam-like optimizers, printed as a
/// tuple, or (momentum) for SGD, printed as a plain number.
struct ProgressLine {
  int64_t rank = 0;
  int64_t step = 0;
  int64_t skipped = 0;
  std::vector<double> lr;
  std::vector<std::vector<double>> mom;
  /// ds-compile's additions: loss with 4 decimals, grad_norm with 4
  /// significant digits (%.4g), samples/sec with 1 decimal.
  std::optional<double> loss;
  std::optional<double> gradNorm;
  std::optional<double> samplesPerSec;
};

std::string formatProgressLine(const ProgressLine &line);

} // namespace dsc::runtime

#endif // DSC_RUNTIME_IO_METRICS_H
