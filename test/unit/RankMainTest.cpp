//===- RankMainTest.cpp - The rank runtime's main and step loop -----------===//
//
// plan.json parsing and its errors, the scheduler conversion, the optimizer
// driver against hand-computed
// AdamW values, argument parsing, weight loading errors, and small
// end-to-end runs of runRank/rankMain with step functions written here
// (dsc_step, which rankMain calls, is defined below as the training step).
//
//===----------------------------------------------------------------------===//

#include "runtime/main/RankMain.h"
#include "kernels/KernelDecls.h"
#include "runtime/dispatch/KernelDispatch.h"
#include "runtime/io/Npy.h"
#include "runtime/io/Safetensors.h"
#include "runtime/main/OptimizerAbi.h"
#include "runtime/main/PlanCodec.h"
#include "runtime/main/PlanFile.h"
#include "runtime/main/RankState.h"
#include "runtime/main/Weights.h"
#include "runtime/schedule/ScheduleAbi.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

using namespace dsc::runtime;
using nlohmann::json;

namespace {

/// A fresh directory under $TMPDIR, removed at the end of the test.
class TempDir {
public:
  TempDir() {
    const char *base = std::getenv("TMPDIR");
    std::string pattern = std::string(base ? base : "/tmp") + "/rankmainXXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    path = mkdtemp(buf.data());
  }
  ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
  std::string path;
};

void writeText(const std::string &path, const std::string &text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::string readText(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/// A training plan: input x float32 [2, 3] at 0, param w float32 [2] at 64,
/// its grad at 128, the loss at 192; SGD lr 0.1.
json trainingPlan() {
  return json::parse(R"({
    "format": "ds-compile plan 1", "mode": "training",
    "rank": 0, "world_size": 1,
    "arena_bytes": 256, "persistent_bytes": 128,
    "batch": {"train_batch_size": 2, "micro_batch_size": 2,
              "gradient_accumulation_steps": 1, "dp_size": 1},
    "buffers": [
      {"name": "x", "role": "input", "offset": 0, "dtype": "float32", "shape": [2, 3]},
      {"name": "w", "role": "param", "offset": 64, "dtype": "float32", "shape": [2]},
      {"name": "loss", "role": "output", "offset": 192, "dtype": "float32", "shape": []},
      {"name": "w", "role": "grad", "offset": 128, "dtype": "float32", "shape": [2]}],
    "kernels": [
      {"kernel": "add_f32", "location": "node_Add_1", "num_inputs": 2, "num_outputs": 1,
       "buffers": [{"dtype": "float32", "shape": [2]}, {"dtype": "float32", "shape": [2]},
                   {"dtype": "float32", "shape": [2]}], "attrs": {}}],
    "optimizer": {"type": "sgd", "lr": 0.1},
    "scheduler": null,
    "gradient_clipping": 0.0,
    "steps_per_print": 2,
    "weights": "weights/rank_0.safetensors",
    "predicted_peak_bytes": 256
  })");
}

std::string expectPlanError(const json &plan) {
  Expected<Plan> p = parsePlan(plan.dump(), "out/plan.json");
  EXPECT_FALSE(p.ok());
  return p.message();
}

} // namespace

//===-- plan.json ---------------------------------------------------------===//

TEST(RankMainPlan, ParsesAGoodPlan) {
  Expected<Plan> plan = parsePlan(trainingPlan().dump(), "out/plan.json");
  ASSERT_TRUE(plan.ok()) << plan.message();
  EXPECT_TRUE(plan->training);
  EXPECT_EQ(plan->dir, "out/");
  EXPECT_EQ(plan->arenaBytes, 256);
  ASSERT_EQ(plan->buffers.size(), 4u);
  EXPECT_EQ(plan->buffers[1].role, BufferRole::Param);
  EXPECT_EQ(plan->buffers[1].bytes, 8u);
  EXPECT_EQ(plan->loss()->name, "loss");
  EXPECT_EQ(plan->find("w", BufferRole::Grad)->offset, 128);
  // The optimizer, clipping and schedule come from the rank's object
  // (dsc_optimizer, its training step); plan.json's blocks are reports.
  EXPECT_FALSE(plan->optimizer.has_value());
  EXPECT_EQ(plan->stepsPerPrint, 2);
  EXPECT_EQ(plan->weightsPath, "out/weights/rank_0.safetensors");
  EXPECT_EQ(plan->predictedPeakBytes, 256);
  EXPECT_EQ(plan->batch->microBatchSize, 2);
}

TEST(RankMainPlan, Errors) {
  Expected<Plan> missing = loadPlan("/nonexistent/plan.json");
  EXPECT_EQ(missing.message(),
            "/nonexistent/plan.json: cannot open: No such file or directory");

  Expected<Plan> bad = parsePlan("{\"format\": ", "p.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("p.json: not valid JSON: parse error at line 1"),
            std::string::npos)
      << bad.message();

  json p = trainingPlan();
  p["format"] = "ds-compile plan 2";
  EXPECT_EQ(expectPlanError(p), "out/plan.json: format 'ds-compile plan 2', "
                                "this runtime reads 'ds-compile plan 1'");
  p = trainingPlan();
  p.erase("arena_bytes");
  EXPECT_EQ(expectPlanError(p), "out/plan.json: arena_bytes: missing");
  p = trainingPlan();
  p["mode"] = "serving";
  EXPECT_EQ(expectPlanError(p), "out/plan.json: mode: expected \"training\" "
                                "or \"inference\", got \"serving\"");
  p = trainingPlan();
  p["buffers"][1]["offset"] = 252;
  EXPECT_EQ(expectPlanError(p),
            "out/plan.json: buffers[1].offset: 252 + 8 bytes lies outside "
            "the arena (256 bytes)");
  p = trainingPlan();
  p["buffers"][1]["dtype"] = "float8";
  EXPECT_NE(expectPlanError(p).find("buffers[1].dtype: unknown dtype 'float8'"),
            std::string::npos);
  p = trainingPlan();
  p["buffers"][1]["shape"] = "2";
  EXPECT_EQ(expectPlanError(p), "out/plan.json: buffers[1].shape: expected an "
                                "array of dimensions, got \"2\"");
  p = trainingPlan();
  p["buffers"].erase(3);
  EXPECT_EQ(expectPlanError(p),
            "out/plan.json: buffers: param 'w' has no grad buffer");
  p = trainingPlan();
  p["buffers"][2]["shape"] = {2};
  EXPECT_EQ(expectPlanError(p),
            "out/plan.json: buffers: the loss 'loss' (the first output) must "
            "be a float32 scalar, not float32 (2,)");
  p = trainingPlan();
  p["batch"]["train_batch_size"] = 4;
  EXPECT_EQ(expectPlanError(p),
            "out/plan.json: batch: train_batch_size != micro_batch_size * "
            "gradient_accumulation_steps * dp_size (4 != 2 * 1 * 1)");
  // (2^62 + 1) * 4 wraps around to 4.
  p = trainingPlan();
  p["batch"]["micro_batch_size"] = (int64_t{1} << 62) + 1;
  p["batch"]["gradient_accumulation_steps"] = 4;
  p["batch"]["train_batch_size"] = 4;
  EXPECT_EQ(expectPlanError(p),
            "out/plan.json: batch: train_batch_size != micro_batch_size * "
            "gradient_accumulation_steps * dp_size (4 != "
            "4611686018427387905 * 4 * 1)");
  // Training needs the block: null passed as absent, and the step loop
  // read an empty optional.
  p = trainingPlan();
  p["batch"] = nullptr;
  EXPECT_EQ(expectPlanError(p),
            "out/plan.json: batch: expected an object, got null");
  p = trainingPlan();
  p["world_size"] = 2;
  EXPECT_EQ(expectPlanError(p),
            "out/plan.json: batch.dp_size: 1, but world_size is 2 (this "
            "runtime runs data parallelism only)");
  p = trainingPlan();
  p.erase("weights");
  EXPECT_EQ(expectPlanError(p), "out/plan.json: weights: missing, but the "
                                "plan has params or constants to load");
}

/// trainingPlan() on two data-parallel ranks with ZeRO stage 1: w's two
/// elements are one per rank.
json dataParallelPlan() {
  json p = trainingPlan();
  p["world_size"] = 2;
  p["batch"]["train_batch_size"] = 4;
  p["batch"]["dp_size"] = 2;
  p["zero"] = json::parse(R"({"stage": 1, "dp_size": 2, "flat_elements": 2,
      "reduce_bucket_elements": 2, "allgather_bucket_elements": 2,
      "staging_elements": 2, "partitions": [[0, 1], [1, 2]],
      "params": [{"name": "w", "flat_offset": 0, "numel": 2}]})");
  p["collectives"] = json::parse(R"([
      {"seq": 0, "op": "reduce_scatter", "group": "dp", "phase": "boundary",
       "micro": -1, "payload": "gradients", "dtype": "float32",
       "range": [0, 2], "bytes": 8, "counts": [1, 1]},
      {"seq": 1, "op": "all_reduce", "group": "dp", "phase": "boundary",
       "micro": -1, "payload": "grad_norm_squared", "dtype": "float64",
       "range": [0, 1], "bytes": 8}])");
  return p;
}

