#!/usr/bin/env python3
"""Generate the PyTorch golden fixture for the 3-step GAN training test.

Run from the repository root with Debian's CPU PyTorch:
    /usr/bin/python3 Tests/Golden/make_golden.py           # (re)generate
    /usr/bin/python3 Tests/Golden/make_golden.py --check   # validate files

Writes safetensors files by hand (no `safetensors` package needed).
"""
import json
import os
import struct
import sys

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 1234
B = 8
STEPS = 3
LR = 2e-4
BETAS = (0.5, 0.999)

DTYPES = {  # safetensors dtype -> (torch dtype, element size, struct code)
    "F32": (torch.float32, 4, "f"),
    "F16": (torch.float16, 2, "e"),
    "I64": (torch.int64, 8, "q"),
}


def setup():
    torch.manual_seed(SEED)
    if hasattr(torch, "use_deterministic_algorithms"):
        torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)


def make_models():
    G = nn.Sequential(
        nn.Linear(64, 256), nn.LeakyReLU(0.2), nn.BatchNorm1d(256),
        nn.Linear(256, 512), nn.LeakyReLU(0.2), nn.BatchNorm1d(512),
        nn.Linear(512, 784), nn.Tanh())
    D = nn.Sequential(
        nn.Linear(784, 512), nn.LeakyReLU(0.2),
        nn.Linear(512, 256), nn.LeakyReLU(0.2),
        nn.Linear(256, 64), nn.LeakyReLU(0.2),
        nn.Linear(64, 1))
    return G, D


# ---------------------------------------------------------------- safetensors
def write_safetensors(path, tensors, metadata=None):
    """tensors: list of (name, tensor, dtype_str) in file order."""
    header = {}
    blobs = []
    off = 0
    for name, t, dt in tensors:
        tdt = DTYPES[dt][0]
        t = t.detach().to("cpu", tdt).contiguous()
        # numpy bytes, forced little-endian
        arr = t.numpy()
        arr = arr.astype(arr.dtype.newbyteorder("<"), copy=False)
        data = arr.tobytes(order="C")
        assert len(data) == t.numel() * DTYPES[dt][1]
        header[name] = {"dtype": dt, "shape": list(t.shape),
                        "data_offsets": [off, off + len(data)]}
        blobs.append(data)
        off += len(data)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    hb = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hb += b" " * ((-len(hb)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hb)))
        f.write(hb)
        for d in blobs:
            f.write(d)


def read_safetensors(path):
    """Independent reader: validates layout, returns (dict name->tensor, metadata, names)."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack_from("<Q", raw, 0)
    assert n % 8 == 0, "header length not multiple of 8"
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    data = raw[8 + n:]
    meta = header.pop("__metadata__", {})
    out, names, expect = {}, [], 0
    for name, info in header.items():  # json preserves order
        dt = info["dtype"]
        tdt, size, code = DTYPES[dt]
        b, e = info["data_offsets"]
        assert b == expect, f"{name}: non-contiguous ({b} != {expect})"
        numel = 1
        for s in info["shape"]:
            numel *= s
        assert e - b == numel * size, f"{name}: size mismatch"
        vals = struct.unpack_from("<%d%s" % (numel, code), data, b)
        out[name] = torch.tensor(vals, dtype=tdt).reshape(info["shape"])
        names.append(name)
        expect = e
    assert expect == len(data), "trailing bytes after data section"
    return out, meta, names


# ------------------------------------------------------------------- training
def train(G, D, real, z, g_input=lambda zi: zi):
    """g_input shapes one step's noise for G (the DCGAN takes [B, nz, 1, 1])."""
    crit = nn.BCEWithLogitsLoss()
    optD = torch.optim.Adam(D.parameters(), lr=LR, betas=BETAS)
    optG = torch.optim.Adam(G.parameters(), lr=LR, betas=BETAS)
    G.train()
    D.train()
    rec = {k: [] for k in ("loss_d", "loss_g", "d_x", "d_g_z1", "d_g_z2")}
    for i in range(STEPS):
        # (1) D: maximize log D(x) + log(1 - D(G(z)))
        D.zero_grad(set_to_none=True)
        out_real = D(real[i]).view(-1)
        errD_real = crit(out_real, torch.full((B,), 1.0))
        errD_real.backward()
        d_x = torch.sigmoid(out_real).mean()
        fake = G(g_input(z[i]))
        out_fake = D(fake.detach()).view(-1)
        errD_fake = crit(out_fake, torch.full((B,), 0.0))
        errD_fake.backward()
        d_g_z1 = torch.sigmoid(out_fake).mean()
        errD = errD_real + errD_fake
        optD.step()
        # (2) G: maximize log D(G(z))
        G.zero_grad(set_to_none=True)
        out = D(fake).view(-1)
        errG = crit(out, torch.full((B,), 1.0))
        errG.backward()
        d_g_z2 = torch.sigmoid(out).mean()
        optG.step()
        for k, v in (("loss_d", errD), ("loss_g", errG), ("d_x", d_x),
                     ("d_g_z1", d_g_z1), ("d_g_z2", d_g_z2)):
            rec[k].append(v.item())
    return {k: torch.tensor(v, dtype=torch.float32) for k, v in rec.items()}


