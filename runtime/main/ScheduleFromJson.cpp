//===- ScheduleFromJson.cpp - plan.json's "scheduler" as a ScheduleSpec ---===//

#include "runtime/main/ScheduleFromJson.h"

#include <cmath>
#include <optional>

namespace dsc::runtime {

using nlohmann::json;

namespace {

/// Absent, null and "auto" (a value the compiler left to the runtime) all
/// mean DeepSpeed's default.
bool isDefault(const json &params, const char *key) {
  auto it = params.find(key);
  return it == params.end() || it->is_null() ||
         (it->is_string() && it->get<std::string>() == "auto");
}

/// Reads the optional number `key` of `params` into `out`.
Status readNumber(const json &params, const char *key, const std::string &at,
                  double &out) {
  if (isDefault(params, key))
    return Status::success();
  auto it = params.find(key);
  if (!it->is_number())
    return Status::error(at + "." + key + ": expected a number, got " +
                         it->dump());
  out = it->get<double>();
  return Status::success();
}

Status readOptionalNumber(const json &params, const char *key,
                          const std::string &at, std::optional<double> &out) {
  if (isDefault(params, key))
    return Status::success();
  double v = 0.0;
  if (Status s = readNumber(params, key, at, v); !s.ok())
    return s;
  out = v;
  return Status::success();
}

/// An integer, or a float with an integral value (JSON writers differ).
Status readInt(const json &params, const char *key, const std::string &at,
               int64_t &out) {
  if (isDefault(params, key))
    return Status::success();
  auto it = params.find(key);
  if (it->is_number_integer()) {
    out = it->get<int64_t>();
    return Status::success();
  }
  if (it->is_number_float()) {
    double d = it->get<double>();
    if (std::floor(d) == d && std::fabs(d) < 9.0e18) {
      out = static_cast<int64_t>(d);
      return Status::success();
    }
  }
  return Status::error(at + "." + key + ": expected an integer, got " +
                       it->dump());
}

Status readBool(const json &params, const char *key, const std::string &at,
                bool &out) {
  if (isDefault(params, key))
    return Status::success();
  auto it = params.find(key);
  if (!it->is_boolean())
    return Status::error(at + "." + key + ": expected true or false, got " +
                         it->dump());
  out = it->get<bool>();
  return Status::success();
}

/// The keys each scheduler takes (DeepSpeed's lr_schedules.py), plus the
/// ones DeepSpeed accepts that do not change the schedule here.
bool knownKey(ScheduleKind kind, const std::string &key) {
  static const char *const warmup[] = {"warmup_min_lr", "warmup_max_lr",
                                       "warmup_num_steps", "warmup_type",
                                       "last_batch_iteration"};
  static const char *const cosine[] = {
      "total_num_steps", "warmup_min_ratio", "warmup_num_steps",
      "cos_min_ratio",   "warmup_type",      "last_batch_iteration"};
  static const char *const oneCycle[] = {"cycle_min_lr",
                                         "cycle_max_lr",
                                         "decay_lr_rate",
                                         "cycle_first_step_size",
                                         "cycle_second_step_size",
                                         "cycle_first_stair_count",
                                         "cycle_second_stair_count",
                                         "decay_step_size",
                                         "cycle_momentum",
                                         "cycle_min_mom",
                                         "cycle_max_mom",
                                         "decay_mom_rate",
                                         "last_batch_iteration"};
  auto in = [&](const auto &list) {
    for (const char *k : list)
      if (key == k)
        return true;
    return false;
  };
  switch (kind) {
  case ScheduleKind::Constant:
    return false;
  case ScheduleKind::WarmupLR:
    return in(warmup);
  case ScheduleKind::WarmupDecayLR:
    return in(warmup) || key == "total_num_steps";
  case ScheduleKind::WarmupCosineLR:
    return in(cosine);
  case ScheduleKind::OneCycle:
    return in(oneCycle);
  }
  return false;
}

} // namespace

Expected<ScheduleSpec> scheduleSpecFromJson(const json &scheduler,
                                            const std::string &where) {
  ScheduleSpec spec;
  if (scheduler.is_null())
    return spec;
  if (!scheduler.is_object())
    return Status::error(where + ": expected an object or null, got " +
                         scheduler.dump());
  auto typeIt = scheduler.find("type");
  if (typeIt == scheduler.end() || !typeIt->is_string())
    return Status::error(where + ".type: expected a string naming the "
                                 "scheduler");
  const std::string type = typeIt->get<std::string>();
  if (type == "WarmupLR")
    spec.kind = ScheduleKind::WarmupLR;
  else if (type == "WarmupDecayLR")
    spec.kind = ScheduleKind::WarmupDecayLR;
  else if (type == "WarmupCosineLR")
    spec.kind = ScheduleKind::WarmupCosineLR;
  else if (type == "OneCycle")
    spec.kind = ScheduleKind::OneCycle;
  else
    return Status::error(where + ".type: unknown scheduler '" + type +
                         "' (known: WarmupLR, WarmupDecayLR, WarmupCosineLR, "
                         "OneCycle)");
  for (auto it = scheduler.begin(); it != scheduler.end(); ++it)
    if (it.key() != "type" && it.key() != "params")
      return Status::error(where + ": unknown key '" + it.key() + "'");

  static const json empty = json::object();
  const json *paramsPtr = &empty;
  auto paramsIt = scheduler.find("params");
  if (paramsIt != scheduler.end() && !paramsIt->is_null()) {
    if (!paramsIt->is_object())
      return Status::error(where + ".params: expected an object, got " +
                           paramsIt->dump());
    paramsPtr = &*paramsIt;
  }
  const json &params = *paramsPtr;
  const std::string at = where + ".params";
  for (auto it = params.begin(); it != params.end(); ++it)
    if (!knownKey(spec.kind, it.key()))
      return Status::error(at + ": unknown key '" + it.key() + "' for " + type);

  std::string warmupType;
  Status s;
  auto step = [&](Status next) {
    if (s.ok())
      s = std::move(next);
  };
  step(readNumber(params, "warmup_min_lr", at, spec.warmupMinLr));
  step(readOptionalNumber(params, "warmup_max_lr", at, spec.warmupMaxLr));
  step(readInt(params, "warmup_num_steps", at, spec.warmupNumSteps));
  step(readInt(params, "total_num_steps", at, spec.totalNumSteps));
  step(readNumber(params, "warmup_min_ratio", at, spec.warmupMinRatio));
  step(readNumber(params, "cos_min_ratio", at, spec.cosMinRatio));
  step(readNumber(params, "cycle_min_lr", at, spec.cycleMinLr));
  step(readNumber(params, "cycle_max_lr", at, spec.cycleMaxLr));
  step(readInt(params, "cycle_first_step_size", at, spec.cycleFirstStepSize));
  step(readInt(params, "decay_step_size", at, spec.decayStepSize));
  step(readNumber(params, "decay_lr_rate", at, spec.decayLrRate));
  step(readBool(params, "cycle_momentum", at, spec.cycleMomentum));
  step(readNumber(params, "cycle_min_mom", at, spec.cycleMinMom));
  step(readNumber(params, "cycle_max_mom", at, spec.cycleMaxMom));
  step(readNumber(params, "decay_mom_rate", at, spec.decayMomRate));
  if (!s.ok())
    return s;
  if (!isDefault(params, "cycle_second_step_size")) {
    int64_t v = 0;
    if (Status e = readInt(params, "cycle_second_step_size", at, v); !e.ok())
      return e;
    spec.cycleSecondStepSize = v;
  }
  auto wt = params.find("warmup_type");
  if (!isDefault(params, "warmup_type")) {
    if (!wt->is_string() ||
        (wt->get<std::string>() != "log" && wt->get<std::string>() != "linear"))
      return Status::error(at +
                           ".warmup_type: expected \"log\" or "
                           "\"linear\", got " +
                           wt->dump());
    spec.warmupType = wt->get<std::string>() == "linear" ? WarmupCurve::Linear
                                                         : WarmupCurve::Log;
  }
  if ((spec.kind == ScheduleKind::WarmupDecayLR ||
       spec.kind == ScheduleKind::WarmupCosineLR) &&
      isDefault(params, "total_num_steps"))
    return Status::error(at + ": " + type + " needs total_num_steps");
  if (spec.kind == ScheduleKind::OneCycle &&
      (isDefault(params, "cycle_min_lr") || isDefault(params, "cycle_max_lr")))
    return Status::error(at + ": OneCycle needs cycle_min_lr and "
                              "cycle_max_lr");
  return spec;
}

} // namespace dsc::runtime
