//===- FlatParamLayoutTest.cpp - the flat parameter space of @step --------===//
//
// passes/PlanStep.cpp's flatParamLayout, which the ZeRO passes,
// build-optimizer-step and the manifest all read the flat space through:
// the params in order from their allocs, from plan-memory's views, and from
// a stage-3 partition's list; 16-bit params; and the refusal of params of
// different element types.
//
//===----------------------------------------------------------------------===//

#include "dialects/plan/PlanDialect.h"
#include "passes/PlanStep.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <string>

using namespace mlir;
using namespace dsc::passes;

namespace {

class FlatParamLayoutTest : public ::testing::Test {
protected:
  FlatParamLayoutTest() {
    ctx.loadDialect<func::FuncDialect, memref::MemRefDialect,
                    arith::ArithDialect, dsc::plan::PlanDialect>();
    handler.emplace(&ctx, [this](Diagnostic &d) {
      errors += d.str() + "\n";
      return success();
    });
  }

  /// The layout of @step in `text`; the module stays alive in `module`.
  FailureOr<SmallVector<FlatParamInfo>> layoutOf(const std::string &text) {
    module = parseSourceString<ModuleOp>(text, &ctx);
    EXPECT_TRUE(module) << errors;
    func::FuncOp step = lookupPlannedStep(*module);
    EXPECT_TRUE(step);
    return flatParamLayout(step.getBody().front());
  }

  /// "name numel whole element" per param.
  static std::vector<std::string>
  describe(const SmallVector<FlatParamInfo> &layout) {
    std::vector<std::string> out;
    for (const FlatParamInfo &p : layout) {
      std::string element;
      llvm::raw_string_ostream os(element);
      os << p.type.getElementType();
      out.push_back(p.name.str() + " " + std::to_string(p.numel) + " " +
                    (p.whole() ? "whole" : "partitioned") + " " + element);
    }
    return out;
  }

  MLIRContext ctx;
  OwningOpRef<ModuleOp> module;
  std::optional<ScopedDiagnosticHandler> handler;
  std::string errors;
};

TEST_F(FlatParamLayoutTest, AllocsInStepOrder) {
  auto layout = layoutOf(R"(
    func.func @step() {
      %b = memref.alloc() {plan.param = "b", plan.persistent} : memref<4xf32>
      %x = memref.alloc() : memref<3xf32>
      %w = memref.alloc() {plan.param = "w", plan.persistent} : memref<2x3xf32>
      return
    })");
  ASSERT_TRUE(succeeded(layout)) << errors;
  EXPECT_EQ(describe(*layout),
            (std::vector<std::string>{"b 4 whole f32", "w 6 whole f32"}));
}

// After plan-memory the params are views of the arena: the same layout.
TEST_F(FlatParamLayoutTest, PlannedViews) {
  auto layout = layoutOf(R"(
    func.func @step(%arena: memref<256xi8>) {
      %c0 = arith.constant 0 : index
      %c64 = arith.constant 64 : index
      %w = memref.view %arena[%c0][] {plan.offset = 0 : i64, plan.param = "w"} : memref<256xi8> to memref<8xbf16>
      %g = memref.view %arena[%c64][] {plan.offset = 64 : i64, plan.grad = "w"} : memref<256xi8> to memref<8xbf16>
      return
    })");
  ASSERT_TRUE(succeeded(layout)) << errors;
  EXPECT_EQ(describe(*layout), (std::vector<std::string>{"w 8 whole bf16"}));
  EXPECT_TRUE(isa<memref::ViewOp>((*layout)[0].buffer));
}

// ZeRO-3: the partition's list gives the order; only the persistent param
// (b) still has a whole buffer.
TEST_F(FlatParamLayoutTest, StageThreePartitionList) {
  auto layout = layoutOf(R"(
    func.func @step() {
      %s = memref.alloc() {plan.param_shard = [{name = "w", type = memref<8xf32>}, {name = "b", type = memref<1x2xf32>}], plan.persistent} : memref<5xf32>
      %b = memref.alloc() {plan.param = "b", plan.persistent} : memref<1x2xf32>
      return
    })");
  ASSERT_TRUE(succeeded(layout)) << errors;
  EXPECT_EQ(describe(*layout),
            (std::vector<std::string>{"w 8 partitioned f32", "b 2 whole f32"}));
}

TEST_F(FlatParamLayoutTest, ParamsOfTwoElementTypesAreRefused) {
  auto layout = layoutOf(R"(
    func.func @step() {
      %w = memref.alloc() {plan.param = "w"} : memref<4xf32>
      %h = memref.alloc() {plan.param = "h"} : memref<4xf16>
      return
    })");
  EXPECT_TRUE(failed(layout));
  EXPECT_NE(errors.find("params of different element types cannot share the "
                        "flat parameter space"),
            std::string::npos)
      << errors;
}

TEST_F(FlatParamLayoutTest, NoStepIsAnError) {
  module = parseSourceString<ModuleOp>("func.func @main() { return }", &ctx);
  ASSERT_TRUE(module);
  EXPECT_FALSE(lookupPlannedStep(*module));
  EXPECT_NE(errors.find("needs @step (run convert-graph-to-plan first)"),
            std::string::npos)
      << errors;
}

} // namespace
