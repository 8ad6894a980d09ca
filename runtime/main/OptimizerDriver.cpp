//===- OptimizerDriver.cpp - The optimizer step over every param ----------===//

#include "runtime/main/OptimizerDriver.h"

#include "kernels/optimizer/Optimizer.h"

namespace dsc::runtime {

namespace k = dsc::kernels::cpu;

Expected<OptimizerDriver>
OptimizerDriver::create(const PlanOptimizer &optimizer,
                        std::vector<OptimizerSlot> slots,
                        MemoryTracker *tracker) {
  OptimizerDriver d;
  d.opt = optimizer;
  const bool twoStates = optimizer.kind != OptimizerKind::Sgd;
  const bool oneState =
      optimizer.kind == OptimizerKind::Sgd && optimizer.momentum != 0.0;
  for (const OptimizerSlot &s : slots) {
    if (s.dtype != DType::F32 && s.dtype != DType::F64)
      return Status::error("param '" + s.name + "' is " +
                           std::string(dtypeName(s.dtype)) +
                           "; the optimizer updates float32 and float64");
    const size_t n = static_cast<size_t>(s.numel) * dtypeSize(s.dtype);
    AlignedBuffer a, b;
    if (twoStates || oneState) {
      Expected<AlignedBuffer> m = AlignedBuffer::allocate(
          n, "the optimizer state of '" + s.name + "'", tracker);
      if (!m)
        return m.status();
      a = std::move(m).value();
      d.bytes += n;
    }
    if (twoStates) {
      Expected<AlignedBuffer> v = AlignedBuffer::allocate(
          n, "the optimizer state of '" + s.name + "'", tracker);
      if (!v)
        return v.status();
      b = std::move(v).value();
      d.bytes += n;
    }
    d.first.push_back(std::move(a));
    d.second.push_back(std::move(b));
  }
  d.slots = std::move(slots);
  return d;
}

namespace {

/// The hyper-parameters Adam, AdamW and Lamb share, as the plan and the
/// schedule (which may cycle the betas) give them now.
void fillMoments(k::MomentParams &p, const PlanOptimizer &o,
                 const LrState &lr) {
  p.lr = lr.lr;
  p.beta1 = lr.beta1.value_or(o.beta1);
  p.beta2 = lr.beta2.value_or(o.beta2);
  p.eps = o.eps;
  p.weightDecay = o.weightDecay;
  p.biasCorrection = o.biasCorrection;
}

template <typename T>
void stepSlot(const PlanOptimizer &o, const LrState &lr, int64_t step,
              const OptimizerSlot &s, AlignedBuffer &first,
              AlignedBuffer &second) {
  T *param = static_cast<T *>(s.param);
  T *grad = static_cast<T *>(s.grad);
  T *m = reinterpret_cast<T *>(first.data());
  T *v = reinterpret_cast<T *>(second.data());
  switch (o.kind) {
  case OptimizerKind::Adam:
  case OptimizerKind::AdamW: {
    k::AdamParams p;
    fillMoments(p, o, lr);
    p.adamWMode = o.adamWMode;
    k::adamStep(param, grad, m, v, s.numel, p, step);
    return;
  }
  case OptimizerKind::Sgd: {
    k::SgdParams p;
    p.lr = lr.lr;
    p.momentum = o.momentum;
    p.dampening = o.dampening;
    p.weightDecay = o.weightDecay;
    p.nesterov = o.nesterov;
    k::sgdStep(param, grad, o.momentum != 0.0 ? m : nullptr, s.numel, p, step);
    return;
  }
  case OptimizerKind::Lamb: {
    k::LambParams p;
    fillMoments(p, o, lr);
    p.maxCoeff = o.maxCoeff;
    p.minCoeff = o.minCoeff;
    // The gradient's storage doubles as the update scratch.
    k::LambNorms norms =
        k::lambComputeUpdate(param, grad, m, v, grad, s.numel, p, step);
    double ratio = k::lambTrustRatio(norms.paramNormSq, norms.updateNormSq,
                                     p.minCoeff, p.maxCoeff);
    k::lambApply(param, grad, s.numel, p.lr, ratio);
    return;
  }
  }
}

} // namespace

void OptimizerDriver::step(const LrState &lr, int64_t step) {
  for (size_t i = 0; i < slots.size(); ++i) {
    if (slots[i].dtype == DType::F64)
      stepSlot<double>(opt, lr, step, slots[i], first[i], second[i]);
    else
      stepSlot<float>(opt, lr, step, slots[i], first[i], second[i]);
  }
}

std::vector<std::string> OptimizerDriver::stateNames() const {
  if (opt.kind != OptimizerKind::Sgd)
    return {"exp_avg", "exp_avg_sq"};
  if (opt.momentum != 0.0)
    return {"momentum_buffer"};
  return {};
}

std::vector<double> OptimizerDriver::momentumFor(const LrState &lr) const {
  if (opt.kind == OptimizerKind::Sgd)
    return {opt.momentum};
  return {lr.beta1.value_or(opt.beta1), lr.beta2.value_or(opt.beta2)};
}

} // namespace dsc::runtime
