#!/usr/bin/python3
"""Writes tests/fixtures/parity/*.pt: parity cases for the C++ models, computed with the PyTorch
reference port (tools/reference/models.py, a verbatim copy of ../shared/reference).

Run from the repository root with Debian's python3-torch 1.13 (no other dependency):
    /usr/bin/python3 tools/make_parity_fixtures.py

Everything is seeded, so re-running reproduces the files. Layout (all torch.save, zip format, which
torch::pickle_load reads):
  w_<set>.pt     {state_dict key: tensor}  one weight set, shared by several cases (keeps files small).
                 Values are rounded to float16 and stored as float16 (exact in float32 after .float()),
                 which halves the size without making the parity check any weaker.
  case_<name>.pt {"weights": set name, "config": ModelConfig JSON (C++ field names), "kind":
                 "energy" | "generate" | "predict", inputs "x", "label", "mask", "z" (float16, exact: convert
                 with .float()), tensors "energy",
                 "grad_x" (d sum(E) / dx), "grad_mask", "out" (generator image), "grad_z"
                 (d sum(out) / dz), "logit", "pos" (CubesPredict), "grad" of sum(logit)+sum(pos),
                 "mode": "eval" | "train" | "cached", "draw" int64 [5] (forced augment_vis draw:
                 jitter1 y, x, angle index, jitter2 y, x), "u_after.<buffer key>" (u after the run)}
Weights are random and perturbed away from their inits (g, gb, cb, b, gamma, the zero-init res_c2
weights) so every path of the computation contributes.

The only deviation from the reference: ResNet128's c1_pre is rebuilt to output num_filters channels
(and res_optim's convs to num_filters → num_filters), the C++ port's generalization that lets a
ResNet128 be smaller than num_filters = 64 (where the original cannot run at all).
"""
import json
import os
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "reference"))
import models as M  # noqa: E402

OUT = os.path.join(HERE, "..", "tests", "fixtures", "parity")
ANGLES = list(range(-10, 11)) + 5 * [0]


