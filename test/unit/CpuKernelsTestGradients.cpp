//===- CpuKernelsTestGradients.cpp - backward kernels vs finite differences
//===//
//
// Every backward kernel is checked in double against central differences of
// its forward kernel: with a random cotangent dy, the numerical derivative of
// sum(dy * forward(x)) with respect to each x[i] must match backward(x, dy).
//
//===----------------------------------------------------------------------===//

#include "kernels/cpu/CpuKernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>
#include <vector>

using namespace dsc::kernels::cpu;

namespace {

using Dims = std::vector<int64_t>;
using Vec = std::vector<double>;

Shape shapeOf(const Dims &dims) {
  return Shape{dims.data(), static_cast<int>(dims.size())};
}

int64_t numel(const Dims &dims) { return shapeOf(dims).numel(); }

Vec randomVec(int64_t n, unsigned seed, double lo = -1, double hi = 1) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(lo, hi);
  Vec v(n);
  for (double &x : v)
    x = u(rng);
  return v;
}

/// Checks backward(x, dy) against central differences (step eps) of
/// L(x) = sum(dy * forward(x)) at `x`, for a random dy.
void checkGradient(const std::function<Vec(const Vec &)> &forward,
                   const std::function<Vec(const Vec &, const Vec &)> &backward,
                   const Vec &x, double eps = 1e-6, double tol = 1e-6) {
  Vec y = forward(x);
  Vec dy = randomVec(static_cast<int64_t>(y.size()), 99);
  auto objective = [&](const Vec &at) {
    Vec out = forward(at);
    double s = 0;
    for (size_t i = 0; i < out.size(); ++i)
      s += dy[i] * out[i];
    return s;
  };
  Vec analytic = backward(x, dy);
  ASSERT_EQ(analytic.size(), x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    Vec plus = x, minus = x;
    plus[i] += eps;
    minus[i] -= eps;
    double numeric = (objective(plus) - objective(minus)) / (2 * eps);
    EXPECT_NEAR(analytic[i], numeric, tol * std::max(1.0, std::abs(numeric)))
        << "at " << i;
  }
}

TEST(CpuKernelsGradients, Softmax) {
  Dims d{2, 3, 4};
  Shape s = shapeOf(d);
  auto forward = [&](const Vec &x) {
    Vec y(x.size());
    softmax(x.data(), s, 1, y.data());
    return y;
  };
  checkGradient(
      forward,
      [&](const Vec &x, const Vec &dy) {
        Vec y = forward(x), dx(x.size());
        softmaxGrad(y.data(), dy.data(), s, 1, dx.data());
        return dx;
      },
      randomVec(numel(d), 1, -2, 2));
}

TEST(CpuKernelsGradients, LogSoftmax) {
  Dims d{3, 5};
  Shape s = shapeOf(d);
  auto forward = [&](const Vec &x) {
    Vec y(x.size());
    logSoftmax(x.data(), s, 1, y.data());
    return y;
  };
  checkGradient(
      forward,
      [&](const Vec &x, const Vec &dy) {
        Vec y = forward(x), dx(x.size());
        logSoftmaxGrad(y.data(), dy.data(), s, 1, dx.data());
        return dx;
      },
      randomVec(numel(d), 2, -2, 2));
}

TEST(CpuKernelsGradients, Gelu) {
  for (bool tanhApprox : {false, true}) {
    auto forward = [&](const Vec &x) {
      Vec y(x.size());
      gelu(x.data(), y.data(), static_cast<int64_t>(x.size()), tanhApprox);
      return y;
    };
    checkGradient(
        forward,
        [&](const Vec &x, const Vec &dy) {
          Vec dx(x.size());
          geluGrad(x.data(), dy.data(), dx.data(),
                   static_cast<int64_t>(x.size()), tanhApprox);
          return dx;
        },
        randomVec(12, 3, -3, 3));
  }
}