TEST(RankMainPlan, ParsesADataParallelPlan) {
  Expected<Plan> plan = parsePlan(dataParallelPlan().dump(), "out/plan.json");
  ASSERT_TRUE(plan.ok()) << plan.message();
  ASSERT_TRUE(plan->zero.has_value());
  EXPECT_EQ(plan->zero->stage, 1);
  EXPECT_EQ(plan->zero->partitions[1].begin, 1);
  ASSERT_EQ(plan->collectives.size(), 2u);
  EXPECT_EQ(plan->collectives[0].op, CollectiveOp::ReduceScatter);
  EXPECT_EQ(plan->collectives[1].payload, CollectivePayload::GradNormSquared);
  EXPECT_EQ(plan->collectiveBytesPerStep, 16);
  // Without weights_by_rank every rank loads "weights"; with it, its own.
  EXPECT_EQ(plan->weightsFor(1), "out/weights/rank_0.safetensors");
  json p = dataParallelPlan();
  p["weights_by_rank"] =
      json::array({"weights/rank_0.safetensors", "weights/rank_1.safetensors"});
  plan = parsePlan(p.dump(), "out/plan.json");
  ASSERT_TRUE(plan.ok()) << plan.message();
  EXPECT_EQ(plan->weightsFor(0), "out/weights/rank_0.safetensors");
  EXPECT_EQ(plan->weightsFor(1), "out/weights/rank_1.safetensors");
}

// The plan the compiler puts into the rank's object (dsc_plan): what the
// rank decodes is the plan parsePlan gave, its weights resolved against the
// executable's output directory instead of plan.json's.
TEST(RankMainPlan, TheObjectsEncodingKeepsThePlan) {
  json p = dataParallelPlan();
  p["weights_by_rank"] =
      json::array({"weights/rank_0.safetensors", "weights/rank_1.safetensors"});
  p["ties"] =
      json::array({{{"name", "head"}, {"source", "w"}, {"transposed", false}}});
  Expected<Plan> parsed = parsePlan(p.dump(), "out/plan.json");
  ASSERT_TRUE(parsed.ok()) << parsed.message();
  std::vector<uint8_t> bytes = encodePlan(*parsed);
  Expected<Plan> plan =
      decodePlan(bytes.data(), bytes.size(), "exe/bin/../", "exe/bin/rank_0");
  ASSERT_TRUE(plan.ok()) << plan.message();
  EXPECT_EQ(plan->path, "exe/bin/rank_0");
  EXPECT_EQ(plan->weightsFor(1), "exe/bin/../weights/rank_1.safetensors");
  ASSERT_EQ(plan->buffers.size(), parsed->buffers.size());
  for (size_t i = 0; i < plan->buffers.size(); ++i) {
    EXPECT_EQ(plan->buffers[i].name, parsed->buffers[i].name);
    EXPECT_EQ(plan->buffers[i].role, parsed->buffers[i].role);
    EXPECT_EQ(plan->buffers[i].offset, parsed->buffers[i].offset);
    EXPECT_EQ(plan->buffers[i].shape, parsed->buffers[i].shape);
    EXPECT_EQ(plan->buffers[i].bytes, parsed->buffers[i].bytes);
  }
  EXPECT_EQ(plan->batch->gradAccumSteps, parsed->batch->gradAccumSteps);
  EXPECT_EQ(plan->zero->stage, 1);
  EXPECT_EQ(plan->zero->partitions[1].begin, 1);
  EXPECT_EQ(plan->zero->params[0].buffer, parsed->zero->params[0].buffer);
  ASSERT_EQ(plan->collectives.size(), 2u);
  EXPECT_EQ(plan->collectives[0].op, CollectiveOp::ReduceScatter);
  EXPECT_EQ(plan->collectives[0].counts, parsed->collectives[0].counts);
  EXPECT_EQ(plan->collectives[1].payload, CollectivePayload::GradNormSquared);
  EXPECT_EQ(plan->collectiveBytesPerStep, 16);
  ASSERT_EQ(plan->ties.size(), 1u);
  EXPECT_EQ(plan->ties[0].source, "w");
  EXPECT_EQ(plan->stepsPerPrint, parsed->stepsPerPrint);
  EXPECT_EQ(plan->predictedPeakBytes, parsed->predictedPeakBytes);
  // Nothing is lost: the decoded plan encodes to the same bytes.
  plan->dir = "out/";
  for (std::string &w : plan->weightsByRank)
    w = "out/" + w.substr(std::string("exe/bin/../").size());
  plan->weightsPath = parsed->weightsPath;
  EXPECT_EQ(encodePlan(*plan), bytes);
}

TEST(RankMainPlan, ADamagedEncodingIsRefused) {
  Expected<Plan> parsed = parsePlan(trainingPlan().dump(), "out/plan.json");
  ASSERT_TRUE(parsed.ok()) << parsed.message();
  std::vector<uint8_t> bytes = encodePlan(*parsed);
  Expected<Plan> cut = decodePlan(bytes.data(), bytes.size() - 1, "", "r");
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.message(), "r: its plan (dsc_plan, " +
                               std::to_string(bytes.size() - 1) +
                               " bytes) is damaged; compile the model again");
  std::vector<uint8_t> longer = bytes;
  longer.push_back(0);
  EXPECT_FALSE(decodePlan(longer.data(), longer.size(), "", "r").ok());
  bytes[0] ^= 1;
  Expected<Plan> other = decodePlan(bytes.data(), bytes.size(), "", "r");
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.message(), "r: its plan (dsc_plan) is not one this runtime "
                             "reads; compile the model again");
}

