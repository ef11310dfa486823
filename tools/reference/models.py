# Copied verbatim from ../shared/reference/models.py (the project's PyTorch reference port of the original TF models); used only to make parity fixtures.
"""Reference PyTorch re-implementation (NCHW) of the energy models of
"Compositional Visual Generation with Energy Based Models" (Du, Li, Mordatch 2020),
written from the spec in ../original_repo.md (TF 1.x originals: models.py / utils.py of
yilundu/ebm_compositionality).  Not a copy of the TF code.

Conventions that matter for fidelity (see spec section 2):
  * tf.nn.leaky_relu default slope is 0.2 (not PyTorch's 0.01).
  * "conv_block" never adds its own bias 'b' (use_bias=False everywhere it is called);
    'b' only exists so that checkpoints round-trip.
  * conditioning: res_c1 / res_c2 add a per-sample *input* bias  label @ gb  before the conv;
    res_c2 multiplies its output by  label @ g + cb.  c1_pre / adaptive / c4_out get no label.
  * spectral norm: 1 power iteration, persistent u of shape [1, c_out], weight matrix viewed in TF
    HWIO order reshaped to [k*k*c_in, c_out]; res_c2 weights use the "lower bound" variant
    (w / sigma * min(sigma, 1)) and start at N(0, 1e-10).
  * ResNet128's res_optim block always uses leaky_relu(0.2), even with swish.
  * CubesNet pools with a spatial mean, ResNet128 with a spatial sum.

Parameters are stored under the TF scope names, so state_dict keys map 1:1 onto TF variables
(tf_variable_map()).  Conv weights are OIHW (TF: HWIO), FC weights keep the TF [in, out] layout.
"""
import math
from contextlib import contextmanager

import torch
import torch.nn as nn
import torch.nn.functional as F

LEAKY_SLOPE = 0.2  # tf.nn.leaky_relu default alpha


def swish(x):
    return x * torch.sigmoid(x)


def lrelu(x):
    return F.leaky_relu(x, LEAKY_SLOPE)


def _l2n(v, eps=1e-12):
    # tf.nn.l2_normalize: x * rsqrt(max(sum(x^2), eps))
    return v * torch.rsqrt(torch.clamp((v * v).sum(), min=eps))


def _tf_same_pad(size, k, s):
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return total // 2, total - total // 2


class _SpectralMixin:
    """Shared spectral-norm logic.  self._mat() must return the TF-ordered [rows, c_out] matrix."""

    def _init_sn(self, c_out, spec_norm, lower_bound, spec_iter, spec_norm_val):
        self.spec_norm = spec_norm
        self.lower_bound = lower_bound
        self.spec_iter = spec_iter
        self.spec_norm_val = spec_norm_val
        if spec_norm:
            self.register_buffer("u", torch.randn(1, c_out))
        self._cached = None

    def _normalize(self, w, update_u):
        if not self.spec_norm:
            return w
        mat = self._mat(w)                        # [rows, c_out]
        u = self.u
        with torch.no_grad():
            v = None
            for _ in range(self.spec_iter):
                v = _l2n(u @ mat.t())             # [1, rows]
                u = _l2n(v @ mat)                 # [1, c_out]
            if update_u:
                self.u.copy_(u)
        sigma = (v @ mat @ u.t()).reshape(())     # gradient flows through mat only (u, v stopped)
        if self.lower_bound:
            sigma = sigma + 1e-6
            return w / sigma * torch.clamp(sigma, max=1.0) * self.spec_norm_val
        return w / sigma * self.spec_norm_val

    def effective_weight(self):
        if self._cached is not None:
            return self._cached
        return self._normalize(self._raw(), update_u=self.training)

    def cache(self, update_u=False, detach=True):
        with torch.set_grad_enabled(not detach):
            w = self._normalize(self._raw(), update_u=update_u)
        self._cached = w.detach() if detach else w

    def uncache(self):
        self._cached = None


