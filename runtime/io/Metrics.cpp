//===- Metrics.cpp - Per-step metrics (JSON lines) and log lines ----------===//

#include "runtime/io/Metrics.h"

#include "runtime/io/FileUtil.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <set>

#include <sys/stat.h>
#include <unistd.h>

namespace dsc::runtime {
namespace {

std::string formatC(const char *format, double value) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), format, value);
  return buf;
}

/// A JSON number for a finite double, null otherwise.
std::string jsonNumber(double value) {
  return std::isfinite(value) ? pythonFloatRepr(value) : "null";
}

std::optional<std::string> jsonString(const std::string &s) {
  try {
    return nlohmann::json(s).dump(-1, ' ', /*ensure_ascii=*/true);
  } catch (const nlohmann::json::exception &) {
    return std::nullopt;
  }
}

} // namespace

std::string pythonFloatRepr(double value) {
  if (std::isnan(value))
    return "nan";
  if (std::isinf(value))
    return value < 0 ? "-inf" : "inf";
  if (value == 0.0)
    return std::signbit(value) ? "-0.0" : "0.0";
  // The shortest round-tripping digits, as Python's repr (David Gay's
  // algorithm, mode 0) finds them.
  char buf[64];
  const std::to_chars_result r = std::to_chars(buf, buf + sizeof(buf), value,
                                               std::chars_format::scientific);
  const std::string text(buf, r.ptr);
  std::string out = value < 0 ? "-" : "";
  const size_t start = value < 0 ? 1 : 0;
  const size_t ePos = text.find('e');
  std::string digits;
  for (size_t i = start; i < ePos; ++i)
    if (text[i] != '.')
      digits += text[i];
  const int exp = std::atoi(text.c_str() + ePos + 1);
  // repr uses positional notation for 1e-4 <= |x| < 1e16.
  if (exp >= -4 && exp < 16) {
    if (exp >= 0) {
      const size_t intDigits = static_cast<size_t>(exp) + 1;
      if (digits.size() <= intDigits)
        out += digits + std::string(intDigits - digits.size(), '0') + ".0";
      else
        out += digits.substr(0, intDigits) + "." + digits.substr(intDigits);
    } else {
      out += "0." + std::string(static_cast<size_t>(-exp - 1), '0') + digits;
    }
    return out;
  }
  out += digits.substr(0, 1);
  if (digits.size() > 1)
    out += "." + digits.substr(1);
  char expText[16];
  std::snprintf(expText, sizeof(expText), "e%c%02d", exp < 0 ? '-' : '+',
                std::abs(exp));
  return out + expText;
}

Expected<std::string> formatMetricsLine(const StepMetrics &m) {
  std::string out =
      "{\"step\": " + std::to_string(m.step) +
      ", \"loss\": " + jsonNumber(m.loss) + ", \"lr\": " + jsonNumber(m.lr) +
      ", \"grad_norm\": " + (m.gradNorm ? jsonNumber(*m.gradNorm) : "null") +
      ", \"samples_per_s\": " + jsonNumber(m.samplesPerSec);
  std::set<std::string> names{"step", "loss", "lr", "grad_norm",
                              "samples_per_s"};
  for (const auto &[name, value] : m.extra) {
    if (!names.insert(name).second)
      return Status::error("metrics: field '" + name + "' given twice");
    std::optional<std::string> key = jsonString(name);
    if (!key)
      return Status::error("metrics: field name '" + name +
                           "' is not valid UTF-8");
    out += ", " + *key + ": ";
    if (const auto *i = std::get_if<int64_t>(&value)) {
      out += std::to_string(*i);
    } else if (const auto *d = std::get_if<double>(&value)) {
      out += jsonNumber(*d);
    } else if (const auto *b = std::get_if<bool>(&value)) {
      out += *b ? "true" : "false";
    } else {
      std::optional<std::string> s = jsonString(std::get<std::string>(value));
      if (!s)
        return Status::error("metrics: value of '" + name +
                             "' is not valid UTF-8");
      out += *s;
    }
  }
  return out + "}";
}

Expected<MetricsWriter> MetricsWriter::open(const std::string &path,
                                            bool append) {
  // The file is created at the first line, so a run that fails before its
  // first step leaves no empty file (nor truncates an old one); what can be
  // checked now is.
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    if (!S_ISREG(st.st_mode))
      return Status::error(path + ": exists and is not a regular file");
    if (::access(path.c_str(), W_OK) != 0)
      return Status::error(parentDirOf(path) + ": cannot write '" + path +
                           "': " + errnoMessage(errno));
  } else {
    std::string dir = parentDirOf(path);
    if (::access(dir.empty() ? "." : dir.c_str(), W_OK | X_OK) != 0)
      return Status::error(dir + ": cannot create '" + path +
                           "': " + errnoMessage(errno));
  }
  MetricsWriter writer;
  writer.filePath = path;
  writer.appending = append;
  return writer;
}

Status MetricsWriter::write(const StepMetrics &m) {
  if (closed)
    return Status::error(filePath + ": metrics file is closed");
  if (!file) {
    std::FILE *f = std::fopen(filePath.c_str(), appending ? "ae" : "we");
    if (!f)
      return Status::error(parentDirOf(filePath) + ": cannot create '" +
                           filePath + "': " + errnoMessage(errno));
    file.reset(f);
  }
  Expected<std::string> line = formatMetricsLine(m);
  if (!line)
    return Status::error(filePath + ": " + line.message());
  *line += '\n';
  if (std::fwrite(line->data(), 1, line->size(), file.get()) != line->size() ||
      std::fflush(file.get()) != 0)
    return Status::error(filePath + ": write failed: " + errnoMessage(errno));
  return Status::success();
}

Status MetricsWriter::close() {
  closed = true;
  if (!file)
    return Status::success();
  std::FILE *f = file.release();
  if (std::fclose(f) != 0)
    return Status::error(filePath + ": close failed: " + errnoMessage(errno));
  return Status::success();
}

std::string formatProgressLine(const ProgressLine &line) {
  std::string out = "[Rank " + std::to_string(line.rank) +
                    "] step=" + std::to_string(line.step) +
                    ", skipped=" + std::to_string(line.skipped) + ", lr=[";
  for (size_t i = 0; i < line.lr.size(); ++i)
    out += (i ? ", " : "") + pythonFloatRepr(line.lr[i]);
  out += "], mom=[";
  for (size_t i = 0; i < line.mom.size(); ++i) {
    if (i)
      out += ", ";
    const std::vector<double> &group = line.mom[i];
    if (group.size() == 1) {
      out += pythonFloatRepr(group[0]);
      continue;
    }
    out += "(";
    for (size_t j = 0; j < group.size(); ++j)
      out += (j ? ", " : "") + pythonFloatRepr(group[j]);
    out += ")";
  }
  out += "]";
  if (line.loss)
    out += ", loss=" + formatC("%.4f", *line.loss);
  if (line.gradNorm)
    out += ", grad_norm=" + formatC("%.4g", *line.gradNorm);
  if (line.samplesPerSec)
    out += ", samples/sec=" + formatC("%.1f", *line.samplesPerSec);
  return out;
}

} // namespace dsc::runtime
