#!/usr/bin/python3
"""Writes the checkpoint test fixtures into tests/checkpoint/fixtures/ (committed; rerun only when
the reference port or the fixture set changes). Needs Debian's python3-torch and python3-pil
(run it with /usr/bin/python3, not a virtualenv without torch):

    /usr/bin/python3 tools/make_checkpoint_fixtures.py

Models come from the reference PyTorch port in tools/reference/models.py with small random weights
(num_filters 4 keeps every file under ~40 KB). For each model it writes
  <name>_tf.safetensors   raw safetensors, TF variable names (scope/layer/cweight, HWIO), no metadata
                          — what a converted original TF checkpoint looks like (plus one Adam slot
                          and beta1_power, which a loader must ignore);
  <name>_expected.safetensors  the reference's outputs for the committed input images and labels,
                          with the model flags in its metadata;
and for cubesnet also the PyTorch state_dict files that `ebm` must read through torch::pickle_load:
  cubesnet_sd.pt          torch.save(model.state_dict())  (an OrderedDict with _metadata)
  cubesnet_dp.pt          a plain dict with DataParallel's "module." prefix
  cubesnet_nolayers.pt    names without the "layers." prefix, inside {"state_dict": ...}
Images: img64_<i>.png (64x64), smooth RGB so they compress well. ResNet128 has no file fixture: its
res_optim block needs num_filters 64 (15.7M parameters, 63 MB); its loading is tested from C++.
The energies are computed from the PNGs' 8-bit values / 255, exactly what `ebm score` feeds in.
The safetensors writer here is independent of the C++ one (a second implementation of the format).
"""
import collections
import json
import os
import struct
import sys

import numpy as np
import torch
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools", "reference"))
import models as M  # noqa: E402  (the reference port)

OUT = os.path.join(ROOT, "tests", "checkpoint", "fixtures")
DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.float16: "F16", torch.int64: "I64",
          torch.int32: "I32", torch.uint8: "U8"}


