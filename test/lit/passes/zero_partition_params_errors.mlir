// RUN: ds-opt %s -zero-partition-params="dp-size=2" -verify-diagnostics
// passes/ZeroPartitionParamsPass.cpp: the flat parameter space needs one
// element type.

module {
  func.func @step() {
    %w = memref.alloc() {plan.param = "w", plan.persistent} : memref<8xf32>
    // expected-error @+1 {{params of different element types cannot share the flat parameter space}}
    %b = memref.alloc() {plan.param = "b", plan.persistent} : memref<2xf64>
    return
  }
}
