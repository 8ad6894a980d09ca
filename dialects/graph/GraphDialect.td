//===- GraphDialect.td - the graph dialect ---------------------*- tablegen -*-===//
//
// The `graph` dialect holds a model as imported: tensor operations on ranked,
// statically shaped tensors, with the semantics of the ONNX operators they come
// from. Later stages (autodiff, partitioning, planning) read and write it.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_GRAPH_DIALECT
#define DSC_GRAPH_DIALECT

include "mlir/IR/OpBase.td"

def Graph_Dialect : Dialect {
  let name = "graph";
  let cppNamespace = "::dsc::graph";
  let summary = "Tensor operations of an imported model";
  let description = [{
    Every value is a ranked tensor with a static shape. Broadcasting follows
    NumPy (and ONNX) rules. Operations carry the ONNX node they came from as
    their location, so diagnostics name the node.
  }];
  let hasConstantMaterializer = 1;
  // The enum attributes (GraphEnums.td) print as `#graph.pad_mode<reflect>`.
  let useDefaultAttributePrinterParser = 1;
}

#endif // DSC_GRAPH_DIALECT