def perturb(model, seed):
    """Random values for everything whose init would hide a code path."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            leaf = name.split(".")[-1]
            r = torch.randn(p.shape, generator=g)
            if leaf == "g":
                p.copy_(1.0 + 0.3 * r)
            elif leaf in ("gb", "cb"):
                p.copy_(0.3 * r)
            elif leaf == "b":
                p.copy_(0.1 * r)
            elif leaf == "gamma":
                p.copy_(0.7 + 0.1 * r)
            elif leaf == "c" and name.endswith("_res_c2.c"):
                # Zero-init weights: some layers with sigma < 1 (lower bound leaves them), some > 1.
                std = float(torch.empty(1).uniform_(0.01, 0.3, generator=g))
                p.copy_(std * r)
        for t in list(model.parameters()) + list(model.buffers()):
            t.copy_(t.half().float())  # exactly representable in float16 (see module docstring)


def save(obj, name):
    path = os.path.join(OUT, name)
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


def save_weights(model, set_name):
    sd = {k: v.detach().clone().half() for k, v in model.state_dict().items()}
    save(sd, f"w_{set_name}.pt")


def load_weights(model, set_name):
    sd = torch.load(os.path.join(OUT, f"w_{set_name}.pt"))
    own = model.state_dict()
    model.load_state_dict({k: sd[k].float() for k in own.keys()}, strict=True)


def cfg(arch, **kw):
    c = {"arch": arch}
    c.update(kw)
    return c


def f16(t):
    return t.half().float()


# ------------------------------------------------------------------------------------------------
# Model builders (reference classes, constructor arguments from the C++ config)

def build(c):
    common = dict(spec_norm=c.get("spec_norm", True), swish_act=c.get("swish_act", True),
                  spec_iter=c.get("spec_iter", 1))
    if c["arch"] == "cubesnet":
        return M.CubesNet(num_filters=c["num_filters"], label_size=c["label_size"], cclass=c.get("cclass", True),
                          antialias=c.get("antialias", False), augment_vis=c.get("augment_vis", False),
                          comb_mask=c.get("comb_mask", False), cond_func=c.get("cond_func", 3), **common)
    if c["arch"] == "cubesnetgen":
        return M.CubesNetGen(num_filters=c["num_filters"], label_size=c["label_size"], cclass=c.get("cclass", True),
                             **common)
    if c["arch"] == "resnet128":
        d = c["num_filters"]
        m = M.ResNet128(num_filters=d, classes=c["label_size"], cclass=c.get("cclass", True),
                        use_attention=c.get("use_attention", False), **common)
        if d != 64:  # the C++ generalization (module docstring)
            m._conv("c1_pre", 3, 3, d)
            m._res("res_optim", d, d, c["label_size"] if c.get("cclass", True) else 1)
            del m.layers["res_optim_res_adaptive"]
        return m
    if c["arch"] == "cubespredict":
        return M.CubesPredict(num_filters=c["num_filters"], swish_act=c.get("swish_act", True))
    raise ValueError(c["arch"])


def fixed_transform(draw):
    """standard_transforms with a forced draw (same ops as the reference, no randomness)."""
    def t(x):
        x = F.pad(x, (6, 6, 6, 6), value=0.5)
        H, W = x.shape[2], x.shape[3]
        x = x[:, :, draw[0]:draw[0] + H - 4, draw[1]:draw[1] + W - 4]
        x = M._rotate_nearest(x, ANGLES[draw[2]])
        H, W = x.shape[2], x.shape[3]
        return x[:, :, draw[3]:draw[3] + H - 2, draw[4]:draw[4] + W - 2]
    return t


# ------------------------------------------------------------------------------------------------

def energy_case(name, c, wset, x, label, mode="eval", draw=None, mask=None):
    model = build(c)
    load_weights(model, wset)
    if draw is not None:
        M.standard_transforms = fixed_transform(draw)
    x = x.clone().requires_grad_(True)
    m = mask.clone().requires_grad_(True) if mask is not None else None
    model.train(mode == "train")
    if mode == "cached":
        model.eval()
        with M.cached_weights(model, update_u=True):
            e = model(x, label, m) if m is not None else model(x, label)
            e.sum().backward()
    else:
        e = model(x, label, m) if m is not None else model(x, label)
        e.sum().backward()
    rec = {"weights": wset, "config": json.dumps(c), "kind": "energy", "mode": mode, "x": x.detach().half(),
           "energy": e.detach(), "grad_x": x.grad.detach()}
    if label is not None:
        rec["label"] = label.half()
    if m is not None:
        rec["mask"] = m.detach().half()
        rec["grad_mask"] = m.grad.detach()
    if draw is not None:
        rec["draw"] = torch.tensor(draw, dtype=torch.int64)
    if mode in ("train", "cached"):
        for k, v in model.state_dict().items():
            if k.endswith(".u"):
                rec["u_after." + k] = v.clone()
    save(rec, f"case_{name}.pt")
    return e


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(1)
    d = 8

    # Weight sets -----------------------------------------------------------------------------
    sets = {
        "cubes_l2": cfg("cubesnet", num_filters=d, label_size=2),
        "cubes_l2_nosn": cfg("cubesnet", num_filters=4, label_size=2, spec_norm=False),
        "cubes_c1": cfg("cubesnet", num_filters=4, label_size=1),
        "gen_l3": cfg("cubesnetgen", num_filters=d, label_size=3),
        "resnet_c2": cfg("resnet128", num_filters=4, label_size=2, image_size=128),
        "predict": cfg("cubespredict", num_filters=d, label_size=0, spec_norm=False, cclass=False),
    }
    for i, (sname, c) in enumerate(sets.items()):
        torch.manual_seed(100 + i)
        m = build(c)
        perturb(m, 200 + i)
        save_weights(m, sname)

    g = torch.Generator().manual_seed(7)
    x24 = f16(torch.rand(2, 3, 24, 24, generator=g))  # CubesNet pools by a mean: any size >= 24 runs
    x32 = f16(torch.rand(2, 3, 32, 32, generator=g))
    x64 = f16(torch.rand(2, 3, 64, 64, generator=g))
    pos = f16(torch.rand(2, 2, generator=g) * 2 - 1)
    size = f16(torch.rand(2, 1, generator=g) * 0.4 + 0.3)
    onehot = torch.tensor([[1.0, 0.0], [0.0, 1.0]])

    base = cfg("cubesnet", num_filters=d, label_size=2)
    small = dict(base, num_filters=4)
    energy_case("cubes_base", base, "cubes_l2", x24, pos)
    energy_case("cubes_leaky", dict(base, swish_act=False), "cubes_l2", x24, pos)
    energy_case("cubes_nospec", dict(small, spec_norm=False), "cubes_l2_nosn", x24, pos)
    energy_case("cubes_antialias", dict(base, antialias=True), "cubes_l2", x32, pos)
    for tag, draw in (("a", [0, 4, 10, 2, 0]), ("b", [3, 1, 3, 1, 2]), ("c", [2, 2, 20, 0, 1]), ("d", [4, 0, 24, 2, 2])):
        energy_case("cubes_augment_" + tag, dict(base, augment_vis=True), "cubes_l2", x24, pos, draw=draw)
    energy_case("cubes_cached", base, "cubes_l2", x24, pos, mode="cached")
    energy_case("cubes_train_u", base, "cubes_l2", x24, pos, mode="train")
    energy_case("cubes_spec_iter2", dict(base, spec_iter=2), "cubes_l2", x24, pos, mode="train")
    energy_case("cubes_size_l1", cfg("cubesnet", num_filters=4, label_size=1), "cubes_c1", x24, size)
    energy_case("cubes_nocclass", dict(small, cclass=False), "cubes_c1", x24, pos)
    mask = f16(torch.randn(1, 3, 64, 64, generator=g))
    energy_case("cubes_comb_mask", dict(small, cclass=False, comb_mask=True, cond_func=3,
                                        comb_mask_reshape_quirk=True), "cubes_c1", x64[:1], None, mask=mask)

    rbase = cfg("resnet128", num_filters=4, label_size=2, image_size=128)
    energy_case("resnet_base", rbase, "resnet_c2", x32, onehot)
    energy_case("resnet_attention", dict(rbase, use_attention=True), "resnet_c2", x32, onehot)
    energy_case("resnet_leaky", dict(rbase, swish_act=False, use_attention=True), "resnet_c2", x32, onehot)

    # Generator ---------------------------------------------------------------------------------
    gc = cfg("cubesnetgen", num_filters=d, label_size=3)
    gen = build(gc)
    load_weights(gen, "gen_l3")
    gen.eval()
    z = f16(torch.rand(1, 2 * d, generator=g) * 2 - 1).requires_grad_(True)
    glabel = f16(torch.rand(1, 3, generator=g))
    out = gen(z, glabel)
    out.sum().backward()
    save({"weights": "gen_l3", "config": json.dumps(gc), "kind": "generate", "mode": "eval", "z": z.detach().half(),
          "label": glabel.half(), "out": out.detach(), "grad_z": z.grad.detach()}, "case_gen_base.pt")

    # Predictor ---------------------------------------------------------------------------------
    pc = sets["predict"]
    pred = build(pc)
    load_weights(pred, "predict")
    pred.eval()
    xp = x64[:1].clone().requires_grad_(True)
    logit, p = pred(xp)
    (logit.sum() + p.sum()).backward()
    save({"weights": "predict", "config": json.dumps(pc), "kind": "predict", "mode": "eval", "x": xp.detach().half(),
          "logit": logit.detach(), "pos": p.detach(), "grad_x": xp.grad.detach()}, "case_predict_base.pt")

    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print(f"wrote {len(os.listdir(OUT))} files, {total / 1024:.0f} KiB, to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
