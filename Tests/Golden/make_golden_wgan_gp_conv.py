#!/usr/bin/env python3
"""Generate the PyTorch golden fixture for WGAN-GP's penalty through the DCGAN's conv critic.

The critic is the engine's `--model dcgan --loss wgan-gp` critic at 28×28: the DCGAN D without its
BatchNorm (as in Gulrajani et al.), so the indices shift as in this nn.Sequential:
    Conv2d(1,64,4,2,1,bias=False) LeakyReLU(0.2) Conv2d(64,128,4,2,1,bias=False) LeakyReLU(0.2)
    Conv2d(128,1,7,1,0,bias=False)
The penalty alone, as the reference code writes it:
    x_hat = eps * real + (1 - eps) * fake          (one eps ~ U[0,1) per sample)
    grad  = torch.autograd.grad(D(x_hat).sum(), x_hat, create_graph=True)
    P     = LAMBDA * ((grad.flatten(1).norm(2, dim=1) - 1) ** 2).mean()
and P.backward() gives ∂P/∂W of every weight through the double backward (the critic-loss part is
the ordinary backward, checked elsewhere). Computed in float64 from float32-representable inputs
and weights, so it is the exact answer the float32 engine is compared against.

Run from the repository root with Debian's CPU PyTorch:
    /usr/bin/python3 Tests/Golden/make_golden_wgan_gp_conv.py
"""
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_golden import write_safetensors, read_safetensors  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "wgan_gp_conv_critic.safetensors")
SEED = 2718
B = 4
LAMBDA = 10.0


def critic():
    return nn.Sequential(
        nn.Conv2d(1, 64, 4, 2, 1, bias=False), nn.LeakyReLU(0.2),
        nn.Conv2d(64, 128, 4, 2, 1, bias=False), nn.LeakyReLU(0.2),
        nn.Conv2d(128, 1, 7, 1, 0, bias=False))


def input_grad(D, x_hat):
    return torch.autograd.grad(D(x_hat).sum(), x_hat, create_graph=True)[0].flatten(1)


def generate():
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    D = critic()
    with torch.no_grad():
        for p in D.parameters():
            p.normal_(0.0, 0.02)   # pytorch/examples dcgan's init
    D = D.double()
    real = (torch.rand(B, 1, 28, 28) * 2 - 1).double()
    fake = torch.tanh(torch.randn(B, 1, 28, 28)).float().double()
    eps = torch.rand(B, 1, 1, 1).float().double()
    x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)

    # Scale the weights so that ‖∇D(x̂)‖ is of order 1 (at the init it is ~1e-2). The critic is
    # positively homogeneous of degree 3 in its weights (no biases, LeakyReLU), so one factor per
    # layer of (TARGET/mean norm)^(1/3) puts the mean norm at TARGET. The norms of this critic lie
    # within a few % of each other, so a target of 1 would leave ‖∇D‖ − 1, the factor every ∂P/∂W
    # carries, at ~0.03, where float32's rounding of ‖∇D‖ would weigh ~10× more in the 1e-4
    # comparison than at 1.2. Then the weights are rounded to float32.
    target = 1.2
    norm = input_grad(D, x_hat).norm(2, dim=1).mean().item()
    with torch.no_grad():
        for p in D.parameters():
            p.mul_((target / norm) ** (1.0 / 3.0))
            p.copy_(p.float().double())

    grad = input_grad(D, x_hat)
    norms = grad.norm(2, dim=1)
    penalty = LAMBDA * ((norms - 1) ** 2).mean()
    D.zero_grad()
    penalty.backward()

    tensors = [(f"param.{k}", v, "F32") for k, v in D.state_dict().items()]
    tensors += [("real", real, "F32"), ("fake", fake, "F32"), ("eps", eps.view(-1), "F32")]
    # Gradients stay in float64 until stored (as F32: the engine compares at 1e-4 relative).
    tensors += [(f"grad.{name}", p.grad, "F32") for name, p in D.named_parameters()]
    tensors += [("penalty", penalty.detach().view(1), "F32"),
                ("grad_norms", norms.detach(), "F32")]
    write_safetensors(OUT, tensors, {"torch": torch.__version__, "lambda": LAMBDA, "batch": B})
    t, meta, _ = read_safetensors(OUT)
    print(f"wrote {OUT}: penalty {t['penalty'].item():.6f}, ‖∇D‖ {[round(v, 3) for v in t['grad_norms'].tolist()]}, torch {meta['torch']}")


if __name__ == "__main__":
    generate()
