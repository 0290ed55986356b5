#!/usr/bin/env python3
"""PacGAN's Table 1 protocol in PyTorch, for one seed: the engine-vs-protocol comparison.

    /usr/bin/python3 tools/pacgan_torch.py --dataset ring8 --pack 2 --seed 0 [--steps 400000] [--out DIR]
        [--updates simultaneous|alternating] [--g-batch-norm per-slot|joint]

The same protocol as `ilgpugan train --preset pacgan` (see Engine/Nn/PacGanPreset.cs and the
README): G = 4 x (Linear(400, bias=False) -> BatchNorm1d(momentum 0.05, eps 1e-4) -> ReLU) ->
Linear(400 -> 2); D = 3 x LinearMaxout(200 units, 5 pieces) -> Linear(200 -> 1) on m samples side
by side; weights N(0, 0.02), biases 0; Adam lr 1e-4, betas (0.8, 0.999); 100 packed rows a step
(100·m samples); a fixed 100,000-sample training set shuffled every epoch; per step one D and one
G update, simultaneous (both gradients from one batch of fakes at the step's starting weights, as
the paper's code: ALI's ali_algorithm) or, with --updates alternating, D's update first and then
G's on fresh z through the updated D; BCE with logits (G non-saturating). With packing, G runs
once per pack slot (per-slot, the default for m > 1, as the paper's code: each BatchNorm normalises
one slot's 100 samples, and the running statistics move by the mean of the slots' updates) or
once on all 100·m samples (--g-batch-norm joint). Every --eval-every steps: 2,500
samples of G in eval mode, modes with at least one sample within 3 sigma of it (sample assigned to
its nearest mode), the share of such high-quality samples and the reverse KL of the modes'
histogram (high-quality samples) against the uniform one. Writes metrics.csv (step, modes,
high_quality_pct, reverse_kl) and, at the end, the state_dicts G.pt and D.pt, whose names
and shapes are the engine's checkpoint's.

Torch's own RNG draws the data and the weights, so the numbers are the protocol's, not the
engine's bit for bit: compare the final table, not the curves.
"""
import argparse
import csv
import math
import os

import torch
from torch import nn
import torch.nn.functional as F


class LinearMaxout(nn.Module):
    """Linear to units*pieces, then the max over each unit's contiguous group of pieces.

    state_dict: weight [units*pieces, in], bias [units*pieces] -- the engine's LinearMaxout
    (a strict load of its D.safetensors works with this class).
    """

    def __init__(self, in_features, units, pieces):
        super().__init__()
        self.units, self.pieces = units, pieces
        self.weight = nn.Parameter(torch.empty(units * pieces, in_features))
        self.bias = nn.Parameter(torch.empty(units * pieces))
        bound = 1 / math.sqrt(in_features)
        nn.init.uniform_(self.weight, -bound, bound)
        nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        return F.linear(x, self.weight, self.bias).view(-1, self.units, self.pieces).max(dim=2).values


def modes(name):
    if name == "ring8":
        return torch.tensor([[math.cos(2 * math.pi * k / 8), math.sin(2 * math.pi * k / 8)] for k in range(8)]), 0.01
    return torch.tensor([[2.0 * i, 2.0 * j] for i in range(-2, 3) for j in range(-2, 3)]), 0.05


def generator():
    layers, width = [], 2
    for _ in range(4):
        layers += [nn.Linear(width, 400, bias=False), nn.BatchNorm1d(400, eps=1e-4, momentum=0.05), nn.ReLU()]
        width = 400
    layers.append(nn.Linear(400, 2))
    return nn.Sequential(*layers)


def discriminator(pack):
    return nn.Sequential(LinearMaxout(2 * pack, 200, 5), LinearMaxout(200, 200, 5), LinearMaxout(200, 200, 5), nn.Linear(200, 1))


def generate_packed(G, z, pack, per_slot):
    """G's fakes as packed rows [rows, 2·pack]: sample r·pack + g is slot g of packed row r (the
    engine's layout). per_slot: G runs once per slot on z[g::pack], as the paper's code applies G
    to each of its m z batches (pacgan/bricks.py, compute_losses), so each BatchNorm normalises one
    slot; Blocks then moves the running statistics by the mean of the slots' updates, which is what
    this does (each slot's update from the same start, then their mean)."""
    if not per_slot or pack == 1:
        return G(z).view(-1, 2 * pack)
    bns = [m for m in G.modules() if isinstance(m, nn.BatchNorm1d)]
    start = [(bn.running_mean, bn.running_var, bn.num_batches_tracked) for bn in bns]
    outs, moved = [], []
    for g in range(pack):
        # Fresh buffers per slot: torch saves the ones a forward read for its backward.
        for bn, (rm, rv, nt) in zip(bns, start):
            bn.running_mean, bn.running_var, bn.num_batches_tracked = rm.clone(), rv.clone(), nt.clone()
        outs.append(G(z[g::pack]))
        moved.append([(bn.running_mean, bn.running_var) for bn in bns])
    with torch.no_grad():
        for i, bn in enumerate(bns):
            bn.running_mean = sum(m[i][0] for m in moved) / pack
            bn.running_var = sum(m[i][1] for m in moved) / pack
    return torch.stack(outs, dim=1).reshape(-1, 2 * pack)


