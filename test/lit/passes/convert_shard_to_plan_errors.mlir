// RUN: ds-opt %s -split-input-file -convert-shard-to-plan -verify-diagnostics
// passes/ConvertShardToPlanPass.cpp: shard ops the plan cannot express are
// named, with why.

shard.grid @dp(shape = 2)
func.func @step(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'shard.broadcast' op has no plan collective to lower to}}
  %b = shard.broadcast %x on @dp grid_axes = [0] root = [0] : (tensor<4xf32>) -> tensor<4xf32>
  return %b : tensor<4xf32>
}

// -----

shard.grid @dp(shape = 2)
func.func @step() {
  %bucket = memref.alloc() : memref<4xf32>
  %t = bufferization.to_tensor %bucket : memref<4xf32> to tensor<4xf32>
  // expected-error @+1 {{cannot be lowered to a plan collective: its result has no sharding giving the pieces}}
  %r = shard.reduce_scatter %t on @dp grid_axes = [0] scatter_axis = 0 : tensor<4xf32> -> tensor<2xf32>
  %m = memref.alloc() : memref<2xf32>
  bufferization.materialize_in_destination %r in writable %m : (tensor<2xf32>, memref<2xf32>) -> ()
  return
}

// -----

shard.grid @dp(shape = 2)
func.func @step() {
  %bucket = memref.alloc() : memref<4xf32>
  %rank = shard.process_linear_index on @dp : index
  %t = bufferization.to_tensor %bucket : memref<4xf32> to tensor<4xf32>
  %any = tensor.cast %t : tensor<4xf32> to tensor<?xf32>
  // expected-error @+1 {{rank 1's piece is written at 2, its sharding puts it at 3}}
  %mine = shard.reduce_scatter %any on @dp grid_axes = [0] scatter_axis = 0 : tensor<?xf32> -> tensor<?xf32>
  %pieces = shard.sharding @dp split_axes = [[0]] sharded_dims_offsets = [0, 3, 4] : !shard.sharding
  %ms = shard.shard %mine to %pieces : tensor<?xf32>
  %starts = arith.constant dense<[0, 2]> : tensor<2xindex>
  %start = tensor.extract %starts[%rank] : tensor<2xindex>
  %c0 = arith.constant 0 : index
  %n = tensor.dim %ms, %c0 : tensor<?xf32>
  %whole = tensor.insert_slice %ms into %t[%start] [%n] [1] : tensor<?xf32> into tensor<4xf32>
  bufferization.materialize_in_destination %whole in writable %bucket : (tensor<4xf32>, memref<4xf32>) -> ()
  return
}

// -----

shard.grid @dp(shape = 2x2)
func.func @step() {
  %bucket = memref.alloc() : memref<4xf32>
  %t = bufferization.to_tensor %bucket : memref<4xf32> to tensor<4xf32>
  %any = tensor.cast %t : tensor<4xf32> to tensor<?xf32>
  // expected-error @+1 {{the plan's groups are 1-D grids of known size}}
  %mine = shard.reduce_scatter %any on @dp grid_axes = [0] scatter_axis = 0 : tensor<?xf32> -> tensor<?xf32>
  return
}

// -----

shard.grid @dp(shape = 2)
func.func @step() {
  %bucket = memref.alloc() : memref<4xf32>
  %t = bufferization.to_tensor %bucket : memref<4xf32> to tensor<4xf32>
  %any = tensor.cast %t : tensor<4xf32> to tensor<?xf32>
  // expected-error @+1 {{the plan reduces by sum, max, min or average only}}
  %mine = shard.reduce_scatter %any on @dp grid_axes = [0] reduction = product scatter_axis = 0 : tensor<?xf32> -> tensor<?xf32>
  return
}

// -----