class Conv(nn.Module, _SpectralMixin):
    """TF init_conv_weight + conv_block.  Params: c (OIHW), b, g, gb, cb; buffer u."""

    def __init__(self, k, c_in, c_out, stride=1, spec_norm=True, zero=False, classes=1,
                 spec_iter=1, spec_norm_val=1.0, extras=True):
        nn.Module.__init__(self)
        self.k, self.c_in, self.c_out, self.stride = k, c_in, c_out, stride
        w = torch.empty(c_out, c_in, k, k)
        if spec_norm:
            nn.init.normal_(w, 0.0, 1e-10 if zero else 1.0)
        elif zero:
            nn.init.zeros_(w)
        else:
            nn.init.xavier_uniform_(w)  # same fan_in/fan_out as TF glorot on HWIO
        self.c = nn.Parameter(w)
        self.b = nn.Parameter(torch.zeros(c_out))  # used only when use_bias=True (attention q/k)
        if extras:  # attention convs (extras=False) have only weight + bias in TF
            if classes != 1:
                self.g = nn.Parameter(torch.ones(classes, c_out))
                self.gb = nn.Parameter(torch.zeros(classes, c_in))
            else:
                self.g = nn.Parameter(torch.ones(c_out))
                self.gb = nn.Parameter(torch.zeros(c_in))
            self.cb = nn.Parameter(torch.zeros(c_in))
        self._init_sn(c_out, spec_norm, zero, spec_iter, spec_norm_val)

    def _raw(self):
        return self.c

    def _mat(self, w):  # OIHW -> HWIO -> [k*k*c_in, c_out]
        return w.permute(2, 3, 1, 0).reshape(-1, self.c_out)

    def forward(self, x, label=None, extra_bias=False, use_scale=False, use_bias=False, act=None):
        if extra_bias:
            if label is not None:
                gb = self.gb if self.gb.dim() == 2 else self.gb.view(1, -1)
                x = x + (label @ gb)[:, :, None, None]
            else:
                x = x + self.gb.view(1, -1, 1, 1)
        w = self.effective_weight()
        if self.stride == 1 and self.k % 2 == 1:
            y = F.conv2d(x, w, padding=self.k // 2)
        else:
            ph = _tf_same_pad(x.shape[2], self.k, self.stride)
            pw = _tf_same_pad(x.shape[3], self.k, self.stride)
            if ph[0] == ph[1] and pw[0] == pw[1]:
                y = F.conv2d(x, w, stride=self.stride, padding=(ph[0], pw[0]))
            else:
                y = F.conv2d(F.pad(x, (pw[0], pw[1], ph[0], ph[1])), w, stride=self.stride)
        if use_scale:
            if label is not None:
                g = self.g if self.g.dim() == 2 else self.g.view(1, -1)
                scale = label @ g + self.cb               # cb is [c_in]; only used where c_in == c_out
                y = y * scale[:, :, None, None]
            else:
                y = y * self.g.view(1, -1, 1, 1)
        if use_bias:
            y = y + self.b.view(1, -1, 1, 1)
        return act(y) if act is not None else y


class FC(nn.Module, _SpectralMixin):
    """TF init_fc_weight + smart_fc_block.  w kept in TF layout [in, out]; out = x @ w + b."""

    def __init__(self, c_in, c_out, spec_norm=True, spec_iter=1, spec_norm_val=1.0):
        nn.Module.__init__(self)
        w = torch.empty(c_in, c_out)
        if spec_norm:
            nn.init.normal_(w, 0.0, 1.0)
        else:
            bound = math.sqrt(6.0 / (c_in + c_out))  # glorot uniform
            nn.init.uniform_(w, -bound, bound)
        self.w = nn.Parameter(w)
        self.b = nn.Parameter(torch.zeros(c_out))
        self.c_out = c_out
        self._init_sn(c_out, spec_norm, False, spec_iter, spec_norm_val)

    def _raw(self):
        return self.w

    def _mat(self, w):
        return w

    def forward(self, x):
        return x @ self.effective_weight() + self.b


class SelfAttention(nn.Module):
    """TF utils.attention as called by smart_atten_block (no 1/sqrt(d) scaling, no dropout).
    q,k: 1x1 conv + bias; v: 1x1 conv, NO bias, leaky_relu(0.2) (conv_block defaults); out = x + gamma*o."""

    def __init__(self, c_in, k, spec_norm=True):
        super().__init__()
        k = int(k)
        self.q = Conv(1, c_in, k, spec_norm=spec_norm, extras=False)
        self.k = Conv(1, c_in, k, spec_norm=spec_norm, extras=False)
        self.v = Conv(1, c_in, c_in, spec_norm=spec_norm, extras=False)
        # TF names: atten_q_b1 / atten_k_b1 / atten_v_b1 are the conv 'b' params below.
        self.gamma = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        B, C, H, W = x.shape
        q = self.q(x, use_bias=True).flatten(2).transpose(1, 2)       # [B, HW, k]
        kk = self.k(x, use_bias=True).flatten(2)                       # [B, k, HW]
        v = self.v(x, act=lrelu).flatten(2).transpose(1, 2)            # [B, HW, C]
        beta = torch.softmax(torch.bmm(q, kk), dim=-1)                 # [B, HW, HW]
        o = torch.bmm(beta, v).transpose(1, 2).reshape(B, C, H, W)
        return x + self.gamma * o


# ----------------------------------------------------------------------------------------------
# data_vis.standard_transforms (augment_vis) and the antialias blur
# ----------------------------------------------------------------------------------------------

def _jitter(x, d):
    H, W = x.shape[2], x.shape[3]
    oy = int(torch.randint(0, d + 1, (1,)))
    ox = int(torch.randint(0, d + 1, (1,)))
    return x[:, :, oy:oy + H - d, ox:ox + W - d]


def _rotate_nearest(x, angle_deg):
    """tf.contrib.image.rotate (NEAREST, zero fill), one angle for the whole batch, pi ~ 3.14."""
    if angle_deg == 0:
        return x
    a = 3.14 * angle_deg / 180.0
    B, C, H, W = x.shape
    cos, sin = math.cos(a), math.sin(a)
    xo = ((W - 1) - (cos * (W - 1) - sin * (H - 1))) / 2.0
    yo = ((H - 1) - (sin * (W - 1) + cos * (H - 1))) / 2.0
    ys, xs = torch.meshgrid(torch.arange(H, device=x.device, dtype=torch.float32),
                            torch.arange(W, device=x.device, dtype=torch.float32), indexing="ij")
    xin = cos * xs - sin * ys + xo
    yin = sin * xs + cos * ys + yo
    # TF rounds half away from zero; torch.round is half-to-even (differs only on exact .5)
    xi = torch.sign(xin) * torch.floor(xin.abs() + 0.5)
    yi = torch.sign(yin) * torch.floor(yin.abs() + 0.5)
    valid = (xi >= 0) & (xi <= W - 1) & (yi >= 0) & (yi <= H - 1)
    idx = (yi.clamp(0, H - 1) * W + xi.clamp(0, W - 1)).long().view(-1)
    out = x.flatten(2).index_select(2, idx).view(B, C, H, W)
    return out * valid.to(x.dtype)


_ROT_CHOICES = list(range(-10, 11)) + 5 * [0]


def standard_transforms(x):
    x = F.pad(x, (6, 6, 6, 6), value=0.5)
    x = _jitter(x, 4)
    x = _rotate_nearest(x, _ROT_CHOICES[int(torch.randint(0, len(_ROT_CHOICES), (1,)))])
    return _jitter(x, 2)          # 64x64 input -> 70x70


def antialias_downsample(x):
    """filters.stride_3 tiled over ALL (in, out) channel pairs (so channels get summed), stride 2,
    TF 'SAME' padding (for even sizes: 0 before / 1 after)."""
    C = x.shape[1]
    k1 = torch.tensor([1.0, 2.0, 1.0], device=x.device, dtype=x.dtype)
    k = (k1[:, None] * k1[None, :]) / 16.0
    w = k.expand(C, C, 3, 3)
    ph = _tf_same_pad(x.shape[2], 3, 2)
    pw = _tf_same_pad(x.shape[3], 3, 2)
    return F.conv2d(F.pad(x, (pw[0], pw[1], ph[0], ph[1])), w, stride=2)


# ----------------------------------------------------------------------------------------------
# Models
# ----------------------------------------------------------------------------------------------

class _Base(nn.Module):
    def _conv(self, name, k, c_in, c_out, **kw):
        self.layers[name] = Conv(k, c_in, c_out, spec_norm=kw.pop("spec_norm", self.spec_norm),
                                 spec_iter=self.spec_iter, spec_norm_val=self.spec_norm_val, **kw)

    def _fc(self, name, c_in, c_out, spec_norm=None):
        self.layers[name] = FC(c_in, c_out, spec_norm=self.spec_norm if spec_norm is None else spec_norm,
                               spec_iter=self.spec_iter, spec_norm_val=self.spec_norm_val)

    def _res(self, name, c_in, c_out, classes):
        self._conv(name + "_res_c1", 3, c_in, c_out, classes=classes)
        self._conv(name + "_res_c2", 3, c_out, c_out, zero=True, classes=classes)
        if c_in != c_out:
            self._conv(name + "_res_adaptive", 3, c_in, c_out, classes=classes)

    def _res_fwd(self, x, name, label, act, adaptive=True, downsample=True, upsample=False, dropout=False):
        L = self.layers
        h = L[name + "_res_c1"](x, label=label, extra_bias=True)
        if dropout:
            h = F.dropout(h, 0.5, training=True)
        h = act(h)
        h = L[name + "_res_c2"](h, label=label, extra_bias=True, use_scale=True)
        byp = L[name + "_res_adaptive"](x) if adaptive else x
        r = h + byp
        if upsample:
            r = F.interpolate(r, scale_factor=2, mode="nearest")
        elif downsample:
            r = F.avg_pool2d(r, 2, 2)
        return act(r)

    def _act(self):
        return swish if self.swish_act else lrelu


class CubesNet(_Base):
    """Conditional energy E(x | label) for 64x64 cube scenes.  forward(x NCHW in [0,1], label [B,L])
    -> energy [B, 1].  label_size: 2 position, 1 size, 3 shape (one-hot), 20 color (one-hot),
    301 color (CubesColor), 6 'pairs'."""

    def __init__(self, num_filters=64, num_channels=3, label_size=6, cclass=True, spec_norm=True,
                 swish_act=True, antialias=False, augment_vis=False, comb_mask=False, cond_func=3,
                 spec_iter=1, spec_norm_val=1.0):
        super().__init__()
        self.spec_norm, self.spec_iter, self.spec_norm_val = spec_norm, spec_iter, spec_norm_val
        self.swish_act, self.cclass = swish_act, cclass
        self.antialias, self.augment_vis, self.comb_mask, self.cond_func = antialias, augment_vis, comb_mask, cond_func
        self.channels, self.img_size, self.label_size = num_channels, 64, label_size
        d = num_filters
        classes = label_size if cclass else 1
        self.layers = nn.ModuleDict()
        self._conv("c1_pre", 3, num_channels, d)
        self._res("res_optim", d, d, classes)
        self._res("res_1", d, 2 * d, classes)
        self._res("res_2", 2 * d, 2 * d, classes)
        self._res("res_3", 2 * d, 2 * d, classes)
        self._res("res_4", 2 * d, 4 * d, classes)
        self._fc("fc_dense", 4 * d, 2 * d)              # created but unused in forward (as in TF)
        self._fc("fc5", 4 * d, 1, spec_norm=False)

    def _apply_comb_mask(self, x, mask):
        # Reproduces TF exactly, including its reshape of [B,K,C,H,W] memory as NHWC (scrambles pixels).
        B, C = x.shape[0], self.channels
        S = self.img_size
        m = torch.softmax(mask, dim=1).permute(0, 2, 3, 1).reshape(B, 1, S, S, self.cond_func)
        p = (x.reshape(B, C, S, S, 1) * m).permute(0, 4, 1, 2, 3).contiguous()
        return p.reshape(B * self.cond_func, S, S, C).permute(0, 3, 1, 2)

    def forward(self, x, label=None, attention_mask=None):
        if self.antialias:
            x = antialias_downsample(x)
        if self.augment_vis:
            x = standard_transforms(x)
        B = x.shape[0]
        if self.comb_mask:
            x = self._apply_comb_mask(x, attention_mask)
        if not self.cclass:
            label = None
        act = self._act()
        h = self.layers["c1_pre"](x, act=act)
        h = self._res_fwd(h, "res_optim", label, act, adaptive=False)
        h = self._res_fwd(h, "res_1", label, act, adaptive=True)
        h = self._res_fwd(h, "res_2", label, act, adaptive=False)
        h = self._res_fwd(h, "res_3", label, act, adaptive=False, downsample=False)
        h = self._res_fwd(h, "res_4", label, act, adaptive=True)
        h = act(h).mean(dim=(2, 3))
        e = self.layers["fc5"](h)
        if self.comb_mask:
            e = e.view(B, self.cond_func).sum(dim=1, keepdim=True)
        return e


class CubesNetGen(_Base):
    """Conditional generator baseline: forward(noise [B, 2*num_filters], label [B,L]) -> image [B,3,64,64]
    (no output activation, not clipped)."""

    def __init__(self, num_filters=64, num_channels=3, label_size=6, cclass=True, spec_norm=True,
                 swish_act=True, spec_iter=1, spec_norm_val=1.0):
        super().__init__()
        self.spec_norm, self.spec_iter, self.spec_norm_val = spec_norm, spec_iter, spec_norm_val
        self.swish_act, self.d = swish_act, num_filters
        d = num_filters
        classes = label_size if cclass else 1
        self.layers = nn.ModuleDict()
        self._fc("fc_dense", 2 * d, 4 * 4 * 4 * d)
        self._res("res_1", 4 * d, 2 * d, classes)
        self._res("res_2", 2 * d, 2 * d, classes)
        self._res("res_3", 2 * d, d, classes)
        self._res("res_4", d, d, classes)
        self._conv("c4_out", 3, d, num_channels)

    def forward(self, z, label=None):
        act = self._act()
        h = act(self.layers["fc_dense"](z))
        h = h.view(z.shape[0], 4, 4, 4 * self.d).permute(0, 3, 1, 2)   # TF reshape is NHWC
        h = self._res_fwd(h, "res_1", label, act, adaptive=True, upsample=True)
        h = self._res_fwd(h, "res_2", label, act, adaptive=False, upsample=True)
        h = self._res_fwd(h, "res_3", label, act, adaptive=True, upsample=True)
        h = self._res_fwd(h, "res_4", label, act, adaptive=False, upsample=True)
        return self.layers["c4_out"](h)


class ResNet128(_Base):
    """Conditional energy for 128x128 images (CelebA attribute models use classes=2, one-hot
    [1,0]=attribute absent, [0,1]=present).  forward(x, label) -> [B, 1]."""

    def __init__(self, num_channels=3, num_filters=64, train=False, classes=1000, cclass=True,
                 spec_norm=True, swish_act=True, use_attention=False, spec_iter=1, spec_norm_val=1.0):
        super().__init__()
        self.spec_norm, self.spec_iter, self.spec_norm_val = spec_norm, spec_iter, spec_norm_val
        self.swish_act, self.cclass, self.use_attention, self.dropout = swish_act, cclass, use_attention, train
        d = num_filters
        c = classes if cclass else 1
        self.layers = nn.ModuleDict()
        self._conv("c1_pre", 3, num_channels, 64)
        self._res("res_optim", 64, d, c)
        self._res("res_3", d, 2 * d, c)
        self._res("res_5", 2 * d, 4 * d, c)
        self._res("res_7", 4 * d, 8 * d, c)
        self._res("res_9", 8 * d, 8 * d, c)
        self._res("res_10", 8 * d, 8 * d, c)
        self._fc("fc5", 8 * d, 1, spec_norm=False)
        self.layers["atten"] = SelfAttention(d, d / 2.0, spec_norm=spec_norm)  # always created

    def forward(self, x, label=None):
        if not self.cclass:
            label = None
        act = self._act()
        dp = self.dropout
        h = self.layers["c1_pre"](x, act=act)
        h = self._res_fwd(h, "res_optim", label, lrelu, adaptive=False, dropout=dp)  # act NOT passed in TF
        if self.use_attention:
            h = self.layers["atten"](h)
        h = self._res_fwd(h, "res_3", label, act, dropout=dp)
        h = self._res_fwd(h, "res_5", label, act, dropout=dp)
        h = self._res_fwd(h, "res_7", label, act, dropout=dp)
        h = self._res_fwd(h, "res_9", label, act, adaptive=False, dropout=dp)
        h = self._res_fwd(h, "res_10", label, act, adaptive=False, downsample=False, dropout=dp)
        h = swish(h) if self.swish_act else F.relu(h)
        return self.layers["fc5"](h.sum(dim=(2, 3)))


class CubesPredict(_Base):
    """Supervised attribute regressor used for evaluation.  forward(x [B,3,64,64]) -> (logit [B,1], pos [B,2]).
    'logit' is trained with MSE against the size label (cross benchmark)."""

    def __init__(self, num_channels=3, num_filters=64, swish_act=True):
        super().__init__()
        self.spec_norm, self.spec_iter, self.spec_norm_val = False, 1, 1.0
        self.swish_act, self.channels = swish_act, num_channels
        d = num_filters
        self.layers = nn.ModuleDict()
        self._conv("c1_pre", 1, num_channels, 64)
        self._conv("c1", 4, 64, d, stride=2)
        self._conv("c2", 4, d, 2 * d, stride=2)
        self._conv("c3", 4, 2 * d, 4 * d, stride=2)
        self._conv("c4", 4, 4 * d, 4 * d, stride=2)
        self._fc("fc_dense_pos", 4 * d, 2 * d)
        self._fc("fc_dense_logit", 4 * d, 2 * d)
        self._fc("fc5_pos", 2 * d, 2)
        self._fc("fc5_logit", 2 * d, 1)

    def forward(self, x, label=None):
        act = self._act()
        L = self.layers
        h = x.reshape(x.shape[0], self.channels, 64, 64)
        h = L["c1_pre"](h, act=act)
        for n in ("c1", "c2", "c3", "c4"):
            h = L[n](h, act=act)
        h = h.mean(dim=(2, 3))
        pos = L["fc5_pos"](act(L["fc_dense_pos"](h)))
        logit = L["fc5_logit"](act(L["fc_dense_logit"](h)))
        return logit, pos


# ----------------------------------------------------------------------------------------------
# Spectral-norm caching (TF evaluates w/sigma once per session.run, i.e. once per sampling chain)
# ----------------------------------------------------------------------------------------------

def _sn_modules(model):
    return [m for m in model.modules() if isinstance(m, _SpectralMixin)]


@contextmanager
def cached_weights(*models, update_u=False):
    """Compute every normalized weight once (optionally doing TF's u update) and reuse it."""
    mods = [m for model in models for m in _sn_modules(model)]
    for m in mods:
        m.cache(update_u=update_u)
    try:
        yield
    finally:
        for m in mods:
            m.uncache()


# ----------------------------------------------------------------------------------------------
# TF checkpoint name mapping
# ----------------------------------------------------------------------------------------------

def tf_variable_map(model, scope="context_0"):
    """{state_dict key: (TF variable name, layout note)} for loading a TF checkpoint."""
    out = {}
    for key in model.state_dict().keys():
        parts = key.split(".")
        if parts[0] != "layers":
            continue
        layer = parts[1]
        if layer == "atten":
            if parts[2] == "gamma":
                out[key] = (f"{scope}/atten/gamma", "")
                continue
            sub, p = parts[2], parts[3]
            name = {"c": f"atten_{sub}weight", "b": f"atten_{sub}_b1", "u": f"atten_{sub}_u"}.get(p)
            if name:
                out[key] = (f"{scope}/atten/{name}", "HWIO->OIHW" if p == "c" else "")
            continue
        p = parts[2]
        if p == "c":
            out[key] = (f"{scope}/{layer}/cweight", "HWIO->OIHW (permute 3,2,0,1)")
        elif p == "w":
            out[key] = (f"{scope}/{layer}/wweight", "[in,out] as is")
        elif p == "u":
            kind = "w" if isinstance(model.layers[layer], FC) else "c"
            out[key] = (f"{scope}/{layer}/{kind}_u", "[1,c_out] as is")
        else:
            out[key] = (f"{scope}/{layer}/{p}", "")
    return out


def num_params(model):
    return sum(p.numel() for p in model.parameters())
