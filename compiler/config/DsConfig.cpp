//===- DsConfig.cpp - Reading ds_config.json and resolving batch sizes ----===//

#include "compiler/config/DsConfig.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Regex.h"

#include <set>

using namespace llvm;

namespace dsc::config {
namespace {

using OJson = nlohmann::ordered_json;

/// The deepest nesting of objects and arrays a config may have.
constexpr size_t kMaxJsonDepth = 64;

/// Builds an ordered_json like nlohmann's own DOM parser, but stops at the
/// first duplicate key (nlohmann keeps the last one silently).
class StrictJsonBuilder {
public:
  explicit StrictJsonBuilder(StringRef fileName) : fileName(fileName) {}

  OJson root;
  std::string error;

  bool null() { return place(OJson(nullptr)); }
  bool boolean(bool value) { return place(OJson(value)); }
  bool number_integer(OJson::number_integer_t value) {
    return place(OJson(value));
  }
  bool number_unsigned(OJson::number_unsigned_t value) {
    return place(OJson(value));
  }
  bool number_float(OJson::number_float_t value, const std::string &) {
    return place(OJson(value));
  }
  bool string(std::string &value) { return place(OJson(std::move(value))); }
  bool binary(OJson::binary_t &value) {
    return place(OJson::binary(std::move(value)));
  }
  bool start_object(std::size_t) { return open(OJson::object(), true); }
  bool end_object() { return close(); }
  bool start_array(std::size_t) { return open(OJson::array(), false); }
  bool end_array() { return close(); }

  bool key(std::string &key) {
    Frame &frame = stack.back();
    if (!frame.keys.insert(key).second) {
      error = pathTo(key) + ": duplicate key";
      return false;
    }
    frame.key = key;
    return true;
  }

  bool parse_error(std::size_t, const std::string &,
                   const nlohmann::detail::exception &ex) {
    // "[json.exception.parse_error.101] parse error at line 3, column 5: ..."
    SmallVector<StringRef, 4> match;
    Regex where("at line ([0-9]+), column ([0-9]+): (.*)$");
    if (where.match(ex.what(), &match))
      error = (Twine(fileName) + ":" + match[1] + ":" + match[2] +
               ": invalid JSON: " + match[3])
                  .str();
    else
      error = fileName + ": invalid JSON: " + ex.what();
    return false;
  }

private:
  struct Frame {
    OJson *value;
    bool isObject;
    std::set<std::string> keys;
    std::string key;
  };

  // Parents are not resized while a child is open, so the pointers in `stack`
  // stay valid.
  OJson *insert(OJson value) {
    if (stack.empty()) {
      root = std::move(value);
      return &root;
    }
    Frame &frame = stack.back();
    if (frame.isObject) {
      OJson &slot = (*frame.value)[frame.key];
      slot = std::move(value);
      return &slot;
    }
    frame.value->push_back(std::move(value));
    return &frame.value->back();
  }

  bool place(OJson value) {
    insert(std::move(value));
    return true;
  }

  bool open(OJson value, bool isObject) {
    // Code that walks the tree recurses (copies, printing); no real config
    // nests deeper than a few levels.
    if (stack.size() >= kMaxJsonDepth) {
      error = fileName + ": nested deeper than " +
              std::to_string(kMaxJsonDepth) + " levels of objects and arrays";
      return false;
    }
    OJson *slot = insert(std::move(value));
    stack.push_back(Frame{slot, isObject, {}, {}});
    return true;
  }

  bool close() {
    stack.pop_back();
    return true;
  }

  std::string pathTo(StringRef key) const {
    std::string path;
    for (size_t i = 0; i + 1 < stack.size(); ++i) {
      const Frame &frame = stack[i];
      if (frame.isObject)
        path += (path.empty() ? "" : ".") + frame.key;
      else
        path += "[" + std::to_string(frame.value->size() - 1) + "]";
    }
    return path + (path.empty() ? "" : ".") + key.str();
  }

  std::string fileName;
  std::vector<Frame> stack;
};

Error makeError(const Twine &message) {
  return createStringError(inconvertibleErrorCode(), message);
}

} // namespace

Expected<nlohmann::ordered_json> parseJson(StringRef text, StringRef fileName) {
  StrictJsonBuilder builder(fileName);
  bool ok = OJson::sax_parse(text.begin(), text.end(), &builder,
                             OJson::input_format_t::json, /*strict=*/true,
                             /*ignore_comments=*/true);
  if (!ok || !builder.error.empty())
    return makeError(builder.error.empty() ? fileName + ": invalid JSON"
                                           : Twine(builder.error));
  return std::move(builder.root);
}

Expected<ParsedConfig> parseConfig(StringRef jsonText, StringRef fileName) {
  Expected<OJson> root = parseJson(jsonText, fileName);
  if (!root)
    return root.takeError();
  return readConfig(*root, fileName);
}

Expected<ParsedConfig> parseConfigFile(StringRef path) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> buffer =
      MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer)
    return makeError(path +
                     ": cannot read config: " + buffer.getError().message());
  return parseConfig((*buffer)->getBuffer(), path);
}

