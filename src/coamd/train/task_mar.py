"""``coamd train mar``: the multi-modal action recognizer (paper-brief §3.2, §4, §9.1, §10).

On a HumanML3D-layout folder with action labels, MAR trains with L_desc (filtered InfoNCE +
SmoothL1 between the fused motion embedding and tower B's caption embedding) + 0.5 * L_recog
(InfoNCE against the frozen label-name embeddings), so tower B is trained too (§9.1); without
labels only L_desc. On a labelled clip set (HDM05, Bandai-Namco, NTU) it trains L_recog with the
set's own label names, optionally fine-tuning a MAR checkpoint (``init=``).

Augmentation (issue 11, docs/domain_gap.md; all off by default so earlier runs reproduce): the
recipe keys ``augment`` (``coamd.data.augment.MotionAugment.from_string``, e.g.
``"placement=0.8,bones=0.5,warp=0.5,crop=0.5,idle=0.3,yaw=0.5,noise=0.5,mirror=0.5"``; a mirrored
clip gets its caption's left/right words swapped), ``label_captions`` (probability that a training
caption is replaced by the sampled label's plain name, e.g. "kick", as users type) and
``recog_captions`` (probability that a single-action clip's recognition prototype is its caption
instead of the label name, so tower A also learns descriptive phrases such as "kick with the left
leg"). They act on the training set only; validation and the val split stay as they were.

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
from ..data.augment import MotionAugment, mirror_caption_text
from ..data.datasets import _pad, crop_length
from ..errors import CoamdError
from ..metrics import retrieval_metrics
from ..models import build_mar
from .common import MotionTask, batches, read_init


class MARTask(MotionTask):
    kind = "mar"
    val_mode = "max"
    find_unused_parameters = True      # e.g. tower B gets no gradient on a labels-only dataset

    def __init__(self, ctx, model_cfg, source) -> None:
        model_cfg, self.init_payload, self.init_path = read_init(ctx, model_cfg)
        weight = getattr(ctx.cfg, "label_text_weight", None)
        if weight is not None:
            if not 0.0 <= float(weight) <= 1.0:
                raise CoamdError(f"label_text_weight={weight}: must be between 0 and 1")
            model_cfg.mar.label_text_weight = float(weight)
        tta = getattr(ctx.cfg, "recog_tta", "none")
        if tta not in ("none", "mirror", "speed", "mirror+speed"):
            raise CoamdError(f"recog_tta={tta}: must be none, mirror, speed or mirror+speed")
        model_cfg.mar.recog_tta = tta
        loss_w = getattr(ctx.cfg, "label_text_loss", None)
        if loss_w is not None and not 0.0 <= float(loss_w) <= 1.0:
            raise CoamdError(f"label_text_loss={loss_w}: must be between 0 and 1")
        if self.init_payload is not None:
            backend = self.init_payload.get("extra", {}).get("text_backend")
            if backend is not None and backend != ctx.cfg.text:
                raise CoamdError(f"init={ctx.cfg.init}: that MAR was trained with text={backend}; pass text={backend}")
        super().__init__(ctx, model_cfg, source)

    # ------------------------------------------------------------------ data
    def setup(self) -> None:
        preset = self.init_normalizer()
        if self.source.text_motion:
            train, val = self.text_motion_splits()
            self.set_normalizer((train.full_motion(k) for k in train.motion_ids), preset)
            self.has_labels, self.has_captions = train.has_labels, True
            make = ActionTextDataset if self.has_labels else TextMotionDataset
            aug, label_captions, recog_captions = augment_options(self.cfg)
            if self.has_labels and (aug.active or label_captions > 0 or recog_captions > 0):
                self.train_set = AugmentedActionText(train, self.normalizer, seed=self.cfg.seed, augment=aug,
                                                     label_captions=label_captions, recog_captions=recog_captions)
                self.say(f"mar augmentation: {aug}, label_captions={label_captions}, "
                         f"recog_captions={recog_captions}")
            else:
                self.train_set = make(train, self.normalizer, seed=self.cfg.seed)
            self.val_set = make(val, self.normalizer, seed=self.cfg.seed, random_crop=False)
            self.label_names = list(self.train_set.label_names) if self.has_labels else []
            captions = [c.text for idx in (train, val) for s in idx.samples for c in s.captions]
            if isinstance(self.train_set, AugmentedActionText):
                captions += self.train_set.extra_texts()
            captions = list(dict.fromkeys(captions))
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
            mixed = self.model_cfg.mar.label_text_weight > 0       # tower B reads (and learns) the names too
            self.label_table = self.text_table(self.label_names, tokens=mixed, desc="label names")
            self.label_sent = self.label_table.sentences(self.label_names).float()   # (K, D)
            self.mixed_labels = mixed
        self.captions = self.text_table(captions, tokens=True, desc="captions") if captions else None
        self.say(f"mar data: {len(self.train_set)} training / {len(self.val_set)} val samples, "
                 f"{self.num_labels} labels, captions: {'yes' if self.has_captions else 'no'}")

    def build_model(self) -> nn.Module:
        return build_mar(self.model_cfg)

    def on_fresh_start(self, model: nn.Module) -> None:
        self.load_init(model, "mar")

    def train_dataset(self) -> Dataset:
        return self.train_set

    def collate(self, items: list[dict]) -> dict:
        return collate_motion(items, self.model_cfg.unit_length)

    # ------------------------------------------------------------------ loss
    def _inputs(self, batch: dict) -> dict[str, Tensor]:
        kw: dict[str, Tensor] = {}
        if self.has_labels:
            ids = batch["label"].to(self.device)
            label_emb = self.label_sent[ids]
            use_caption = batch.get("recog_caption")
            if use_caption is not None and self.has_captions and bool(use_caption.any()):
                sent = self.captions.sentences(batch["caption"]).float().to(label_emb.device)
                label_emb = torch.where(use_caption.to(label_emb.device)[:, None], sent, label_emb)
            kw.update(label_emb=label_emb, label_ids=ids)
            if self.mixed_labels:                                              # tower B learns the names too
                tokens, mask = self.label_table.tokens([self.label_names[i] for i in ids.tolist()])
                kw.update(label_text_tokens=tokens.to(self.device), label_text_mask=mask.to(self.device))
            hot = batch.get("multi_hot")
            kw["label_multi_hot"] = (hot.to(self.device) if hot is not None
                                     else F.one_hot(ids, self.num_labels).float())
        if self.has_captions:
            tokens, mask = self.captions.tokens(batch["caption"])
            kw.update(text_tokens=tokens, text_mask=mask, text_sentence=self.captions.sentences(batch["caption"]))
        return kw

    def loss(self, model: nn.Module, batch: dict, generator: torch.Generator) -> tuple[Tensor, dict[str, float]]:
        x = batch["motion"].to(self.device, non_blocking=True)                 # (B, T, F)
        return model.loss(x, batch["length"].to(self.device), **self._inputs(batch),
                          label_text_loss_weight=getattr(self.cfg, "label_text_loss", None))

    # ------------------------------------------------------------------ validation
    @torch.no_grad()
    def validate(self, model: nn.Module, generator: torch.Generator) -> dict[str, float]:
        hits, motions, texts = [], [], []
        label_text = None
        if self.has_labels and self.mixed_labels:                              # tower B's reading of the names
            label_text = model.encode_text(*self.label_table.tokens(self.label_names)).float()
        for rows in batches(len(self.val_set), 32, self.cfg.val_batches):
            batch = self.collate([self.val_set[i] for i in rows])
            x, lengths = batch["motion"].to(self.device), batch["length"].to(self.device)
            f = model.encode(x, lengths)[0].float()                                # (B, E)
            if self.has_labels:
                pred = model.recognition_logits(f, self.label_sent, label_text).argmax(dim=1).cpu()  # (B,)
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


# ---------------------------------------------------------------------------- augmentation
def augment_options(cfg: Any) -> tuple[MotionAugment, float, float]:
    """(motion augmentation, label-name caption probability, caption-prototype probability) of a recipe.

    Read with defaults so configs without the keys (and runs made before them) train as before.
    """
    spec = getattr(cfg, "augment", "") or ""
    aug = MotionAugment.from_string(spec) if isinstance(spec, str) else MotionAugment(**dict(spec))
    label_captions = float(getattr(cfg, "label_captions", 0.0) or 0.0)
    recog_captions = float(getattr(cfg, "recog_captions", 0.0) or 0.0)
    for name, p in (("label_captions", label_captions), ("recog_captions", recog_captions)):
        if not 0.0 <= p <= 1.0:
            raise CoamdError(f"{name}: a probability in [0, 1], got {p}")
    return aug, label_captions, recog_captions


class AugmentedActionText(ActionTextDataset):
    """`ActionTextDataset` with motion augmentation and the text-side options of the MAR recipe.

    Per item (all draws from the item's seeded generator): the caption line and label as in the
    parent; the whole clip augmented (``MotionAugment``; short crops only on single-action clips,
    where the crop cannot cut the labelled action out), then the usual T2M crop; a mirrored clip's
    caption gets left/right swapped (the corpus labels name no side; a label that does is swapped
    when its mirror is in the label map); with ``label_captions`` the caption becomes the label name;
    ``recog_caption`` marks single-action clips whose recognition prototype is their caption.
    """

    def __init__(self, index, normalizer, seed: int = 0, augment: MotionAugment | None = None,
                 label_captions: float = 0.0, recog_captions: float = 0.0, pad_to: int | None = None) -> None:
        super().__init__(index, normalizer, seed, pad_to, random_crop=True)
        self.augment = augment or MotionAugment()
        self.label_captions, self.recog_captions = float(label_captions), float(recog_captions)
        self._label_index = {n: k for k, n in enumerate(self.label_names)}

    def extra_texts(self) -> list[str]:
        """Texts this dataset may emit besides the index's captions (for the caption embedding table)."""
        out: list[str] = []
        if self.augment.mirror > 0:
            out += [mirror_caption_text(c.text) for s in self.index.samples for c in s.captions]
        if self.label_captions > 0:
            out += list(self.label_names)
        return out

    def __getitem__(self, i: int) -> dict:
        rng = self.rng(i)
        k, captions = self.items[i]
        caption = captions[int(rng.integers(len(captions)))]
        label = int(caption.labels[int(rng.integers(len(caption.labels)))])
        labels = list(self.index[k].labels or caption.labels)
        single = len(set(labels)) == 1
        x, mirrored = self.augment(self.index.motion(k), rng, allow_short_crop=single)
        text = caption.text
        if mirrored:
            text = mirror_caption_text(text)
            index = self._label_index
            label = index.get(mirror_caption_text(self.label_names[label]), label)
            labels = [index.get(mirror_caption_text(self.label_names[j]), j) for j in labels]
        multi_hot = torch.zeros(self.num_labels)
        multi_hot[labels] = 1.0
        if self.label_captions > 0 and rng.random() < self.label_captions:
            text = self.label_names[label]
        recog_caption = bool(single and self.recog_captions > 0 and rng.random() < self.recog_captions
                             and text != self.label_names[label])
        m = crop_length(len(x), self.spec.unit_length, self.spec.max_length, rng)
        start = int(rng.integers(len(x) - m + 1))
        x = self.normalizer.normalize(np.asarray(x[start:start + m], dtype=np.float32).reshape(m, -1))
        return {"motion": _pad(x, self.pad_to), "length": m, "caption": text,
                "label": label, "label_text": self.label_names[label], "multi_hot": multi_hot,
                "recog_caption": torch.tensor(recog_caption), "name": self.index[k].name}
