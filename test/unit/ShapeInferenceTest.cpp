//===- ShapeInferenceTest.cpp - shape rules of graph ops and the importer -===//
//
// The graph ops' inferred result types, built through the C++ API, and the
// ONNX importer's shape decisions (Reshape's 0 and -1, Slice clamping, Split,
// Conv auto_pad, shape sub-graph folding) on ModelProtos built here.
//
//===----------------------------------------------------------------------===//

#include "compiler/onnx/OnnxImporter.h"
#include "dialects/graph/GraphDialect.h"
#include "dialects/graph/GraphOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

using namespace mlir;
using namespace dsc;

namespace {

class GraphShapeTest : public ::testing::Test {
protected:
  GraphShapeTest() : b(&ctx) {
    ctx.loadDialect<graph::GraphDialect, func::FuncDialect>();
    module = ModuleOp::create(b.getUnknownLoc());
    b.setInsertionPointToStart(module->getBody());
    // Errors are expected in some tests; keep them off stderr.
    handler.emplace(&ctx, [](Diagnostic &) { return success(); });
  }

  /// A block argument of the given type to feed ops.
  Value arg(ArrayRef<int64_t> shape, Type element = {}) {
    auto type =
        RankedTensorType::get(shape, element ? element : b.getF32Type());
    Block *block = module->getBody();
    return block->addArgument(type, b.getUnknownLoc());
  }

  std::vector<int64_t> shapeOf(Value v) {
    auto s = cast<RankedTensorType>(v.getType()).getShape();
    return {s.begin(), s.end()};
  }

  MLIRContext ctx;
  OpBuilder b;
  OwningOpRef<ModuleOp> module;
  std::optional<ScopedDiagnosticHandler> handler;
};

TEST_F(GraphShapeTest, BroadcastingBinary) {
  auto add =
      graph::AddOp::create(b, b.getUnknownLoc(), arg({2, 1, 4}), arg({3, 1}));
  EXPECT_EQ(shapeOf(add), (std::vector<int64_t>{2, 3, 4}));
  auto cmp = graph::LessOp::create(b, b.getUnknownLoc(), arg({4}), arg({}));
  EXPECT_TRUE(cmp.getType().getElementType().isInteger(1));
}

TEST_F(GraphShapeTest, MatMulFollowsNumPy) {
  Location loc = b.getUnknownLoc();
  EXPECT_EQ(shapeOf(graph::MatMulOp::create(b, loc, arg({5, 1, 2, 3}),
                                            arg({4, 3, 6}))),
            (std::vector<int64_t>{5, 4, 2, 6}));
  EXPECT_EQ(shapeOf(graph::MatMulOp::create(b, loc, arg({3}), arg({3, 6}))),
            (std::vector<int64_t>{6}));
  EXPECT_EQ(shapeOf(graph::MatMulOp::create(b, loc, arg({2, 3}), arg({3}))),
            (std::vector<int64_t>{2}));
  SmallVector<Type> types;
  graph::MatMulOp::Adaptor bad({arg({2, 3}), arg({4, 5})});
  EXPECT_TRUE(failed(
      graph::MatMulOp::inferReturnTypes(&ctx, std::nullopt, bad, types)));
}

TEST_F(GraphShapeTest, ReductionsAndGather) {
  Location loc = b.getUnknownLoc();
  auto keep = graph::ReduceMeanOp::create(b, loc, arg({2, 3, 4}),
                                          b.getDenseI64ArrayAttr({1, 2}),
                                          b.getBoolAttr(true));
  EXPECT_EQ(shapeOf(keep), (std::vector<int64_t>{2, 1, 1}));
  auto drop = graph::ReduceSumOp::create(b, loc, arg({2, 3, 4}),
                                         b.getDenseI64ArrayAttr({0}),
                                         b.getBoolAttr(false));
  EXPECT_EQ(shapeOf(drop), (std::vector<int64_t>{3, 4}));
  auto gather = graph::GatherOp::create(b, loc, arg({10, 4, 5}),
                                        arg({2, 3}, b.getI64Type()),
                                        b.getI64IntegerAttr(1));
  EXPECT_EQ(shapeOf(gather), (std::vector<int64_t>{10, 2, 3, 5}));
}

TEST_F(GraphShapeTest, ConvOutputSize) {
  auto conv = graph::ConvOp::create(
      b, b.getUnknownLoc(), arg({2, 4, 9, 7}), arg({8, 2, 3, 3}), Value(),
      b.getDenseI64ArrayAttr({2, 1}), b.getDenseI64ArrayAttr({1, 0, 1, 0}),
      b.getDenseI64ArrayAttr({1, 2}), b.getI64IntegerAttr(2));
  // H: (9 + 2 - 3) / 2 + 1 = 5; W: (7 - 5) / 1 + 1 = 3.
  EXPECT_EQ(shapeOf(conv), (std::vector<int64_t>{2, 8, 5, 3}));
}

TEST_F(GraphShapeTest, SliceWithNegativeStep) {
  auto slice = graph::SliceOp::create(
      b, b.getUnknownLoc(), arg({10, 6}), b.getDenseI64ArrayAttr({9, 0}),
      b.getDenseI64ArrayAttr({-1, 6}), b.getDenseI64ArrayAttr({-3, 2}));
  EXPECT_EQ(shapeOf(slice), (std::vector<int64_t>{4, 3}));
}

TEST_F(GraphShapeTest, LayerNormStatistics) {
  auto ln = graph::LayerNormOp::create(
      b, b.getUnknownLoc(), arg({2, 3, 8}), arg({8}), arg({8}),
      b.getI64IntegerAttr(2), b.getF64FloatAttr(1e-5));
  EXPECT_EQ(shapeOf(ln.getResult()), (std::vector<int64_t>{2, 3, 8}));
  EXPECT_EQ(shapeOf(ln.getMean()), (std::vector<int64_t>{2, 3, 1}));
}

TEST_F(GraphShapeTest, LossReductions) {
  Location loc = b.getUnknownLoc();
  Value scores = arg({4, 10, 7}), labels = arg({4, 7}, b.getI64Type());
  auto mean = graph::NegativeLogLikelihoodLossOp::create(
      b, loc, scores, labels, Value(),
      b.getAttr<graph::LossReductionAttr>(graph::LossReduction::Mean),
      IntegerAttr());
  EXPECT_EQ(shapeOf(mean), (std::vector<int64_t>{}));
  auto none = graph::NegativeLogLikelihoodLossOp::create(
      b, loc, scores, labels, Value(),
      b.getAttr<graph::LossReductionAttr>(graph::LossReduction::None),
      IntegerAttr());
  EXPECT_EQ(shapeOf(none), (std::vector<int64_t>{4, 7}));
}

//===----------------------------------------------------------------------===//
// Importer shape decisions
//===----------------------------------------------------------------------===//

class ImporterShapeTest : public ::testing::Test {
protected:
  ImporterShapeTest() {
    model.set_ir_version(8);
    auto *opset = model.add_opset_import();
    opset->set_domain("");
    opset->set_version(17);
    graph = model.mutable_graph();
    graph->set_name("test");
  }