Expected<int64_t> dataParallelSize(const DsConfig &config, int64_t worldSize) {
  int64_t tp = std::max<int64_t>(config.tensorParallel.autotpSize, 1);
  int64_t pp = config.pipeline.stages.isAuto
                   ? 1
                   : std::max<int64_t>(config.pipeline.stages.value, 1);
  // tp and pp are the config's, unbounded: compared before multiplying, so
  // their product cannot overflow (to 0, a division by zero).
  if (worldSize <= 0 || tp > worldSize || pp > worldSize / tp ||
      worldSize % (tp * pp) != 0)
    return makeError("world size " + Twine(worldSize) +
                     " is not a multiple of tensor_parallel.autotp_size " +
                     Twine(tp) + " * pipeline.stages " + Twine(pp));
  return worldSize / (tp * pp);
}

Expected<BatchSizes> resolveBatch(const DsConfig &config, int64_t dpSize) {
  if (dpSize <= 0)
    return makeError("data-parallel size: expected a positive integer, got " +
                     Twine(dpSize));
  // "auto" resolves like "not given".
  auto given = [](const AutoOr<std::optional<int64_t>> &value) {
    return value.isAuto ? std::nullopt : value.value;
  };
  std::optional<int64_t> tbs = given(config.batch.trainBatchSize);
  std::optional<int64_t> mbs = given(config.batch.trainMicroBatchSizePerGpu);
  std::optional<int64_t> gas = given(config.batch.gradientAccumulationSteps);
  struct Named {
    const char *name;
    const std::optional<int64_t> &value;
  };
  for (Named named : {Named{"train_batch_size", tbs},
                      Named{"train_micro_batch_size_per_gpu", mbs},
                      Named{"gradient_accumulation_steps", gas}})
    if (named.value && *named.value <= 0)
      return makeError(Twine(named.name) +
                       ": expected a positive integer, got " +
                       Twine(*named.value));

  // Which values the user gave and how the others were derived, so a
  // mismatch does not read as if the user had configured a derived 0.
  BatchSizes sizes{0, 0, 0};
  std::string how;
  bool deriveTbs = false;
  if (tbs && mbs && gas) {
    sizes = {*tbs, *mbs, *gas};
    how = "all three given";
  } else if (tbs && mbs) {
    sizes = {*tbs, *mbs, *tbs / *mbs / dpSize};
    how = ("given: train_batch_size, train_micro_batch_size_per_gpu; "
           "derived: gradient_accumulation_steps = " +
           Twine(*tbs) + " / (" + Twine(*mbs) + " * " + Twine(dpSize) +
           "), rounded down")
              .str();
  } else if (tbs && gas) {
    sizes = {*tbs, *tbs / dpSize / *gas, *gas};
    how = ("given: train_batch_size, gradient_accumulation_steps; derived: "
           "train_micro_batch_size_per_gpu = " +
           Twine(*tbs) + " / (" + Twine(*gas) + " * " + Twine(dpSize) +
           "), rounded down")
              .str();
  } else if (mbs && gas) {
    sizes = {0, *mbs, *gas};
    deriveTbs = true;
  } else if (tbs) {
    sizes = {*tbs, *tbs / dpSize, 1};
    how = ("given: train_batch_size; derived: "
           "train_micro_batch_size_per_gpu = " +
           Twine(*tbs) + " / " + Twine(dpSize) +
           ", rounded down; gradient_accumulation_steps 1 by default")
              .str();
  } else if (mbs) {
    sizes = {0, *mbs, 1};
    deriveTbs = true;
  } else {
    return makeError(
        "train_batch_size or train_micro_batch_size_per_gpu is required");
  }
  // The config's values are unbounded: a product that wrapped around could
  // pass the check below or become a negative batch size.
  int64_t product = 0;
  if (MulOverflow(sizes.microBatchSize, sizes.gradAccumSteps, product) ||
      MulOverflow(product, dpSize, product))
    return makeError(
        "train_micro_batch_size_per_gpu " + Twine(sizes.microBatchSize) +
        " * gradient_accumulation_steps " + Twine(sizes.gradAccumSteps) +
        " * data-parallel size " + Twine(dpSize) + " does not fit in 64 bits");
  if (deriveTbs)
    sizes.trainBatchSize = product;
  if (sizes.trainBatchSize != product)
    return makeError(
        "train_batch_size " + Twine(sizes.trainBatchSize) +
        " != train_micro_batch_size_per_gpu " + Twine(sizes.microBatchSize) +
        " * gradient_accumulation_steps " + Twine(sizes.gradAccumSteps) +
        " * data-parallel size " + Twine(dpSize) + " (" + how + ")");
  return sizes;
}

} // namespace dsc::config