TEST(RankMainPlan, SingleRankPlansGetTheTrivialLayout) {
  Expected<Plan> plan = parsePlan(trainingPlan().dump(), "out/plan.json");
  ASSERT_TRUE(plan.ok()) << plan.message();
  ASSERT_TRUE(plan->zero.has_value());
  EXPECT_EQ(plan->zero->flatElements, 2);
  EXPECT_EQ(plan->zero->partitions.size(), 1u);
  EXPECT_TRUE(plan->collectives.empty());
}

TEST(RankMainPlan, DataParallelErrors) {
  json p = dataParallelPlan();
  p["zero"]["params"][0]["flat_offset"] = 1;
  EXPECT_EQ(expectPlanError(p), "out/plan.json: zero.params[0]: expected "
                                "param 'w' of 2 elements at flat offset 0");
  p = dataParallelPlan();
  p["zero"]["partitions"][1][0] = 0;
  EXPECT_EQ(expectPlanError(p), "out/plan.json: zero.partitions[1]: does not "
                                "start where the previous one ends");
  p = dataParallelPlan();
  p["zero"]["stage"] = 3;
  EXPECT_EQ(expectPlanError(p), "out/plan.json: buffers: stage 3 needs one "
                                "param_shard buffer of 1 elements");
  p = dataParallelPlan();
  p["zero"]["stage"] = 4;
  EXPECT_EQ(expectPlanError(p),
            "out/plan.json: zero.stage: this runtime runs stages 0 to 3, not "
            "4");
  p = dataParallelPlan();
  p["collectives"][1]["seq"] = 5;
  EXPECT_EQ(expectPlanError(p),
            "out/plan.json: collectives[1].seq: expected 1");
  p = dataParallelPlan();
  p["collectives"][0]["counts"] = json::array({2, 1});
  EXPECT_EQ(expectPlanError(p),
            "out/plan.json: collectives[0].counts: expected one count per "
            "rank, adding up to the range");
  // Negative counts could add up to the range.
  p = dataParallelPlan();
  p["collectives"][0]["counts"] = json::array({3, -1});
  EXPECT_EQ(expectPlanError(p),
            "out/plan.json: collectives[0].counts: expected one count per "
            "rank, adding up to the range");
  p = dataParallelPlan();
  p["zero"]["params"][0]["numel"] = -2;
  EXPECT_EQ(expectPlanError(p), "out/plan.json: zero.params[0]: negative or "
                                "too many elements");
  p = dataParallelPlan();
  p["collectives"][0]["bytes"] = 4;
  EXPECT_EQ(expectPlanError(p), "out/plan.json: collectives[0].bytes: does "
                                "not match the range and dtype");
  p = dataParallelPlan();
  p["collectives"][0]["range"] = json::array({0, 3});
  EXPECT_EQ(expectPlanError(p),
            "out/plan.json: collectives[0].range: outside the flat space");
  p = dataParallelPlan();
  p["collectives"][0]["group"] = "tp";
  EXPECT_EQ(expectPlanError(p),
            "out/plan.json: collectives[0].group: unknown group 'tp'");
  p = dataParallelPlan();
  p["weights_by_rank"] = json::array({"weights/rank_0.safetensors"});
  EXPECT_EQ(expectPlanError(p), "out/plan.json: weights_by_rank: expected one "
                                "file name for each of the 2 ranks");
  p = dataParallelPlan();
  p["weights_by_rank"] = json::array({"weights/rank_0.safetensors", 7});
  EXPECT_EQ(expectPlanError(p),
            "out/plan.json: weights_by_rank[1]: expected a file name, got 7");
  p = dataParallelPlan();
  p["zero"]["dp_size"] = 3;
  p["zero"]["partitions"] = json::array(
      {json::array({0, 1}), json::array({1, 2}), json::array({2, 2})});
  EXPECT_EQ(expectPlanError(p),
            "out/plan.json: zero.dp_size: 3, but world_size is 2");
}

//===-- scheduler ---------------------------------------------------------===//

// The schedule reaches the rank as the object's dsc_schedule: the mapping
// both ways keeps every field (ScheduleSpec <-> dsrt_lr_schedule).
TEST(RankMainSchedule, AbiKeepsEveryField) {
  ScheduleSpec spec;
  spec.kind = ScheduleKind::OneCycle;
  spec.warmupMinLr = 1e-4;
  spec.warmupMaxLr = 0.02;
  spec.warmupNumSteps = 7;
  spec.warmupType = WarmupCurve::Linear;
  spec.totalNumSteps = 99;
  spec.warmupMinRatio = 0.1;
  spec.cosMinRatio = 0.01;
  spec.cycleMinLr = 0.001;
  spec.cycleMaxLr = 0.01;
  spec.cycleFirstStepSize = 4;
  spec.cycleSecondStepSize = 6;
  spec.decayStepSize = 3;
  spec.decayLrRate = 0.5;
  spec.cycleMomentum = false;
  spec.cycleMinMom = 0.7;
  spec.cycleMaxMom = 0.95;
  spec.decayMomRate = 0.25;
  ScheduleSpec back = scheduleFromAbi(scheduleToAbi(spec));
  EXPECT_EQ(back.kind, spec.kind);
  EXPECT_EQ(back.warmupMinLr, spec.warmupMinLr);
  EXPECT_EQ(back.warmupMaxLr, spec.warmupMaxLr);
  EXPECT_EQ(back.warmupNumSteps, spec.warmupNumSteps);
  EXPECT_EQ(back.warmupType, spec.warmupType);
  EXPECT_EQ(back.totalNumSteps, spec.totalNumSteps);
  EXPECT_EQ(back.warmupMinRatio, spec.warmupMinRatio);
  EXPECT_EQ(back.cosMinRatio, spec.cosMinRatio);
  EXPECT_EQ(back.cycleMinLr, spec.cycleMinLr);
  EXPECT_EQ(back.cycleMaxLr, spec.cycleMaxLr);
  EXPECT_EQ(back.cycleFirstStepSize, spec.cycleFirstStepSize);
  EXPECT_EQ(back.cycleSecondStepSize, spec.cycleSecondStepSize);
  EXPECT_EQ(back.decayStepSize, spec.decayStepSize);
  EXPECT_EQ(back.decayLrRate, spec.decayLrRate);
  EXPECT_EQ(back.cycleMomentum, spec.cycleMomentum);
  EXPECT_EQ(back.cycleMinMom, spec.cycleMinMom);
  EXPECT_EQ(back.cycleMaxMom, spec.cycleMaxMom);
  EXPECT_EQ(back.decayMomRate, spec.decayMomRate);
  // Absent optionals stay absent; every kind survives.
  ScheduleSpec plain;
  for (ScheduleKind kind :
       {ScheduleKind::Constant, ScheduleKind::WarmupLR,
        ScheduleKind::WarmupDecayLR, ScheduleKind::WarmupCosineLR,
        ScheduleKind::OneCycle}) {
    plain.kind = kind;
    ScheduleSpec round = scheduleFromAbi(scheduleToAbi(plain));
    EXPECT_EQ(round.kind, kind);
    EXPECT_FALSE(round.warmupMaxLr.has_value());
    EXPECT_FALSE(round.cycleSecondStepSize.has_value());
  }
}

//===-- the update's typed kernels ----------------------------------------===//

