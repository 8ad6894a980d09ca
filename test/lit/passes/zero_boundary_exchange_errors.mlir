// RUN: ds-opt %s -zero-boundary-exchange="dp-size=2" -verify-diagnostics
// passes/ZeroBoundaryExchangePass.cpp: the exchange is placed once.

// expected-error @+1 {{already has @boundary}}
module {
  func.func @step() {
    return
  }
  func.func @boundary() {
    return
  }
}