  void input(const std::string &name, std::vector<int64_t> dims,
             int elemType = onnx::TensorProto::FLOAT) {
    auto *info = graph->add_input();
    info->set_name(name);
    auto *tensor = info->mutable_type()->mutable_tensor_type();
    tensor->set_elem_type(elemType);
    for (int64_t d : dims) {
      auto *dim = tensor->mutable_shape()->add_dim();
      if (d < 0)
        dim->set_dim_param("batch");
      else
        dim->set_dim_value(d);
    }
  }

  void ints(const std::string &name, std::vector<int64_t> values) {
    auto *t = graph->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::INT64);
    t->add_dims(values.size());
    for (int64_t v : values)
      t->add_int64_data(v);
  }

  onnx::NodeProto *node(const std::string &op, std::vector<std::string> ins,
                        std::vector<std::string> outs) {
    auto *n = graph->add_node();
    n->set_op_type(op);
    n->set_name(op + std::to_string(graph->node_size()));
    for (auto &i : ins)
      n->add_input(i);
    for (auto &o : outs)
      n->add_output(o);
    return n;
  }

  static void attr(onnx::NodeProto *n, const std::string &name, int64_t v) {
    auto *a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }

  /// Imports with the given outputs; returns the result shapes or the error.
  llvm::Expected<std::vector<std::vector<int64_t>>>
  run(std::vector<std::string> outputs, std::optional<int64_t> batch = 2) {
    for (auto &o : outputs)
      graph->add_output()->set_name(o);
    std::string bytes;
    model.SerializeToString(&bytes);
    onnx_import::ImportOptions options;
    options.batchSize = batch;
    auto imported = onnx_import::importOnnxBuffer(ctx, bytes, ".", options);
    if (!imported)
      return imported.takeError();
    auto main = cast<func::FuncOp>(imported->module->getBody()->front());
    std::vector<std::vector<int64_t>> shapes;
    for (Type t : main.getResultTypes()) {
      auto s = cast<RankedTensorType>(t).getShape();
      shapes.emplace_back(s.begin(), s.end());
    }
    return shapes;
  }