TEST(RankMainOptimizer, AdamWMatchesHandValues) {
  float p0[2] = {1.0f, -0.5f}, g0[2] = {0.5f, -2.0f}, m0[2] = {}, v0[2] = {};
  double p1[1] = {2.0}, g1[1] = {0.25}, m1[1] = {}, v1[1] = {};
  // AdamW, lr 0.1, weight decay 0.01. Step 1: mhat = g, vhat = g^2, so the
  // update is lr * sign(g) (eps aside); decoupled decay first multiplies p
  // by 1 - lr * wd = 0.999.
  auto step = [&](int64_t t) {
    dsrt_adam_f32(p0, g0, m0, v0, 2, 0.1, 0.9, 0.999, 1e-8, 0.01, 1, 1, t);
    dsrt_adam_f64(p1, g1, m1, v1, 1, 0.1, 0.9, 0.999, 1e-8, 0.01, 1, 1, t);
  };
  step(1);
  EXPECT_NEAR(p0[0], 1.0 * 0.999 - 0.1, 1e-6);
  EXPECT_NEAR(p0[1], -0.5 * 0.999 + 0.1, 1e-6);
  // In double the eps shows: the update is lr * g / (|g| + eps).
  const double upd = 0.1 * 0.25 / (0.25 + 1e-8);
  EXPECT_NEAR(p1[0], 2.0 * 0.999 - upd, 1e-12);
  // Step 2 with the same gradient: m = 0.19 g, bc1 = 0.19; v = 0.001999 g^2,
  // bc2 = 0.001999: the update is again lr * sign(g).
  step(2);
  EXPECT_NEAR(p0[0], (1.0 * 0.999 - 0.1) * 0.999 - 0.1, 1e-6);
  EXPECT_NEAR(p0[1], (-0.5 * 0.999 + 0.1) * 0.999 + 0.1, 1e-6);
  EXPECT_NEAR(p1[0], (2.0 * 0.999 - upd) * 0.999 - upd, 1e-12);
}

TEST(RankMainOptimizer, SgdMomentumAndPlain) {
  float p[1] = {1}, g[1] = {1}, buf[1] = {};
  dsrt_sgd_f32(p, g, buf, 1, 0.5, 0.9, 0.0, 0.0, 0, 1);
  EXPECT_FLOAT_EQ(p[0], 0.5f);
  dsrt_sgd_f32(p, g, buf, 1, 0.5, 0.9, 0.0, 0.0, 0, 2); // buf = 0.9 + 1
  EXPECT_FLOAT_EQ(p[0], 0.5f - 0.95f);
  // Without momentum there is no buffer.
  float q[1] = {1};
  dsrt_sgd_f32(q, g, nullptr, 1, 0.5, 0.0, 0.0, 0.0, 0, 1);
  EXPECT_FLOAT_EQ(q[0], 0.5f);
}

TEST(RankMainOptimizer, ScaleByOneAndClipping) {
  float x[2] = {1.5f, -2.0f};
  dsrt_scale_f32(x, 2, 1.0);
  EXPECT_EQ(x[0], 1.5f);
  dsrt_scale_f32(x, 2, 0.5);
  EXPECT_EQ(x[1], -1.0f);
  EXPECT_DOUBLE_EQ(dsrt_sum_squares_f32(x, 2), 0.75 * 0.75 + 1.0);
  // Norm 5 against 1: 1 / (5 + 1e-6) in float32; a norm below the limit
  // does not clip.
  EXPECT_DOUBLE_EQ(dsrt_clip_coefficient(25.0, 1.0),
                   static_cast<double>(static_cast<float>(1.0 / (5.0 + 1e-6))));
  EXPECT_EQ(dsrt_clip_coefficient(0.25, 1.0), 1.0);
}

//===-- arguments ---------------------------------------------------------===//

TEST(RankMainArgs, ParsesOptions) {
  const char *argv[] = {"rank_0", "--plan",    "p.json",  "--steps=5", "--data",
                        "d",      "--metrics", "m.jsonl", "--save",    "s"};
  Expected<RankArgs> a = parseRankArgs(10, argv);
  ASSERT_TRUE(a.ok()) << a.message();
  EXPECT_EQ(a->plan, "p.json");
  EXPECT_EQ(a->steps, 5);
  EXPECT_EQ(a->data, "d");
  EXPECT_EQ(a->metrics, "m.jsonl");
  EXPECT_EQ(a->save, "s");
  EXPECT_FALSE(a->out.has_value());
  EXPECT_FALSE(a->weights.has_value());
  EXPECT_FALSE(a->help);
  const char *weights[] = {"rank_0", "--weights", "init.safetensors"};
  EXPECT_EQ(parseRankArgs(3, weights)->weights, "init.safetensors");
  const char *help[] = {"rank_0", "--help"};
  EXPECT_TRUE(parseRankArgs(2, help)->help);
  EXPECT_NE(rankUsage("rank_0").find("--steps N"), std::string::npos);
  EXPECT_EQ(outputDirOf("out/bin/rank_0"), "out/bin/../");
  EXPECT_EQ(outputDirOf("rank_0"), "./../");
  EXPECT_FALSE(executablePath().empty());
}

TEST(RankMainArgs, Errors) {
  auto err = [](std::vector<const char *> argv) {
    argv.insert(argv.begin(), "rank_0");
    Expected<RankArgs> a =
        parseRankArgs(static_cast<int>(argv.size()), argv.data());
    EXPECT_FALSE(a.ok());
    return a.message();
  };
  EXPECT_EQ(err({"--bogus", "1"}), "unknown option '--bogus' (see --help)");
  EXPECT_EQ(err({"--steps"}), "--steps needs a value");
  EXPECT_EQ(err({"--steps", "x"}), "--steps: 'x' is not a whole number >= 0");
  EXPECT_EQ(err({"--steps", "-3"}), "--steps: '-3' is not a whole number >= 0");
  EXPECT_EQ(err({"--steps", "99999999999999999999"}),
            "--steps: '99999999999999999999' is not a whole number >= 0");
  EXPECT_EQ(err({"--plan", "a", "--plan=b"}), "--plan given twice");
  EXPECT_EQ(err({"--data="}), "--data needs a non-empty value");
  EXPECT_EQ(err({"stray"}), "unexpected argument 'stray' (see --help)");
  EXPECT_EQ(err({"--save-every", "two"}),
            "--save-every: 'two' is not a whole number >= 0");
  EXPECT_EQ(err({"--resume", "a", "--resume", "b"}), "--resume given twice");
}

TEST(RankMainArgs, CheckpointOptions) {
  const char *argv[] = {"rank_0", "--save-every", "3",  "--save-dir",
                        "ck",     "--resume",     "old"};
  Expected<RankArgs> a = parseRankArgs(7, argv);
  ASSERT_TRUE(a.ok()) << a.message();
  EXPECT_EQ(a->saveEvery, 3);
  EXPECT_EQ(a->saveDir, "ck");
  EXPECT_EQ(a->resume, "old");
}

//===-- weights -----------------------------------------------------------===//