/// Layer norm over the last two axes of [3, 4, 5], with a scale of shape
/// `pd` (and a bias of the same shape); checks dx, dscale and dbias.
void checkLayerNorm(const Dims &pd) {
  Dims xd{3, 4, 5};
  Shape xs = shapeOf(xd), ps = shapeOf(pd);
  Vec x0 = randomVec(numel(xd), 4, -2, 2);
  Vec scale0 = randomVec(numel(pd), 5, 0.5, 1.5);
  Vec bias0 = randomVec(numel(pd), 6);
  const double epsilon = 1e-5;
  auto forward = [&](const Vec &x, const Vec &scale, const Vec &bias) {
    Vec y(x.size()), mean(3), rstd(3);
    layerNorm(x.data(), xs, scale.data(), ps, bias.data(), ps, 1, epsilon,
              y.data(), mean.data(), rstd.data());
    return y;
  };
  // Returns {dx, dscale, dbias} at (x, scale0).
  auto backward = [&](const Vec &x, const Vec &scale, const Vec &dy) {
    Vec y(x.size()), mean(3), rstd(3);
    layerNorm(x.data(), xs, scale.data(), ps, bias0.data(), ps, 1, epsilon,
              y.data(), mean.data(), rstd.data());
    std::vector<Vec> grads{Vec(x.size()), Vec(scale.size()), Vec(scale.size())};
    layerNormGrad(x.data(), xs, scale.data(), ps, mean.data(), rstd.data(),
                  dy.data(), 1, grads[0].data(), grads[1].data(),
                  grads[2].data());
    return grads;
  };
  checkGradient(
      [&](const Vec &x) { return forward(x, scale0, bias0); },
      [&](const Vec &x, const Vec &dy) { return backward(x, scale0, dy)[0]; },
      x0);
  checkGradient(
      [&](const Vec &s) { return forward(x0, s, bias0); },
      [&](const Vec &s, const Vec &dy) { return backward(x0, s, dy)[1]; },
      scale0);
  checkGradient(
      [&](const Vec &b) { return forward(x0, scale0, b); },
      [&](const Vec &, const Vec &dy) { return backward(x0, scale0, dy)[2]; },
      bias0);
}

TEST(CpuKernelsGradients, LayerNorm) { checkLayerNorm({4, 5}); }

TEST(CpuKernelsGradients, LayerNormBroadcastScale) { checkLayerNorm({1, 5}); }

/// conv2d gradients for input [2, 4, 5, 6] and filter [4, 4/group, kh, kw].
void checkConv(const ConvParams &p, int64_t kh, int64_t kw, int64_t oh,
               int64_t ow) {
  Dims xd{2, 4, 5, 6}, wd{4, 4 / p.group, kh, kw}, yd{2, 4, oh, ow};
  Shape xs = shapeOf(xd), ws = shapeOf(wd), ys = shapeOf(yd);
  Vec x0 = randomVec(numel(xd), 7), w0 = randomVec(numel(wd), 8);
  auto forward = [&](const Vec &x, const Vec &w) {
    Vec y(numel(yd));
    conv2d(x.data(), xs, w.data(), ws, static_cast<const double *>(nullptr),
           y.data(), ys, p);
    return y;
  };
  checkGradient([&](const Vec &x) { return forward(x, w0); },
                [&](const Vec &x, const Vec &dy) {
                  Vec dx(x.size());
                  conv2dGradInput(dy.data(), ys, w0.data(), ws, dx.data(), xs,
                                  p);
                  return dx;
                },
                x0);
  checkGradient([&](const Vec &w) { return forward(x0, w); },
                [&](const Vec &w, const Vec &dy) {
                  Vec dw(w.size());
                  conv2dGradFilter(x0.data(), xs, dy.data(), ys, dw.data(), ws,
                                   p);
                  return dw;
                },
                w0);
}

TEST(CpuKernelsGradients, ConvStridedPaddedDilatedGrouped) {
  // oH = (5 + 1 + 0 - 2 - 1) / 2 + 1 = 2, oW = (6 + 0 + 2 - 2 - 1) / 1 + 1 = 6.
  ConvParams p;
  p.strides[0] = 2;
  p.pads[0] = 1, p.pads[3] = 2;
  p.dilations[1] = 2;
  p.group = 2;
  checkConv(p, 3, 2, 2, 6);
}

TEST(CpuKernelsGradients, ConvPointwise) {
  ConvParams p;
  checkConv(p, 1, 1, 5, 6);
}

TEST(CpuKernelsGradients, Gather) {
  // Repeated and negative indices accumulate; axis 1 of [2, 4, 3].
  Dims in{2, 4, 3}, id{2, 2}, out{2, 2, 2, 3};
  std::vector<int64_t> idx{1, -3, 3, 0};
  auto forward = [&](const Vec &x) {
    Vec y(numel(out));
    EXPECT_EQ(
        gather(x.data(), shapeOf(in), idx.data(), shapeOf(id), 1, y.data()),
        KernelOk);
    return y;
  };
  checkGradient(
      forward,
      [&](const Vec &x, const Vec &dy) {
        Vec dx(x.size());
        EXPECT_EQ(gatherGrad(idx.data(), shapeOf(id), dy.data(), 1, dx.data(),
                             shapeOf(in)),
                  KernelOk);
        return dx;
      },
      randomVec(numel(in), 9));
}

