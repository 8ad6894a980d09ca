//===- OnnxTensor.cpp - ONNX tensors and types to MLIR --------------------===//

#include "compiler/onnx/OnnxTensor.h"
#include "dialects/graph/GraphOps.h"

#include "mlir/IR/Builders.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <cstring>

using namespace mlir;
using llvm::Expected;
using llvm::StringRef;

namespace dsc::onnx_import {

namespace {

llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

size_t byteWidth(Type element) {
  if (element.isInteger(1))
    return 1;
  return element.getIntOrFloatBitWidth() / 8;
}

/// Reads `[offset, offset + length)` of an external data file.
Expected<std::vector<char>> readExternal(const onnx::TensorProto &tensor,
                                         StringRef baseDir, StringRef what,
                                         size_t expectedBytes) {
  std::string location;
  uint64_t offset = 0;
  std::optional<uint64_t> length;
  for (const onnx::StringStringEntryProto &entry : tensor.external_data()) {
    StringRef key = entry.key(), value = entry.value();
    if (key == "location") {
      location = value.str();
    } else if (key == "offset" || key == "length") {
      uint64_t n;
      if (value.getAsInteger(10, n))
        return makeError(what + ": external data " + key + " '" + value +
                         "' is not a number");
      if (key == "offset")
        offset = n;
      else
        length = n;
    }
  }
  if (location.empty())
    return makeError(what + ": external data has no location");
  // The data must live beside the model: an absolute path or '..' could read
  // any file on the machine.
  if (llvm::sys::path::is_absolute(location) ||
      llvm::is_contained(llvm::make_range(llvm::sys::path::begin(location),
                                          llvm::sys::path::end(location)),
                         ".."))
    return makeError(what + ": external data location '" + location +
                     "' must be a relative path inside the model's folder");
  llvm::SmallString<256> path(baseDir);
  llvm::sys::path::append(path, location);
  auto file = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                          /*RequiresNullTerminator=*/false);
  if (!file)
    return makeError(what + ": external data file '" + path +
                     "' cannot be read: " + file.getError().message());
  uint64_t size = (*file)->getBufferSize();
  uint64_t want = length ? *length : expectedBytes;
  if (offset + want > size)
    return makeError(what + ": external data file '" + path + "' has " +
                     llvm::Twine(size) + " bytes, but offset " +
                     llvm::Twine(offset) + " + length " + llvm::Twine(want) +
                     " needs " + llvm::Twine(offset + want));
  const char *begin = (*file)->getBufferStart() + offset;
  return std::vector<char>(begin, begin + want);
}

/// Copies a repeated numeric field, narrowing each value to `width` bytes.
template <typename Field>
std::vector<char> packField(const Field &field, size_t width) {
  std::vector<char> bytes(field.size() * width);
  for (int i = 0; i < field.size(); ++i) {
    auto value = field.Get(i);
    std::memcpy(bytes.data() + i * width, &value, width);
  }
  return bytes;
}

} // namespace

bool isReasonableShape(llvm::ArrayRef<int64_t> shape) {
  constexpr int64_t kMaxElements = int64_t(1) << 40;
  int64_t count = 1;
  for (int64_t d : shape) {
    if (d < 0 || (d > 0 && count > kMaxElements / d))
      return false;
    count *= d;
  }
  return true;
}

StringRef dataTypeName(int32_t dataType) {
  if (!onnx::TensorProto_DataType_IsValid(dataType))
    return "UNKNOWN";
  static std::string names[32];
  std::string &name = names[dataType & 31];
  if (name.empty())
    name = onnx::TensorProto_DataType_Name(
        static_cast<onnx::TensorProto_DataType>(dataType));
  return name;
}

Expected<Type> elementTypeOf(MLIRContext &context, int32_t dataType) {
  Builder b(&context);
  using DT = onnx::TensorProto;
  switch (dataType) {
  case DT::FLOAT:
    return b.getF32Type();
  case DT::DOUBLE:
    return b.getF64Type();
  case DT::FLOAT16:
    return b.getF16Type();
  case DT::BFLOAT16:
    return b.getBF16Type();
  case DT::INT8:
    return b.getIntegerType(8);
  case DT::INT16:
    return b.getIntegerType(16);
  case DT::INT32:
    return b.getIntegerType(32);
  case DT::INT64:
    return b.getIntegerType(64);
  case DT::UINT8:
    return b.getIntegerType(8, /*isSigned=*/false);
  case DT::UINT16:
    return b.getIntegerType(16, false);
  case DT::UINT32:
    return b.getIntegerType(32, false);
  case DT::UINT64:
    return b.getIntegerType(64, false);
  case DT::BOOL:
    return b.getI1Type();
  default:
    return makeError("unsupported element type " + dataTypeName(dataType));
  }
}

Expected<TensorData> decodeTensor(MLIRContext &context,
                                  const onnx::TensorProto &tensor,
                                  StringRef baseDir, StringRef what) {
  Expected<Type> element = elementTypeOf(context, tensor.data_type());
  if (!element)
    return makeError(what + ": " + llvm::toString(element.takeError()));
  llvm::SmallVector<int64_t> shape(tensor.dims().begin(), tensor.dims().end());
  if (!isReasonableShape(shape))
    return makeError(what + ": has a negative dimension or more than 2^40 "
                            "elements");
  int64_t count = graph::numElements(shape);
  TensorData out{RankedTensorType::get(shape, *element), {}};
  size_t width = byteWidth(*element);
  size_t expected = count * width;
  using DT = onnx::TensorProto;
  if (tensor.data_location() == DT::EXTERNAL) {
    Expected<std::vector<char>> bytes =
        readExternal(tensor, baseDir, what, expected);
    if (!bytes)
      return bytes.takeError();
    out.bytes = std::move(*bytes);
  } else if (tensor.has_raw_data()) {
    out.bytes.assign(tensor.raw_data().begin(), tensor.raw_data().end());
  } else {
    switch (tensor.data_type()) {
    case DT::FLOAT:
      out.bytes = packField(tensor.float_data(), 4);
      break;
    case DT::DOUBLE:
      out.bytes = packField(tensor.double_data(), 8);
      break;
    case DT::INT64:
      out.bytes = packField(tensor.int64_data(), 8);
      break;
    case DT::UINT32:
    case DT::UINT64:
      out.bytes = packField(tensor.uint64_data(), width);
      break;
    default: // int32_data holds every type of 32 bits or fewer.
      out.bytes = packField(tensor.int32_data(), width);
      break;
    }
  }
  if (out.bytes.size() != expected)
    return makeError(what + ": holds " + llvm::Twine(out.bytes.size()) +
                     " bytes of data, but its type needs " +
                     llvm::Twine(expected));
  return out;
}

DenseElementsAttr toElementsAttr(const TensorData &data) {
  if (data.type.getElementType().isInteger(1)) {
    llvm::SmallVector<bool> values;
    for (char c : data.bytes)
      values.push_back(c != 0);
    return DenseElementsAttr::get(data.type, values);
  }
  return DenseElementsAttr::getFromRawBuffer(
      data.type, llvm::ArrayRef<char>(data.bytes.data(), data.bytes.size()));
}

} // namespace dsc::onnx_import