TEST(RankMainWeights, LoadsAndReportsErrors) {
  TempDir dir;
  Expected<Plan> plan =
      parsePlan(trainingPlan().dump(), dir.path + "/plan.json");
  ASSERT_TRUE(plan.ok());
  const std::string file = dir.path + "/w.safetensors";
  float w[2] = {3, 4};
  ASSERT_TRUE(writeSafetensors(file, {{"w", DType::F32, {2}, w}}).ok());
  std::vector<char> arena(256, 0);
  ASSERT_TRUE(loadWeights(*plan, file, arena.data()).ok());
  float loaded[2];
  std::memcpy(loaded, arena.data() + 64, 8);
  EXPECT_EQ(loaded[0], 3);
  EXPECT_EQ(loaded[1], 4);

  EXPECT_NE(loadWeights(*plan, dir.path + "/none.safetensors", arena.data())
                .message()
                .find("none.safetensors"),
            std::string::npos);
  ASSERT_TRUE(writeSafetensors(file, {{"v", DType::F32, {2}, w}}).ok());
  EXPECT_EQ(loadWeights(*plan, file, arena.data()).message(),
            file + ": no tensor 'w' (the plan's param float32 (2,))");
  // A float tensor of another width converts (an fp16 / bf16 plan loads
  // the model's float32 weights): float64 1/3 rounds to float32's.
  double wd[2] = {1.0 / 3.0, -2.5};
  ASSERT_TRUE(writeSafetensors(file, {{"w", DType::F64, {2}, wd}}).ok());
  ASSERT_TRUE(loadWeights(*plan, file, arena.data()).ok());
  std::memcpy(loaded, arena.data() + 64, 8);
  EXPECT_EQ(loaded[0], 1.0f / 3.0f);
  EXPECT_EQ(loaded[1], -2.5f);
  int64_t wi[2] = {3, 4};
  ASSERT_TRUE(writeSafetensors(file, {{"w", DType::I64, {2}, wi}}).ok());
  EXPECT_EQ(loadWeights(*plan, file, arena.data()).message(),
            file + ": tensor 'w' is int64, the plan's param is float32");
  ASSERT_TRUE(writeSafetensors(file, {{"w", DType::F32, {1, 2}, w}}).ok());
  EXPECT_EQ(loadWeights(*plan, file, arena.data()).message(),
            file + ": tensor 'w' has shape (1, 2), the plan's param has (2,)");
  writeText(file, "garbage, not a safetensors file");
  Status corrupt = loadWeights(*plan, file, arena.data());
  ASSERT_FALSE(corrupt.ok());
  EXPECT_EQ(corrupt.message().rfind(file, 0), 0u) << corrupt.message();
}

//===-- end to end --------------------------------------------------------===//

namespace {
// The offsets of trainingPlan().
constexpr int64_t kX = 0, kW = 64, kGrad = 128, kLoss = 192;
} // namespace

/// The "generated" training step of trainingPlan(): loss = sum(w^2) +
/// mean(x), grad = 2 w; w + w goes through add's entry point.
/// Whether the step adds its gradient into the buffer (a plan with
/// zero.accumulate_gradients) instead of writing it.
bool gAccumulate = false;

// rankMain (in the library) refers to the object's constants too; this
// test binary has no generated object: a constant lr, zeros, and no plan
// (the tests give --plan).
extern "C" const dsrt_lr_schedule dsc_schedule = {};
extern "C" const dsrt_optimizer dsc_optimizer = {};
extern "C" const dsrt_train_step_fn dsc_train_step_table[1] = {nullptr};
extern "C" const int64_t dsc_train_step_count = 0;
extern "C" const unsigned char dsc_plan[1] = {0};
extern "C" const int64_t dsc_plan_bytes = 0;

/// The optimizer constants of trainingPlan()'s rank: SGD, lr 0.1, no
/// clipping (what its object would hold).
const dsrt_optimizer &sgdConstants() {
  static const dsrt_optimizer abi = [] {
    dsrt_optimizer sgd{};
    sgd.kind = 2; // dsrt.h's numbering: SGD
    sgd.lr = 0.1;
    return sgd;
  }();
  return abi;
}

extern "C" void dsc_step(dsrt_ctx *ctx, char *arena);

/// The "generated" training step of trainingPlan()'s rank, as
/// build-optimizer-step builds it for one rank and stage 0 from the
/// program's constants (gUpdateOptimizer, gUpdateSchedule; none: a constant
/// lr): the micro-steps and their mean loss, the mean gradient, the norm,
/// clipping, the schedule's lr, the update. Steps in gOverflowSteps report
/// an overflow and skip the update, as check-overflow's guard does.
const dsrt_optimizer *gUpdateOptimizer = nullptr;
const dsrt_lr_schedule *gUpdateSchedule = nullptr;
int64_t gUpdateMicroSteps = 1;
std::vector<int64_t> gOverflowSteps;
/// The loss scale the runtime passed each step.
std::vector<double> gLossScales;

extern "C" void testTrainStep(dsrt_ctx *ctx, char *arena, double *report,
                              int64_t step, int64_t skipped, double lossScale) {
  gLossScales.push_back(lossScale);
  double loss = 0;
  for (int64_t m = 0; m < gUpdateMicroSteps; ++m) {
    dsrt_micro_step(ctx, step, m);
    dsc_step(ctx, arena);
    loss += *reinterpret_cast<const float *>(arena + kLoss) /
            static_cast<double>(gUpdateMicroSteps);
    dsrt_micro_step_end(ctx, m);
  }
  report[DSRT_REPORT_LOSS] = loss;
  float *w = reinterpret_cast<float *>(arena + kW);
  float *g = reinterpret_cast<float *>(arena + kGrad);
  // The optimizer states (an object keeps them in its arena).
  static float m[2], v[2];
  if (step == 0)
    m[0] = m[1] = v[0] = v[1] = 0;
  const dsrt_optimizer &o = *gUpdateOptimizer;
  dsrt_scale_f32(g, 2, 1.0 / static_cast<double>(gUpdateMicroSteps));
  const double normSq = dsrt_sum_squares_f32(g, 2);
  if (o.gradient_clipping > 0)
    dsrt_scale_f32(g, 2, dsrt_clip_coefficient(normSq, o.gradient_clipping));
  report[DSRT_REPORT_GRAD_NORM] = std::sqrt(normSq);
  static const dsrt_lr_schedule constant = {};
  const int64_t taken = step - skipped;
  double lr[3];
  dsrt_lr_at(gUpdateSchedule ? gUpdateSchedule : &constant, o.lr, o.beta1,
             o.beta2, taken, lr);
  for (int i = 0; i < 3; ++i)
    report[DSRT_REPORT_LR + i] = lr[i];
  const bool overflow =
      std::count(gOverflowSteps.begin(), gOverflowSteps.end(), step) > 0;
  report[DSRT_REPORT_OVERFLOW] = overflow ? 1.0 : 0.0;
  if (!overflow && o.kind == 2)
    dsrt_sgd_f32(w, g, nullptr, 2, lr[0], 0, 0, o.weight_decay, 0, taken + 1);
  else if (!overflow)
    dsrt_adam_f32(w, g, m, v, 2, lr[0], lr[1], lr[2], o.eps, o.weight_decay,
                  o.adam_w_mode, o.bias_correction, taken + 1);
  if (gUpdateMicroSteps > 1)
    g[0] = g[1] = 0;
}

/// The program of trainingPlan()'s rank with `optimizer` and `schedule` as
/// its object's constants and testTrainStep as its training step.
RankProgram testProgram(const dsrt_lr_schedule *schedule,
                        const dsrt_optimizer *optimizer) {
  static const dsrt_train_step_fn steps[1] = {&testTrainStep};
  gUpdateOptimizer = optimizer;
  gUpdateSchedule = schedule;
  return RankProgram(&dsc_step, optimizer, nullptr, 0,
                     optimizer ? steps : nullptr, optimizer ? 1 : 0);
}

