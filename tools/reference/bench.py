# Copied verbatim from ../shared/reference/bench.py (the project's PyTorch reference port of the original TF models); used only to make parity fixtures.
"""Time N Langevin steps (noise + forward + input-gradient + update + clip) of a (composed) energy.

  python bench.py --model cubesnet --batch 16 --img-size 64 --steps 60 --num-energies 2
  python bench.py --model resnet128 --batch 16 --img-size 128 --steps 20 --num-energies 4 --compose conj
  python bench.py --model cubesnetgen --batch 64           # generator: forward passes/s
  python bench.py --selftest                               # tiny CPU checks

Energy models (cubesnet, resnet128) run the Langevin step; cubesnetgen / cubespredict are not energies,
so for them one "step" is one forward pass (reported as such).  Weights are random (timing only).
"""
import argparse
import time

import torch

import models as M
from langevin import Conj, Disj, Neg, Term, langevin, langevin_sequential, langevin_with_mask


def build(name, label_size, args):
    if name == "cubesnet":
        return M.CubesNet(label_size=label_size)
    if name == "resnet128":
        return M.ResNet128(classes=label_size, use_attention=args.attention)
    if name == "cubesnetgen":
        return M.CubesNetGen(label_size=label_size)
    if name == "cubespredict":
        return M.CubesPredict()
    raise ValueError(name)


def sync(dev):
    if dev.type == "cuda":
        torch.cuda.synchronize()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="cubesnet", choices=["cubesnet", "resnet128", "cubesnetgen", "cubespredict"])
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--img-size", type=int, default=None, help="default 64 (cubes) / 128 (resnet128)")
    ap.add_argument("--label-size", type=int, default=None, help="default 2 (cubesnet), 2 (resnet128), 3 (gen)")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--num-energies", type=int, default=1, help="number of separately-weighted models composed")
    ap.add_argument("--compose", default="conj", choices=["conj", "disj", "neg", "seq"])
    ap.add_argument("--step-lr", type=float, default=100.0)
    ap.add_argument("--noise", type=float, default=0.001)
    ap.add_argument("--attention", action="store_true", help="ResNet128 use_attention")
    ap.add_argument("--no-spectral-cache", action="store_true")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--cudnn-benchmark", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--selftest", action="store_true")
    args = ap.parse_args()

    if args.selftest:
        return selftest()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    torch.backends.cudnn.benchmark = args.cudnn_benchmark
    dev = torch.device(("cuda" if torch.cuda.is_available() else "cpu") if args.device == "auto" else args.device)
    size = args.img_size or (128 if args.model == "resnet128" else 64)
    L = args.label_size or (3 if args.model == "cubesnetgen" else 2)
    B = args.batch

    nets = [build(args.model, L, args).to(dev).eval() for _ in range(max(1, args.num_energies))]
    nparam = M.num_params(nets[0])
    print(f"torch {torch.__version__}  device {dev}" + (f" ({torch.cuda.get_device_name(dev)})" if dev.type == "cuda" else "")
          + f"  threads {torch.get_num_threads()}")
    print(f"model {args.model}  params/model {nparam:,}  batch {B}  img {size}  label {L}  energies {len(nets)}  compose {args.compose}")

    if args.model in ("cubesnetgen", "cubespredict"):
        inp = torch.randn(B, 128, device=dev) if args.model == "cubesnetgen" else torch.rand(B, 3, 64, 64, device=dev)
        lab = torch.rand(B, L, device=dev)
        with torch.no_grad(), M.cached_weights(*nets):
            def run(n):
                for _ in range(n):
                    for net in nets:
                        net(inp, lab)
            run(args.warmup)
            sync(dev)
            t = time.perf_counter()
            run(args.steps)
            sync(dev)
            dt = time.perf_counter() - t
        print(f"forward passes: {args.steps} in {dt:.4f}s -> {args.steps / dt:.2f} steps/s "
              f"({1000 * dt / args.steps:.3f} ms/step, {B * args.steps / dt:.1f} img/s)")
        return

    labels = [torch.nn.functional.one_hot(torch.randint(0, L, (B,)), L).float().to(dev) if L > 1
              else torch.rand(B, 1, device=dev) for _ in nets]
    terms = [Term(n, l) for n, l in zip(nets, labels)]
    if args.compose == "conj" or len(terms) == 1:
        energy = Conj(*terms)
    elif args.compose == "disj":
        energy = Disj(*terms)
    elif args.compose == "neg":
        energy = Neg(Conj(*terms[:-1]), terms[-1])
    else:
        energy = None
    x0 = torch.rand(B, 3, size, size, device=dev)

    def run(n):
        if energy is None:
            return langevin_sequential(terms, x0, num_steps=n, step_lr=args.step_lr, noise_std=args.noise,
                                       cache_spectral=not args.no_spectral_cache)
        return langevin(energy, x0, num_steps=n, step_lr=args.step_lr, noise_std=args.noise,
                        cache_spectral=not args.no_spectral_cache)

    run(args.warmup)
    sync(dev)
    t = time.perf_counter()
    x = run(args.steps)
    sync(dev)
    dt = time.perf_counter() - t
    print(f"langevin: {args.steps} steps in {dt:.4f}s -> {args.steps / dt:.2f} steps/s "
          f"({1000 * dt / args.steps:.3f} ms/step, {B * args.steps / dt:.1f} img-steps/s); "
          f"out range [{x.min().item():.3f}, {x.max().item():.3f}]")


