// RUN: ds-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(plan-memory))' | FileCheck %s
// passes/MemoryPlannerPass.cpp.
// Buffers get static offsets in one arena; buffers alive at the same time
// never overlap, and those that are not may share bytes.

// CHECK-LABEL: func.func @step
// CHECK-SAME: (%[[ARENA:.*]]: memref<2432xi8> {plan.arena})
// CHECK-SAME: attributes {plan.arena_size = 2432 : i64, plan.persistent_bytes = 256 : i64}
// The persistent weight comes first.
// CHECK: memref.view %[[ARENA]][%{{.*}}][] {plan.offset = 0 : i64, plan.persistent} : memref<2432xi8> to memref<8x8xf32>
// Largest first: %y (1152 bytes) goes at 256; %x is dead before %y is
// allocated, so it shares those bytes; %h is alive with both and goes above.
// CHECK: memref.view %[[ARENA]][%{{.*}}][] {plan.offset = 256 : i64} : memref<2432xi8> to memref<32x8xf32>
// CHECK: memref.view %[[ARENA]][%{{.*}}][] {plan.offset = 1408 : i64} : memref<2432xi8> to memref<32x8xf32>
// CHECK: plan.kernel "matmul"
// CHECK: memref.view %[[ARENA]][%{{.*}}][] {plan.offset = 256 : i64} : memref<2432xi8> to memref<32x9xf32>
// CHECK-NOT: memref.alloc
// CHECK-NOT: memref.dealloc
func.func @step() {
  %w = memref.alloc() {plan.persistent} : memref<8x8xf32>
  %x = memref.alloc() : memref<32x8xf32>
  %h = memref.alloc() : memref<32x8xf32>
  plan.kernel "concat" ins(%w, %w, %w, %w : memref<8x8xf32>, memref<8x8xf32>, memref<8x8xf32>, memref<8x8xf32>) outs(%x : memref<32x8xf32>) {axis = 0 : i64}
  plan.kernel "matmul" ins(%x, %w : memref<32x8xf32>, memref<8x8xf32>) outs(%h : memref<32x8xf32>)
  memref.dealloc %x : memref<32x8xf32>
  %y = memref.alloc() : memref<32x9xf32>
  plan.kernel "pad" ins(%h : memref<32x8xf32>) outs(%y : memref<32x9xf32>) {pads = array<i64: 0, 0, 0, 1>}
  plan.kernel "slice" ins(%y : memref<32x9xf32>) outs(%w : memref<8x8xf32>) {starts = array<i64: 0, 0>, ends = array<i64: 8, 8>, steps = array<i64: 1, 1>}
  return
}

// -----

// A buffer used through a view stays alive until the view's last use.
// CHECK-LABEL: func.func @through_view
// CHECK-SAME: attributes {plan.arena_size = 128 : i64, plan.persistent_bytes = 0 : i64}
// CHECK: {plan.offset = 0 : i64} : memref<128xi8> to memref<4x4xf32>
// CHECK: {plan.offset = 64 : i64} : memref<128xi8> to memref<16xf32>
func.func @through_view() {
  %a = memref.alloc() : memref<4x4xf32>
  %flat = memref.collapse_shape %a [[0, 1]] : memref<4x4xf32> into memref<16xf32>
  %b = memref.alloc() : memref<16xf32>
  plan.kernel "copy" ins(%flat : memref<16xf32>) outs(%b : memref<16xf32>)
  plan.kernel "neg" ins(%flat : memref<16xf32>) outs(%b : memref<16xf32>)
  return
}

// -----

// An asynchronous gather writes its output until the wait on its token: the
// output stays alive until then even when nothing reads it in between, so
// %x, allocated meanwhile, does not share its bytes (64-byte aligned; without
// the token's wait as a use the two would overlap in an arena of 128).
// CHECK-LABEL: func.func @async_gather
// CHECK-SAME: attributes {plan.arena_size = 192 : i64, plan.persistent_bytes = 64 : i64}
// CHECK: {plan.offset = 0 : i64, plan.persistent} : memref<192xi8> to memref<4xf32>
// CHECK: {plan.offset = 64 : i64} : memref<192xi8> to memref<8xf32>
// CHECK: {plan.offset = 128 : i64} : memref<192xi8> to memref<8xf32>
plan.group @dp ranks [0, 1]
func.func @async_gather() {
  %s = memref.alloc() {plan.persistent} : memref<4xf32>
  %w = memref.alloc() : memref<8xf32>
  %t = plan.all_gather %s, %w on @dp : memref<4xf32>, memref<8xf32> -> !plan.token
  %x = memref.alloc() : memref<8xf32>
  plan.kernel "concat" ins(%s, %s : memref<4xf32>, memref<4xf32>) outs(%x : memref<8xf32>) {axis = 0 : i64}
  plan.kernel "slice" ins(%x : memref<8xf32>) outs(%s : memref<4xf32>) {starts = array<i64: 0>, ends = array<i64: 4>, steps = array<i64: 1>}
  plan.wait %t
  return
}
