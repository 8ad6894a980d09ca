//===- OnnxTensor.h - ONNX tensors and types to MLIR ------------*- C++ -*-===//
#ifndef DSC_COMPILER_ONNX_ONNXTENSOR_H
#define DSC_COMPILER_ONNX_ONNXTENSOR_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/Support/Error.h"

#include <onnx/onnx_pb.h>

#include <vector>

namespace dsc::onnx_import {

/// True when no dimension is negative and the element count is at most 2^40:
/// larger shapes are corrupt input, and rejecting them keeps shape
/// arithmetic from overflowing.
bool isReasonableShape(llvm::ArrayRef<int64_t> shape);

/// The MLIR element type of an ONNX `TensorProto::DataType`, or an error
/// naming the type for those ds-compile does not support.
llvm::Expected<mlir::Type> elementTypeOf(mlir::MLIRContext &context,
                                         int32_t dataType);

/// The ONNX name of a data type (`FLOAT`, `STRING`, ...).
llvm::StringRef dataTypeName(int32_t dataType);

/// A decoded tensor: its type and its elements, little-endian, one byte per
/// boolean.
struct TensorData {
  mlir::RankedTensorType type;
  std::vector<char> bytes;
};

/// Decodes a TensorProto, reading external data relative to `baseDir`.
/// `what` names the tensor in messages (e.g. "initializer 'w'").
llvm::Expected<TensorData> decodeTensor(mlir::MLIRContext &context,
                                        const onnx::TensorProto &tensor,
                                        llvm::StringRef baseDir,
                                        llvm::StringRef what);

/// The elements as an attribute of the tensor's type.
mlir::DenseElementsAttr toElementsAttr(const TensorData &data);

} // namespace dsc::onnx_import

#endif // DSC_COMPILER_ONNX_ONNXTENSOR_H