// The entry point the compiler calls for add_f32 on [2] + [2] -> [2], and
// that site's constants, encoded as the compiler does.
extern "C" void dsrt_k_add_f32(dsrt_ctx *, void *const *, const int64_t *,
                               const char *);
const int64_t *addSite() {
  static const std::vector<int64_t> words = [] {
    dsc::kernels::KernelSite site;
    site.decl = dsc::kernels::findKernelDecl("add");
    site.numInputs = 2;
    site.numOutputs = 1;
    site.shapes.assign(3, {2});
    site.dtypes.assign(3, DSRT_F32);
    std::string problem;
    if (!dsc::kernels::resolveSite(site, problem))
      std::abort();
    return dsc::kernels::encodeSite(site);
  }();
  return words.data();
}

extern "C" void dsc_step(dsrt_ctx *ctx, char *arena) {
  float *x = reinterpret_cast<float *>(arena + kX);
  float *w = reinterpret_cast<float *>(arena + kW);
  float *g = reinterpret_cast<float *>(arena + kGrad);
  float *loss = reinterpret_cast<float *>(arena + kLoss);
  float fresh[2];
  void *data[3] = {w, w, gAccumulate ? fresh : g};
  dsrt_k_add_f32(ctx, data, addSite(), "node_Add_1");
  if (gAccumulate)
    for (int i = 0; i < 2; ++i)
      g[i] += fresh[i];
  float mean = 0;
  for (int i = 0; i < 6; ++i)
    mean += x[i] / 6;
  *loss = w[0] * w[0] + w[1] * w[1] + mean;
}

namespace {

/// Writes plan.json, weights (w = [1, 2]) and x.npy (4 samples of 3) into
/// `dir`.
void writeTrainingRun(const std::string &dir, const json &plan) {
  mkdir((dir + "/weights").c_str(), 0777);
  mkdir((dir + "/data").c_str(), 0777);
  writeText(dir + "/plan.json", plan.dump(2));
  float w[2] = {1, 2};
  ASSERT_TRUE(writeSafetensors(dir + "/weights/rank_0.safetensors",
                               {{"w", DType::F32, {2}, w}})
                  .ok());
  // Samples 0, 1 have mean 0; samples 2, 3 mean 1.
  float x[12] = {0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1};
  ASSERT_TRUE(writeNpy(dir + "/data/x.npy", DType::F32, {4, 3}, x).ok());
}

/// Everything written to `file` (a tmpfile the rank logged to), which is
/// then closed.
std::string readAndClose(std::FILE *file) {
  std::rewind(file);
  std::string text;
  char chunk[4096];
  while (size_t n = std::fread(chunk, 1, sizeof chunk, file))
    text.append(chunk, n);
  std::fclose(file);
  return text;
}

std::vector<json> readMetrics(const std::string &path) {
  std::vector<json> lines;
  std::istringstream in(readText(path));
  for (std::string line; std::getline(in, line);)
    lines.push_back(json::parse(line));
  return lines;
}

} // namespace

TEST(RankMainEndToEnd, TrainsThreeSgdSteps) {
  TempDir dir;
  writeTrainingRun(dir.path, trainingPlan());
  RankArgs args;
  args.plan = dir.path + "/plan.json";
  args.data = dir.path + "/data";
  args.steps = 3;
  args.metrics = dir.path + "/logs/metrics.jsonl";
  args.save = dir.path + "/saved";
  std::FILE *out = std::tmpfile();
  ASSERT_EQ(runRank(args, testProgram(nullptr, &sgdConstants()), out), 0);
  std::string printed = readAndClose(out);

  // SGD lr 0.1 on sum(w^2): w <- 0.8 w. Step s reads samples 2s, 2s+1
  // (mod 4): mean(x) = 0, 1, 0.
  std::vector<json> m = readMetrics(dir.path + "/logs/metrics.jsonl");
  ASSERT_EQ(m.size(), 3u);
  const double sq[3] = {5.0, 5.0 * 0.64, 5.0 * 0.64 * 0.64};
  const double mean[3] = {0, 1, 0};
  for (int s = 0; s < 3; ++s) {
    EXPECT_EQ(m[s]["step"], s + 1);
    EXPECT_NEAR(m[s]["loss"].get<double>(), sq[s] + mean[s], 1e-5);
    EXPECT_DOUBLE_EQ(m[s]["lr"].get<double>(), 0.1);
    EXPECT_NEAR(m[s]["grad_norm"].get<double>(), 2 * std::sqrt(sq[s]), 1e-5);
    EXPECT_GT(m[s]["samples_per_s"].get<double>(), 0.0);
  }
  // steps_per_print = 2: one progress line, at step 2; then the memory line
  // (the arena 256: one micro-step uses its gradients in place; plain SGD
  // has no state).
  EXPECT_NE(printed.find("[Rank 0] step=2, skipped=0, lr=[0.1], mom=[0.0]"),
            std::string::npos)
      << printed;
  EXPECT_EQ(printed.find("step=1,"), std::string::npos);
  EXPECT_NE(printed.find("ds-rank: memory: predicted 256 bytes, measured "
                         "256 bytes, peak RSS "),
            std::string::npos)
      << printed;

  Expected<SafetensorsFile> saved =
      SafetensorsFile::open(dir.path + "/saved/model.safetensors");
  ASSERT_TRUE(saved.ok()) << saved.message();
  const SafetensorsTensor *w = saved->find("w");
  ASSERT_NE(w, nullptr);
  float wv[2];
  std::memcpy(wv, w->data, 8);
  EXPECT_NEAR(wv[0], 0.512, 1e-6);
  EXPECT_NEAR(wv[1], 1.024, 1e-6);
}

