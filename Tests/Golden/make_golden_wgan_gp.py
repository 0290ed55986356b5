#!/usr/bin/env python3
"""Generate the PyTorch golden fixture for WGAN-GP's critic gradient.

The critic loss of Gulrajani et al. (2017), exactly as their reference code and PyTorch-GAN write it:
    x_hat = eps * real + (1 - eps) * fake          (one eps ~ U[0,1) per sample)
    grad  = torch.autograd.grad(D(x_hat).sum(), x_hat, create_graph=True)
    gp    = ((grad.norm(2, dim=1) - 1) ** 2).mean()
    loss  = D(fake).mean() - D(real).mean() + LAMBDA * gp
and loss.backward() gives the gradient of every critic parameter through the double backward.

The critic mirrors the seed discriminator's layer types at a smaller width (784-64-32-16-1,
LeakyReLU 0.2) so the fixture stays small. Computed in float64 from float32-representable
inputs, so it is the exact answer the C# float32 engine is compared against.

Run from the repository root with Debian's CPU PyTorch:
    /usr/bin/python3 Tests/Golden/make_golden_wgan_gp.py
"""
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_golden import write_safetensors, read_safetensors  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "wgan_gp_critic.safetensors")
SEED = 4321
B = 8
LAMBDA = 10.0
WIDTHS = [784, 64, 32, 16, 1]


def critic():
    layers = []
    for i in range(len(WIDTHS) - 1):
        layers.append(nn.Linear(WIDTHS[i], WIDTHS[i + 1]))
        if i < len(WIDTHS) - 2:
            layers.append(nn.LeakyReLU(0.2))
    return nn.Sequential(*layers)


def generate():
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    D = critic()
    # Weights scaled so that ‖∇D(x̂)‖ lies near 1, on both sides, as in a trained critic (at
    # PyTorch's default init it is ~0.03); float32 values, computed in float64.
    with torch.no_grad():
        for name, p in D.named_parameters():
            if name.endswith("weight"):
                p.mul_(2.3)
            p.copy_(p.float())
    D = D.double()
    real = (torch.rand(B, WIDTHS[0]) * 2 - 1).double()
    fake = torch.tanh(torch.randn(B, WIDTHS[0])).float().double()
    eps = torch.rand(B, 1).float().double()

    x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
    grad = torch.autograd.grad(D(x_hat).sum(), x_hat, create_graph=True)[0]
    gp = ((grad.norm(2, dim=1) - 1) ** 2).mean()
    critic_loss = D(fake).mean() - D(real).mean()
    loss = critic_loss + LAMBDA * gp
    D.zero_grad()
    loss.backward()

    tensors = [(f"param.{k}", v, "F32") for k, v in D.state_dict().items()]
    tensors += [("real", real, "F32"), ("fake", fake, "F32"), ("eps", eps.view(-1), "F32")]
    # Gradients stay in float64 (stored as F32: the engine compares at 1e-4 relative).
    tensors += [(f"grad.{name}", p.grad, "F32") for name, p in D.named_parameters()]
    tensors += [("penalty", (LAMBDA * gp).detach().view(1), "F32"),
                ("critic_loss", critic_loss.detach().view(1), "F32"),
                ("mean_grad_norm", grad.norm(2, dim=1).mean().detach().view(1), "F32")]
    write_safetensors(OUT, tensors, {"torch": torch.__version__, "lambda": LAMBDA, "widths": WIDTHS})
    t, meta, _ = read_safetensors(OUT)
    print(f"wrote {OUT}: penalty {t['penalty'].item():.6f}, mean |grad| {t['mean_grad_norm'].item():.4f}, torch {meta['torch']}")


if __name__ == "__main__":
    generate()
