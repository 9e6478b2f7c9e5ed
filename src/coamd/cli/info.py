"""``coamd info``: parameter counts per component of a model config (built on the meta device)."""

from __future__ import annotations

import json

from . import new_parser


def register(sub) -> None:
    p = new_parser(sub, "info", "show a model config's sizes and parameter counts per component",
                   ["coamd info --config paper",
                    "coamd info --config cpu-small --json",
                    "coamd info --config paper generator.depth=8"])
    p.add_argument("--config", default="paper",
                   help="config name (paper, cpu-small, kit-paper, kit-cpu-small) or YAML path (default: paper)")
    p.add_argument("--checkpoint", default=None,
                   help="read the model config stored in this checkpoint instead of --config")
    p.add_argument("--json", action="store_true", help="print machine-readable JSON")
    p.add_argument("overrides", nargs="*", metavar="KEY=VALUE",
                   help="overrides of the config's model section, e.g. generator.depth=8")
    p.set_defaults(func=run)


def _rows(cfg, pc) -> list[tuple[str, int | None]]:
    return [
        ("autoencoder (AE)", pc.ae),
        ("  encoder", pc.ae_encoder),
        ("  decoder", pc.ae_decoder),
        ("MAR (trainable)", pc.mar),
        ("  motion stream (x3)", pc.mar_stream),
        ("  late fusion", pc.mar_fusion),
        ("  description tower B", pc.mar_text_tower),
        ("  label projection A", pc.mar_label_proj),
        (f"generator transformer (depth {cfg.generator.depth})", pc.generator),
        ("flow head", pc.head),
        ("length estimator", pc.length),
        ("total", pc.total),
    ]


def run(args) -> int:
    from ..config import to_dict
    from ..models import load_checkpoint, load_model_config, parameter_counts

    if args.checkpoint is not None:
        cfg, payload = load_checkpoint(args.checkpoint, map_location="meta")
        source, parts = args.checkpoint, sorted(payload.get("state", {}))
    else:
        cfg, source, parts = load_model_config(args.config, args.overrides), args.config, None
    pc = parameter_counts(cfg)
    if args.json:
        out = {"config": str(source), "skeleton": cfg.skeleton, "feature_dim": cfg.feature_dim,
               "text": to_dict(cfg.text), "params": {k: v for k, v in vars(pc).items()}, "total": pc.total,
               "fp16_megabytes": round(pc.total * 2 / 2**20, 2), "model": to_dict(cfg)}
        if parts is not None:
            out["checkpoint_parts"] = parts
        print(json.dumps(out, indent=2))
        return 0
    print(f"config {source}: skeleton {cfg.skeleton} ({cfg.feature_dim} input dims), "
          f"text dims {cfg.text.sentence_dim} sentence / {cfg.text.token_dim} token, "
          f"{cfg.unit_length} frames per latent token of {cfg.ae.latent_dim} dims")
    if parts is not None:
        print(f"checkpoint holds: {', '.join(parts) or 'no weights'}")
    width = max(len(name) for name, _ in _rows(cfg, pc))
    print(f"{'component'.ljust(width)}  {'params':>12}  {'fp16 MB':>8}")
    for name, n in _rows(cfg, pc):
        print(f"{name.ljust(width)}  {n / 1e6:>10.2f} M  {n * 2 / 2**20:>8.1f}")
    return 0