TEST(CpuKernelsGradients, GatherElements) {
  Dims in{3, 4}, id{3, 2};
  std::vector<int64_t> idx{0, 0, -1, 2, 1, 3};
  auto forward = [&](const Vec &x) {
    Vec y(numel(id));
    EXPECT_EQ(gatherElements(x.data(), shapeOf(in), idx.data(), shapeOf(id), 1,
                             y.data()),
              KernelOk);
    return y;
  };
  checkGradient(
      forward,
      [&](const Vec &x, const Vec &dy) {
        Vec dx(x.size());
        EXPECT_EQ(gatherElementsGrad(idx.data(), shapeOf(id), dy.data(), 1,
                                     dx.data(), shapeOf(in)),
                  KernelOk);
        return dx;
      },
      randomVec(numel(in), 10));
}

TEST(CpuKernelsGradients, SliceNegativeSteps) {
  Dims in{3, 5};
  int64_t starts[] = {2, 0}, ends[] = {-1, 5}, steps[] = {-2, 2};
  auto forward = [&](const Vec &x) {
    Vec y(2 * 3);
    slice(x.data(), shapeOf(in), starts, ends, steps, y.data());
    return y;
  };
  checkGradient(
      forward,
      [&](const Vec &x, const Vec &dy) {
        Vec dx(x.size());
        sliceGrad(dy.data(), starts, ends, steps, dx.data(), shapeOf(in));
        return dx;
      },
      randomVec(numel(in), 11));
}

TEST(CpuKernelsGradients, PadEveryMode) {
  // [3, 4] padded by (2, 3) before and (1, -1) after: [6, 6].
  Dims in{3, 4};
  int64_t pads[] = {2, 3, 1, -1};
  for (PadMode mode :
       {PadMode::Constant, PadMode::Reflect, PadMode::Edge, PadMode::Wrap}) {
    auto forward = [&](const Vec &x) {
      Vec y(36);
      pad(x.data(), shapeOf(in), pads, mode, 0.5, y.data());
      return y;
    };
    checkGradient(
        forward,
        [&](const Vec &x, const Vec &dy) {
          Vec dx(x.size());
          padGrad(dy.data(), pads, mode, dx.data(), shapeOf(in));
          return dx;
        },
        randomVec(numel(in), 12));
  }
}

/// The loss cases: every reduction, with and without weights and an
/// ignore_index that hits one sample of [2, 3, 2] input.
template <typename Check> void forEachLossCase(Check check) {
  for (LossReduction r :
       {LossReduction::None, LossReduction::Sum, LossReduction::Mean})
    for (bool weighted : {false, true})
      for (bool ignoring : {false, true})
        check(r, weighted, ignoring ? IgnoreIndex{true, 1} : IgnoreIndex{});
}

TEST(CpuKernelsGradients, SoftmaxCrossEntropyLoss) {
  Dims in{2, 3, 2};
  std::vector<int64_t> target{0, 2, 1, 2};
  Vec weight{0.5, 2, 1.5};
  forEachLossCase([&](LossReduction r, bool weighted, IgnoreIndex ignore) {
    const double *w = weighted ? weight.data() : nullptr;
    size_t lossSize = r == LossReduction::None ? target.size() : 1;
    auto forward = [&](const Vec &x) {
      Vec loss(lossSize), logProb(x.size());
      EXPECT_EQ(softmaxCrossEntropyLoss(x.data(), shapeOf(in), target.data(), w,
                                        r, ignore, loss.data(), logProb.data()),
                KernelOk);
      return loss;
    };
    checkGradient(
        forward,
        [&](const Vec &x, const Vec &dloss) {
          Vec loss(lossSize), logProb(x.size()), dx(x.size());
          softmaxCrossEntropyLoss(x.data(), shapeOf(in), target.data(), w, r,
                                  ignore, loss.data(), logProb.data());
          EXPECT_EQ(softmaxCrossEntropyLossGrad(logProb.data(), shapeOf(in),
                                                target.data(), w, dloss.data(),
                                                r, ignore, dx.data()),
                    KernelOk);
          return dx;
        },
        randomVec(numel(in), 13, -2, 2));
  });
}

TEST(CpuKernelsGradients, NllLoss) {
  Dims in{2, 3, 2};
  std::vector<int64_t> target{0, 2, 1, 2};
  Vec weight{0.5, 2, 1.5};
  forEachLossCase([&](LossReduction r, bool weighted, IgnoreIndex ignore) {
    const double *w = weighted ? weight.data() : nullptr;
    size_t lossSize = r == LossReduction::None ? target.size() : 1;
    checkGradient(
        [&](const Vec &x) {
          Vec loss(lossSize);
          EXPECT_EQ(nllLoss(x.data(), shapeOf(in), target.data(), w, r, ignore,
                            loss.data()),
                    KernelOk);
          return loss;
        },
        [&](const Vec &x, const Vec &dloss) {
          Vec dx(x.size());
          EXPECT_EQ(nllLossGrad(target.data(), w, dloss.data(), r, ignore,
                                dx.data(), shapeOf(in)),
                    KernelOk);
          return dx;
        },
        randomVec(numel(in), 14, -2, 2));
  });
}

} // namespace
