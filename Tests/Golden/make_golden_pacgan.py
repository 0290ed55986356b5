#!/usr/bin/env python3
"""Generate the PyTorch golden fixtures for 3 simultaneous PacGAN steps (--preset pacgan's models).

Run from the repository root with Debian's CPU PyTorch:
    /usr/bin/python3 Tests/Golden/make_golden_pacgan.py           # (re)generate
    /usr/bin/python3 Tests/Golden/make_golden_pacgan.py --check   # validate files

The models are tools/pacgan_torch.py's (the preset's G with bias-free Linears and BatchNorm1d
momentum 0.05, eps 1e-4; D of three LinearMaxout(200, 5) on m = 2 samples side by side), init
N(0, 0.02) with zero biases, rounded to float16 so the C# side loads the exact same values. The
step is the paper's code's: one batch of fakes, D's and G's gradients both at the step's starting
weights (ALI's ali_algorithm), then both Adam steps (betas 0.8/0.999 as the preset, but lr 1e-2,
not 1e-4: big enough that D's first update changes what G's gradient would be through it, so the
fixture tells simultaneous from alternating updates). 8 packed rows, 16 samples.

Two fixtures from the same init and data: pacgan_* with G run once per pack slot (the preset's
--g-batch-norm per-slot, as the paper's code: each BatchNorm sees one slot's 8 samples) and
pacgan_joint_* with G run once on all 16 (--g-batch-norm joint).
"""
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
from make_golden import write_fixture, check_fixture  # noqa: E402
from pacgan_torch import generator, discriminator, generate_packed, init_normal, simultaneous_step  # noqa: E402

SEED = 2718
PACK = 2
ROWS = 8
B = ROWS * PACK
STEPS = 3
LR = 1e-2
FIXTURES = {"pacgan": True, "pacgan_joint": False}   # prefix: G's BatchNorm per slot


def make_models():
    return generator(), discriminator(PACK)


def trainer(per_slot):
    return lambda G, D, real, z: train(G, D, real, z, per_slot)


def train(G, D, real, z, per_slot):
    """Simultaneous steps; records the same five numbers as make_golden.train (D(G(z)) is the
    same before and after D's step here: G's gradient goes through the D of the step's start)."""
    opt_d = torch.optim.Adam(D.parameters(), lr=LR, betas=(0.8, 0.999))
    opt_g = torch.optim.Adam(G.parameters(), lr=LR, betas=(0.8, 0.999))
    G.train()
    D.train()
    rec = {k: [] for k in ("loss_d", "loss_g", "d_x", "d_g_z1", "d_g_z2")}
    for i in range(STEPS):
        fake = generate_packed(G, z[i], PACK, per_slot)
        loss_d, loss_g, out_real, out_fake = simultaneous_step(G, D, opt_g, opt_d, real[i].view(ROWS, 2 * PACK), fake)
        d_g_z = torch.sigmoid(out_fake).mean()
        for k, v in (("loss_d", loss_d), ("loss_g", loss_g), ("d_x", torch.sigmoid(out_real).mean()),
                     ("d_g_z1", d_g_z), ("d_g_z2", d_g_z)):
            rec[k].append(v.item())
    return {k: torch.tensor(v, dtype=torch.float32) for k, v in rec.items()}


def generate():
    for prefix, per_slot in FIXTURES.items():
        generate_one(prefix, per_slot)


def generate_one(prefix, per_slot):
    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    G, D = make_models()
    init_normal(G)
    init_normal(D)
    with torch.no_grad():
        for m in (G, D):
            for p in m.parameters():
                p.data = p.data.half().float()
    # Ring-like reals (unit circle plus noise) and N(0, 1) noise, per step.
    angle = torch.rand(STEPS, B) * 2 * torch.pi
    real = torch.stack([angle.cos(), angle.sin()], dim=2) + 0.01 * torch.randn(STEPS, B, 2)
    z = torch.randn(STEPS, B, 2)

    write_fixture(prefix, G, D, real, z, trainer(per_slot),
                  {"batch": str(B), "pack": str(PACK), "steps": str(STEPS), "lr": str(LR), "beta1": "0.8", "beta2": "0.999",
                   "seed": str(SEED), "updates": "simultaneous", "g_batch_norm": "per-slot" if per_slot else "joint"})


def check():
    return max(check_fixture(prefix, make_models, trainer(per_slot)) for prefix, per_slot in FIXTURES.items())


if __name__ == "__main__":
    sys.exit(check() if "--check" in sys.argv[1:] else generate())
