"""``coamd train {ae,mar,generator,length,evaluator}``: train one model with the one trainer (paper-brief §4).

Configs are YAML names or paths (``cpu-small``, ``paper``, ...): the ``model:`` key gives the
architecture and ``train_<kind>:`` the recipe; ``key=value`` overrides go to the recipe, or to the
architecture when they start with ``model.``. The run folder gets ``config.yaml`` (the resolved
config, reused by ``--resume``), ``checkpoints/{latest,best,step_N}.pt``, ``log.csv``/``val.csv``
and TensorBoard events when tensorboard is installed. ``torchrun --nproc_per_node N -m coamd
train ...`` runs DDP. Ctrl-C (SIGINT) or SIGTERM saves a checkpoint and exits with status 130.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from . import add_common, new_parser

KINDS = ("ae", "mar", "generator", "length", "distill", "evaluator")  # the order of `coamd train --help`
DEFAULT_CONFIG = "cpu-small"


HELP = {
    "ae": "the 3-stream autoencoder (every 64-frame window; SmoothL1 on joints, bones, velocities)",
    "mar": "the action recognizer MAR (label and caption contrastive losses; fine-tunes with init=CKPT)",
    "generator": "the masked generator + flow head on frozen-AE latents (needs a trained AE)",
    "length": "the text -> motion-length estimator",
    "distill": "a 1-2 step student of the generator's flow head, guidance baked in (--sampler distilled)",
    "evaluator": "the benchmark's independent evaluators (GloVe text-motion matcher + MotionCLIP; never used "
                 "by generation or guidance)",
}


def _add_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", default=None,
                   help=f"config name (cpu-small, paper, kit-cpu-small, ...) or YAML path (default: {DEFAULT_CONFIG}; "
                        "with --resume: the run's config.yaml)")
    p.add_argument("--data", default=None,
                   help="dataset folder or name (synth, humanml3d, hdm05, ...; names live under $COAMD_DATA); "
                        "KIND:PATH names the kind of a folder, e.g. ntu60:/data/ntu (default: the config's data)")
    p.add_argument("--out", default=None, help="run folder (default: runs/<config>/<model>)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from checkpoints/latest.pt")
    p.add_argument("--no-progress", action="store_true", help="no progress bar (logs still go to log.csv)")
    add_common(p, device=True)
    p.add_argument("overrides", nargs="*", metavar="KEY=VALUE",
                   help="recipe overrides (lr=1e-4 batch_size=32 max_steps=1000 text=hash ...) or model ones "
                        "(model.generator.depth=4); after the options")


def register(sub) -> None:
    p = new_parser(sub, "train", "train the autoencoder, recognizer (MAR), generator or length estimator",
                   ["coamd data synth --out corpus --clips 2000",
                    "coamd train ae --config cpu-small --data corpus --out runs/small/ae",
                    "coamd train generator --config cpu-small --data corpus --out runs/small/generator",
                    "coamd train mar --data corpus --out runs/small/mar max_epochs=50 batch_size=64",
                    "coamd train mar --data hdm05:/data/HDM05 --out runs/hdm05 init=runs/small/mar",
                    "coamd train ae --out runs/small/ae --resume",
                    "torchrun --nproc_per_node 2 -m coamd train ae --data corpus --out runs/ddp/ae"])
    models = p.add_subparsers(dest="kind", metavar="MODEL")
    for kind in KINDS:
        sp = new_parser(models, kind, f"train {HELP[kind]}",
                        [f"coamd train {kind} --config cpu-small --data corpus --out runs/small/{kind}",
                         f"coamd train {kind} --out runs/small/{kind} --resume max_steps=20000"])
        _add_options(sp)
        sp.set_defaults(func=run)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def _config_source(args) -> str:
    out = Path(args.out) if args.out else None
    if args.resume and out is not None and (out / "config.yaml").is_file():
        return str(out / "config.yaml")
    return args.config or DEFAULT_CONFIG


def run(args: argparse.Namespace) -> int:

    from ..config import to_dict
    from ..data import resolve_data
    from ..device import resolve_device
    from ..errors import CoamdError
    from ..models import load_model_config
    from ..train import TaskContext, Trainer, init_distributed, load_train_config, split_overrides
    from ..train.distributed import shutdown
    from ..train.tasks import build_task

    source = _config_source(args)
    train_over, model_over = split_overrides(args.overrides)
    if args.data is not None:
        train_over.append(f"data={args.data}")
    if args.kind == "evaluator":
        from ..evaluation import load_evaluator_config
        from ..train.task_evaluator import load_evaluator_train_config

        cfg = load_evaluator_train_config(source, train_over)
        model_cfg = load_evaluator_config(source, model_over)
    else:
        cfg = load_train_config(args.kind, source, train_over)
        model_cfg = load_model_config(source, model_over)
    name = Path(args.config).stem if args.config else DEFAULT_CONFIG
    run_dir = Path(args.out) if args.out else Path("runs") / name / args.kind
    if args.resume and not (run_dir / "checkpoints" / "latest.pt").is_file():
        raise CoamdError(f"--resume: no checkpoint at {run_dir / 'checkpoints' / 'latest.pt'}")
    if not args.resume and (run_dir / "checkpoints" / "latest.pt").is_file():
        raise CoamdError(f"--out {run_dir}: a run is already there; add --resume to continue it or pick another --out")
    device = resolve_device(args.device)
    dist, device = init_distributed(device)
    try:
        data = resolve_data(cfg.data)
        cfg.data = f"{data.name}:{data.root.resolve()}"       # the resolved folder goes into config.yaml
        ctx = TaskContext(cfg=cfg, device=device, dist=dist, run_dir=run_dir, progress=not args.no_progress)
        task = build_task(args.kind, ctx, model_cfg, data)
        model_key = "evaluator" if args.kind == "evaluator" else "model"
        dump = {"kind": args.kind, model_key: to_dict(task.model_cfg), f"train_{args.kind}": to_dict(cfg)}
        launcher = f"torchrun --nproc_per_node {dist.world} -m coamd" if dist.enabled else "coamd"
        hint = f"{launcher} train {args.kind} --out {run_dir} --resume"
        result = Trainer(task, resume=args.resume, progress=not args.no_progress, resume_hint=hint,
                         config_dump=dump).fit()
    finally:
        shutdown()
    return 130 if result.status == "interrupted" else 0
