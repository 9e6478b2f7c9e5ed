"""Per-token flow-matching head: SimpleMLPAdaLN + linear-path velocity prediction (paper-brief §3.4-§3.5).

Given the generator's per-token condition z (M, H) the head models p(token | z) over a latent
token (M, C). The time embedder reads ``time_scale``·t (``HeadConfig.time_scale``): 1.0 is the
official SiT head's raw t ∈ [0, 1] (the paper config; a head converted from the official code
works unchanged), 1000 the bundled cpu-small weights' convention. Training: x_t = t·x1 + (1 − t)·x0, x0 ~ N(0, I), t ~ U[0, 1], MSE to u = x1 − x0,
each (target, z) pair repeated ``batch_mul`` (4) times with independent t and noise. Sampling
integrates the velocity from t=0 (noise) to t=1 (data) with a sampler from
:mod:`coamd.diffusion.ode`; classifier-free guidance v_u + s·(v_c − v_u) is applied inside the
velocity at every evaluation with ONE batched network call over [cond; uncond] (same x, same t).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ..diffusion import flow_matching_loss, integrate, interpolate, sample_time
from ..diffusion.ode import METHODS
from ..errors import CoamdError
from .config import HeadConfig
from .layers import TimestepEmbedder

# official SimpleMLPAdaLN parameter names (upstream ``coamd/models/diffmlps.py``, paper-brief §3.4) -> ours
OFFICIAL_NAMES = (("time_embed.", "time."), ("cond_embed.", "cond."), ("input_proj.", "inp."),
                  ("res_blocks.", "blocks."), (".in_ln.", ".norm."), (".adaLN_modulation.", ".ada."),
                  ("final_layer.", "final."))


def convert_official_state(state: dict[str, Tensor]) -> dict[str, Tensor]:
    """An official-layout SimpleMLPAdaLN state dict with our parameter names (values untouched).

    Load it into a :class:`FlowHead` whose config has ``time_scale`` 1.0 (the official head reads raw
    t ∈ [0, 1]); widths/depth/freq_dim must match the checkpoint's.
    """
    out = {}
    for key, value in state.items():
        for old, new in OFFICIAL_NAMES:
            key = key.replace(old, new)
        out[key] = value
    return out


class AdaLNResBlock(nn.Module):
    """LayerNorm → adaLN (shift, scale) → Linear → SiLU → Linear → gated residual."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(width, eps=1e-6)
        self.mlp = nn.Sequential(nn.Linear(width, width), nn.SiLU(), nn.Linear(width, width))
        self.ada = nn.Sequential(nn.SiLU(), nn.Linear(width, 3 * width))

    def forward(self, x: Tensor, y: Tensor) -> Tensor:  # x, y: (M, W)
        shift, scale, gate = self.ada(y).chunk(3, dim=-1)
        return x + gate * self.mlp(self.norm(x) * (1 + scale) + shift)


