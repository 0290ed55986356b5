#!/usr/bin/env python3
"""Generate the PyTorch golden fixture for the 3-step DCGAN training test (28x28, batch 8).

Run from the repository root with Debian's CPU PyTorch:
    /usr/bin/python3 Tests/Golden/make_golden_dcgan.py           # (re)generate
    /usr/bin/python3 Tests/Golden/make_golden_dcgan.py --check   # validate files

The models are the engine's `--model dcgan` at 28x28 (see the README's nn.Sequential):
G: ConvTranspose2d(100,128,7,1,0) BN2d ReLU ConvTranspose2d(128,64,4,2,1) BN2d ReLU
   ConvTranspose2d(64,1,4,2,1) Tanh
D: Conv2d(1,64,4,2,1) LeakyReLU(0.2) Conv2d(64,128,4,2,1) BN2d LeakyReLU(0.2) Conv2d(128,1,7,1,0)
No conv biases; init as pytorch/examples dcgan (conv N(0, 0.02), BN weight N(1, 0.02), bias 0),
then rounded to float16 so the C# side loads the exact same values.
The step is make_golden.py's (DCGAN example order, BCEWithLogitsLoss, Adam 2e-4 (0.5, 0.999)).
"""
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_golden import write_fixture, train as train_gan, check_fixture  # noqa: E402

SEED = 4321
B = 8
STEPS = 3
NZ = 100
PREFIX = "dcgan"


def setup():
    torch.manual_seed(SEED)
    if hasattr(torch, "use_deterministic_algorithms"):
        torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)


def make_models():
    G = nn.Sequential(
        nn.ConvTranspose2d(NZ, 128, 7, 1, 0, bias=False), nn.BatchNorm2d(128), nn.ReLU(True),
        nn.ConvTranspose2d(128, 64, 4, 2, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU(True),
        nn.ConvTranspose2d(64, 1, 4, 2, 1, bias=False), nn.Tanh())
    D = nn.Sequential(
        nn.Conv2d(1, 64, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(64, 128, 4, 2, 1, bias=False), nn.BatchNorm2d(128), nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(128, 1, 7, 1, 0, bias=False))
    return G, D


def weights_init(m):
    name = m.__class__.__name__
    if name.find("Conv") != -1:
        nn.init.normal_(m.weight.data, 0.0, 0.02)
    elif name.find("BatchNorm") != -1:
        nn.init.normal_(m.weight.data, 1.0, 0.02)
        nn.init.constant_(m.bias.data, 0)


def train(G, D, real, z):
    return train_gan(G, D, real, z, g_input=lambda zi: zi.view(B, NZ, 1, 1))


def generate():
    setup()
    G, D = make_models()
    G.apply(weights_init)
    D.apply(weights_init)
    with torch.no_grad():
        for m in (G, D):
            for p in m.parameters():
                p.data = p.data.half().float()
    real = torch.rand(STEPS, B, 1, 28, 28) * 2 - 1
    z = torch.randn(STEPS, B, NZ)

    write_fixture(PREFIX, G, D, real, z, train, {"batch": str(B), "steps": str(STEPS), "nz": str(NZ),
                                               "lr": "0.0002", "beta1": "0.5", "beta2": "0.999", "seed": str(SEED)})


def check():
    return check_fixture(PREFIX, make_models, train)


if __name__ == "__main__":
    sys.exit(check() if "--check" in sys.argv[1:] else generate())
