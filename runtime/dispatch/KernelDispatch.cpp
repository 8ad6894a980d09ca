//===- KernelDispatch.cpp - resolving and running dsrt_kernel calls -------===//

#include "runtime/dispatch/KernelDispatch.h"

#include "runtime/dispatch/DispatchInternal.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

using nlohmann::json;

namespace dsc::runtime {
namespace detail {

const char *dtypeName(int32_t dtype) {
  switch (dtype) {
  case DSRT_F32:
    return "f32";
  case DSRT_F64:
    return "f64";
  case DSRT_F16:
    return "f16";
  case DSRT_BF16:
    return "bf16";
  case DSRT_I64:
    return "i64";
  case DSRT_I32:
    return "i32";
  case DSRT_I16:
    return "i16";
  case DSRT_I8:
    return "i8";
  case DSRT_U8:
    return "ui8";
  case DSRT_BOOL:
    return "i1";
  default:
    return "unknown";
  }
}

int64_t dtypeSize(int32_t dtype) {
  switch (dtype) {
  case DSRT_F64:
  case DSRT_I64:
    return 8;
  case DSRT_F32:
  case DSRT_I32:
    return 4;
  case DSRT_F16:
  case DSRT_BF16:
  case DSRT_I16:
    return 2;
  case DSRT_I8:
  case DSRT_U8:
  case DSRT_BOOL:
    return 1;
  default:
    return 0;
  }
}

//===----------------------------------------------------------------------===//
// Attributes
//===----------------------------------------------------------------------===//

bool AttrReader::has(const char *name) const {
  auto it = attrs.find(name);
  return it != attrs.end() && !it->is_null();
}

const json *AttrReader::find(const char *name) {
  if (!ok())
    return nullptr;
  auto it = attrs.find(name);
  if (it == attrs.end() || it->is_null()) {
    fail(std::string("attribute '") + name + "' missing");
    return nullptr;
  }
  return &*it;
}

static bool isInteger(const json &j) {
  return j.is_number_integer() || j.is_boolean();
}

int64_t AttrReader::i64(const char *name) {
  const json *j = find(name);
  if (!j)
    return 0;
  if (!isInteger(*j)) {
    fail(std::string("attribute '") + name + "' is not an integer");
    return 0;
  }
  return j->is_boolean() ? int64_t(j->get<bool>()) : j->get<int64_t>();
}

int64_t AttrReader::i64Or(const char *name, int64_t otherwise) {
  return has(name) ? i64(name) : otherwise;
}

std::optional<int64_t> AttrReader::optI64(const char *name) {
  if (!has(name))
    return std::nullopt;
  return i64(name);
}

double AttrReader::f64(const char *name) {
  const json *j = find(name);
  if (!j)
    return 0;
  if (!j->is_number()) {
    fail(std::string("attribute '") + name + "' is not a number");
    return 0;
  }
  return j->get<double>();
}

double AttrReader::f64Or(const char *name, double otherwise) {
  return has(name) ? f64(name) : otherwise;
}

bool AttrReader::boolean(const char *name) {
  const json *j = find(name);
  if (!j)
    return false;
  if (j->is_boolean())
    return j->get<bool>();
  if (j->is_number_integer())
    return j->get<int64_t>() != 0;
  fail(std::string("attribute '") + name + "' is not a boolean");
  return false;
}

std::string AttrReader::str(const char *name, const char *otherwise) {
  if (!has(name))
    return otherwise;
  const json *j = find(name);
  if (!j)
    return otherwise;
  if (!j->is_string()) {
    fail(std::string("attribute '") + name + "' is not a string");
    return otherwise;
  }
  return j->get<std::string>();
}

std::vector<int64_t> AttrReader::i64s(const char *name, int64_t size) {
  const json *j = find(name);
  if (!j)
    return {};
  std::vector<int64_t> values;
  if (!j->is_array()) {
    fail(std::string("attribute '") + name + "' is not an integer array");
    return values;
  }
  for (const json &e : *j) {
    if (!e.is_number_integer()) {
      fail(std::string("attribute '") + name + "' is not an integer array");
      return {};
    }
    values.push_back(e.get<int64_t>());
  }
  if (size >= 0 && static_cast<int64_t>(values.size()) != size) {
    fail(std::string("attribute '") + name + "' has " +
         std::to_string(values.size()) + " entries, expected " +
         std::to_string(size));
    return {};
  }
  return values;
}

int64_t AttrReader::axis(const char *name, int rank) {
  int64_t a = i64(name);
  if (!ok())
    return 0;
  int64_t normalised = a < 0 ? a + rank : a;
  if (normalised < 0 || normalised >= std::max(rank, 1)) {
    fail(std::string("attribute '") + name + "' = " + std::to_string(a) +
         " out of range for rank " + std::to_string(rank));
    return 0;
  }
  return normalised;
}

//===----------------------------------------------------------------------===//
// Resolution and the cache
//===----------------------------------------------------------------------===//

namespace {

const Registry &registry() {
  static const Registry table = [] {
    Registry r;
    registerElementwiseKernels(r);
    registerNumericKernels(r);
    registerDataMovementKernels(r);
    return r;
  }();
  return table;
}

std::unordered_map<const dsrt_kernel_desc *, Prepared> &cache() {
  static std::unordered_map<const dsrt_kernel_desc *, Prepared> entries;
  return entries;
}

int64_t parseCount = 0;

const char *orEmpty(const char *s) { return s ? s : ""; }

std::string siteOf(const dsrt_kernel_desc &desc) {
  return std::string("kernel '") + orEmpty(desc.kernel) + "' at node '" +
         orEmpty(desc.location) + "'";
}

/// Checks the buffers against the spec's signatures; "" when they match.
std::string checkBuffers(const KernelSpec &spec, const dsrt_kernel_desc &desc) {
  auto expected = [&](char c) -> int32_t {
    switch (c) {
    case 'T':
    case '*':
      return spec.t;
    case 'U':
      return spec.u;
    case 'B':
      return DSRT_BOOL;
    case 'I':
      return DSRT_I64;
    default:
      return -1; // '?': any
    }
  };
  std::string ins = spec.ins, outs = spec.outs;
  bool variadic = !ins.empty() && ins.back() == '*';
  int maxInputs = variadic ? INT32_MAX : static_cast<int>(ins.size());
  if (desc.num_inputs < spec.minInputs || desc.num_inputs > maxInputs) {
    std::string want = std::to_string(spec.minInputs);
    if (variadic)
      want += " or more";
    else if (maxInputs != spec.minInputs)
      want += " to " + std::to_string(maxInputs);
    return std::to_string(desc.num_inputs) + " inputs, expected " + want;
  }
  if (desc.num_outputs != static_cast<int>(outs.size()))
    return std::to_string(desc.num_outputs) + " outputs, expected " +
           std::to_string(outs.size());
  if (!desc.buffers && desc.num_inputs + desc.num_outputs > 0)
    return "no buffer types";
  for (int i = 0; i < desc.num_inputs + desc.num_outputs; ++i) {
    char c =
        i < desc.num_inputs ? ins[variadic ? 0 : i] : outs[i - desc.num_inputs];
    int32_t want = expected(c);
    int32_t have = desc.buffers[i].dtype;
    if (want >= 0 && have != want)
      return "buffer " + std::to_string(i) + " has element type " +
             dtypeName(have) + ", expected " + dtypeName(want);
    if (desc.buffers[i].rank < 0 ||
        (desc.buffers[i].rank > 0 && !desc.buffers[i].dims))
      return "buffer " + std::to_string(i) + " has no dimensions";
  }
  return "";
}

/// Resolves `desc` into `p`; the problem ("" when none), without "dsrt: ".
std::string prepareSite(const dsrt_kernel_desc &desc, Prepared &p) {
  const Registry &table = registry();
  auto spec = table.find(orEmpty(desc.kernel));
  if (spec == table.end())
    return std::string("unknown kernel '") + orEmpty(desc.kernel) +
           "' at node '" + orEmpty(desc.location) + "'";
  std::string problem = checkBuffers(spec->second, desc);
  if (!problem.empty())
    return siteOf(desc) + ": " + problem;
  ++parseCount;
  json attrs;
  const char *text = desc.attrs_json;
  if (text && *text) {
    attrs = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (attrs.is_discarded() || !attrs.is_object())
      return siteOf(desc) + ": attributes are not a JSON object";
  } else {
    attrs = json::object();
  }
  p = Prepared();
  p.kernelName = desc.kernel;
  p.attrsJson = desc.attrs_json;
  p.run = spec->second.run;
  p.op = spec->second.op;
  AttrReader reader(attrs);
  if (spec->second.prepare)
    spec->second.prepare(p, reader, desc);
  if (!reader.ok())
    return siteOf(desc) + ": " + reader.message();
  return "";
}

/// Resolves `desc` into the cache; null (after reporting) on failure.
const Prepared *resolve(const dsrt_kernel_desc &desc) {
  Prepared p;
  if (std::string problem = prepareSite(desc, p); !problem.empty()) {
    reportError(kExitBadKernel, "dsrt: " + problem);
    return nullptr;
  }
  Prepared &entry = cache()[&desc];
  entry = std::move(p);
  return &entry;
}

/// Runs a resolved call site; reports a data error the kernel raises.
int runPrepared(const Prepared &p, const dsrt_kernel_desc &desc,
                void *const *data, int64_t step) {
  int status = p.run(Call{p, desc, data, step});
  if (status == k::KernelOk)
    return 0;
  std::string detail = k::lastKernelErrorDetail();
  if (detail.empty())
    detail = k::kernelErrorMessage(status);
  reportError(kExitDataError, std::string("dsrt: ") + orEmpty(desc.kernel) +
                                  " at node '" + orEmpty(desc.location) +
                                  "': " + detail);
  return kExitDataError;
}

void defaultHandler(int exitCode, const std::string &message) {
  std::fprintf(stderr, "%s\n", message.c_str());
  std::fflush(stderr);
  std::exit(exitCode);
}

ErrorHandler &currentHandler() {
  static ErrorHandler handler = defaultHandler;
  return handler;
}

} // namespace
} // namespace detail

using namespace detail;

int runKernel(const dsrt_kernel_desc &desc, void *const *data, int64_t step) {
  auto &entries = cache();
  auto it = entries.find(&desc);
  const Prepared *p;
  if (it != entries.end() && it->second.kernelName == desc.kernel &&
      it->second.attrsJson == desc.attrs_json)
    p = &it->second;
  else if (!(p = resolve(desc)))
    return kExitBadKernel;
  return runPrepared(*p, desc, data, step);
}

ResolvedKernel::ResolvedKernel() = default;
ResolvedKernel::~ResolvedKernel() = default;
ResolvedKernel::ResolvedKernel(ResolvedKernel &&) noexcept = default;
ResolvedKernel &ResolvedKernel::operator=(ResolvedKernel &&) noexcept = default;

int ResolvedKernel::run(void *const *data, int64_t step) const {
  return runPrepared(*prepared, *desc, data, step);
}

std::string resolveKernel(const dsrt_kernel_desc &desc, ResolvedKernel &out) {
  auto p = std::make_unique<Prepared>();
  if (std::string problem = prepareSite(desc, *p); !problem.empty())
    return problem;
  out.desc = &desc;
  out.prepared = std::move(p);
  return "";
}

ErrorHandler setErrorHandler(ErrorHandler handler) {
  ErrorHandler previous = std::move(currentHandler());
  currentHandler() = handler ? std::move(handler) : defaultHandler;
  return previous;
}

void reportError(int exitCode, const std::string &message) {
  currentHandler()(exitCode, message);
}

std::vector<std::string> supportedKernelNames() {
  std::vector<std::string> names;
  for (const auto &entry : registry())
    names.push_back(entry.first);
  std::sort(names.begin(), names.end());
  return names;
}

int64_t attributeParseCount() { return parseCount; }

void clearKernelCache() { cache().clear(); }

} // namespace dsc::runtime

extern "C" void dsrt_kernel(dsrt_ctx *ctx, const dsrt_kernel_desc *desc,
                            void *const *data) {
  dsc::runtime::runKernel(*desc, data, ctx ? ctx->step : 0);
}
