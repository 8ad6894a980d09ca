#!/usr/bin/python3
"""Reference values for test/unit/OptimizerTest.cpp.

Run with Debian's PyTorch (torch 1.13, /usr/bin/python3):
    /usr/bin/python3 test/unit/data/optimizer_reference.py
and paste the printed arrays into OptimizerTest.cpp. Adam, AdamW and SGD come
from torch.optim (float32, the single-tensor CPU path); Adam without bias
correction and Lamb come from a float64 numpy transcription of the formulas
(DeepSpeed FusedAdam bias_correction=False, and the Lamb formula ds-compile
implements: update = mhat / (sqrt(vhat) + eps) + wd * p, trust ratio
||p|| / ||update|| clamped to [min_coeff, max_coeff], 1 if either norm is 0,
p -= lr * ratio * update).
"""
import numpy as np
import torch

PARAM = [0.5, -1.25, 2.0, 0.0, -0.03125]
GRADS = [
    [0.1, -0.2, 0.3, 0.05, -0.4],
    [-0.15, 0.25, 0.1, -0.05, 0.2],
    [0.3, 0.0, -0.2, 0.1, -0.1],
]


def emit(name, values, digits=9):
    body = ", ".join("%.*g" % (digits, v) for v in values)
    print("const double %s[] = {%s};" % (name, body))


def run_torch(name, make_opt):
    p = torch.nn.Parameter(torch.tensor(PARAM, dtype=torch.float32))
    opt = make_opt([p])
    for g in GRADS:
        p.grad = torch.tensor(g, dtype=torch.float32)
        opt.step()
    emit(name, p.detach().numpy().tolist())


run_torch("kAdamW", lambda ps: torch.optim.AdamW(
    ps, lr=1e-2, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1))
run_torch("kAdamWNoDecay", lambda ps: torch.optim.AdamW(
    ps, lr=1e-3, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.0))
run_torch("kAdamL2", lambda ps: torch.optim.Adam(
    ps, lr=1e-2, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1))
run_torch("kSgdPlain", lambda ps: torch.optim.SGD(ps, lr=0.1))
run_torch("kSgdMomentum", lambda ps: torch.optim.SGD(
    ps, lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01))
run_torch("kSgdNesterov", lambda ps: torch.optim.SGD(
    ps, lr=0.1, momentum=0.9, weight_decay=0.01, nesterov=True))

# Adam (AdamW mode), no bias correction, float64.
p = np.array(PARAM, dtype=np.float64)
m = np.zeros_like(p)
v = np.zeros_like(p)
lr, b1, b2, eps, wd = 1e-2, 0.9, 0.999, 1e-8, 0.1
for g in GRADS:
    g = np.array(g, dtype=np.float64)
    p = p * (1 - lr * wd)
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    p = p - lr * m / (np.sqrt(v) + eps)
emit("kAdamWNoBiasCorrection", p, 17)


def lamb(lr, b1, b2, eps, wd, min_coeff, max_coeff, param):
    p = np.array(param, dtype=np.float64)
    m = np.zeros_like(p)
    v = np.zeros_like(p)
    ratios = []
    for step, g in enumerate(GRADS, start=1):
        g = np.array(g, dtype=np.float64)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        mhat = m / (1 - b1 ** step)
        vhat = v / (1 - b2 ** step)
        update = mhat / (np.sqrt(vhat) + eps) + wd * p
        pn = np.linalg.norm(p)
        un = np.linalg.norm(update)
        ratio = 1.0 if pn == 0 or un == 0 else min(max(pn / un, min_coeff),
                                                    max_coeff)
        ratios.append(ratio)
        p = p - lr * ratio * update
    return p, ratios


p, ratios = lamb(1e-2, 0.9, 0.999, 1e-8, 0.01, 0.01, 10.0, PARAM)
emit("kLamb", p, 17)
emit("kLambRatios", ratios, 17)
# Tiny parameters: the trust ratio hits min_coeff.
p, ratios = lamb(1e-2, 0.9, 0.999, 1e-8, 0.0, 0.01, 10.0,
                 [x * 1e-4 for x in PARAM])
emit("kLambClampMin", p, 17)
emit("kLambClampMinRatios", ratios, 17)
