//===- ZeroPartitionTest.cpp - The data-parallel layout and collectives ---===//

#include "compiler/partition/ZeroPartition.h"

#include <gtest/gtest.h>

#include <algorithm>

using namespace dsc::partition;

namespace {

ZeroInputs inputs(int64_t stage, int64_t dp, int64_t gas = 1) {
  ZeroInputs in;
  in.params = {{"a", 6}, {"b", 3}, {"c", 1}};
  in.stage = stage;
  in.dpSize = dp;
  in.gradAccumSteps = gas;
  in.reduceBucketElements = 4;
  in.allgatherBucketElements = 5;
  in.arenaBytes = 1000;
  in.arenaParamBytes = 40;
  in.arenaGradBytes = 40;
  // Stage 2's step reduces the buckets as backward fills them: last first.
  if (stage == 2)
    in.inStep = {{CollectiveKind::ReduceScatter, {6, 10}},
                 {CollectiveKind::ReduceScatter, {0, 6}}};
  return in;
}

/// The plan of `given`, with the exchange outside the step that
/// zero-boundary-exchange would place for it.
ZeroPlan plan(const ZeroInputs &given) {
  ZeroInputs in = given;
  std::vector<int64_t> numels;
  for (const auto &p : in.params)
    numels.push_back(p.second);
  in.boundary =
      boundaryExchange(in.stage, in.dpSize, numels, in.persistentParams,
                       in.reduceBucketElements, in.allgatherBucketElements);
  // The update's buffers in the arena, as build-optimizer-step adds them
  // (unless the test gives its own): Adam's two states and the stage-2/3
  // accumulator for the largest partition, the staging buffer and the two
  // float64 scalars.
  if (!in.arenaStateBytes && !in.arenaWorkspaceBytes) {
    llvm::Expected<ZeroPlan> first = planZero(in);
    EXPECT_TRUE(static_cast<bool>(first)) << llvm::toString(first.takeError());
    int64_t largest = 0;
    for (const FlatRange &r : first->partitions)
      largest = std::max(largest, r.size());
    const int64_t owned = in.stage == 0 ? first->flatElements : largest;
    in.arenaStateBytes = owned * 2 * in.elementBytes;
    in.arenaAccumulatorBytes = in.stage >= 2 ? largest * in.elementBytes : 0;
    // Staging: the largest gradient bucket of stages 0 and 1, or gather of
    // more than one param (one param is gathered into its own buffer).
    int64_t staging = 0;
    for (const PlannedCollective &c : first->collectives) {
      bool oneParam = std::any_of(
          first->params.begin(), first->params.end(), [&](const FlatParam &p) {
            return p.flatOffset == c.range.begin && p.numel == c.range.size();
          });
      if (c.phase != CollectivePhase::MicroStep &&
          (c.payload == CollectivePayload::Gradients ||
           (c.payload == CollectivePayload::Parameters && !oneParam)))
        staging = std::max(staging, c.range.size());
    }
    in.arenaWorkspaceBytes =
        staging * in.elementBytes + (in.dpSize > 1 ? 2 * 8 : 0);
  }
  llvm::Expected<ZeroPlan> p = planZero(in);
  EXPECT_TRUE(static_cast<bool>(p)) << llvm::toString(p.takeError());
  return std::move(*p);
}

std::string sequence(const ZeroPlan &p) {
  std::string s;
  for (const PlannedCollective &c : p.collectives)
    s += std::string(dsc::runtime::collectiveOpName(c.kind)) + ":" +
         std::string(dsc::runtime::collectivePayloadName(c.payload)) + "[" +
         std::to_string(c.range.begin) + "," + std::to_string(c.range.end) +
         ")" + (c.micro >= 0 ? "@" + std::to_string(c.micro) : "") + " ";
  return s;
}

TEST(ZeroPartition, FlatOffsetsFollowPlanOrder) {
  ZeroPlan p = plan(inputs(0, 1));
  ASSERT_EQ(p.params.size(), 3u);
  EXPECT_EQ(p.params[1].flatOffset, 6);
  EXPECT_EQ(p.params[2].flatOffset, 9);
  EXPECT_EQ(p.flatElements, 10);
  // One rank exchanges nothing.
  EXPECT_TRUE(p.collectives.empty());
}

TEST(ZeroPartition, UnevenPartitionsOverThreeRanks) {
  ZeroPlan p = plan(inputs(1, 3));
  ASSERT_EQ(p.partitions.size(), 3u);
  EXPECT_EQ(p.partitions[0].begin, 0);
  EXPECT_EQ(p.partitions[0].end, 4);
  EXPECT_EQ(p.partitions[1].end, 8);
  EXPECT_EQ(p.partitions[2].end, 10);
  EXPECT_EQ(p.partitions[2].size(), 2);
}

TEST(ZeroPartition, BucketsHoldWholeParams) {
  // A param larger than the bucket is a bucket of its own.
  std::vector<FlatRange> b = paramBuckets({6, 3, 1, 2}, 4);
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[0].end, 6);
  EXPECT_EQ(b[1].begin, 6);
  EXPECT_EQ(b[1].end, 10);
  EXPECT_EQ(b[2].end, 12);
}

