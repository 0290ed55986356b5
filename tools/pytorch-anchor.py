#!/usr/bin/env python3
"""The PyTorch anchor for `ilgpugan bench`: the seed GAN's training step in PyTorch, eager and
(on CUDA) captured as one CUDA graph, in steps/s. Run it in the same session as the bench, on
the same card, and report ratios.

    python3 tools/pytorch-anchor.py [--batches 64,4096] [--seconds 3] [--device cuda|cpu]

The step is the one `ilgpugan train` runs (PyTorch's DCGAN example order, BCE with logits, Adam
lr 2e-4 betas (0.5, 0.999)): D on a real batch and on G(z) detached, Adam on D; G through the
updated D, Adam on G. Real data is random (as in `bench`); z is drawn on the device each step.
"""
import argparse
import time

import torch
import torch.nn as nn


def models(device):
    G = nn.Sequential(nn.Linear(64, 256), nn.LeakyReLU(0.2), nn.BatchNorm1d(256),
                      nn.Linear(256, 512), nn.LeakyReLU(0.2), nn.BatchNorm1d(512),
                      nn.Linear(512, 784), nn.Tanh()).to(device)
    D = nn.Sequential(nn.Linear(784, 512), nn.LeakyReLU(0.2), nn.Linear(512, 256), nn.LeakyReLU(0.2),
                      nn.Linear(256, 64), nn.LeakyReLU(0.2), nn.Linear(64, 1)).to(device)
    return G, D


def make_step(G, D, real, z, ones, zeros, capturable):
    crit = nn.BCEWithLogitsLoss()
    kw = {"capturable": True} if capturable else {}
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999), **kw)
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999), **kw)

    def step():
        z.normal_()
        fake = G(z)
        opt_d.zero_grad(set_to_none=False)
        loss_d = crit(D(real).view(-1), ones) + crit(D(fake.detach()).view(-1), zeros)
        loss_d.backward()
        opt_d.step()
        opt_g.zero_grad(set_to_none=False)
        loss_g = crit(D(fake).view(-1), ones)
        loss_g.backward()
        opt_g.step()
        return loss_d, loss_g
    return step


def timed(fn, seconds, sync):
    for _ in range(10):
        fn()
    sync()
    n, start = 0, time.perf_counter()
    while n < 20 or time.perf_counter() - start < seconds:
        fn()
        n += 1
        if n % 50 == 0:
            sync()
    sync()
    return n / (time.perf_counter() - start)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--batches", default="64,4096")
    ap.add_argument("--seconds", type=float, default=3)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    a = ap.parse_args()
    dev = torch.device(a.device)
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu"
    print(f"PyTorch {torch.__version__} on {name}; seed GAN step (one D step + one G step)")
    print(f"{'batch':>6} {'eager steps/s':>14} {'graph steps/s':>14}")
    for b in [int(x) for x in a.batches.split(",")]:
        torch.manual_seed(0)
        G, D = models(dev)
        real = torch.rand(b, 784, device=dev) * 2 - 1
        z = torch.empty(b, 64, device=dev)
        ones, zeros = torch.ones(b, device=dev), torch.zeros(b, device=dev)
        eager = timed(make_step(G, D, real, z, ones, zeros, capturable=False), a.seconds, sync)
        graph = float("nan")
        if dev.type == "cuda":
            G, D = models(dev)
            step = make_step(G, D, real, z, ones, zeros, capturable=True)
            s = torch.cuda.Stream()
            s.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(s):   # warm-up on a side stream, as CUDA graph capture requires
                for _ in range(3):
                    step()
            torch.cuda.current_stream().wait_stream(s)
            g = torch.cuda.CUDAGraph()
            with torch.cuda.graph(g):
                step()
            graph = timed(g.replay, a.seconds, sync)
        print(f"{b:>6} {eager:>14.1f} {graph:>14.1f}")


if __name__ == "__main__":
    main()
