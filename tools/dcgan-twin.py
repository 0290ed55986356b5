#!/usr/bin/env python3
"""The PyTorch twin of `ilgpugan train --model dcgan` (28x28, MNIST or Fashion-MNIST): the same
models, initialisation, data scaling, batch, loss and optimiser, trained by PyTorch, saved as a
G.safetensors that `ilgpugan eval` and `ilgpugan sample` read. It answers "is the engine
faithful?": score both with the same classifier at the same step.

    /usr/bin/python3 tools/dcgan-twin.py --data ../shared/data/mnist --steps 2000 --out runs/torch-twin
    ilgpugan eval --checkpoint runs/torch-twin/G.safetensors --data ../shared/data/mnist

The recipe is pytorch/examples dcgan/main.py's step (D on a real batch, then on G(z) detached,
Adam on D; G through the updated D, Adam on G), BCEWithLogitsLoss, Adam 2e-4 betas (0.5, 0.999),
batch 64, pixels (b/255 - 0.5)/0.5, a fresh shuffle each epoch. Only the random streams differ
from the engine's. Needs Debian's python3-torch (CPU).
"""
import argparse
import gzip
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Golden"))
from make_golden import write_safetensors, state_entries  # noqa: E402
from make_golden_dcgan import make_models, weights_init, NZ  # noqa: E402


def read_images(folder):
    for name in ("train-images-idx3-ubyte.gz", "train-images-idx3-ubyte"):
        path = os.path.join(folder, name)
        if os.path.exists(path):
            opener = gzip.open if name.endswith(".gz") else open
            with opener(path, "rb") as f:
                magic, n, h, w = struct.unpack(">IIII", f.read(16))
                if magic != 2051:
                    sys.exit(f"{path}: not an IDX image file")
                pixels = np.frombuffer(f.read(n * h * w), dtype=np.uint8).reshape(n, 1, h, w)
            return torch.from_numpy(pixels.copy())
    sys.exit(f"{folder}: no train-images-idx3-ubyte[.gz]")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True, help="folder with the IDX files")
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's choice)")
    ap.add_argument("--out", required=True, help="folder for G.safetensors and log.csv")
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    if a.threads:
        torch.set_num_threads(a.threads)
    os.makedirs(a.out, exist_ok=True)

    images = read_images(a.data)
    G, D = make_models()
    G.apply(weights_init)
    D.apply(weights_init)
    crit = nn.BCEWithLogitsLoss()
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    ones, zeros = torch.ones(a.batch), torch.zeros(a.batch)
    per_epoch = len(images) // a.batch
    order, start, log = None, time.time(), []
    for step in range(a.steps):
        if step % per_epoch == 0:
            order = torch.randperm(len(images))
        idx = order[(step % per_epoch) * a.batch:(step % per_epoch + 1) * a.batch]
        real = (images[idx].float() / 255 - 0.5) / 0.5
        D.zero_grad(set_to_none=True)
        out_real = D(real).view(-1)
        err_real = crit(out_real, ones)
        err_real.backward()
        fake = G(torch.randn(a.batch, NZ, 1, 1))
        out_fake = D(fake.detach()).view(-1)
        err_fake = crit(out_fake, zeros)
        err_fake.backward()
        opt_d.step()
        G.zero_grad(set_to_none=True)
        err_g = crit(D(fake).view(-1), ones)
        err_g.backward()
        opt_g.step()
        if (step + 1) % 50 == 0:
            rate = (step + 1) / (time.time() - start)
            log.append(f"{step + 1},{(err_real + err_fake).item():.5f},{err_g.item():.5f}")
            print(f"step {step + 1}/{a.steps} d_loss {(err_real + err_fake).item():.3f} "
                  f"g_loss {err_g.item():.3f} {rate:.2f} steps/s", flush=True)
    write_safetensors(os.path.join(a.out, "G.safetensors"), state_entries(G, "", "F32"),
                      {"format": "pt", "step": str(a.steps), "latent": str(NZ), "model": "dcgan",
                       "image_size": "28", "channels": "1", "torch_version": torch.__version__})
    with open(os.path.join(a.out, "log.csv"), "w") as f:
        f.write("step,d_loss,g_loss\n" + "\n".join(log) + "\n")
    print(f"wrote {os.path.join(a.out, 'G.safetensors')} after {a.steps} steps "
          f"in {time.time() - start:.0f} s")


if __name__ == "__main__":
    main()
