# Copied verbatim from ../shared/reference/langevin.py (the project's PyTorch reference port of the original TF models); used only to make parity fixtures.
"""Langevin sampler composing several conditional energies (reference, PyTorch).

Composition operators (spec section 5):
  conjunction  E = sum_i E_i                                  (all scripts)
  disjunction  E = -logsumexp(-s * [E_1..E_n]) / s, s = 100   (celeba_combine 'or_figure', ICD repo)
  negation     E = E_a - w * E_b, w = 0.001                   (celeba_combine 'negation_figure')

One sampler step, exactly as every TF script does it (no lambda/2 and no sqrt(lambda) coupling):
  x <- x + N(0, noise_std^2)
  g <- d/dx sum_batch E(x)
  [optional proj_norm clipping of g: 'li' = elementwise clip, 'l2' = clip_by_norm over the whole tensor]
  x <- clip(x - step_lr * g, 0, 1)

Presets (source: TF scripts):
  TRAIN_CUBES     train.py defaults      step_lr=100, num_steps=40 (README: 60), noise 0.001
  SANDBOX_CUBES   ebm_sandbox.py          step_lr=100, num_steps=200,            noise 0.001
  CELEBA_COMBINE  celeba_combine.py       step_lr=100, num_steps=100,            noise 0.005
"""
import torch
import torch.nn.functional as F

from models import cached_weights

PRESETS = {
    "train_cubes": dict(step_lr=100.0, num_steps=40, noise_std=0.001),
    "sandbox_cubes": dict(step_lr=100.0, num_steps=200, noise_std=0.001),
    "celeba_combine": dict(step_lr=100.0, num_steps=100, noise_std=0.005),
}


class Term:
    """E(x | label) of one model; weight multiplies the energy."""

    def __init__(self, model, label=None, weight=1.0):
        self.model, self.label, self.weight = model, label, weight

    def __call__(self, x):
        e = self.model(x, self.label)
        return e if self.weight == 1.0 else self.weight * e

    def models(self):
        return [self.model]


class Conj:
    def __init__(self, *terms):
        self.terms = terms

    def __call__(self, x):
        e = self.terms[0](x)
        for t in self.terms[1:]:
            e = e + t(x)
        return e

    def models(self):
        return [m for t in self.terms for m in t.models()]


class Disj:
    def __init__(self, *terms, scale=100.0):
        self.terms, self.scale = terms, scale

    def __call__(self, x):
        es = torch.cat([t(x) for t in self.terms], dim=1)          # [B, n]
        return -torch.logsumexp(-self.scale * es, dim=1, keepdim=True) / self.scale

    def models(self):
        return [m for t in self.terms for m in t.models()]


class Neg:
    def __init__(self, pos, neg, weight=0.001):
        self.pos, self.neg, self.weight = pos, neg, weight

    def __call__(self, x):
        return self.pos(x) - self.weight * self.neg(x)

    def models(self):
        return self.pos.models() + self.neg.models()


def _step(energy, x, step_lr, noise_std, clip, proj_norm, proj_type):
    x = x + noise_std * torch.randn_like(x)
    x.requires_grad_(True)
    e = energy(x)
    (g,) = torch.autograd.grad(e.sum(), [x])
    if proj_norm:
        g = g.clamp(-proj_norm, proj_norm) if proj_type == "li" else g * torch.clamp(proj_norm / (g.norm() + 1e-12), max=1.0)
    x = x.detach() - step_lr * g
    return x.clamp(*clip) if clip is not None else x


def langevin(energy, x, num_steps=200, step_lr=100.0, noise_std=0.001, clip=(0.0, 1.0),
             proj_norm=0.0, proj_type="li", cache_spectral=True):
    """Joint sampler: one gradient step on the composed energy per iteration."""
    models = list({id(m): m for m in energy.models()}.values())
    ctx = cached_weights(*models) if cache_spectral else _null()
    with ctx:
        x = x.detach()
        for _ in range(num_steps):
            x = _step(energy, x, step_lr, noise_std, clip, proj_norm, proj_type)
    return x.detach()


def langevin_sequential(energies, x, num_steps=200, step_lr=100.0, noise_std=0.001, clip=(0.0, 1.0),
                        trailing_noise=False, cache_spectral=True):
    """ebm_sandbox 'continual' / 'multi' style: within every iteration, a separate noise+step+clip for
    each energy in turn.  trailing_noise=True adds the extra noise the 'multi' task adds at the end of
    each iteration."""
    models = list({id(m): m for e in energies for m in e.models()}.values())
    ctx = cached_weights(*models) if cache_spectral else _null()
    with ctx:
        x = x.detach()
        for _ in range(num_steps):
            for e in energies:
                x = _step(e, x, step_lr, noise_std, clip, 0.0, "li")
            if trailing_noise:
                x = x + noise_std * torch.randn_like(x)
    return x.detach()


def langevin_with_mask(model, x, label, mask, num_steps=40, step_lr=100.0, noise_std=0.001,
                       attention_lr=1e5, mask_noise=0.01):
    """train.py comb_mask chain: image and attention mask [B,K,64,64] updated together."""
    with cached_weights(model):
        x, mask = x.detach(), mask.detach()
        for _ in range(num_steps):
            x = (x + noise_std * torch.randn_like(x)).requires_grad_(True)
            mask = (mask + mask_noise * torch.randn_like(mask)).requires_grad_(True)
            e = model(x, label, attention_mask=mask)
            gx, gm = torch.autograd.grad(e.sum(), [x, mask])
            x = (x.detach() - step_lr * gx).clamp(0.0, 1.0)
            mask = F.avg_pool2d(mask.detach() - attention_lr * gm, 3, 1, padding=1, count_include_pad=False)
    return x, mask


class _null:
    def __enter__(self):
        return None

    def __exit__(self, *a):
        return False