TEST(ZeroPartition, StageZeroAllReducesBuckets) {
  // Buckets of at most 4 elements over params of 6, 3 and 1: [0, 6) alone,
  // then [6, 10).
  ZeroPlan p = plan(inputs(0, 2));
  EXPECT_EQ(sequence(p), "all_reduce:gradients[0,6) all_reduce:gradients[6,10) "
                         "all_reduce:grad_norm_squared[0,1) "
                         "all_reduce:loss[0,1) ");
  // 10 float32 gradients + the norm and the loss in float64.
  EXPECT_EQ(p.bytesPerStep(), 10 * 4 + 8 + 8);
}

TEST(ZeroPartition, StageOneReduceScattersThenGathers) {
  ZeroPlan p = plan(inputs(1, 3));
  EXPECT_EQ(sequence(p),
            "reduce_scatter:gradients[0,6) reduce_scatter:gradients[6,10) "
            "all_reduce:grad_norm_squared[0,1) all_reduce:loss[0,1) "
            "all_gather:parameters[0,5) all_gather:parameters[5,10) ");
  // Partitions [0, 4), [4, 8), [8, 10): bucket [6, 10) spans ranks 1 and 2;
  // all-gather bucket [0, 5) ranks 0 and 1.
  EXPECT_EQ(p.collectives[1].counts, (std::vector<int64_t>{0, 2, 2}));
  EXPECT_EQ(p.collectives[4].counts, (std::vector<int64_t>{4, 1, 0}));
  for (size_t i = 0; i < p.collectives.size(); ++i)
    EXPECT_EQ(p.collectives[i].seq, static_cast<int64_t>(i));
}

TEST(ZeroPartition, StageTwoReducesEveryMicroStep) {
  ZeroPlan p = plan(inputs(2, 2, /*gas=*/2));
  EXPECT_EQ(sequence(p),
            "reduce_scatter:gradients[6,10)@0 reduce_scatter:gradients[0,6)@0 "
            "reduce_scatter:gradients[6,10)@1 reduce_scatter:gradients[0,6)@1 "
            "all_reduce:grad_norm_squared[0,1) all_reduce:loss[0,1) "
            "all_gather:parameters[0,5) all_gather:parameters[5,10) ");
}