  MLIRContext ctx;
  onnx::ModelProto model;
  onnx::GraphProto *graph;
};

TEST_F(ImporterShapeTest, ReshapeZeroAndMinusOne) {
  input("x", {-1, 3, 4});
  ints("shape", {0, -1});
  node("Reshape", {"x", "shape"}, {"y"});
  auto shapes = run({"y"});
  ASSERT_TRUE(static_cast<bool>(shapes)) << llvm::toString(shapes.takeError());
  EXPECT_EQ((*shapes)[0], (std::vector<int64_t>{2, 12}));
}

TEST_F(ImporterShapeTest, ShapeSubgraphFolds) {
  // y = Reshape(x, Concat(Gather(Shape(x), 0), [-1])): the shape input is a
  // sub-graph of the input's shape, folded at import.
  input("x", {-1, 3, 4});
  ints("zero", {0});
  ints("minus_one", {-1});
  node("Shape", {"x"}, {"s"});
  node("Gather", {"s", "zero"}, {"b"});
  auto *concat = node("Concat", {"b", "minus_one"}, {"shape"});
  attr(concat, "axis", 0);
  node("Reshape", {"x", "shape"}, {"y"});
  auto shapes = run({"y"}, 5);
  ASSERT_TRUE(static_cast<bool>(shapes)) << llvm::toString(shapes.takeError());
  EXPECT_EQ((*shapes)[0], (std::vector<int64_t>{5, 12}));
}

TEST_F(ImporterShapeTest, SliceClampsAndSteps) {
  input("x", {10, 8});
  ints("starts", {-3, 100});
  ints("ends", {1000, -100});
  ints("axes", {0, 1});
  ints("steps", {1, -2});
  node("Slice", {"x", "starts", "ends", "axes", "steps"}, {"y"});
  auto shapes = run({"y"}, std::nullopt);
  ASSERT_TRUE(static_cast<bool>(shapes)) << llvm::toString(shapes.takeError());
  // Axis 0: [7, 10) -> 3; axis 1: from 7 down to the start, step 2 -> 4.
  EXPECT_EQ((*shapes)[0], (std::vector<int64_t>{3, 4}));
}

TEST_F(ImporterShapeTest, SplitUnevenAtOpset18) {
  model.mutable_opset_import(0)->set_version(18);
  input("x", {2, 7});
  auto *split = node("Split", {"x"}, {"a", "b", "c"});
  attr(split, "axis", 1);
  attr(split, "num_outputs", 3);
  auto shapes = run({"a", "b", "c"});
  ASSERT_TRUE(static_cast<bool>(shapes)) << llvm::toString(shapes.takeError());
  EXPECT_EQ((*shapes)[0], (std::vector<int64_t>{2, 3}));
  EXPECT_EQ((*shapes)[2], (std::vector<int64_t>{2, 1}));
}

TEST_F(ImporterShapeTest, ConvSameUpper) {
  input("x", {1, 3, 7, 7});
  auto *w = graph->add_initializer();
  w->set_name("w");
  w->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : {4, 3, 3, 3})
    w->add_dims(d);
  for (int i = 0; i < 4 * 27; ++i)
    w->add_float_data(0.5f);
  auto *conv = node("Conv", {"x", "w"}, {"y"});
  auto *pad = conv->add_attribute();
  pad->set_name("auto_pad");
  pad->set_type(onnx::AttributeProto::STRING);
  pad->set_s("SAME_UPPER");
  auto *strides = conv->add_attribute();
  strides->set_name("strides");
  strides->set_type(onnx::AttributeProto::INTS);
  strides->add_ints(2);
  strides->add_ints(2);
  auto shapes = run({"y"}, 1);
  ASSERT_TRUE(static_cast<bool>(shapes)) << llvm::toString(shapes.takeError());
  EXPECT_EQ((*shapes)[0], (std::vector<int64_t>{1, 4, 4, 4}));
}

TEST_F(ImporterShapeTest, UnknownPadModeNamesNodeAndValue) {
  input("x", {2, 3});
  ints("pads", {0, 1, 0, 1});
  auto *pad = node("Pad", {"x", "pads"}, {"y"});
  auto *mode = pad->add_attribute();
  mode->set_name("mode");
  mode->set_type(onnx::AttributeProto::STRING);
  mode->set_s("mirror");
  auto shapes = run({"y"}, std::nullopt);
  ASSERT_FALSE(static_cast<bool>(shapes));
  EXPECT_EQ(llvm::toString(shapes.takeError()),
            "node 'Pad1' (Pad): unknown mode 'mirror'; expected 'constant', "
            "'reflect', 'edge' or 'wrap'");
}