def selftest():
    torch.manual_seed(0)
    expect = {  # trainable-variable counts enumerated from the TF construct_weights (spec section 2.8)
        "CubesNet L=2": (M.CubesNet(label_size=2), 2_182_727),
        "CubesNet L=20": (M.CubesNet(label_size=20), 2_240_327),
        "CubesNetGen L=3": (M.CubesNetGen(label_size=3), 1_829_702),
        "ResNet128 classes=2": (M.ResNet128(classes=2), 15_741_256),
        "CubesPredict": (M.CubesPredict(), 1_838_409),
    }
    ok = True
    for name, (net, n) in expect.items():
        got = M.num_params(net)
        print(f"{name:22s} params {got:>11,d} expected {n:>11,d} {'OK' if got == n else 'MISMATCH'}")
        ok &= got == n
    net = expect["CubesNet L=2"][0].eval()
    x = torch.rand(2, 3, 64, 64)
    lab = torch.rand(2, 2) * 2 - 1
    e = net(x, lab)
    assert e.shape == (2, 1)
    # spectral norm: largest singular value of normalized matrix ~ 1 after many power iterations
    conv = net.layers["res_1_res_c1"]
    for _ in range(200):
        conv._normalize(conv.c, update_u=True)
    s = torch.linalg.svdvals(conv._mat(conv._normalize(conv.c, False)).detach())[0].item()
    print(f"sigma_max after SN: {s:.4f}")
    ok &= abs(s - 1) < 1e-2
    c2 = net.layers["res_1_res_c2"]
    print(f"res_c2 (zero-init, lower-bound SN) max |w|: {c2.effective_weight().abs().max().item():.3e}")
    # gen / predict / resnet128 shapes
    g = expect["CubesNetGen L=3"][0](torch.randn(2, 128), torch.rand(2, 3))
    assert g.shape == (2, 3, 64, 64)
    lo, po = expect["CubesPredict"][0](torch.rand(2, 3, 64, 64))
    assert lo.shape == (2, 1) and po.shape == (2, 2)
    r = M.ResNet128(classes=2, use_attention=True)
    assert r(torch.rand(1, 3, 128, 128), torch.eye(2)[:1]).shape == (1, 1)
    # flags
    for kw in (dict(antialias=True), dict(augment_vis=True)):
        assert M.CubesNet(label_size=2, **kw)(x, lab).shape == (2, 1)
    cm = M.CubesNet(label_size=2, cclass=False, comb_mask=True)
    xo, mo = langevin_with_mask(cm, x, None, torch.rand(2, 3, 64, 64) * 2 - 1, num_steps=2)
    assert xo.shape == x.shape and mo.shape == (2, 3, 64, 64)
    # composition + sampler
    n2 = M.CubesNet(label_size=3).eval()
    t1, t2 = Term(net, lab), Term(n2, torch.eye(3)[[0, 2]])
    for en in (Conj(t1, t2), Disj(t1, t2), Neg(t1, t2)):
        y = langevin(en, torch.rand(2, 3, 64, 64), num_steps=2)
        assert y.shape == (2, 3, 64, 64) and 0 <= y.min() and y.max() <= 1
    y = langevin_sequential([t1, t2], torch.rand(2, 3, 64, 64), num_steps=2, trailing_noise=True)
    d = Disj(t1, t2)(x)
    ref = torch.minimum(t1(x), t2(x))
    print(f"disjunction vs min(E): max diff {float((d - ref).abs().max()):.2e} (<= log(2)/100)")
    m = M.tf_variable_map(r)
    print(f"tf map entries for ResNet128: {len(m)} (e.g. {next(iter(m.items()))})")
    print("selftest", "PASSED" if ok else "FAILED")


if __name__ == "__main__":
    main()
