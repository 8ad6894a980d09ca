//===- ParamInit.cpp - Initial params drawn from a seed -------------------===//

#include "runtime/io/ParamInit.h"

#include "kernels/cpu/CounterRng.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace dsc::runtime {
namespace {

using kernels::cpu::mix64;
using kernels::cpu::streamDraw;

/// FNV-1a: the param's stream is keyed by its name, not its position, so
/// adding a param leaves the others' numbers alone.
uint64_t hashName(const std::string &name) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : name)
    h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

/// A double in [0, 1) from the top 53 bits.
double unit(uint64_t bits) { return static_cast<double>(bits >> 11) * 0x1p-53; }

bool parseDouble(const std::string &text, double &out) {
  const char *begin = text.c_str();
  char *end = nullptr;
  out = std::strtod(begin, &end);
  return end != begin && *end == '\0' && std::isfinite(out);
}

std::string format(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

} // namespace

ParamInit paramInitOf(const float *values, int64_t n) {
  ParamInit init;
  bool same = true;
  for (int64_t i = 1; i < n && same; ++i)
    same = std::memcmp(&values[i], &values[0], sizeof(float)) == 0;
  if (same) {
    init.constant = true;
    init.value = n > 0 ? values[0] : 0.0;
    return init;
  }
  double sum = 0;
  for (int64_t i = 0; i < n; ++i)
    sum += values[i];
  init.mean = sum / static_cast<double>(n);
  double squares = 0;
  for (int64_t i = 0; i < n; ++i)
    squares += (values[i] - init.mean) * (values[i] - init.mean);
  init.std = std::sqrt(squares / static_cast<double>(n));
  return init;
}

std::string formatParamInit(const ParamInit &init) {
  if (init.constant)
    return "constant " + format(init.value);
  return "normal " + format(init.mean) + " " + format(init.std);
}

Expected<ParamInit>
paramInitFrom(const std::map<std::string, std::string> &metadata,
              const std::string &param) {
  auto it = metadata.find(std::string(kParamInitPrefix) + param);
  if (it == metadata.end())
    return Status::error("no initial distribution for param '" + param +
                         "' (a weights file of an older ds-compile?)");
  const std::string &text = it->second;
  ParamInit init;
  auto bad = [&] {
    return Status::error("param '" + param + "' has a malformed initial " +
                         "distribution '" + text + "'");
  };
  if (text.rfind("constant ", 0) == 0) {
    init.constant = true;
    if (!parseDouble(text.substr(9), init.value))
      return bad();
    return init;
  }
  if (text.rfind("normal ", 0) != 0)
    return bad();
  std::string rest = text.substr(7);
  size_t space = rest.find(' ');
  if (space == std::string::npos ||
      !parseDouble(rest.substr(0, space), init.mean) ||
      !parseDouble(rest.substr(space + 1), init.std) || init.std < 0)
    return bad();
  return init;
}

void drawParam(uint64_t seed, const std::string &name, const ParamInit &init,
               int64_t begin, int64_t count, float *out) {
  if (init.constant) {
    for (int64_t i = 0; i < count; ++i)
      out[i] = static_cast<float>(init.value);
    return;
  }
  const uint64_t key = mix64(seed ^ mix64(hashName(name)));
  const double twoPi = 6.283185307179586;
  for (int64_t i = 0; i < count; ++i) {
    // Box-Muller on two draws of the counter 2 * index (+1): u1 in (0, 1].
    uint64_t counter = 2 * static_cast<uint64_t>(begin + i);
    double u1 = 1.0 - unit(streamDraw(key, counter));
    double u2 = unit(streamDraw(key, counter + 1));
    double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(twoPi * u2);
    out[i] = static_cast<float>(init.mean + init.std * z);
  }
}

} // namespace dsc::runtime
