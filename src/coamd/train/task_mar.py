"""``coamd train mar``: the multi-modal action recognizer (paper-brief §3.2, §4, §9.1, §10).

On a HumanML3D-layout folder with action labels, MAR trains with L_desc (filtered InfoNCE +
SmoothL1 between the fused motion embedding and tower B's caption embedding) + 0.5 * L_recog
(InfoNCE against the frozen label-name embeddings), so tower B is trained too (§9.1); without
labels only L_desc. On a labelled clip set (HDM05, Bandai-Namco, NTU) it trains L_recog with the
set's own label names, optionally fine-tuning a MAR checkpoint (``init=``).

Validation: recognition accuracy (prototype argmax; a hit if it is any label of the motion) and
text->motion / motion->text R@1 in shuffled batches of 32 (tower B, cosine); best.pt maximises
the accuracy when there are labels, else t2m R@1. Selection uses the val split (§9.7).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.data import Dataset

from ..data import ActionTextDataset, LabelledClipDataset, TextMotionDataset, collate_motion
from ..errors import CoamdError
from ..metrics import retrieval_metrics
from ..models import build_mar, load_module
from ..models import load_checkpoint as load_model_checkpoint
from .checkpoint import checkpoint_file
from .common import MotionTask, batches
from .data import normalizer_from_extra


class MARTask(MotionTask):
    kind = "mar"
    val_mode = "max"
    find_unused_parameters = True      # e.g. tower B gets no gradient on a labels-only dataset

    def __init__(self, ctx, model_cfg, source) -> None:
        self.init_payload: dict | None = None
        if ctx.cfg.init:
            path = checkpoint_file(ctx.cfg.init)
            model_cfg, self.init_payload = load_model_checkpoint(path)
            self.init_path = path
            backend = self.init_payload.get("extra", {}).get("text_backend")
            if backend is not None and backend != ctx.cfg.text:
                raise CoamdError(f"init={ctx.cfg.init}: that MAR was trained with text={backend}; pass text={backend}")
        super().__init__(ctx, model_cfg, source)

    # ------------------------------------------------------------------ data
    def setup(self) -> None:
        preset = normalizer_from_extra(self.init_payload.get("extra", {})) if self.init_payload else None
        if self.source.text_motion:
            train, val = self.text_motion_splits()
            self.set_normalizer((train.full_motion(k) for k in train.motion_ids), preset)
            self.has_labels, self.has_captions = train.has_labels, True
            make = ActionTextDataset if self.has_labels else TextMotionDataset
            self.train_set = make(train, self.normalizer, seed=self.cfg.seed)
            self.val_set = make(val, self.normalizer, seed=self.cfg.seed, random_crop=False)
            self.label_names = list(self.train_set.label_names) if self.has_labels else []
            captions = [c.text for idx in (train, val) for s in idx.samples for c in s.captions]
        else:
            clips, tr, va = self.labelled_clips()
            self.set_normalizer((clips.motion(int(i)) for i in tr), preset)
            self.has_labels, self.has_captions = True, False
            self.train_set = LabelledClipDataset(clips, self.normalizer, tr, seed=self.cfg.seed)
            self.val_set = LabelledClipDataset(clips, self.normalizer, va, seed=self.cfg.seed, random_crop=False)
            self.label_names = list(clips.label_names)
            captions = []
        self.val_metric = "recog_acc" if self.has_labels else "t2m_R1"
        self.num_labels = len(self.label_names)
        if self.has_labels:
            labels = self.text_table(self.label_names, desc="label names")
            self.label_sent = labels.sentences(self.label_names).float()          # (K, D)
        self.captions = self.text_table(captions, tokens=True, desc="captions") if captions else None
        self.say(f"mar data: {len(self.train_set)} training / {len(self.val_set)} val samples, "
                 f"{self.num_labels} labels, captions: {'yes' if self.has_captions else 'no'}")

    def build_model(self) -> nn.Module:
        return build_mar(self.model_cfg)

    def on_fresh_start(self, model: nn.Module) -> None:
        if self.init_payload is not None:
            load_module(model, self.init_payload, "mar", self.init_path)
            self.say(f"mar: fine-tuning from {self.init_path}")

    def train_dataset(self) -> Dataset:
        return self.train_set

    def collate(self, items: list[dict]) -> dict:
        return collate_motion(items, self.model_cfg.unit_length)

    # ------------------------------------------------------------------ loss
    def _inputs(self, batch: dict) -> dict[str, Tensor]:
        kw: dict[str, Tensor] = {}
        if self.has_labels:
            ids = batch["label"].to(self.device)
            kw.update(label_emb=self.label_sent[ids], label_ids=ids)
            hot = batch.get("multi_hot")
            kw["label_multi_hot"] = (hot.to(self.device) if hot is not None
                                     else F.one_hot(ids, self.num_labels).float())
        if self.has_captions:
            tokens, mask = self.captions.tokens(batch["caption"])
            kw.update(text_tokens=tokens, text_mask=mask, text_sentence=self.captions.sentences(batch["caption"]))
        return kw

    def loss(self, model: nn.Module, batch: dict, generator: torch.Generator) -> tuple[Tensor, dict[str, float]]:
        x = batch["motion"].to(self.device, non_blocking=True)                 # (B, T, F)
        return model.loss(x, batch["length"].to(self.device), **self._inputs(batch))

    # ------------------------------------------------------------------ validation
    @torch.no_grad()
    def validate(self, model: nn.Module, generator: torch.Generator) -> dict[str, float]:
        hits, motions, texts = [], [], []
        for rows in batches(len(self.val_set), 32, self.cfg.val_batches):
            batch = self.collate([self.val_set[i] for i in rows])
            x, lengths = batch["motion"].to(self.device), batch["length"].to(self.device)
            f = model.encode(x, lengths)[0].float()                                # (B, E)
            if self.has_labels:
                pred = model.recognition_logits(f, self.label_sent).argmax(dim=1).cpu()  # (B,)
                truth = batch.get("multi_hot")
                hit = truth[torch.arange(len(pred)), pred] > 0 if truth is not None else pred == batch["label"]
                hits.append(hit.float())
            if self.has_captions:
                tokens, mask = self.captions.tokens(batch["caption"])
                texts.append(model.encode_text(tokens, mask).float().cpu())
                motions.append(f.cpu())
        out: dict[str, float] = {}
        if hits:
            out["recog_acc"] = float(torch.cat(hits).mean())
        if texts:
            t, m = torch.cat(texts).numpy(), torch.cat(motions).numpy()
            protocol = "batch32" if len(t) >= 32 else "full"
            r = retrieval_metrics(t, m, protocol=protocol, ks=(1, 3), rng=np.random.default_rng(0))
            out.update(t2m_R1=r["t2m/R@1"], t2m_R3=r["t2m/R@3"], m2t_R1=r["m2t/R@1"])
        return out

    def extra_state(self) -> dict[str, Any]:
        extra = {**super().extra_state(), "label_names": list(self.label_names)}
        if self.has_labels:
            extra["label_embeddings"] = self.label_sent.cpu()
        return extra
