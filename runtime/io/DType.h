//===- DType.h - Element types of .npy and safetensors files ---*- C++ -*-===//
//
// The element types the runtime reads and writes, with their spellings in
// the two file formats and in messages:
//
//   DType  numpy name  .npy descr  safetensors
//   F64    float64     <f8         F64
//   F32    float32     <f4         F32
//   F16    float16     <f2         F16
//   BF16   bfloat16    (none)      BF16
//   I64    int64       <i8         I64
//   I32    int32       <i4         I32
//   I16    int16       <i2         I16
//   I8     int8        |i1         I8
//   U8     uint8       |u1         U8
//   U16    uint16      <u2         U16
//   U32    uint32      <u4         U32
//   U64    uint64      <u8         U64
//   Bool   bool        |b1         BOOL
//
//===----------------------------------------------------------------------===//

#ifndef DSC_RUNTIME_IO_DTYPE_H
#define DSC_RUNTIME_IO_DTYPE_H

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dsc::runtime {

enum class DType {
  F64,
  F32,
  F16,
  BF16,
  I64,
  I32,
  I16,
  I8,
  U8,
  U16,
  U32,
  U64,
  Bool
};

/// Bytes per element.
size_t dtypeSize(DType type);
/// numpy's name: "float32", "int64", "bool", ...
std::string_view dtypeName(DType type);
/// The .npy descr numpy writes ("<f4", "|u1"); empty for BF16, which .npy
/// cannot hold.
std::string_view npyDescr(DType type);
/// The safetensors spelling ("F32", "BOOL").
std::string_view safetensorsDTypeName(DType type);

/// The DType of a little-endian .npy descr. One-byte types are accepted with
/// '|' (numpy's spelling) or '<'; wider ones only with '<'.
std::optional<DType> dtypeFromNpyDescr(std::string_view descr);
/// The DType of a safetensors dtype string (exact, upper case).
std::optional<DType> dtypeFromSafetensors(std::string_view name);
/// The DType of numpy's name (dtypeName's inverse).
std::optional<DType> dtypeFromName(std::string_view name);

/// A shape as Python prints a tuple: "()", "(3,)", "(10, 32)".
std::string formatShape(const std::vector<int64_t> &shape);

/// The number of elements of `shape`; nullopt when a dimension is negative
/// or the product does not fit in int64_t.
std::optional<int64_t> shapeNumel(const std::vector<int64_t> &shape);

} // namespace dsc::runtime

#endif // DSC_RUNTIME_IO_DTYPE_H