def write_safetensors(path, tensors, metadata=None):
    """safetensors: u64 LE header length, JSON header, raw little-endian data (no padding here,
    unlike the C++ writer, so the reader is exercised on unaligned headers too)."""
    header, blobs, pos = {}, [], 0
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        data = t.numpy().tobytes() if t.dtype != torch.bfloat16 else t.view(torch.int16).numpy().tobytes()
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [pos, pos + len(data)]}
        blobs.append(data)
        pos += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def randomize(model, seed):
    """Replace the init with O(0.1) values everywhere (gains around 1) so that every tensor — also
    the near-zero res_c2 weights, gamma and the u vectors — changes the outputs: a wrong name or
    layout in the loader then shows up as a wrong energy."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, t in list(model.named_parameters()) + list(model.named_buffers()):
            r = torch.randn(t.shape, generator=g, dtype=t.dtype)
            if name.endswith(".g"):
                t.copy_(1.0 + 0.1 * r)
            elif name.endswith(".u"):
                t.copy_(r)
            else:
                t.copy_(0.1 * r)


def tf_state(model, scope):
    """The model under TF variable names (reference tf_variable_map), conv weights HWIO."""
    sd = model.state_dict()
    out = {}
    for key, (tf, layout) in M.tf_variable_map(model, scope).items():
        t = sd[key]
        out[tf] = t.permute(2, 3, 1, 0).contiguous() if layout.startswith("HWIO") else t.clone()
    return out


def smooth_images(n, size, seed):
    """Smooth random RGB images (low-frequency noise upsampled), uint8 [n, size, size, 3]."""
    g = torch.Generator().manual_seed(seed)
    low = torch.rand(n, 3, 8, 8, generator=g)
    img = torch.nn.functional.interpolate(low, size=(size, size), mode="bilinear", align_corners=False)
    return (img.clamp(0, 1) * 255).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()


def save_pngs(images, prefix):
    paths = []
    for i, im in enumerate(images):
        name = f"{prefix}_{i}.png"
        Image.fromarray(im, "RGB").save(os.path.join(OUT, name), optimize=True)
        paths.append(name)
    return paths


def load_pngs(names):
    arr = np.stack([np.asarray(Image.open(os.path.join(OUT, n)).convert("RGB")) for n in names])
    return torch.from_numpy(arr).permute(0, 3, 1, 2).float() / 255.0


def energy_fixture(name, model, flags, config, pngs, labels, scope="context_0"):
    model.eval()  # no u update: `ebm score` evaluates, it does not train
    x = load_pngs(pngs)
    lab = torch.tensor(labels, dtype=torch.float32).expand(x.shape[0], -1)
    with torch.no_grad():
        e = model(x, lab)
    tf = tf_state(model, scope)
    tf[f"{scope}/c1_pre/cweight/Adam"] = torch.zeros_like(tf[f"{scope}/c1_pre/cweight"])
    tf["beta1_power"] = torch.tensor(0.9)
    write_safetensors(os.path.join(OUT, f"{name}_tf.safetensors"), tf)
    write_safetensors(os.path.join(OUT, f"{name}_expected.safetensors"),
                      {"energy": e.reshape(-1).double(), "label": torch.tensor(labels, dtype=torch.float32)},
                      {"flags": " ".join(flags), "images": ",".join(pngs), "config": json.dumps(config)})
    print(f"{name}: {sum(t.numel() for t in model.state_dict().values())} values, energies {e.reshape(-1).tolist()}")
    return e


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    p64 = save_pngs(smooth_images(3, 64, 1), "img64")

    # CubesNet, every conditioning path on (cclass, spec_norm, swish), label = position.
    cn = M.CubesNet(num_filters=4, label_size=2)
    randomize(cn, 10)
    energy_fixture("cubesnet", cn, ["--arch", "cubesnet", "--label-size", "2", "--num-filters", "4"],
                   {"arch": "cubesnet", "num_filters": 4, "label_size": 2}, p64, [0.25, -0.5])

    # PyTorch state_dicts of the same weights, in the shapes other programs save them.
    torch.save(cn.state_dict(), os.path.join(OUT, "cubesnet_sd.pt"))
    torch.save({"module." + k: v for k, v in cn.state_dict().items()}, os.path.join(OUT, "cubesnet_dp.pt"))
    torch.save({"state_dict": {k[len("layers."):]: v for k, v in cn.state_dict().items()}, "epoch": 3},
               os.path.join(OUT, "cubesnet_nolayers.pt"))

    # CubesNet with the other flags: no spectral norm, no label injection, leaky ReLU, one-hot label.
    cv = M.CubesNet(num_filters=4, label_size=3, cclass=False, spec_norm=False, swish_act=False)
    randomize(cv, 11)
    energy_fixture("cubesnet_plain", cv,
                   ["--arch", "cubesnet", "--label-size", "3", "--num-filters", "4", "--no-spec-norm", "--no-cclass", "--leaky"],
                   {"arch": "cubesnet", "num_filters": 4, "label_size": 3, "cclass": False, "spec_norm": False,
                    "swish_act": False}, p64, [0.0, 1.0, 0.0])

    # CubesPredict under the original's scope context_3: (logit, pos) of the first image.
    cp = M.CubesPredict(num_filters=4)
    randomize(cp, 13)
    cp.eval()
    x = load_pngs(p64[:1])
    with torch.no_grad():
        logit, pos = cp(x)
    write_safetensors(os.path.join(OUT, "cubespredict_tf.safetensors"), tf_state(cp, "context_3"))
    write_safetensors(os.path.join(OUT, "cubespredict_expected.safetensors"),
                      {"logit": logit.double(), "pos": pos.double()}, {"images": p64[0]})
    print(f"cubespredict: logit {logit.tolist()} pos {pos.tolist()}")


if __name__ == "__main__":
    main()
