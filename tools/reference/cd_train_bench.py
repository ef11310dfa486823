"""The reference port's contrastive-divergence training loop, timed: the yardstick for `ebm train
--objective cd` iterations/s (GPU-path and concept-model issues). Written for this project on top of
the reference's models and sampler (not part of ../shared/reference). One iteration, as the original
(docs/training.md, spec section 4): chains start from a replay buffer (95 %) or uniform noise, 40
Langevin steps of step 100 / noise 0.001 with the clamp, loss mean(E+) - mean(E-) + 1.0 * (mean(E+^2)
+ mean(E-^2)), Adam 3e-4 betas (0, 0.99) with the gradient clamped per element, the buffer refreshed.
Positives are random images (timing only). Run on the GPU machine:
  cd tools/reference && PYTHONPATH=. python3 cd_train_bench.py [--batch 64] [--iters 20]
"""
import argparse, json, time
import torch
import models as M
from langevin import Term, langevin


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--steps", type=int, default=40)
    a = ap.parse_args()
    dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.manual_seed(0)
    net = M.CubesNet(label_size=2).to(dev)
    opt = torch.optim.Adam(net.parameters(), lr=3e-4, betas=(0.0, 0.99))
    buffer_x = torch.rand(10000, 3, 64, 64, device=dev)

    def iteration():
        pos = torch.rand(a.batch, 3, 64, 64, device=dev)
        label = torch.rand(a.batch, 2, device=dev) * 2 - 1
        idx = torch.randint(0, buffer_x.shape[0], (a.batch,), device=dev)
        reuse = (torch.rand(a.batch, 1, 1, 1, device=dev) < 0.95).float()
        x0 = reuse * buffer_x[idx] + (1 - reuse) * torch.rand_like(pos)
        neg = langevin(Term(net, label), x0, num_steps=a.steps, step_lr=100.0, noise_std=0.001)
        buffer_x[idx] = neg
        e_pos, e_neg = net(pos, label), net(neg, label)
        loss = e_pos.mean() - e_neg.mean() + 1.0 * (e_pos.pow(2).mean() + e_neg.pow(2).mean())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        for p in net.parameters():
            if p.grad is not None:
                p.grad.clamp_(-0.01, 0.01)
        opt.step()
        return loss

    for _ in range(a.warmup):
        iteration()
    if dev.type == "cuda":
        torch.cuda.synchronize()
    t = time.perf_counter()
    for _ in range(a.iters):
        iteration()
    if dev.type == "cuda":
        torch.cuda.synchronize()
    dt = time.perf_counter() - t
    print(json.dumps(dict(loop="reference cd", batch=a.batch, langevin_steps=a.steps, it_per_s=round(a.iters / dt, 3),
                          device=str(dev), torch=torch.__version__)))


if __name__ == "__main__":
    main()
