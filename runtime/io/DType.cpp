//===- DType.cpp - Element types of .npy and safetensors files ------------===//

#include "runtime/io/DType.h"

namespace dsc::runtime {
namespace {

struct DTypeInfo {
  DType type;
  size_t size;
  std::string_view name;
  std::string_view npy;
  std::string_view safetensors;
};

constexpr DTypeInfo kInfos[] = {
    {DType::F64, 8, "float64", "<f8", "F64"},
    {DType::F32, 4, "float32", "<f4", "F32"},
    {DType::F16, 2, "float16", "<f2", "F16"},
    {DType::BF16, 2, "bfloat16", "", "BF16"},
    {DType::I64, 8, "int64", "<i8", "I64"},
    {DType::I32, 4, "int32", "<i4", "I32"},
    {DType::I16, 2, "int16", "<i2", "I16"},
    {DType::I8, 1, "int8", "|i1", "I8"},
    {DType::U8, 1, "uint8", "|u1", "U8"},
    {DType::U16, 2, "uint16", "<u2", "U16"},
    {DType::U32, 4, "uint32", "<u4", "U32"},
    {DType::U64, 8, "uint64", "<u8", "U64"},
    {DType::Bool, 1, "bool", "|b1", "BOOL"},
};

const DTypeInfo &info(DType type) {
  for (const DTypeInfo &i : kInfos)
    if (i.type == type)
      return i;
  return kInfos[0]; // Unreachable: every enumerator is in the table.
}

} // namespace

size_t dtypeSize(DType type) { return info(type).size; }
std::string_view dtypeName(DType type) { return info(type).name; }
std::string_view npyDescr(DType type) { return info(type).npy; }
std::string_view safetensorsDTypeName(DType type) {
  return info(type).safetensors;
}

std::optional<DType> dtypeFromNpyDescr(std::string_view descr) {
  if (descr.size() < 2)
    return std::nullopt;
  const char order = descr[0];
  const std::string_view code = descr.substr(1);
  for (const DTypeInfo &i : kInfos) {
    if (i.npy.empty() || i.npy.substr(1) != code)
      continue;
    if (order == '<' || (order == '|' && i.size == 1))
      return i.type;
    return std::nullopt;
  }
  return std::nullopt;
}

std::optional<DType> dtypeFromSafetensors(std::string_view name) {
  for (const DTypeInfo &i : kInfos)
    if (i.safetensors == name)
      return i.type;
  return std::nullopt;
}

std::optional<DType> dtypeFromName(std::string_view name) {
  for (const DTypeInfo &i : kInfos)
    if (i.name == name)
      return i.type;
  return std::nullopt;
}

std::string formatShape(const std::vector<int64_t> &shape) {
  std::string out = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      out += ", ";
    out += std::to_string(shape[i]);
  }
  if (shape.size() == 1)
    out += ",";
  out += ")";
  return out;
}

std::optional<int64_t> shapeNumel(const std::vector<int64_t> &shape) {
  for (int64_t d : shape) {
    if (d < 0)
      return std::nullopt;
    if (d == 0)
      return 0;
  }
  int64_t n = 1;
  for (int64_t d : shape)
    if (__builtin_mul_overflow(n, d, &n))
      return std::nullopt;
  return n;
}

} // namespace dsc::runtime
