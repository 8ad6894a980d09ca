//===- GraphEnums.td - enum attributes of the graph dialect ----*- tablegen -*-===//
//
// The ONNX string attributes with a fixed set of spellings (gelu's
// `approximate`, the losses' and scatter_nd's `reduction`, pad's `mode`) as
// enum attributes, so the parser rejects a misspelling and passes switch on
// the value instead of comparing strings. Each case keeps its ONNX spelling
// and the integer of the runtime kernels' enum (kernels/cpu/CpuKernels.h).
//
//===----------------------------------------------------------------------===//

#ifndef DSC_GRAPH_ENUMS
#define DSC_GRAPH_ENUMS

include "dialects/graph/GraphDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

// An enum of the graph dialect and its attribute, printed
// `#graph.<mnemonic><case>`.
class Graph_I32Enum<string name, string summary,
                    list<I32EnumAttrCase> cases>
    : I32EnumAttr<name, summary, cases> {
  let cppNamespace = "::dsc::graph";
  let genSpecializedAttr = 0;
}

class Graph_EnumAttr<EnumAttrInfo enumInfo, string mnemonic>
    : EnumAttr<Graph_Dialect, enumInfo, mnemonic> {
  let assemblyFormat = "`<` $value `>`";
}

// The kernels take a bool `tanhApprox`: false for none, true for tanh.
def Graph_GeluApproximate : Graph_I32Enum<"GeluApproximate",
    "gelu's approximation", [
      I32EnumAttrCase<"None", 0, "none">,
      I32EnumAttrCase<"Tanh", 1, "tanh">]>;
def Graph_GeluApproximateAttr
    : Graph_EnumAttr<Graph_GeluApproximate, "approximate">;

def Graph_LossReduction : Graph_I32Enum<"LossReduction",
    "a loss's reduction", [
      I32EnumAttrCase<"None", 0, "none">,
      I32EnumAttrCase<"Sum", 1, "sum">,
      I32EnumAttrCase<"Mean", 2, "mean">]>;
def Graph_LossReductionAttr
    : Graph_EnumAttr<Graph_LossReduction, "loss_reduction">;

def Graph_ScatterReduction : Graph_I32Enum<"ScatterReduction",
    "scatter_nd's reduction", [
      I32EnumAttrCase<"None", 0, "none">,
      I32EnumAttrCase<"Add", 1, "add">,
      I32EnumAttrCase<"Mul", 2, "mul">,
      I32EnumAttrCase<"Max", 3, "max">,
      I32EnumAttrCase<"Min", 4, "min">]>;
def Graph_ScatterReductionAttr
    : Graph_EnumAttr<Graph_ScatterReduction, "scatter_reduction">;

def Graph_PadMode : Graph_I32Enum<"PadMode", "pad's mode", [
      I32EnumAttrCase<"Constant", 0, "constant">,
      I32EnumAttrCase<"Reflect", 1, "reflect">,
      I32EnumAttrCase<"Edge", 2, "edge">,
      I32EnumAttrCase<"Wrap", 3, "wrap">]>;
def Graph_PadModeAttr : Graph_EnumAttr<Graph_PadMode, "pad_mode">;

#endif // DSC_GRAPH_ENUMS
