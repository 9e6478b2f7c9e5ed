"""CoAMD generator: masked transformer over AE latent tokens + per-token flow head (paper-brief §3.3, §3.6, §3.8).

Training (:meth:`MaskedGenerator.loss`, MARDM masking): per sample a ratio cos(π r/2), r ~ U[0,1],
picks n = max(1, round(l·ratio)) random valid tokens; of those, 10 % become Gaussian noise, 88 % of
the rest become the learnable ``mask_latent`` and the remainder keep their clean latent (BERT-style).
The text condition is dropped (zero vector) with probability 0.1 so the same network gives the
unconditional branch for CFG. The flow head is trained on the masked tokens only.

Inference (:meth:`generate`): coarse-to-fine cosine unmasking over K steps (default 12). At step k,
t_k = linspace(0, 1, K)[k], the n_b = max(1, round(cos(π/2·t_k)·l_b)) unfrozen tokens with the lowest
random scores are reset to ``mask_latent`` and re-sampled (one transformer forward for cond+uncond,
CFG inside the head's velocity); every other token is frozen for the rest of decoding. So step 0
drafts the whole sequence and later steps re-generate shrinking subsets. :meth:`edit` runs the same
schedule over an explicit set of tokens to regenerate (§3.8), leaving the others bit-exact.

One depth is used for training and inference and checkpoints load strictly (§9.4).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator

import torch
from torch import Tensor, nn

from ..diffusion import DISTILLED
from ..errors import CoamdError
from .adaln import AdaLNBlock
from .config import GeneratorConfig, HeadConfig
from .flow_head import FlowHead
from .layers import PositionalEncoding, check_lengths, lengths_to_mask

FROZEN = 1e5  # score of tokens that are never (re-)selected: frozen, kept or padding

StepHook = Callable[[Tensor, Tensor, int], Tensor]  # (latents (B,L,C), newly generated (B,L), step) -> latents


class MaskedGenerator(nn.Module):
    def __init__(self, latent_dim: int, text_dim: int, cfg: GeneratorConfig, head: HeadConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.latent_dim, self.text_dim = latent_dim, text_dim
        H = cfg.hidden
        self.input = nn.Linear(latent_dim, H)
        self.pe = PositionalEncoding(H, cfg.max_tokens, cfg.dropout)
        self.cond = nn.Linear(text_dim, H)
        self.blocks = nn.ModuleList([AdaLNBlock(H, cfg.heads, cfg.mlp_dim, cfg.dropout) for _ in range(cfg.depth)])
        self.mask_latent = nn.Parameter(torch.zeros(latent_dim))
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)
        for blk in self.blocks:
            blk.zero_init()
        self.head = FlowHead(latent_dim, H, head)  # built last: keeps its own initialisation
        self.set_distilled(None)

    def set_distilled(self, head: FlowHead | None, ode_steps: int = 1) -> None:
        """Attach a few-step student of ``self.head`` (``coamd train distill``) for ``sampler="distilled"``.

        The student is sampled with ``ode_steps`` Euler steps on the text condition alone (its guidance is
        baked in, so decoding runs one transformer pass and ignores ``cfg_scale``). It is kept out of this
        module's parameters and state_dict: the generator checkpoint stays as trained.
        """
        self.__dict__["_distilled"] = None if head is None else (head, int(ode_steps))

    @property
    def distilled(self) -> tuple[FlowHead, int] | None:
        """(student head, Euler steps) when a distilled head is attached."""
        return self.__dict__["_distilled"]

    # ------------------------------------------------------------------ network
    def forward(self, tokens: Tensor, valid: Tensor, cond_emb: Tensor) -> Tensor:
        """tokens (B, L, C), valid (B, L) bool, text sentence embeddings (B, D) -> conditions z (B, L, H)."""
        h = self.pe(self.input(tokens))                          # (B, L, H)
        c = self.cond(cond_emb)                                  # (B, H)
        attend = valid[:, None, None, :]                         # (B, 1, 1, L)
        for blk in self.blocks:
            h = blk(h, c, attend)
        return h

    def _check(self, cond_emb: Tensor, token_lengths: Tensor, max_len: int) -> Tensor:
        if cond_emb.dim() != 2 or cond_emb.shape[1] != self.text_dim:
            raise CoamdError(f"text embedding: expected shape (B, {self.text_dim}), got {tuple(cond_emb.shape)}")
        if token_lengths.shape != cond_emb.shape[:1]:
            raise CoamdError(f"token lengths: expected shape ({cond_emb.shape[0]},), got {tuple(token_lengths.shape)}")
        return check_lengths(token_lengths.to(cond_emb.device), min(max_len, self.cfg.max_tokens), "token lengths")

    # ------------------------------------------------------------------ training
    def loss(self, latents: Tensor, token_lengths: Tensor, cond_emb: Tensor,
             generator: torch.Generator | None = None) -> tuple[Tensor, dict[str, float]]:
        """Flow-matching loss on MARDM-masked tokens.

        latents (B, L, C) clean AE tokens (positions >= length are ignored), token_lengths (B,),
        cond_emb (B, D_text) frozen sentence embeddings. Condition dropout applies in train mode.
        """
        if latents.dim() != 3 or latents.shape[-1] != self.latent_dim:
            raise CoamdError(f"latents: expected shape (B, L, {self.latent_dim}), got {tuple(latents.shape)}")
        lengths = self._check(cond_emb, token_lengths, latents.shape[1])
        B, L, _ = latents.shape
        dev, dt = latents.device, latents.dtype
        valid = lengths_to_mask(lengths, L)                                          # (B, L)
        ratio = torch.cos(0.5 * math.pi * torch.rand(B, device=dev, generator=generator))
        n = torch.round(lengths * ratio).clamp(min=1)                                # (B,)
        scores = torch.rand(B, L, device=dev, generator=generator).masked_fill(~valid, 2.0)
        masked = scores.argsort(dim=1).argsort(dim=1) < n[:, None]                   # (B, L) subset of valid
        u1 = torch.rand(B, L, device=dev, generator=generator)
        u2 = torch.rand(B, L, device=dev, generator=generator)
        noised = masked & (u1 < self.cfg.noise_prob)
        to_mask = masked & ~noised & (u2 < self.cfg.mask_prob)
        noise = torch.randn(latents.shape, device=dev, dtype=dt, generator=generator)
        x = torch.where(noised[..., None], noise, latents)
        x = torch.where(to_mask[..., None], self.mask_latent.to(dt), x)
        x = torch.where(valid[..., None], x, torch.zeros((), dtype=dt, device=dev))  # (B, L, C)
        cond = cond_emb.to(dt)
        if self.training and self.cfg.cond_drop > 0:
            keep = torch.rand(B, device=dev, generator=generator) >= self.cfg.cond_drop
            cond = cond * keep[:, None].to(dt)
        z = self(x, valid, cond)                                                     # (B, L, H)
        loss = self.head.loss(latents[masked], z[masked], generator)
        return loss, {"loss": loss.item(), "masked_frac": (masked.sum() / valid.sum()).item()}

    # ------------------------------------------------------------------ inference helpers
    @contextlib.contextmanager
    def _inference(self, need_grad_hook: bool) -> Iterator[None]:
        was = self.training
        self.eval()
        ctx = torch.no_grad() if need_grad_hook else torch.inference_mode()
        try:
            with ctx:
                yield
        finally:
            self.train(was)

    def _fill(self, latents: Tensor, is_mask: Tensor, valid: Tensor, cond: Tensor, uncond: Tensor | None,
              cfg_scale: float, sampler: str, ode_steps: int, atol: float, rtol: float,
              generator: torch.Generator | None) -> tuple[Tensor, int]:
        """Reset the ``is_mask`` tokens to mask_latent, run the transformer once and re-sample them."""
        if not bool(is_mask.any()):
            return latents, 0
        x = torch.where(is_mask[..., None], self.mask_latent.to(latents.dtype), latents)  # (B, L, C)
        if sampler == DISTILLED:                          # guidance baked into the student: text condition only
            student, k = self._student()
            new, nfe = student.sample(self(x, valid, cond)[is_mask], None, 1.0, "euler", k, generator,
                                      return_nfe=True)
        elif uncond is not None:
            z = self(torch.cat([x, x]), torch.cat([valid, valid]), torch.cat([cond, uncond]))  # (2B, L, H)
            z_c, z_u = z.chunk(2)
            new, nfe = self.head.sample(z_c[is_mask], z_u[is_mask], cfg_scale, sampler, ode_steps, generator, atol, rtol,
                                        return_nfe=True)
        else:
            z_c = self(x, valid, cond)
            new, nfe = self.head.sample(z_c[is_mask], None, 1.0, sampler, ode_steps, generator, atol, rtol,
                                        return_nfe=True)
        return x.masked_scatter(is_mask[..., None], new.to(x.dtype)), nfe

    def _student(self) -> tuple[FlowHead, int]:
        if self.distilled is None:
            raise CoamdError("--sampler distilled: this generator has no distilled flow head (a bundle ships it as "
                             "flow_head_distilled.pt; make one with 'coamd train distill')")
        return self.distilled

    def _conds(self, cond_emb: Tensor, uncond_emb: Tensor | None, cfg_scale: float,
               sampler: str = "") -> tuple[Tensor, Tensor | None]:
        dt = self.input.weight.dtype
        cond = cond_emb.to(dt)
        if sampler == DISTILLED:
            self._student()
            return cond, None
        if cfg_scale == 1.0:
            return cond, None
        if uncond_emb is None:
            return cond, torch.zeros_like(cond)   # the null condition seen with cond dropout in training
        if uncond_emb.shape != cond_emb.shape:
            raise CoamdError(f"uncond embedding: expected shape {tuple(cond_emb.shape)}, got {tuple(uncond_emb.shape)}")
        return cond, uncond_emb.to(dt)

    @staticmethod
    def _select(scores: Tensor, n: Tensor) -> Tensor:
        """(B, L) bool: the n_b lowest-scoring positions of each row."""
        return scores.argsort(dim=1, stable=True).argsort(dim=1) < n[:, None]

    @staticmethod
    def _apply_hook(on_step: StepHook | None, latents: Tensor, is_mask: Tensor, k: int) -> Tensor:
        if on_step is None:
            return latents
        out = on_step(latents, is_mask, k)
        if not isinstance(out, Tensor) or out.shape != latents.shape:
            raise CoamdError(f"on_step hook must return a tensor of shape {tuple(latents.shape)}")
        return out.detach().to(latents.dtype)

    # ------------------------------------------------------------------ inference
    def generate(self, cond_emb: Tensor, token_lengths: Tensor, *, uncond_emb: Tensor | None = None,
                 decode_steps: int = 12, cfg_scale: float = 4.5, sampler: str = "dopri5", ode_steps: int = 32, atol: float = 1e-6,
                 rtol: float = 1e-3, generator: torch.Generator | None = None, on_step: StepHook | None = None,
                 stats: dict | None = None) -> Tensor:
        """Coarse-to-fine decoding (§3.6): text embeddings (B, D) + token lengths (B,) -> latents (B, L, C).

        L = max(token_lengths); positions >= l_b are zero. ``uncond_emb`` (B, D) replaces the null
        condition for CFG (default: the zero vector used in training); cfg_scale == 1 disables guidance.
        ``decode_steps`` coarse-to-fine steps; ``ode_steps`` flow-head solver steps per token sample.
        ``on_step(latents, newly_generated, step)`` may return updated latents after each step
        (MAR guidance, constraints); with a hook the loop runs under ``no_grad`` so the hook can
        use ``torch.enable_grad()``, without one under ``inference_mode``. ``generator`` (on the
        model's device) makes the result deterministic. ``stats``, if given, receives the NFE.
        """
        if decode_steps < 1:
            raise CoamdError(f"decode_steps: must be >= 1, got {decode_steps}")
        lengths = self._check(cond_emb, token_lengths, self.cfg.max_tokens)
        B, L, C = cond_emb.shape[0], int(lengths.max()) if lengths.numel() else 0, self.latent_dim
        dev = cond_emb.device
        nfe = 0
        with self._inference(on_step is not None):
            cond, uncond = self._conds(cond_emb, uncond_emb, cfg_scale, sampler)
            valid = lengths_to_mask(lengths, L)                                              # (B, L)
            latents = torch.where(valid[..., None], self.mask_latent.to(cond.dtype),
                                  torch.zeros((), dtype=cond.dtype, device=dev)).expand(B, L, C).clone()
            scores = torch.rand(B, L, device=dev, generator=generator).masked_fill(~valid, FROZEN)
            for k, t_k in enumerate(torch.linspace(0, 1, decode_steps).tolist()):
                n = torch.round(math.cos(0.5 * math.pi * t_k) * lengths.double()).clamp(min=1).long()  # (B,)
                is_mask = self._select(scores, n)                                           # (B, L)
                latents, used = self._fill(latents, is_mask, valid, cond, uncond, cfg_scale, sampler, ode_steps, atol,
                                           rtol, generator)
                nfe += used
                latents = self._apply_hook(on_step, latents, is_mask, k)
                scores = scores.masked_fill(~is_mask, FROZEN)                               # freeze the rest
            latents = torch.where(valid[..., None], latents, torch.zeros((), dtype=latents.dtype, device=dev))
        if stats is not None:
            stats.update(nfe=nfe, decode_steps=decode_steps, guided=cfg_scale != 1.0 and sampler != DISTILLED)
        return latents.clone()

    def edit(self, cond_emb: Tensor, source: Tensor, token_lengths: Tensor, edit_mask: Tensor | None, *,
             uncond_emb: Tensor | None = None, decode_steps: int = 12, cfg_scale: float = 4.5, sampler: str = "dopri5",
             ode_steps: int = 32, atol: float = 1e-6, rtol: float = 1e-3, refine_ratio: float = 0.16,
             generator: torch.Generator | None = None, on_step: StepHook | None = None,
             stats: dict | None = None) -> Tensor:
        """Regenerate the tokens of ``edit_mask`` (B, L) in ``source`` latents (B, L, C) (§3.8).

        The same cosine schedule runs over each sample's edit length e_b (n_b = max(1, round(
        cos(π/2·t_k)·e_b)), 0 when e_b = 0); tokens outside the mask come back bit-exact, even if
        ``on_step`` changes them. ``edit_mask=None`` is the mask-free refinement mode: every step
        re-samples a fresh random ``refine_ratio`` (16 %) of the valid tokens.
        """
        if decode_steps < 1:
            raise CoamdError(f"decode_steps: must be >= 1, got {decode_steps}")
        if source.dim() != 3 or source.shape[0] != cond_emb.shape[0] or source.shape[-1] != self.latent_dim:
            raise CoamdError(f"source latents: expected shape ({cond_emb.shape[0]}, L, {self.latent_dim}), "
                             f"got {tuple(source.shape)}")
        B, L, _ = source.shape
        lengths = self._check(cond_emb, token_lengths, L)
        if edit_mask is not None and edit_mask.shape != (B, L):
            raise CoamdError(f"edit mask: expected shape ({B}, {L}), got {tuple(edit_mask.shape)}")
        if not 0.0 < refine_ratio <= 1.0:
            raise CoamdError(f"refine_ratio: must lie in (0, 1], got {refine_ratio}")
        dev = source.device
        nfe = 0
        with self._inference(on_step is not None):
            cond, uncond = self._conds(cond_emb, uncond_emb, cfg_scale, sampler)
            valid = lengths_to_mask(lengths, L)                                              # (B, L)
            zero = torch.zeros((), dtype=source.dtype, device=dev)
            kept = torch.where(valid[..., None], source, zero)                               # (B, L, C)
            latents = kept.clone()
            if edit_mask is not None:
                em = edit_mask.to(dev).bool() & valid
                e_len = em.sum(dim=1)                                                        # (B,)
                latents = torch.where(em[..., None], self.mask_latent.to(source.dtype), latents)
                scores = torch.rand(B, L, device=dev, generator=generator).masked_fill(~em, FROZEN)
            for k, t_k in enumerate(torch.linspace(0, 1, decode_steps).tolist()):
                if edit_mask is not None:
                    n = torch.round(math.cos(0.5 * math.pi * t_k) * e_len.double()).clamp(min=1).long()
                    n = torch.where(e_len > 0, n, torch.zeros_like(n))
                else:
                    scores = torch.rand(B, L, device=dev, generator=generator).masked_fill(~valid, FROZEN)
                    n = torch.round(refine_ratio * lengths.double()).clamp(min=1).long()
                is_mask = self._select(scores, n)
                latents, used = self._fill(latents, is_mask, valid, cond, uncond, cfg_scale, sampler, ode_steps, atol,
                                           rtol, generator)
                nfe += used
                latents = self._apply_hook(on_step, latents, is_mask, k)
                if edit_mask is not None:
                    latents = torch.where(em[..., None], latents, kept)                     # kept tokens exact
                    scores = scores.masked_fill(~is_mask, FROZEN)
            latents = torch.where(valid[..., None], latents, zero)
        if stats is not None:
            stats.update(nfe=nfe, decode_steps=decode_steps, guided=cfg_scale != 1.0 and sampler != DISTILLED)
        return latents.clone()