TEST(ZeroPartition, MemoryFollowsTheStage) {
  // 10 elements of 4 bytes (Psi = 10), Adam (2 states), 2 ranks of 5
  // elements; the arena holds the params (40) and their gradients (40).
  auto modelStates = [](const MemorySplit &m) {
    return m.parameters + m.gradients + m.optimizerStates;
  };
  // deepspeed.md's table, fp32: stage 0 16 Psi; stage 1 8 Psi + 8 Psi / N.
  ZeroPlan s0 = plan(inputs(0, 2));
  EXPECT_TRUE(s0.gradientsInPlace());
  EXPECT_EQ(s0.memory[0].parameters, 40);
  EXPECT_EQ(s0.memory[0].gradients, 40);
  EXPECT_EQ(s0.memory[0].optimizerStates, 80);
  EXPECT_EQ(modelStates(s0.memory[0]), 16 * 10);
  // The largest reduce bucket (the 6-element param) of staging, and the
  // norm and the loss.
  EXPECT_EQ(s0.memory[0].workspace, 6 * 4 + 16);
  // The arena's rest.
  EXPECT_EQ(s0.memory[0].activations, 1000 - 80 - 80 - 40);
  ZeroPlan s1 = plan(inputs(1, 2));
  EXPECT_EQ(modelStates(s1.memory[1]), 8 * 10 + 8 * 10 / 2);
  // The larger of a reduce and an all-gather bucket.
  EXPECT_EQ(s1.memory[1].workspace, 6 * 4 + 16);
  // 3 ranks: partitions of 4, 4 and 2 elements; the last rank's states and
  // accumulator leave room for 4, which it counts as workspace.
  ZeroPlan uneven = plan(inputs(2, 3));
  EXPECT_EQ(uneven.memory[2].optimizerStates, 2 * 2 * 4);
  EXPECT_EQ(uneven.memory[2].gradients, 40 + 2 * 4);
  EXPECT_EQ(uneven.memory[2].workspace - uneven.memory[0].workspace,
            (2 + 2 * 2) * 4);
  EXPECT_EQ(uneven.memory[2].total(), uneven.memory[0].total());
  // Stage 2: the step reduces its gradients in buckets (zero-reduce-
  // gradients), so the arena holds none as a model state and the rank keeps
  // its partition's sum: 4 Psi + 12 Psi / N.
  ZeroInputs in2 = inputs(2, 2);
  in2.arenaGradBytes = 0;
  ZeroPlan s2 = plan(in2);
  EXPECT_FALSE(s2.gradientsInPlace());
  EXPECT_EQ(s2.memory[1].gradients, 20);
  EXPECT_EQ(s2.memory[1].optimizerStates, 40);
  EXPECT_EQ(modelStates(s2.memory[1]), 4 * 10 + 12 * 10 / 2);
  // Only the all-gather stages through the staging buffer.
  EXPECT_EQ(s2.memory[1].workspace, 5 * 4 + 16);
  // Micro-steps accumulate in the gradient buffers: no second copy.
  ZeroPlan gas = plan(inputs(0, 2, /*gas=*/2));
  EXPECT_EQ(gas.memory[0].gradients, 40);
  EXPECT_EQ(modelStates(gas.memory[0]), 16 * 10);
  // One rank exchanges nothing: no staging.
  EXPECT_EQ(plan(inputs(0, 1)).memory[0].workspace, 0);
}

TEST(ZeroPartition, Errors) {
  ZeroInputs in = inputs(4, 2);
  llvm::Expected<ZeroPlan> p = planZero(in);
  ASSERT_FALSE(static_cast<bool>(p));
  EXPECT_NE(llvm::toString(p.takeError()).find("must be 0, 1, 2 or 3"),
            std::string::npos);
  in = inputs(1, 2);
  in.reduceBucketElements = 0;
  p = planZero(in);
  ASSERT_FALSE(static_cast<bool>(p));
  EXPECT_NE(llvm::toString(p.takeError()).find("reduce_bucket_size"),
            std::string::npos);
}

TEST(ZeroPartition, SeveralRanksNeedTheBoundaryExchange) {
  llvm::Expected<ZeroPlan> p = planZero(inputs(1, 2));
  ASSERT_FALSE(static_cast<bool>(p));
  EXPECT_NE(llvm::toString(p.takeError()).find("run zero-boundary-exchange"),
            std::string::npos);
}

TEST(ZeroPartition, StageTwoNeedsTheStepsBuckets) {
  ZeroInputs in = inputs(2, 2);
  in.inStep = {{CollectiveKind::ReduceScatter, {0, 6}}};
  llvm::Expected<ZeroPlan> p = planZero(in);
  ASSERT_FALSE(static_cast<bool>(p));
  EXPECT_NE(llvm::toString(p.takeError()).find("cover 6 of 10"),
            std::string::npos);
}