shard.grid @dp(shape = 2)
func.func @step() {
  %part = memref.alloc() : memref<4xf32>
  %w = memref.alloc() : memref<6xf32>
  %rank = shard.process_linear_index on @dp : index
  %o = bufferization.to_tensor %part : memref<4xf32> to tensor<4xf32>
  %st = arith.constant dense<[0, 0]> : tensor<2xindex>
  %sz = arith.constant dense<[4, 1]> : tensor<2xindex>
  %s1 = tensor.extract %st[%rank] : tensor<2xindex>
  %z1 = tensor.extract %sz[%rank] : tensor<2xindex>
  %piece = tensor.extract_slice %o[%s1] [%z1] [1] : tensor<4xf32> to tensor<?xf32>
  %ps = shard.sharding @dp split_axes = [[0]] sharded_dims_offsets = [0, 4, 6] : !shard.sharding
  %given = shard.shard %piece to %ps annotate_for_users : tensor<?xf32>
  // expected-error @+1 {{its slices' sizes differ from its sharding's}}
  %all = shard.all_gather %given on @dp grid_axes = [0] gather_axis = 0 : tensor<?xf32> -> tensor<?xf32>
  %flat = tensor.cast %all : tensor<?xf32> to tensor<6xf32>
  bufferization.materialize_in_destination %flat in writable %w : (tensor<6xf32>, memref<6xf32>) -> ()
  return
}

// -----

shard.grid @dp(shape = 2)
func.func @step(%x: tensor<?xf32>) -> tensor<?xf32> {
  // expected-error @+1 {{its input has no sharding giving the pieces}}
  %all = shard.all_gather %x on @dp grid_axes = [0] gather_axis = 0 : tensor<?xf32> -> tensor<?xf32>
  return %all : tensor<?xf32>
}

// -----

// A tensor the collectives do not explain stays in use.
shard.grid @dp(shape = 2)
func.func @step(%m: memref<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'bufferization.to_tensor' op is left over: no shard collective lowered to the plan explains it}}
  %t = bufferization.to_tensor %m : memref<4xf32> to tensor<4xf32>
  return %t : tensor<4xf32>
}

// -----

shard.grid @dp(shape = 2)
func.func @step(%m: memref<4xf32>) -> memref<4xf32> {
  // expected-error @+1 {{its result is not copied back into its buffer}}
  %r = shard.all_reduce %m on @dp grid_axes = [0] : memref<4xf32> -> memref<4xf32>
  return %r : memref<4xf32>
}

// -----

// A write-back that no collective produced is reported, not dropped.
func.func @step(%m: memref<4xf32>, %n: memref<4xf32>) {
  %t = bufferization.to_tensor %m : memref<4xf32> to tensor<4xf32>
  // expected-error @+1 {{'bufferization.materialize_in_destination' op is left over}}
  bufferization.materialize_in_destination %t in writable %n : (tensor<4xf32>, memref<4xf32>) -> ()
  return
}

// -----

shard.grid @dp(shape = 2)
func.func @step() {
  %part = memref.alloc() : memref<4xf32>
  %w = memref.alloc() : memref<4xf32>
  %rank = shard.process_linear_index on @dp : index
  %o = bufferization.to_tensor %part : memref<4xf32> to tensor<4xf32>
  %st = arith.constant dense<[0, 0]> : tensor<2xindex>
  %sz = arith.constant dense<[2, 2]> : tensor<2xindex>
  %s1 = tensor.extract %st[%rank] : tensor<2xindex>
  %z1 = tensor.extract %sz[%rank] : tensor<2xindex>
  %piece = tensor.extract_slice %o[%s1] [%z1] [2] : tensor<4xf32> to tensor<?xf32>
  %ps = shard.sharding @dp split_axes = [[0]] sharded_dims_offsets = [0, 2, 4] : !shard.sharding
  %given = shard.shard %piece to %ps annotate_for_users : tensor<?xf32>
  // expected-error @+1 {{its piece is not a slice of a 1-D buffer}}
  %all = shard.all_gather %given on @dp grid_axes = [0] gather_axis = 0 : tensor<?xf32> -> tensor<?xf32>
  %flat = tensor.cast %all : tensor<?xf32> to tensor<4xf32>
  bufferization.materialize_in_destination %flat in writable %w : (tensor<4xf32>, memref<4xf32>) -> ()
  return
}