TEST(RankMainEndToEnd, AccumulatesClipsAndSchedules) {
  TempDir dir;
  json plan = trainingPlan();
  plan["batch"] = {{"train_batch_size", 4},
                   {"micro_batch_size", 2},
                   {"gradient_accumulation_steps", 2},
                   {"dp_size", 1}};
  // plan.json's optimizer and clipping are reports too: the rank trains
  // with its object's (AdamW, lr 0.01, clipping 1.0 below).
  plan["optimizer"] = {{"type", "sgd"}, {"lr", 5.0}};
  // The schedule comes from the object (here: this test's), not from
  // plan.json, whose "scheduler" block only reports it: a different one
  // there changes nothing.
  plan["scheduler"] = json::parse(R"({"type": "WarmupLR", "params":
      {"warmup_min_lr": 0.5, "warmup_max_lr": 0.9, "warmup_num_steps": 9}})");
  ScheduleSpec warmup;
  warmup.kind = ScheduleKind::WarmupLR;
  warmup.warmupMinLr = 0.0;
  warmup.warmupMaxLr = 0.01;
  warmup.warmupNumSteps = 4;
  warmup.warmupType = WarmupCurve::Linear;
  const dsrt_lr_schedule schedule = scheduleToAbi(warmup);
  plan["gradient_clipping"] = 0.0;
  // AdamW, lr 0.01, DeepSpeed's other defaults, clipping at 1.
  dsrt_optimizer optimizer{};
  optimizer.kind = 1;
  optimizer.lr = 0.01;
  optimizer.beta1 = 0.9;
  optimizer.beta2 = 0.999;
  optimizer.eps = 1e-8;
  optimizer.adam_w_mode = 1;
  optimizer.bias_correction = 1;
  optimizer.gradient_clipping = 1.0;
  // The step adds up the micro-steps' gradients (accumulate-gradients).
  plan["zero"] = json::parse(R"({"stage": 0, "dp_size": 1, "flat_elements": 2,
      "staging_elements": 0, "accumulate_gradients": true,
      "partitions": [[0, 2]],
      "params": [{"name": "w", "flat_offset": 0, "numel": 2}]})");
  writeTrainingRun(dir.path, plan);
  RankArgs args;
  args.plan = dir.path + "/plan.json";
  args.data = dir.path + "/data";
  args.steps = 2;
  args.metrics = dir.path + "/metrics.jsonl";
  std::FILE *out = std::tmpfile();
  gAccumulate = true;
  gUpdateMicroSteps = 2;
  ASSERT_EQ(runRank(args, testProgram(&schedule, &optimizer), out), 0);
  gUpdateMicroSteps = 1;
  gAccumulate = false;
  std::fclose(out);
  // Without the flag the plan is refused: its step would overwrite.
  plan["zero"]["accumulate_gradients"] = false;
  writeTrainingRun(dir.path, plan);
  RankArgs refusedArgs = args;
  refusedArgs.metrics = dir.path + "/refused.jsonl";
  std::FILE *refused = std::tmpfile();
  EXPECT_EQ(runRank(refusedArgs, testProgram(&schedule, &optimizer), refused),
            1);
  std::fclose(refused);
  std::vector<json> m = readMetrics(dir.path + "/metrics.jsonl");
  ASSERT_EQ(m.size(), 2u);
  // Step 1: lr 0 (linear warmup at t = 0), so w stays [1, 2]; the two
  // micro-batches' means 0 and 1 average to 0.5; grad = 2 w, pre-clip norm.
  EXPECT_NEAR(m[0]["loss"].get<double>(), 5.5, 1e-6);
  EXPECT_DOUBLE_EQ(m[0]["lr"].get<double>(), 0.0);
  EXPECT_NEAR(m[0]["grad_norm"].get<double>(), 2 * std::sqrt(5.0), 1e-5);
  // Step 2: lr 0.01 * 1/4; w unchanged before it, so the same loss.
  EXPECT_NEAR(m[1]["lr"].get<double>(), 0.0025, 1e-12);
  EXPECT_NEAR(m[1]["loss"].get<double>(), 5.5, 1e-6);
}

// A step the object reports as overflowed (fp16: an inf or NaN gradient)
// skipped its update: the log counts it as DeepSpeed's does, the schedule
// does not advance (the object gets the skipped count), and a checkpoint
// keeps the count for a resumed run.
TEST(RankMainEndToEnd, SkippedStepsHoldTheSchedule) {
  TempDir dir;
  json plan = trainingPlan();
  plan["steps_per_print"] = 1;
  writeTrainingRun(dir.path, plan);
  ScheduleSpec warmup;
  warmup.kind = ScheduleKind::WarmupLR;
  warmup.warmupMinLr = 0.0;
  warmup.warmupMaxLr = 0.01;
  warmup.warmupNumSteps = 8;
  warmup.warmupType = WarmupCurve::Linear;
  const dsrt_lr_schedule schedule = scheduleToAbi(warmup);
  RankArgs args;
  args.plan = dir.path + "/plan.json";
  args.data = dir.path + "/data";
  args.steps = 4;
  args.metrics = dir.path + "/metrics.jsonl";
  args.saveEvery = 4;
  args.saveDir = dir.path + "/ckpt";
  gOverflowSteps = {1};
  std::FILE *out = std::tmpfile();
  ASSERT_EQ(runRank(args, testProgram(&schedule, &sgdConstants()), out), 0);
  std::string log = readAndClose(out);
  // lr(t) = 0.01 t / 8 at the steps taken: the skipped second step shows
  // the lr it did not use, and the third uses it.
  std::vector<json> m = readMetrics(*args.metrics);
  ASSERT_EQ(m.size(), 4u);
  const double lrs[] = {0.0, 0.00125, 0.00125, 0.0025};
  for (int i = 0; i < 4; ++i)
    EXPECT_NEAR(m[i]["lr"].get<double>(), lrs[i], 1e-15) << "step " << i + 1;
  EXPECT_NE(log.find("step=1, skipped=0,"), std::string::npos) << log;
  EXPECT_NE(log.find("step=2, skipped=1,"), std::string::npos) << log;
  EXPECT_NE(log.find("step=4, skipped=1,"), std::string::npos) << log;
  // The scheduler took 3 of the 4 steps.
  std::ifstream state(dir.path + "/ckpt/global_step4/state.json");
  json meta = json::parse(state);
  EXPECT_EQ(meta["global_steps"], 4);
  EXPECT_EQ(meta["scheduler"]["last_step"], 3) << meta.dump();

  // Resumed: the fifth step is the fourth the scheduler takes.
  gOverflowSteps.clear();
  RankArgs resumed = args;
  resumed.saveEvery.reset();
  resumed.saveDir.reset();
  resumed.resume = dir.path + "/ckpt";
  resumed.steps = 5;
  resumed.metrics = dir.path + "/resumed.jsonl";
  std::FILE *out2 = std::tmpfile();
  ASSERT_EQ(runRank(resumed, testProgram(&schedule, &sgdConstants()), out2), 0);
  std::fclose(out2);
  std::vector<json> r = readMetrics(*resumed.metrics);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_NEAR(r[0]["lr"].get<double>(), 0.00375, 1e-15);
}

