"""Model bundles: everything inference needs, in one folder (paper-brief §5: the four tasks share AE, MAR,
generator and length estimator).

BUNDLE FORMAT (version 1) -- a folder holding::

    bundle.json     {"format": "coamd-bundle", "version": 1, "name", "skeleton", "fps", "unit_length",
                     "text": {"backend", "model_id", "options"}, "parts": {"ae": "ae.pt", ...},
                     "versions": {"coamd", "torch"}, "sources": {part: {"path", "step"}},
                     "model_cards": [paths relative to the folder], "defaults": {sampling defaults},
                     "distilled": "flow_head_distilled.pt" (optional)}
    ae.pt           one checkpoint per part, in the ``coamd.models.load_checkpoint`` layout:
    mar.pt            {"format": "coamd-checkpoint", "version": 1, "kind": part, "model_config": {...},
    generator.pt       "state": {part: state_dict}, "extra": {mean, std, label_names, text_backend, ...}}
    length.pt         (training checkpoints work as they are; ``make_bundle`` strips their "train" entry:
                       optimizer, raw weights, RNG states -- ``state[part]`` already holds the EMA weights)
    Mean.npy, Std.npy  (F,) z-normalisation of the generation space (a part's own ``extra`` mean/std wins)
    labels.txt      the recognizer's training labels, one per line (default label list of ``recognize``)
    flow_head_distilled.pt  optional: a few-step student of the generator's flow head (``coamd train
                    distill``, checkpoint kind "distill"), used by ``--sampler distilled``

``bundle.json`` is read and validated by :func:`read_bundle_meta` and written by ``write_bundle_meta``
(both in :mod:`coamd.models.bundle_meta`, a low module that training code may use too); each part file
by the one checkpoint reader, :func:`coamd.models.checkpoint.read_payload`.
``coamd.tasks.bundling.make_bundle`` assembles one from training runs. Parts are optional: a
bundle with only ``mar.pt`` recognises and retrieves but cannot generate; a task that needs a
missing part says which one. ``defaults`` (e.g. ``{"sampler": "euler", "ode_steps": 32,
"guidance": 1.0}``) are the sampling settings the bundle's author recommends; a caller's
explicit argument always wins.

WHAT ``load_bundle(path)`` ACCEPTS (the rule ``coamd.load`` and every ``--checkpoint`` use):

1. nothing: ``$COAMD_BUNDLE`` if set, else the bundled ``coamd/weights/cpu-small/``;
2. a folder with ``bundle.json``: a bundle;
3. a training run folder (``RUN/checkpoints/best.pt``, else ``latest.pt``) or one ``.pt`` file: that
   single part (its checkpoint's ``kind``), e.g. a MAR fine-tuned with ``coamd train mar``;
4. a folder of training runs: each immediate sub-folder that is a run contributes the part named by
   its checkpoint's ``kind`` (folder names do not matter; two runs of one kind are an error).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from ..data import Normalizer
from ..device import resolve_device
from ..models import PARTS, FlowHead, ModelConfig, build_models, load_checkpoint, load_module
from ..models.bundle_meta import (
    BUNDLE_ENV,
    BUNDLE_FILE,
    BUNDLE_FORMAT,
    BUNDLE_VERSION,
    DEFAULT_BUNDLE,
    LABELS_FILE,
    BundleError,
    bundle_part_files,
    bundle_part_path,
    default_bundle_path,
    read_bundle_meta,
)
from ..models.checkpoint import check_payload, run_checkpoint
from ..skeleton import SKELETONS, Skeleton
from ..text import TextEncoder, load_text_encoder
from ..timing import stage

NEEDED_BY = {"ae": "generation and editing", "generator": "generation and editing",
             "length": "automatic lengths (pass a length in seconds instead)",
             "mar": "recognition, retrieval and guidance"}


@dataclass
class Bundle:
    """Loaded inference models: ``parts`` (eval mode, frozen), their configs, Mean/Std and labels."""

    root: Path | None
    parts: dict[str, nn.Module]
    configs: dict[str, ModelConfig]
    normalizers: dict[str, Normalizer]
    text_backend: str
    text_options: dict[str, Any] = field(default_factory=dict)
    label_names: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    text_cache: bool = False        # read/write prompts' sentence embeddings in the persistent cache (the CLI)
    _encoder: TextEncoder | None = field(default=None, repr=False)

    # ------------------------------------------------------------------ parts
    def has(self, part: str) -> bool:
        return part in self.parts

    def part(self, name: str) -> nn.Module:
        """The module of part ``name``, or a one-line error saying what needs it and where it was sought."""
        if name not in self.parts:
            where = str(self.root) if self.root else "this bundle"
            have = ", ".join(sorted(self.parts)) or "nothing"
            raise BundleError(f"{where}: no '{name}' model (needed for {NEEDED_BY.get(name, name)}); "
                              f"it provides: {have}")
        return self.parts[name]

    @property
    def ae(self) -> nn.Module:
        return self.part("ae")

    @property
    def mar(self) -> nn.Module:
        return self.part("mar")

    @property
    def generator(self) -> nn.Module:
        return self.part("generator")

    @property
    def length(self) -> nn.Module:
        return self.part("length")

    def config(self, part: str | None = None) -> ModelConfig:
        """The model config of ``part`` (default: any part; all agree on skeleton and text widths)."""
        if part is None:
            return next(iter(self.configs.values()))
        self.part(part)
        return self.configs[part]

    @property
    def skeleton(self) -> Skeleton:
        return SKELETONS[self.config().skeleton]

    @property
    def fps(self) -> float:
        return float(self.meta.get("fps", self.skeleton.fps))

    @property
    def unit_length(self) -> int:
        return self.config("ae").unit_length if "ae" in self.configs else self.config().unit_length

    @property
    def max_tokens(self) -> int:
        """Longest segment the generator makes in one go (49 tokens = 196 frames at the paper's sizes)."""
        cfg = self.config("generator") if "generator" in self.configs else self.config()
        return min(cfg.length.max_tokens, cfg.generator.max_tokens)

    def normalizer(self, part: str) -> Normalizer:
        self.part(part)
        return self.normalizers[part]

    def defaults(self) -> dict[str, Any]:
        return dict(self.meta.get("defaults") or {})

    def part_id(self, part: str) -> str:
        """A short content hash of a part's weights (keys retrieval galleries to the model that made them)."""
        module = self.part(part)
        h = hashlib.sha256()
        for k, v in sorted(module.state_dict().items()):
            h.update(k.encode())
            h.update(v.detach().to("cpu", torch.float32).contiguous().numpy().tobytes())
        return h.hexdigest()[:16]

    # ------------------------------------------------------------------ text
    @property
    def text_encoder(self) -> TextEncoder:
        """The frozen text encoder every part was trained with (shared per process)."""
        if self._encoder is None:
            with stage("load text encoder"):
                enc = load_text_encoder(self.text_backend, device=self.device, **self.text_options)
            dims = self.config().text
            if (enc.dim, enc.token_dim) != (dims.sentence_dim, dims.token_dim):
                raise BundleError(f"text backend {self.text_backend!r} gives {enc.dim}/{enc.token_dim}-d embeddings "
                                  f"but the models expect {dims.sentence_dim}/{dims.token_dim}")
            self._encoder = enc
        return self._encoder

    def sentences(self, texts: Sequence[str]) -> Tensor:
        """L2-normalised sentence embeddings (B, D) on the bundle's device.

        With ``text_cache`` on, prompts seen before (by this process or earlier ones) are read from the
        persistent embedding cache (:mod:`coamd.text.cache`) without loading the text encoder."""
        texts = list(texts)
        with stage("encode text"):
            key = self._sentence_cache_key() if self.text_cache and texts else None
            if key is None:
                return self.text_encoder.encode_sentences(texts).to(self.device, torch.float32)
            from ..text.cache import EmbeddingCache

            dim = self.config().text.sentence_dim
            with warnings.catch_warnings():       # an unwritable cache only means encoding as before
                warnings.simplefilter("ignore")
                cache = EmbeddingCache(key, dim)
            try:
                uniq = list(dict.fromkeys(texts))
                vecs, found = cache.get(uniq)
                todo = [t for t, f in zip(uniq, found) if not f]
                if todo:
                    new = self.text_encoder.encode_sentences(todo).float().cpu().numpy()     # (n, D)
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        cache.put(todo, new)
                    vecs[~found] = new
            finally:
                cache.close()
            row = {t: i for i, t in enumerate(uniq)}
            return torch.from_numpy(vecs[[row[t] for t in texts]]).to(self.device, torch.float32)

    def _sentence_cache_key(self) -> str | None:
        """The embedding-cache key of this bundle's encoder when it is known without loading it, else None."""
        if self._encoder is not None:
            return self._encoder.cache_key if self._encoder.name != "hash" else None
        if self.text_backend == "minilm" and not self.text_options:
            from ..text.minilm import MiniLMEncoder

            return f"minilm/{MiniLMEncoder.DEFAULT_MODEL_ID}"
        return None

    def tokens(self, texts: Sequence[str]) -> tuple[Tensor, Tensor]:
        """Token embeddings (B, L, D_tok) and mask (B, L) on the bundle's device."""
        emb, mask = self.text_encoder.encode_tokens(list(texts))
        return emb.to(self.device, torch.float32), mask.to(self.device)


# ---------------------------------------------------------------------------------- discovery
def _read(path: Path) -> tuple[str, ModelConfig, dict]:
    """(part kind, model config, payload) of one checkpoint file, its tensors on the CPU (the modules are
    built on the bundle's device and copy the weights; the extras, e.g. Mean/Std, stay host-side)."""
    cfg, payload = load_checkpoint(path, map_location="cpu")
    state = payload.get("state") or {}
    kind = payload.get("kind") or (next(iter(state)) if len(state) == 1 else None)
    if kind not in PARTS:
        raise BundleError(f"{path}: cannot tell which model this checkpoint holds (kind {kind!r}; "
                          f"expected one of {', '.join(PARTS)})")
    return str(kind), cfg, payload


def find_checkpoints(path: str | os.PathLike) -> dict[str, Path]:
    """``{part: checkpoint file}`` of a run folder, a ``.pt`` file or a folder of runs (rules 3-4 above)."""
    path = Path(path).expanduser()
    if not path.exists():
        raise BundleError(f"{path}: no such checkpoint file or folder")
    if path.is_file():
        return {_read(path)[0]: path}
    own = run_checkpoint(path)
    if own is not None:
        return {_read(own)[0]: own}
    found: dict[str, Path] = {}
    for sub in sorted(p for p in path.iterdir() if p.is_dir()):
        ckpt = run_checkpoint(sub)
        if ckpt is None:
            continue
        kind = _read(ckpt)[0]
        if kind in found:
            raise BundleError(f"{path}: two '{kind}' runs ({found[kind].parents[1].name} and {sub.name}); "
                              f"keep one, or assemble a bundle with make_bundle")
        found[kind] = ckpt
    if not found:
        raise BundleError(f"{path}: not a bundle ({BUNDLE_FILE}), a training run (checkpoints/best.pt) "
                          f"or a folder of training runs")
    return found


# ---------------------------------------------------------------------------------- loading
def load_bundle(path: str | os.PathLike | None = None, device: str | torch.device = "cpu",
                parts: Sequence[str] | None = None) -> Bundle:
    """Load a bundle, a training run or a folder of runs (see the module docstring); ``parts`` limits what loads."""
    with stage("load models"):
        return _load_bundle(path, resolve_device(device), parts)


def bundle_defaults(path: str | os.PathLike | None = None) -> dict[str, Any]:
    """The sampling ``defaults`` of a bundle's ``bundle.json`` without loading any model ({} for runs)."""
    root = default_bundle_path() if path is None else Path(path).expanduser()
    if not (root / BUNDLE_FILE).is_file():
        return {}
    return dict(read_bundle_meta(root).get("defaults") or {})


def _load_bundle(path: str | os.PathLike | None, device: torch.device, parts: Sequence[str] | None) -> Bundle:
    if path is None:
        root = default_bundle_path()
        if not (root / BUNDLE_FILE).is_file():
            raise BundleError(f"no bundled weights in this install ({root} is missing); train them with "
                              f"'coamd train ae|mar|generator|length' and pass the runs with --checkpoint DIR")
    else:
        root = Path(path).expanduser()
    meta: dict[str, Any] = {}
    labels: list[str] = []
    top_stats: Normalizer | None = None
    if (root / BUNDLE_FILE).is_file():
        meta = read_bundle_meta(root)
        files = bundle_part_files(root, meta)
        if (root / "Mean.npy").is_file():
            top_stats = Normalizer.load(root)
        if (root / LABELS_FILE).is_file():
            labels = [ln.strip() for ln in (root / LABELS_FILE).read_text(encoding="utf-8").splitlines() if ln.strip()]
    else:
        files = find_checkpoints(root)
    if parts is not None:
        files = {p: f for p, f in files.items() if p in parts}
    modules, configs, norms, extras = {}, {}, {}, {}
    for part, file in files.items():
        kind, cfg, payload = _read(file)
        if kind != part:
            raise BundleError(f"{file}: holds a '{kind}' model, but {root / BUNDLE_FILE} lists it as '{part}'")
        with _skip_init():               # every weight is overwritten by the strict load below
            module = build_models(cfg, parts=(part,), device=device)[part]
        load_module(module, payload, part, file)
        module.eval().requires_grad_(False)
        extra = payload.get("extra") or {}
        modules[part], configs[part], extras[part] = module, cfg, extra
        if part != "length":                      # the length estimator reads text only
            norms[part] = _stats(extra, top_stats, file, cfg)
    if not modules:
        raise BundleError(f"{root}: holds none of the requested models ({', '.join(parts or PARTS)})")
    if "generator" in modules and meta.get("distilled"):
        attach_distilled(modules["generator"], root / meta["distilled"], device)
    _check_compatible(configs, root)
    backend, options = _text_backend(meta, extras, configs, root)
    if not labels and "mar" in extras:
        labels = [str(x) for x in extras["mar"].get("label_names") or []]
    return Bundle(root=root, parts=modules, configs=configs, normalizers=norms, text_backend=backend,
                  text_options=options, label_names=labels, meta=meta, files=dict(files), device=device)


def attach_distilled(generator: nn.Module, path: Path, device: torch.device | str = "cpu") -> None:
    """Load a ``coamd train distill`` checkpoint (a few-step student of the flow head) into ``generator``
    for ``sampler="distilled"`` (:meth:`coamd.models.MaskedGenerator.set_distilled`)."""
    cfg, payload = load_checkpoint(path, map_location="cpu")
    check_payload(payload, path, kind="distill", what="a distilled flow head ('distill')")
    if (cfg.ae.latent_dim, cfg.generator.hidden) != (generator.latent_dim, generator.cfg.hidden):
        raise BundleError(f"{path}: the distilled head is for {cfg.ae.latent_dim}-d tokens under {cfg.generator.hidden}-d "
                          f"conditions; the generator has {generator.latent_dim}/{generator.cfg.hidden}")
    with _skip_init(), torch.device(device):
        head = FlowHead(cfg.ae.latent_dim, cfg.generator.hidden, cfg.head)
    load_module(head, payload, "distill", path)
    steps = int((payload.get("extra") or {}).get("student_steps", 1))
    generator.set_distilled(head.eval().requires_grad_(False), steps)


@contextlib.contextmanager
def _skip_init() -> Iterator[None]:
    """Make ``torch.nn.init``'s initialisers no-ops while modules are built only to be loaded strictly
    (random initialisation of weights that are overwritten costs a fifth of a second per bundle on a CPU)."""
    names = [n for n in dir(nn.init) if n.endswith("_") and not n.startswith("_") and callable(getattr(nn.init, n))]
    saved = {n: getattr(nn.init, n) for n in names}
    try:
        for n in names:
            setattr(nn.init, n, lambda tensor, *a, **k: tensor)
        yield
    finally:
        for n, f in saved.items():
            setattr(nn.init, n, f)


def _stats(extra: dict, top: Normalizer | None, file: Path, cfg: ModelConfig) -> Normalizer:
    if extra.get("mean") is not None and extra.get("std") is not None:
        norm = Normalizer(np.asarray(extra["mean"], np.float32), np.asarray(extra["std"], np.float32))
    elif top is not None:
        norm = top
    else:
        raise BundleError(f"{file}: no Mean/Std (neither in the checkpoint nor as Mean.npy/Std.npy beside it)")
    if norm.feature_dim != cfg.feature_dim:
        raise BundleError(f"{file}: Mean/Std have {norm.feature_dim} features, the model expects {cfg.feature_dim}")
    return norm


def _check_compatible(configs: dict[str, ModelConfig], root: Path) -> None:
    first = next(iter(configs.items()))
    for part, cfg in configs.items():
        if cfg.skeleton != first[1].skeleton:
            raise BundleError(f"{root}: '{part}' is for {cfg.skeleton} but '{first[0]}' for {first[1].skeleton}")
        if (cfg.text.sentence_dim, cfg.text.token_dim) != (first[1].text.sentence_dim, first[1].text.token_dim):
            raise BundleError(f"{root}: '{part}' and '{first[0]}' were trained with different text encoders")
    if "ae" in configs and "generator" in configs:
        a, g = configs["ae"], configs["generator"]
        if a.ae.latent_dim != g.ae.latent_dim or a.unit_length != g.unit_length:
            raise BundleError(f"{root}: the generator was trained on {g.ae.latent_dim}-d latents, the AE makes "
                              f"{a.ae.latent_dim}-d ones (use the AE the generator was trained with)")


def _text_backend(meta: dict, extras: dict[str, dict], configs: dict[str, ModelConfig],
                  root: Path) -> tuple[str, dict[str, Any]]:
    text = meta.get("text") or {}
    backends = {p: str(e["text_backend"]) for p, e in extras.items() if e.get("text_backend")}
    if text.get("backend"):
        return str(text["backend"]), dict(text.get("options") or {})
    if len(set(backends.values())) > 1:
        raise BundleError(f"{root}: the parts were trained with different text encoders "
                          f"({', '.join(f'{p}: {b}' for p, b in sorted(backends.items()))})")
    if not backends:
        raise BundleError(f"{root}: the checkpoints do not say which text encoder they were trained with")
    backend = next(iter(backends.values()))
    options = {"dim": next(iter(configs.values())).text.sentence_dim} if backend == "hash" else {}
    return backend, options


__all__ = ["BUNDLE_ENV", "BUNDLE_FILE", "BUNDLE_FORMAT", "BUNDLE_VERSION", "DEFAULT_BUNDLE", "LABELS_FILE", "Bundle",
           "BundleError", "bundle_defaults", "bundle_part_path", "default_bundle_path", "find_checkpoints",
           "load_bundle", "read_bundle_meta"]
