//===- PlanCodec.cpp - The rank's plan as bytes in its own object ---------===//
//
// One field list per struct (the `fields` overloads) drives both directions:
// the Encoder appends each field, the Decoder reads it back in the same
// order. Every value is an 8-byte little-endian word; a string or a vector
// is its length, then its bytes or elements.
//
//===----------------------------------------------------------------------===//

#include "runtime/main/PlanCodec.h"

#include <cstring>
#include <optional>
#include <type_traits>

namespace dsc::runtime {
namespace {

/// "DSCPLAN" and the layout's number, as the first word.
constexpr int64_t kMagic = 0x314e414c50435344; // "DSCPLAN1"

class Encoder {
public:
  static constexpr bool kDecoding = false;
  void word(int64_t &value) { append(&value, sizeof value); }
  void text(std::string &s) {
    int64_t n = static_cast<int64_t>(s.size());
    word(n);
    append(s.data(), s.size());
  }
  /// How many more elements a vector may claim (any, when encoding).
  int64_t room() const { return INT64_MAX; }
  bool ok() const { return true; }
  void fail() {}

  std::vector<uint8_t> bytes;

private:
  void append(const void *data, size_t n) {
    const auto *p = static_cast<const uint8_t *>(data);
    bytes.insert(bytes.end(), p, p + n);
  }
};

class Decoder {
public:
  static constexpr bool kDecoding = true;
  Decoder(const uint8_t *bytes, size_t size) : at(bytes), end(bytes + size) {}
  void word(int64_t &value) {
    value = 0;
    if (!ok() || end - at < static_cast<ptrdiff_t>(sizeof value))
      return fail();
    std::memcpy(&value, at, sizeof value);
    at += sizeof value;
  }
  void text(std::string &s) {
    int64_t n = 0;
    word(n);
    s.clear();
    if (!ok() || n < 0 || n > end - at)
      return fail();
    s.assign(reinterpret_cast<const char *>(at), static_cast<size_t>(n));
    at += n;
  }
  /// Every element takes at least one word: a count above this is corrupt.
  int64_t room() const { return (end - at) / 8; }
  bool ok() const { return !failed; }
  void fail() { failed = true; }
  bool atEnd() const { return at == end; }

private:
  const uint8_t *at;
  const uint8_t *end;
  bool failed = false;
};

// The field lists, declared first so that `field` finds them for members.
template <typename A> void fields(A &a, PlanBatch &b);
template <typename A> void fields(A &a, PlanBuffer &b);
template <typename A> void fields(A &a, TiedCopy &t);
template <typename A> void fields(A &a, PlanRange &r);
template <typename A> void fields(A &a, ZeroParam &p);
template <typename A> void fields(A &a, PlanZero &z);
template <typename A> void fields(A &a, PlanCollective &c);
template <typename A> void fields(A &a, PlanMemory &m);
template <typename A> void fields(A &a, Plan &p);

template <typename A, typename T> void field(A &a, T &value) {
  if constexpr (std::is_same_v<T, std::string>) {
    a.text(value);
  } else if constexpr (std::is_same_v<T, bool>) {
    int64_t w = value;
    a.word(w);
    value = w != 0;
  } else if constexpr (std::is_integral_v<T> || std::is_enum_v<T>) {
    int64_t w = static_cast<int64_t>(value);
    a.word(w);
    value = static_cast<T>(w);
  } else {
    fields(a, value);
  }
}

template <typename A, typename T> void field(A &a, std::vector<T> &values) {
  int64_t n = static_cast<int64_t>(values.size());
  a.word(n);
  if constexpr (A::kDecoding) {
    if (n < 0 || n > a.room()) {
      a.fail();
      n = 0;
    }
    values.assign(static_cast<size_t>(n), T());
  }
  for (T &value : values) {
    if (!a.ok())
      return;
    field(a, value);
  }
}

template <typename A, typename T> void field(A &a, std::optional<T> &value) {
  bool present = value.has_value();
  field(a, present);
  if (!present || !a.ok()) {
    value.reset();
    return;
  }
  if constexpr (A::kDecoding)
    value.emplace();
  field(a, *value);
}

template <typename A, typename... Ts> void each(A &a, Ts &...values) {
  (field(a, values), ...);
}

template <typename A> void fields(A &a, PlanBatch &b) {
  each(a, b.trainBatchSize, b.microBatchSize, b.gradAccumSteps, b.dpSize);
}
template <typename A> void fields(A &a, PlanBuffer &b) {
  each(a, b.name, b.role, b.offset, b.dtype, b.shape, b.numel, b.bytes);
}
template <typename A> void fields(A &a, TiedCopy &t) {
  each(a, t.name, t.source, t.transposed);
}
template <typename A> void fields(A &a, PlanRange &r) {
  each(a, r.begin, r.end);
}
template <typename A> void fields(A &a, ZeroParam &p) {
  each(a, p.name, p.shape, p.numel, p.flatOffset, p.whole, p.buffer);
}
template <typename A> void fields(A &a, PlanZero &z) {
  each(a, z.stage, z.dpSize, z.flatElements, z.accumulateGradients,
       z.partitions, z.params, z.flatOffsets, z.shard);
}
template <typename A> void fields(A &a, PlanCollective &c) {
  each(a, c.seq, c.op, c.group, c.phase, c.micro, c.payload, c.dtype, c.range,
       c.counts, c.bytes, c.async);
}
template <typename A> void fields(A &a, PlanMemory &m) {
  each(a, m.parameters, m.gradients, m.optimizerStates, m.activations,
       m.workspace, m.total);
}
// Plan's fields but path, dir and reportPath (where it was read from) and the
// optimizer (the object's own constant).
template <typename A> void fields(A &a, Plan &p) {
  each(a, p.training, p.rank, p.worldSize, p.arenaBytes, p.persistentBytes,
       p.batch, p.buffers, p.stepsPerPrint, p.weightsPath, p.weightsByRank,
       p.ties, p.predictedPeakBytes, p.zero, p.collectives,
       p.collectiveBytesPerStep, p.memory);
}

/// `name` relative to `dir` when it lies in it.
std::string relativeTo(const std::string &dir, const std::string &name) {
  return !dir.empty() && name.compare(0, dir.size(), dir) == 0
             ? name.substr(dir.size())
             : name;
}

std::string resolveIn(const std::string &dir, const std::string &name) {
  return name.empty() || name[0] == '/' ? name : dir + name;
}

} // namespace

std::vector<uint8_t> encodePlan(const Plan &plan) {
  Plan copy = plan;
  copy.weightsPath = relativeTo(plan.dir, plan.weightsPath);
  for (std::string &w : copy.weightsByRank)
    w = relativeTo(plan.dir, w);
  Encoder e;
  int64_t magic = kMagic;
  e.word(magic);
  fields(e, copy);
  return std::move(e.bytes);
}

Expected<Plan> decodePlan(const uint8_t *bytes, size_t size,
                          const std::string &dir, const std::string &label) {
  Decoder d(bytes, size);
  int64_t magic = 0;
  d.word(magic);
  if (!d.ok() || magic != kMagic)
    return Status::error(label + ": its plan (dsc_plan) is not one this "
                                 "runtime reads; compile the model again");
  Plan plan;
  fields(d, plan);
  if (!d.ok() || !d.atEnd())
    return Status::error(label + ": its plan (dsc_plan, " +
                         std::to_string(size) +
                         " bytes) is damaged; compile the model again");
  plan.path = label;
  plan.dir = dir;
  plan.reportPath = dir + "plan.json";
  plan.weightsPath = resolveIn(dir, plan.weightsPath);
  for (std::string &w : plan.weightsByRank)
    w = resolveIn(dir, w);
  return plan;
}

} // namespace dsc::runtime