TEST_F(ImporterShapeTest, UnsqueezeSqueezeExpand) {
  input("x", {-1, 4});
  ints("axes", {0, -1});
  ints("target", {3, 1, 1, 1});
  node("Unsqueeze", {"x", "axes"}, {"u"});
  node("Expand", {"u", "target"}, {"e"});
  node("Squeeze", {"u"}, {"s"});
  auto shapes = run({"u", "e", "s"});
  ASSERT_TRUE(static_cast<bool>(shapes)) << llvm::toString(shapes.takeError());
  EXPECT_EQ((*shapes)[0], (std::vector<int64_t>{1, 2, 4, 1}));
  EXPECT_EQ((*shapes)[1], (std::vector<int64_t>{3, 2, 4, 1}));
  EXPECT_EQ((*shapes)[2], (std::vector<int64_t>{2, 4}));
}

TEST_F(ImporterShapeTest, ValueDependentShapeIsAnError) {
  input("x", {4}, onnx::TensorProto::INT64);
  input("data", {4, 4});
  node("Reshape", {"data", "x"}, {"y"});
  auto shapes = run({"y"}, std::nullopt);
  ASSERT_FALSE(static_cast<bool>(shapes));
  EXPECT_EQ(llvm::toString(shapes.takeError()),
            "node 'Reshape1' (Reshape): input 'shape' must be known at "
            "compile time (a constant or computed from shapes), but it "
            "depends on the values of graph inputs");
}

TEST_F(ImporterShapeTest, ShapeRuleViolationNamesTheNode) {
  input("a", {2, 3});
  input("b", {4});
  node("Add", {"a", "b"}, {"y"});
  auto shapes = run({"y"}, std::nullopt);
  ASSERT_FALSE(static_cast<bool>(shapes));
  EXPECT_EQ(llvm::toString(shapes.takeError()),
            "node 'Add1' (Add): operand shapes are not broadcast-compatible: "
            "tensor<2x3xf32> and tensor<4xf32>");
}

} // namespace

namespace {

/// Parameters of the imported @main: their names, in order.
std::vector<std::string> paramNames(ModuleOp module) {
  auto main = cast<func::FuncOp>(module.getBody()->front());
  std::vector<std::string> names;
  for (unsigned i = 0; i < main.getNumArguments(); ++i)
    if (auto name = main.getArgAttrOfType<StringAttr>(i, "graph.param"))
      names.push_back(name.getValue().str());
  return names;
}

class ImporterParameterTest : public ImporterShapeTest {
protected:
  void floats(const std::string &name, std::vector<float> values) {
    auto *t = graph->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    t->add_dims(values.size());
    for (float v : values)
      t->add_float_data(v);
  }

  std::vector<std::string> importParams(std::vector<std::string> outputs) {
    for (auto &o : outputs)
      graph->add_output()->set_name(o);
    std::string bytes;
    model.SerializeToString(&bytes);
    auto imported = onnx_import::importOnnxBuffer(ctx, bytes, ".", {});
    EXPECT_TRUE(static_cast<bool>(imported));
    if (!imported) {
      llvm::consumeError(imported.takeError());
      return {};
    }
    return paramNames(*imported->module);
  }
};

TEST_F(ImporterParameterTest, MergedConstantInitializerIsUntied) {
  // An exporter merged two LayerNorm-style all-ones weights into "ones";
  // "w" (real values) is tied on purpose and stays one parameter.
  input("x", {3});
  floats("ones", {1, 1, 1});
  floats("w", {0.5f, -1, 2});
  node("Mul", {"x", "ones"}, {"a"});
  node("Mul", {"a", "ones"}, {"b"});
  node("Mul", {"b", "w"}, {"c"});
  node("Mul", {"c", "w"}, {"y"});
  EXPECT_EQ(importParams({"y"}),
            (std::vector<std::string>{"ones", "ones#1", "w"}));
}

TEST_F(ImporterParameterTest, AdditiveMaskIsAConstant) {
  input("x", {3});
  floats("mask", {0, -3.4e38f, 0});
  floats("w", {0.5f, -1, 2});
  node("Add", {"x", "mask"}, {"a"});
  node("Mul", {"a", "w"}, {"y"});
  EXPECT_EQ(importParams({"y"}), (std::vector<std::string>{"w"}));
}

} // namespace