def state_entries(model, prefix, float_dtype):
    ents = []
    for k, v in model.state_dict().items():
        if v.dtype == torch.int64:
            dt = "I64"
        elif k.endswith("running_mean") or k.endswith("running_var"):
            dt = "F32"
        else:
            dt = float_dtype
        ents.append((prefix + k, v, dt))
    return ents


STAT_NAMES = ("loss_d", "loss_g", "d_x", "d_g_z1", "d_g_z2")


def write_fixture(prefix, G, D, real, z, train, meta):
    """The four files of a step fixture: <prefix>_init (G.*, D.* as float16, exact), then train's
    steps from it, <prefix>_data (real, z, the per-step STAT_NAMES and meta) and <prefix>_after_G/D
    (float32 state_dicts). Prints the per-step numbers."""
    def path(name):
        return os.path.join(HERE, f"{prefix}_{name}.safetensors")
    write_safetensors(path("init"), state_entries(G, "G.", "F16") + state_entries(D, "D.", "F16"),
                      {"torch_version": torch.__version__, "seed": meta["seed"]})
    stats = train(G, D, real, z)
    write_safetensors(path("data"), [("real", real, "F32"), ("z", z, "F32")]
                      + [(k, stats[k], "F32") for k in STAT_NAMES],
                      {"torch_version": torch.__version__, **meta})
    for name, m in (("G", G), ("D", D)):
        write_safetensors(path(f"after_{name}"), state_entries(m, "", "F32"),
                          {"torch_version": torch.__version__, "steps": meta["steps"]})
    for k, v in stats.items():
        print(k, [f"{x:.7f}" for x in v.tolist()])


def generate():
    setup()
    G, D = make_models()
    with torch.no_grad():
        for m in (G, D):
            for p in m.parameters():
                p.data = p.data.half().float()
    # data: per step, real batch then noise
    reals, zs = [], []
    for i in range(STEPS):
        reals.append(torch.rand(B, 784) * 2 - 1)
        zs.append(torch.randn(B, 64))
    real = torch.stack(reals)
    z = torch.stack(zs)

    write_fixture("seed", G, D, real, z, train,
                  {"batch": str(B), "steps": str(STEPS), "lr": "0.0002", "beta1": "0.5", "beta2": "0.999", "seed": str(SEED)})


def check_fixture(prefix, make_models, train):
    """Validates the four files <prefix>_{init,data,after_G,after_D}.safetensors: an independent
    re-read, a strict load_state_dict of the after-states, and a bitwise replay from init + data."""
    setup()
    loaded = {}
    for f in ("init", "data", "after_G", "after_D"):
        p = os.path.join(HERE, f"{prefix}_{f}.safetensors")
        t, meta, names = read_safetensors(p)
        loaded[f] = t
        print(f"{prefix}_{f}.safetensors  {os.path.getsize(p)} bytes  meta={meta}")
        print("  names: " + ",".join(names))
    # after-state loads strictly into fresh PyTorch modules
    Ga, Da = make_models()
    Ga.load_state_dict(loaded["after_G"], strict=True)
    Da.load_state_dict(loaded["after_D"], strict=True)
    # replay: init (F16 exact) + stored data must reproduce after-state bitwise
    G, D = make_models()
    init = loaded["init"]
    for net, net_prefix in ((G, "G."), (D, "D.")):
        net.load_state_dict({k[2:]: v.float() if v.is_floating_point() else v
                             for k, v in init.items() if k.startswith(net_prefix)}, strict=True)
    data = loaded["data"]
    stats = train(G, D, data["real"], data["z"])
    ok = True
    for k, v in stats.items():
        same = torch.equal(v, data[k])
        ok &= same
        print(f"{k:7s} {[f'{x:.7f}' for x in data[k].tolist()]} replay_equal={same}")
    for name, m in (("G", G), ("D", D)):
        ref = loaded[f"after_{name}"]
        for k, v in m.state_dict().items():
            if not torch.equal(v, ref[k]):
                ok = False
                print(f"MISMATCH {name}.{k}: max abs diff "
                      f"{(v.double() - ref[k].double()).abs().max().item()}")
    print("CHECK", "OK" if ok else "FAILED")
    return 0 if ok else 1


def check():
    return check_fixture("seed", make_models, train)


if __name__ == "__main__":
    if "--check" in sys.argv[1:]:
        sys.exit(check())
    generate()
