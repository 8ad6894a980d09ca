//===- GraphCanonicalization.cpp - canonical forms of graph ops -----------===//
//
// Rewrites that make the graph cheaper to run without changing its values:
// a product with a transposed operand reads the operand in place.
//
//===----------------------------------------------------------------------===//

#include "dialects/graph/GraphOps.h"

#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace dsc::graph;

namespace {

/// True when `perm` swaps the last two axes and keeps the others.
bool swapsLastTwo(ArrayRef<int64_t> perm) {
  int64_t rank = perm.size();
  if (rank < 2)
    return false;
  for (int64_t i = 0; i < rank - 2; ++i)
    if (perm[i] != i)
      return false;
  return perm[rank - 2] == rank - 1 && perm[rank - 1] == rank - 2;
}

/// matmul(transpose(x), y) -> matmul(x, y) {transpose_lhs}, and the same for
/// the right operand, so the kernel reads the operand transposed in place.
struct FoldTransposeIntoMatMul : OpRewritePattern<MatMulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MatMulOp op,
                                PatternRewriter &rewriter) const override {
    Value lhs = op.getLhs(), rhs = op.getRhs();
    bool transposeLhs = op.getTransposeLhs(),
         transposeRhs = op.getTransposeRhs();
    bool changed = false;
    if (auto t = lhs.getDefiningOp<TransposeOp>();
        t && swapsLastTwo(t.getPerm())) {
      lhs = t.getInput();
      transposeLhs = !transposeLhs;
      changed = true;
    }
    if (auto t = rhs.getDefiningOp<TransposeOp>();
        t && swapsLastTwo(t.getPerm())) {
      rhs = t.getInput();
      transposeRhs = !transposeRhs;
      changed = true;
    }
    if (!changed)
      return failure();
    rewriter.replaceOpWithNewOp<MatMulOp>(op, op.getType(), lhs, rhs,
                                          rewriter.getBoolAttr(transposeLhs),
                                          rewriter.getBoolAttr(transposeRhs));
    return success();
  }
};

} // namespace

void MatMulOp::getCanonicalizationPatterns(RewritePatternSet &patterns,
                                           MLIRContext *context) {
  patterns.add<FoldTransposeIntoMatMul>(context);
}
