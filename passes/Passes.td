//===- Passes.td - ds-compile passes ---------------------------*- tablegen -*-===//
#ifndef DSC_PASSES
#define DSC_PASSES

include "mlir/Pass/PassBase.td"

def Autodiff : Pass<"graph-autodiff", "mlir::ModuleOp"> {
  let summary = "reverse-mode differentiation of the loss";
  let description = [{
    Appends to the function (`@main` unless `func-name` says otherwise) the
    gradient of its scalar loss result with respect to every float parameter
    (arguments carrying `graph.param`), as `graph` ops, and returns the
    gradients after the original results, one per parameter in argument
    order, each result tagged `graph.grad = "<parameter name>"`. A parameter
    used in several places (tied weights) accumulates its contributions; one
    the loss does not depend on gets zeros. The seed of the loss adjoint is
    1; scaling (gradient accumulation, fp16 loss scaling) is a later pass.
  }];
  let options = [
    Option<"funcName", "func-name", "std::string", /*default=*/"\"main\"",
           "the function to differentiate">,
    Option<"lossName", "loss", "std::string", /*default=*/"\"\"",
           "the `graph.output` name of the loss; default: the first result">,
  ];
  let dependentDialects = ["::dsc::graph::GraphDialect"];
}

#endif // DSC_PASSES
