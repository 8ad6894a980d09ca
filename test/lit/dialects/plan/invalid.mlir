// RUN: ds-opt %s -split-input-file -verify-diagnostics
// Every rule of the plan dialect: groups, kernels, and collectives checked
// against their group.

// expected-error @+1 {{rank 1 is listed twice}}
plan.group @dp ranks [0, 1, 1]

// -----

// expected-error @+1 {{rank -1 is negative}}
plan.group @dp ranks [-1, 0]

// -----

// expected-error @+1 {{has no ranks}}
plan.group @dp ranks []

// -----

func.func @unknown_group(%g: memref<8xf32>) {
  // expected-error @+1 {{names @tp, which is not a plan.group}}
  plan.all_reduce %g on @tp : memref<8xf32>
  return
}

// -----

plan.group @dp ranks [0, 1]
func.func @bad_reduction(%g: memref<8xf32>) {
  // expected-error @+2 {{expected ::dsc::plan::Reduction to be one of: sum, max, min, avg}}
  // expected-error @+1 {{failed to parse Plan_ReductionEnumAttr parameter 'value'}}
  plan.all_reduce %g on @dp {reduction = #plan.reduction<prod>} : memref<8xf32>
  return
}

// -----

plan.group @dp ranks [0, 1, 2]
func.func @uneven_shards(%g: memref<8xf32>, %s: memref<3xf32>) {
  // expected-error @+1 {{input of 8 elements is not 3 shards of 3}}
  plan.reduce_scatter %g, %s on @dp : memref<8xf32>, memref<3xf32>
  return
}

// -----

plan.group @dp ranks [0, 1, 2]
func.func @counts_per_rank(%g: memref<8xf32>) {
  // expected-error @+1 {{has 2 counts for group @dp of 3 ranks}}
  plan.reduce_scatter %g, %g on @dp {counts = array<i64: 4, 4>} : memref<8xf32>, memref<8xf32>
  return
}

// -----

plan.group @dp ranks [0, 1, 2]
func.func @counts_total(%g: memref<8xf32>) {
  // expected-error @+1 {{counts add up to 9, the input has 8 elements}}
  plan.reduce_scatter %g, %g on @dp {counts = array<i64: 3, 3, 3>} : memref<8xf32>, memref<8xf32>
  return
}

// -----

plan.group @dp ranks [0, 1, 2]
func.func @counts_negative(%g: memref<8xf32>) {
  // expected-error @+1 {{has a negative count}}
  plan.reduce_scatter %g, %g on @dp {counts = array<i64: 5, 4, -1>} : memref<8xf32>, memref<8xf32>
  return
}

// -----

plan.group @dp ranks [0, 1, 2]
func.func @counts_output(%g: memref<8xf32>, %s: memref<3xf32>) {
  // expected-error @+1 {{output of 3 elements cannot hold a shard of 4}}
  plan.reduce_scatter %g, %s on @dp {counts = array<i64: 4, 2, 2>} : memref<8xf32>, memref<3xf32>
  return
}

// -----

plan.group @dp ranks [0, 1]
func.func @gather_pieces(%s: memref<6xf32>, %w: memref<8xf32>) {
  // expected-error @+1 {{piece 1 (5 elements at 2) is not inside the input of 6 elements}}
  plan.all_gather %s, %w on @dp {counts = array<i64: 3, 5>, offsets = array<i64: 0, 2>} : memref<6xf32>, memref<8xf32>
  return
}

// -----

plan.group @dp ranks [0, 1]
func.func @gather_total(%s: memref<6xf32>, %w: memref<8xf32>) {
  // expected-error @+1 {{counts add up to 7, the output has 8 elements}}
  plan.all_gather %s, %w on @dp {counts = array<i64: 3, 4>, offsets = array<i64: 0, 0>} : memref<6xf32>, memref<8xf32>
  return
}

// -----

plan.group @dp ranks [0, 1]
func.func @gather_offsets(%s: memref<6xf32>, %w: memref<8xf32>) {
  // expected-error @+1 {{needs both counts and offsets, or neither}}
  plan.all_gather %s, %w on @dp {counts = array<i64: 4, 4>} : memref<6xf32>, memref<8xf32>
  return
}

// -----

plan.group @dp ranks [0, 1]
func.func @gather_size(%s: memref<4xf32>, %g: memref<9xf32>) {
  // expected-error @+1 {{output of 9 elements is not 2 shards of 4}}
  plan.all_gather %s, %g on @dp : memref<4xf32>, memref<9xf32>
  return
}

// -----

plan.group @dp ranks [0, 1]
func.func @gather_types(%s: memref<4xf32>, %g: memref<8xf16>) {
  // expected-error @+1 {{input and output element types differ}}
  plan.all_gather %s, %g on @dp : memref<4xf32>, memref<8xf16>
  return
}

// -----

plan.group @dp ranks [0, 1]
func.func @bad_root(%g: memref<8xf32>) {
  // expected-error @+1 {{root 2 is not an index of group @dp of 2 ranks}}
  plan.broadcast %g on @dp {root = 2 : i64} : memref<8xf32>
  return
}

// -----

plan.group @pp ranks [0, 4]
func.func @bad_peer(%a: memref<8xf32>) {
  // expected-error @+1 {{peer -1 is not an index of group @pp of 2 ranks}}
  plan.send %a on @pp {peer = -1 : i64} : memref<8xf32>
  return
}

// -----

plan.group @pp ranks [0, 4]
func.func @bad_recv_peer(%a: memref<8xf32>) {
  // expected-error @+1 {{peer 2 is not an index of group @pp of 2 ranks}}
  plan.recv %a on @pp {peer = 2 : i64} : memref<8xf32>
  return
}

// -----

// A wait pairs with the asynchronous gather that returned its token.
func.func @wait_without_gather(%t: !plan.token) {
  // expected-error @+1 {{waits for a token no all_gather returned}}
  plan.wait %t
  return
}

// -----

plan.group @dp ranks [0, 1]
func.func @waited_twice(%s: memref<4xf32>, %w: memref<8xf32>) {
  %t = plan.all_gather %s, %w on @dp : memref<4xf32>, memref<8xf32> -> !plan.token
  // expected-error @+1 {{waits for a token that another wait consumes too}}
  plan.wait %t
  plan.wait %t
  return
}

// -----

// The plan.* attributes are declared (dialects/plan/PlanAttributes.cpp) and
// verified wherever they appear: a misspelt name,
func.func @misspelt() {
  // expected-error @+1 {{'plan.ofset' is not a plan attribute (known: plan.offset, plan.persistent,}}
  %a = memref.alloc() {plan.ofset = 0 : i64} : memref<4xf32>
  return
}

// -----

// a negative offset,
func.func @negative_offset() {
  // expected-error @+1 {{'plan.offset' must be >= 0, got -64 : i64}}
  %a = memref.alloc() {plan.offset = -64 : i64} : memref<4xf32>
  return
}

// -----

// a param named by a number,
func.func @param_not_a_name() {
  // expected-error @+1 {{'plan.param' must be a string (a tensor's name), got 3 : i64}}
  %a = memref.alloc() {plan.param = 3 : i64} : memref<4xf32>
  return
}

// -----

// a backwards flat range,
plan.group @dp ranks [0, 1]
func.func @backwards_range(%s: memref<4xf32>, %w: memref<8xf32>) {
  // expected-error @+1 {{'plan.flat_range' must satisfy 0 <= begin <= end, got array<i64: 8, 0>}}
  plan.all_gather %s, %w on @dp {plan.flat_range = array<i64: 8, 0>} : memref<4xf32>, memref<8xf32>
  return
}

// -----

// a phase the runtime does not have,
plan.group @dp ranks [0, 1]
func.func @unknown_phase(%g: memref<8xf32>) {
  // expected-error @+1 {{'plan.phase' must be one of 'in_step', 'boundary', 'after_optimizer', got "later"}}
  plan.all_reduce %g on @dp {plan.phase = "later"} : memref<8xf32>
  return
}

// -----

// and an argument's flat space that is not one.
// expected-error @+1 {{argument 0: 'plan.flat' must be one of 'gradients', 'parameters', 'grad_norm_squared', 'loss', got "grads"}}
func.func @unknown_flat(%g: memref<8xf32> {plan.flat = "grads"}) {
  return
}
