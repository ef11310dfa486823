# Copied verbatim from ../shared/reference/graph_bench.py (the project's PyTorch reference port of the original TF models); used only to make parity fixtures.
"""Baseline anchor for Langevin throughput: the reference PyTorch port, eager vs CUDA-graph-captured step,
fp32 and bf16-autocast+channels_last. Run as `cd reference && PYTHONPATH=. python3 graph_bench.py` on the GPU machine (imports models, langevin)."""
import sys, time, json, torch
import models as M
from langevin import Term, Conj

def make(n_terms, B, L=2, dev="cuda"):
    torch.manual_seed(0)
    nets = [M.CubesNet(label_size=L).to(dev).eval() for _ in range(n_terms)]
    labels = [torch.rand(B, L, device=dev) * 2 - 1 for _ in nets]
    return nets, Conj(*[Term(n, l) for n, l in zip(nets, labels)])

def step(energy, x, noise, lr=100.0, std=0.001):
    x = x + std * noise
    x.requires_grad_(True)
    (g,) = torch.autograd.grad(energy(x).sum(), [x])
    return (x.detach() - lr * g).clamp(0, 1)

def bench(n_terms, B, mode, steps=60):
    nets, energy = make(n_terms, B)
    cl = "cl" in mode
    amp = "bf16" in mode
    if cl:
        for n in nets: n.to(memory_format=torch.channels_last)
    with M.cached_weights(*nets):
        x = torch.rand(B, 3, 64, 64, device="cuda")
        if cl: x = x.contiguous(memory_format=torch.channels_last)
        noise = torch.randn_like(x)
        ctx = (lambda: torch.autocast("cuda", dtype=torch.bfloat16)) if amp else (lambda: torch.autocast("cuda", enabled=False))
        if "graph" in mode:
            static_x = x.clone(); static_noise = noise.clone()
            s = torch.cuda.Stream(); s.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(s):
                for _ in range(3):
                    with ctx(): out = step(energy, static_x, static_noise)
            torch.cuda.current_stream().wait_stream(s)
            g = torch.cuda.CUDAGraph()
            with torch.cuda.graph(g):
                with ctx(): static_out = step(energy, static_x, static_noise)
            def run(n):
                for _ in range(n):
                    static_noise.normal_()
                    g.replay()
                    static_x.copy_(static_out)
        else:
            def run(n):
                nonlocal x
                for _ in range(n):
                    with ctx(): x = step(energy, x, torch.randn_like(x))
        run(5); torch.cuda.synchronize()
        t = time.perf_counter(); run(steps); torch.cuda.synchronize(); dt = time.perf_counter() - t
    return B * steps / dt, 1000 * dt / steps

torch.backends.cudnn.benchmark = True
rows = []
for n_terms in (1, 2):
    for B in (16, 64, 256):
        for mode in ("eager", "graph", "eager_cl_bf16", "graph_cl_bf16"):
            try:
                ips, ms = bench(n_terms, B, mode)
                rows.append(dict(terms=n_terms, batch=B, mode=mode, img_steps_s=round(ips), ms_step=round(ms, 3)))
            except Exception as e:
                rows.append(dict(terms=n_terms, batch=B, mode=mode, error=str(e)[:200]))
            print(json.dumps(rows[-1]), flush=True)