def init_normal(model, std=0.02):
    for m in model.modules():
        if isinstance(m, (nn.Linear, LinearMaxout)):
            nn.init.normal_(m.weight, 0.0, std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


def simultaneous_step(G, D, opt_g, opt_d, real, fake):
    """One step of the paper's code: D's loss and G's on one batch of fakes, both gradients at the
    step's starting weights (ALI's ali_algorithm: one graph, one GradientDescent), then both Adam
    steps. real and fake are packed rows; returns (d_loss, g_loss, D(real), D(fake)) as logits."""
    rows = real.shape[0]
    out = D(torch.cat([real, fake]))
    out_real, out_fake = out[:rows], out[rows:]
    ones, zeros = torch.ones(rows, 1), torch.zeros(rows, 1)
    d_loss = F.binary_cross_entropy_with_logits(out_real, ones) + F.binary_cross_entropy_with_logits(out_fake, zeros)
    g_loss = F.binary_cross_entropy_with_logits(out_fake, ones)
    d_params, g_params = list(D.parameters()), list(G.parameters())
    for p_, g_ in zip(d_params, torch.autograd.grad(d_loss, d_params, retain_graph=True)):
        p_.grad = g_
    for p_, g_ in zip(g_params, torch.autograd.grad(g_loss, g_params)):
        p_.grad = g_
    opt_d.step()
    opt_g.step()
    return d_loss, g_loss, out_real, out_fake


def evaluate(G, centres, sigma, n=2500):
    G.eval()
    with torch.no_grad():
        x = G(torch.randn(n, 2))
    G.train()
    d = torch.cdist(x, centres)
    nearest, which = d.min(dim=1)
    hq = nearest <= 3 * sigma
    counts = torch.bincount(which[hq], minlength=len(centres)).double()
    q = counts[counts > 0] / counts.sum() if hq.any() else None
    kl = math.log(len(centres)) if q is None else float((q * torch.log(q * len(centres))).sum())
    return int(torch.unique(which[hq]).numel()), 100.0 * hq.float().mean().item(), kl


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", choices=["ring8", "grid25"], default="ring8")
    p.add_argument("--pack", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--steps", type=int, default=400_000)
    p.add_argument("--eval-every", type=int, default=20_000)
    p.add_argument("--training-set", type=int, default=100_000)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", default=None)
    p.add_argument("--updates", choices=["simultaneous", "alternating"], default="simultaneous")
    p.add_argument("--g-batch-norm", choices=["per-slot", "joint"], default=None,
                   help="default: per-slot with --pack above 1, joint otherwise")
    a = p.parse_args()
    per_slot = (a.g_batch_norm or ("per-slot" if a.pack > 1 else "joint")) == "per-slot"
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    out = a.out or f"pacgan-torch-{a.dataset}-m{a.pack}-s{a.seed}"
    os.makedirs(out, exist_ok=True)

    centres, sigma = modes(a.dataset)
    data = centres[torch.randint(len(centres), (a.training_set,))] + sigma * torch.randn(a.training_set, 2)
    G, D = generator(), discriminator(a.pack)
    init_normal(G)
    init_normal(D)
    opt_g = torch.optim.Adam(G.parameters(), lr=1e-4, betas=(0.8, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=1e-4, betas=(0.8, 0.999))
    batch = 100 * a.pack
    per_epoch = a.training_set // batch
    order, at = torch.randperm(a.training_set), 0
    ones, zeros = torch.ones(100, 1), torch.zeros(100, 1)

    with open(os.path.join(out, "metrics.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["step", "d_loss", "g_loss", "modes_captured", "high_quality_pct", "reverse_kl"])
        for step in range(1, a.steps + 1):
            if at == per_epoch:
                order, at = torch.randperm(a.training_set), 0
            real = data[order[at * batch:(at + 1) * batch]].view(-1, 2 * a.pack)
            at += 1
            fake = generate_packed(G, torch.randn(batch, 2), a.pack, per_slot)
            if a.updates == "simultaneous":
                d_loss, g_loss, _, _ = simultaneous_step(G, D, opt_g, opt_d, real, fake)
            else:
                out_d = D(torch.cat([real, fake.detach()]))
                d_loss = F.binary_cross_entropy_with_logits(out_d[:100], ones) + F.binary_cross_entropy_with_logits(out_d[100:], zeros)
                opt_d.zero_grad()
                d_loss.backward()
                opt_d.step()
                fake = generate_packed(G, torch.randn(batch, 2), a.pack, per_slot)   # G's update on fresh z
                g_loss = F.binary_cross_entropy_with_logits(D(fake), ones)
                opt_g.zero_grad()
                g_loss.backward()
                opt_g.step()
            if step % a.eval_every == 0 or step == a.steps:
                m, hq, kl = evaluate(G, centres, sigma)
                w.writerow([step, f"{d_loss.item():.5f}", f"{g_loss.item():.5f}", m, f"{hq:.2f}", f"{kl:.4f}"])
                f.flush()
                print(f"step {step}: {m} modes, {hq:.1f} % high quality", flush=True)
    torch.save(G.state_dict(), os.path.join(out, "G.pt"))
    torch.save(D.state_dict(), os.path.join(out, "D.pt"))


if __name__ == "__main__":
    main()