TEST(ZeroPartition, StageThreeGathersInTheStep) {
  // Params a (6), b (3), c (1) over 2 ranks ([0, 5), [5, 10)); c is below
  // the persistence threshold: whole on every rank, refreshed after the
  // optimizer. The step gathers a, then b, then reduces the buckets.
  ZeroInputs in = inputs(3, 2);
  in.whole = {false, false, true};
  in.persistentParams = {{9, 10}};
  in.inStep = {{CollectiveKind::AllGather, {0, 6}},
               {CollectiveKind::AllGather, {6, 9}},
               {CollectiveKind::ReduceScatter, {6, 10}},
               {CollectiveKind::ReduceScatter, {0, 6}}};
  in.arenaParamBytes = 5 * 4 + 4; // the partition buffer and c
  in.arenaGradBytes = 0;
  ZeroPlan p = plan(in);
  EXPECT_EQ(sequence(p),
            "all_gather:parameters[0,6)@0 all_gather:parameters[6,9)@0 "
            "reduce_scatter:gradients[6,10)@0 reduce_scatter:gradients[0,6)@0 "
            "all_reduce:grad_norm_squared[0,1) all_reduce:loss[0,1) "
            "all_gather:parameters[9,10) ");
  EXPECT_EQ(p.collectives[0].counts, (std::vector<int64_t>{5, 1}));
  EXPECT_FALSE(p.params[0].whole);
  EXPECT_TRUE(p.params[2].whole);
  // 16 Psi / N model states (+ c kept whole); nothing staged, only the
  // norm and the loss.
  EXPECT_EQ(p.memory[1].parameters + p.memory[1].gradients +
                p.memory[1].optimizerStates,
            4 * 5 + 4 + 12 * 5);
  EXPECT_EQ(p.memory[1].workspace, 16);
}

TEST(ZeroPartition, WholeParamsRefreshInBuckets) {
  // Adjacent params merge up to the bucket size; a gap starts a new bucket.
  std::vector<FlatRange> b =
      wholeParamBuckets({{0, 2}, {2, 5}, {5, 6}, {8, 9}}, 5);
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[0].end, 5);
  EXPECT_EQ(b[1].begin, 5);
  EXPECT_EQ(b[1].end, 6);
  EXPECT_EQ(b[2].begin, 8);
}

// stage3_max_reuse_distance / stage3_max_live_parameters: params 0 (8
// elements, clusters at kernels 1 and 6) and 1 (4 elements, at 2-3 and 5).
TEST(ZeroPartition, ReuseKeepsParamsGatheredWithinDistanceAndLiveLimit) {
  std::vector<UseCluster> clusters = {
      {0, 8, 1, 1}, {0, 8, 6, 6}, {1, 4, 2, 3}, {1, 4, 5, 5}};
  // Param 1's reuse has nothing between (distance 0), param 0's has both of
  // param 1's gathers (8).
  EXPECT_EQ(keepGatheredBetween(clusters, 1, 1000),
            (std::vector<bool>{false, false, false, true}));
  EXPECT_EQ(keepGatheredBetween(clusters, 9, 1000),
            (std::vector<bool>{false, true, false, true}));
  // A distance of 0 keeps nothing.
  EXPECT_EQ(keepGatheredBetween(clusters, 0, 1000),
            (std::vector<bool>(4, false)));
  // Keeping param 0 from kernel 2 to 5 while param 1 is gathered needs 8 + 4
  // live elements: with at most 11, param 1 (the closer reuse) is kept and
  // param 0 not; 12 keep both.
  EXPECT_EQ(keepGatheredBetween(clusters, 9, 11),
            (std::vector<bool>{false, false, false, true}));
  EXPECT_EQ(keepGatheredBetween(clusters, 9, 12),
            (std::vector<bool>{false, true, false, true}));
}

} // namespace