class FinalLayer(nn.Module):
    def __init__(self, width: int, out_dim: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(width, elementwise_affine=False, eps=1e-6)
        self.ada = nn.Sequential(nn.SiLU(), nn.Linear(width, 2 * width))
        self.linear = nn.Linear(width, out_dim)

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        shift, scale = self.ada(y).chunk(2, dim=-1)
        return self.linear(self.norm(x) * (1 + scale) + shift)


class FlowHead(nn.Module):
    """Velocity network v(x_t, t, z) with its flow-matching ``loss`` and ODE ``sample``."""

    def __init__(self, latent_dim: int, cond_dim: int, cfg: HeadConfig) -> None:
        super().__init__()
        w = cfg.width
        self.latent_dim, self.cond_dim, self.batch_mul = latent_dim, cond_dim, cfg.batch_mul
        self.time = TimestepEmbedder(w, cfg.freq_dim, scale=cfg.time_scale)
        self.cond = nn.Linear(cond_dim, w)
        self.inp = nn.Linear(latent_dim, w)
        self.blocks = nn.ModuleList([AdaLNResBlock(w) for _ in range(cfg.depth)])
        self.final = FinalLayer(w, latent_dim)
        self._init_weights()

    def _init_weights(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)
        for lin in (self.time.mlp[0], self.time.mlp[2]):
            nn.init.normal_(lin.weight, std=0.02)
        for blk in self.blocks:           # adaLN-Zero: every block starts as the identity
            nn.init.zeros_(blk.ada[1].weight)
            nn.init.zeros_(blk.ada[1].bias)
        for lin in (self.final.ada[1], self.final.linear):
            nn.init.zeros_(lin.weight)
            nn.init.zeros_(lin.bias)

    def forward(self, x: Tensor, t: Tensor, z: Tensor) -> Tensor:
        """x (M, C) noisy tokens, t (M,) times in [0, 1], z (M, H) conditions -> velocity (M, C)."""
        y = self.time(t) + self.cond(z)                     # (M, W)
        h = self.inp(x)                                     # (M, W)
        for blk in self.blocks:
            h = blk(h, y)
        return self.final(h, y)                             # (M, C)

    def loss(self, target: Tensor, z: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """Flow-matching MSE for clean tokens ``target`` (M, C) under conditions ``z`` (M, H)."""
        if target.shape[0] != z.shape[0] or target.shape[-1] != self.latent_dim or z.shape[-1] != self.cond_dim:
            raise CoamdError(f"flow head: target {tuple(target.shape)} / condition {tuple(z.shape)} do not match "
                             f"(M, {self.latent_dim}) / (M, {self.cond_dim})")
        x1 = target.repeat(self.batch_mul, 1)               # (k·M, C)
        zz = z.repeat(self.batch_mul, 1)                    # (k·M, H)
        x0 = torch.randn(x1.shape, device=x1.device, dtype=x1.dtype, generator=generator)
        t = sample_time(x1.shape[0], x1.device, x1.dtype, generator)
        xt, u = interpolate(x0, x1, t)
        return flow_matching_loss(self(xt, t, zz), u)

    def guided_velocity(self, x: Tensor, t: Tensor, z_cond: Tensor, z_uncond: Tensor, cfg_scale: float) -> Tensor:
        """v_u + cfg_scale·(v_c − v_u) from a single forward over the concatenated [cond; uncond] batch."""
        out = self(torch.cat([x, x]), torch.cat([t, t]), torch.cat([z_cond, z_uncond]))  # (2M, C)
        v_c, v_u = out.chunk(2)
        return v_u + cfg_scale * (v_c - v_u)

    def sample(self, z_cond: Tensor, z_uncond: Tensor | None = None, cfg_scale: float = 1.0, sampler: str = "dopri5",
               ode_steps: int = 32, generator: torch.Generator | None = None, atol: float = 1e-6, rtol: float = 1e-3,
               return_nfe: bool = False) -> Tensor | tuple[Tensor, int]:
        """Draw one token per condition row: (M, H) -> (M, C), optionally with the NFE spent.

        Guidance is skipped (one forward per evaluation) when ``z_uncond`` is None or cfg_scale == 1.
        ``ode_steps`` applies to the fixed-step solvers (euler/heun/midpoint); atol/rtol to dopri5. Runs without autograd.
        """
        if sampler not in METHODS:
            raise CoamdError(f"sampler: unknown ODE sampler {sampler!r}; choose one of {list(METHODS)}")
        if ode_steps < 1:
            raise CoamdError(f"ode_steps: must be >= 1, got {ode_steps}")
        M = z_cond.shape[0]
        guided = z_uncond is not None and cfg_scale != 1.0
        with torch.inference_mode():
            x0 = torch.randn(M, self.latent_dim, device=z_cond.device, dtype=z_cond.dtype, generator=generator)
            if M == 0:
                x, nfe = x0, 0
            else:
                def velocity(x: Tensor, t: Tensor) -> Tensor:
                    tt = t.expand(M)
                    if guided:
                        return self.guided_velocity(x, tt, z_cond, z_uncond, cfg_scale)
                    return self(x, tt, z_cond)

                x, nfe = integrate(velocity, x0, sampler, steps=ode_steps, atol=atol, rtol=rtol)
        x = x.clone()  # a normal tensor when the caller is outside inference mode
        return (x, nfe) if return_nfe else x