// fp16's dynamic loss scale, step by step as deepspeed.md gives DeepSpeed's
// rules (initial 2^4, window 2, hysteresis 2, min 1), with overflows
// scripted at steps 1, 2 and 6: the first overflow uses up hysteresis, the
// second halves the scale, two clean steps after it double it (refilling
// the hysteresis), the next overflow uses up hysteresis again.
TEST(RankMainEndToEnd, DynamicLossScaleFollowsDeepSpeed) {
  TempDir dir;
  json plan = trainingPlan();
  plan["steps_per_print"] = 1;
  writeTrainingRun(dir.path, plan);
  dsrt_optimizer fp16 = sgdConstants();
  fp16.loss_scaling = 1;
  fp16.initial_scale_power = 4;
  fp16.loss_scale_window = 2;
  fp16.hysteresis = 2;
  fp16.min_loss_scale = 1;
  RankArgs args;
  args.plan = dir.path + "/plan.json";
  args.data = dir.path + "/data";
  args.steps = 7;
  gOverflowSteps = {0, 1, 5};
  gLossScales.clear();
  std::FILE *out = std::tmpfile();
  ASSERT_EQ(runRank(args, testProgram(nullptr, &fp16), out), 0);
  std::string log = readAndClose(out);
  EXPECT_EQ(gLossScales, (std::vector<double>{16, 16, 8, 8, 8, 16, 16}));
  EXPECT_NE(log.find("[deepspeed] OVERFLOW! Rank 0 Skipping step. Attempted "
                     "loss scale: 16.0, reducing to 8.0"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("step=7, skipped=3,"), std::string::npos) << log;

  // Checkpointed after step 3 and resumed: the scaler continues where it
  // was (its iteration, last overflow and hysteresis too), so steps 4-7
  // get the uninterrupted run's scales; from the scale alone, the growth
  // after step 5 would not come.
  RankArgs first = args;
  first.steps = 3;
  first.saveEvery = 3;
  first.saveDir = dir.path + "/ckpt";
  gLossScales.clear();
  std::FILE *firstOut = std::tmpfile();
  ASSERT_EQ(runRank(first, testProgram(nullptr, &fp16), firstOut), 0);
  std::fclose(firstOut);
  RankArgs resumed = args;
  resumed.resume = dir.path + "/ckpt";
  gLossScales.clear();
  std::FILE *resumedOut = std::tmpfile();
  ASSERT_EQ(runRank(resumed, testProgram(nullptr, &fp16), resumedOut), 0);
  std::fclose(resumedOut);
  EXPECT_EQ(gLossScales, (std::vector<double>{8, 8, 16, 16}));

  // At min_loss_scale an overflow stops the run, as DeepSpeed does.
  fp16.initial_scale_power = 3;
  fp16.hysteresis = 1;
  fp16.min_loss_scale = 8;
  gOverflowSteps = {0};
  testing::internal::CaptureStderr();
  std::FILE *stopped = std::tmpfile();
  EXPECT_EQ(runRank(args, testProgram(nullptr, &fp16), stopped), 1);
  std::fclose(stopped);
  EXPECT_NE(testing::internal::GetCapturedStderr().find(
                "loss scale already at minimum"),
            std::string::npos);
  gOverflowSteps.clear();
}

TEST(RankMainEndToEnd, ReportsRunErrors) {
  TempDir dir;
  writeTrainingRun(dir.path, trainingPlan());
  RankArgs args;
  args.plan = dir.path + "/plan.json";
  const RankProgram sgd = testProgram(nullptr, &sgdConstants());
  std::FILE *out = std::tmpfile();
  // A training program without its optimizer constants.
  args.data = dir.path + "/data";
  EXPECT_EQ(runRank(args, RankProgram(&dsc_step), out), 1);
  // One whose object has no training step for this rank.
  testing::internal::CaptureStderr();
  EXPECT_EQ(runRank(args, RankProgram(&dsc_step, &sgdConstants()), out), 1);
  EXPECT_NE(testing::internal::GetCapturedStderr().find(
                "the rank program has no training step for data-parallel "
                "rank 0"),
            std::string::npos);
  args.data.reset();
  // No --data although the plan has inputs.
  EXPECT_EQ(runRank(args, sgd, out), 1);
  // Too few samples: TBS 4 > the 4 rows? make TBS bigger than the file.
  json big = trainingPlan();
  big["batch"]["train_batch_size"] = 6;
  big["batch"]["gradient_accumulation_steps"] = 3;
  writeText(dir.path + "/plan.json", big.dump());
  args.data = dir.path + "/data";
  EXPECT_EQ(runRank(args, sgd, out), 1);
  // --out on a training plan is a usage error.
  writeText(dir.path + "/plan.json", trainingPlan().dump());
  args.out = dir.path + "/o";
  EXPECT_EQ(runRank(args, sgd, out), kExitUsage);
  args.out.reset();
  // A corrupt weights file.
  writeText(dir.path + "/weights/rank_0.safetensors", "xx");
  EXPECT_EQ(runRank(args, sgd, out), 1);
  // A missing plan.
  args.plan = dir.path + "/nope.json";
  EXPECT_EQ(runRank(args, sgd, out), 1);
  std::fclose(out);
}

namespace {
/// The inference step: y = w + x[0, 0:2].
void inferenceStep(dsrt_ctx *ctx, char *arena) {
  void *data[3] = {arena + 64, arena + 0, arena + 128};
  dsrt_k_add_f32(ctx, data, addSite(), "node_Add_1");
}
} // namespace

TEST(RankMainEndToEnd, Inference) {
  TempDir dir;
  json plan = json::parse(R"({
    "format": "ds-compile plan 1", "mode": "inference",
    "arena_bytes": 192,
    "buffers": [
      {"name": "x", "role": "input", "offset": 0, "dtype": "float32", "shape": [1, 2]},
      {"name": "w", "role": "param", "offset": 64, "dtype": "float32", "shape": [2]},
      {"name": "out/y", "role": "output", "offset": 128, "dtype": "float32", "shape": [2]}],
    "kernels": [
      {"kernel": "add_f32", "location": "node_Add_1", "num_inputs": 2, "num_outputs": 1,
       "buffers": [{"dtype": "float32", "shape": [2]}, {"dtype": "float32", "shape": [2]},
                   {"dtype": "float32", "shape": [2]}]}],
    "batch": {"train_batch_size": 4, "micro_batch_size": 4,
              "gradient_accumulation_steps": 1, "dp_size": 1},
    "weights": "weights/rank_0.safetensors",
    "predicted_peak_bytes": 192
  })");
  mkdir((dir.path + "/weights").c_str(), 0777);
  mkdir((dir.path + "/data").c_str(), 0777);
  writeText(dir.path + "/plan.json", plan.dump());
  float w[2] = {1, 2};
  ASSERT_TRUE(writeSafetensors(dir.path + "/weights/rank_0.safetensors",
                               {{"w", DType::F32, {2}, w}})
                  .ok());
  float x[4] = {10, 20, 30, 40};
  ASSERT_TRUE(writeNpy(dir.path + "/data/x.npy", DType::F32, {2, 2}, x).ok());
  RankArgs args;
  args.plan = dir.path + "/plan.json";
  args.data = dir.path + "/data";
  args.out = dir.path + "/results";
  std::FILE *out = std::tmpfile();
  ASSERT_EQ(runRank(args, &inferenceStep, out), 0);
  args.steps = 2;
  EXPECT_EQ(runRank(args, &inferenceStep, out), kExitUsage);
  std::fclose(out);
  Expected<NpyArray> y = NpyArray::open(dir.path + "/results/out_y.npy");
  ASSERT_TRUE(y.ok()) << y.message();
  EXPECT_EQ(y->shape(), (std::vector<int64_t>{2}));
  float yv[2];
  std::memcpy(yv, y->data(), 8);
  EXPECT_EQ(yv[0], 11);
  EXPECT_EQ(yv[1], 22);
}

TEST(RankMainEndToEnd, RankMainHelpAndUsage) {
  const char *help[] = {"rank_0", "--help"};
  testing::internal::CaptureStdout();
  EXPECT_EQ(rankMain(2, const_cast<char **>(help)), 0);
  EXPECT_NE(testing::internal::GetCapturedStdout().find("usage: rank_0"),
            std::string::npos);
  const char *bad[] = {"rank_0", "--stepz", "3"};
  testing::internal::CaptureStderr();
  EXPECT_EQ(rankMain(3, const_cast<char **>(bad)), kExitUsage);
  EXPECT_EQ(testing::internal::GetCapturedStderr(),
            "ds-rank: error: unknown option '--stepz' (see --help)\n");
}

//===-- the collectives' worker thread ------------------------------------===//

#include "runtime/main/CommWorker.h"

TEST(CommWorker, RunsTasksInOrderAndReturnsTheirStatus) {
  CommWorker worker;
  std::vector<int> order;
  uint64_t a = worker.submit([&] {
    order.push_back(1);
    return Status::success();
  });
  uint64_t b = worker.submit([&] {
    order.push_back(2);
    return Status::error("second failed");
  });
  // Waiting for the later task first is allowed.
  EXPECT_EQ(worker.wait(b).message(), "second failed");
  EXPECT_TRUE(worker.wait(a).ok());
  EXPECT_TRUE(worker
                  .run([&] {
                    order.push_back(3);
                    return Status::success();
                  })
                  .ok());
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}
