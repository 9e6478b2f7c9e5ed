"""The generic trainer (coamd.train.loop) on a toy regression task: learning, checkpoints, exact
resume, SIGINT handling, DDP equivalence, and the schedule/sampler it relies on."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from coamd.train import (
    DistInfo,
    EpochBatchSampler,
    TaskContext,
    TrainConfig,
    Trainer,
    TrainTask,
    inference_weights,
    load_checkpoint,
    lr_at,
)

HERE = Path(__file__).resolve().parent


pytestmark = pytest.mark.usefixtures("one_torch_thread")


class ToyData(torch.utils.data.Dataset):
    """y = x @ w + noise, with per-(epoch, index) noise like coamd.data's datasets."""

    def __init__(self, n: int = 96, seed: int = 0) -> None:
        g = np.random.default_rng(seed)
        self.x = g.standard_normal((n, 8)).astype(np.float32)
        self.y = self.x @ g.standard_normal((8, 2)).astype(np.float32)
        self.epoch = 0

    def set_epoch(self, epoch):
        self.epoch = epoch

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        noise = np.random.default_rng((7, self.epoch, i)).standard_normal(2).astype(np.float32) * 0.01
        return torch.from_numpy(self.x[i]), torch.from_numpy(self.y[i] + noise)


class ToyTask(TrainTask):
    kind = "toy"
    val_metric = "mse"

    def __init__(self, ctx, dropout: float = 0.1, slow: float = 0.0):
        super().__init__(ctx)
        self.dropout, self.slow = dropout, slow
        self.noise = 0.01 if dropout else 0.0          # dropout=0: a fully deterministic loss

    def setup(self):
        self.data, self.val = ToyData(), ToyData(32, seed=1)

    def build_model(self):
        return nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Dropout(self.dropout), nn.Linear(32, 2))

    def train_dataset(self):
        return self.data

    def collate(self, items):
        return torch.stack([a for a, _ in items]), torch.stack([b for _, b in items])

    def loss(self, model, batch, generator):
        if self.slow:
            time.sleep(self.slow)
        x, y = batch
        x = x + self.noise * torch.randn(x.shape, generator=generator)    # uses the trainer's generator
        loss = ((model(x) - y) ** 2).mean()
        return loss, {"loss": float(loss.detach())}

    def validate(self, model, generator):
        x, y = self.collate([self.val[i] for i in range(len(self.val))])
        return {"mse": float(((model(x) - y) ** 2).mean())}

    def extra_state(self):
        return {"mean": torch.zeros(3), "labels": ["a", "b"]}


def toy_cfg(**kw) -> TrainConfig:
    base = {"lr": 1e-2, "warmup_steps": 3, "milestones": [8], "gamma": 0.5, "batch_size": 8, "max_steps": 12,
            "max_epochs": 0, "grad_clip": 1.0, "ema_decay": 0.9, "accumulation": 2, "log_every": 1, "val_every": 5,
            "ckpt_every": 4, "text": "hash", "amp": "off"}
    base.update(kw)
    cfg = TrainConfig(**base)
    cfg.check()
    return cfg


def run_toy(run_dir, resume=False, dist=None, dropout=0.1, slow=0.0, **kw):
    ctx = TaskContext(cfg=toy_cfg(**kw), device=torch.device("cpu"), dist=dist or DistInfo(), run_dir=Path(run_dir))
    trainer = Trainer(ToyTask(ctx, dropout=dropout, slow=slow), resume=resume, progress=False,
                      resume_hint=f"resume {run_dir}")
    return trainer, trainer.fit()


def losses(run_dir):
    import csv

    with open(Path(run_dir) / "log.csv") as f:
        return [(int(r["step"]), float(r["loss"])) for r in csv.DictReader(f)]


def test_lr_schedule_warms_up_then_decays():
    lrs = [lr_at(s, 1.0, 4, [6, 8], 0.1) for s in range(10)]
    assert lrs[:4] == [0.25, 0.5, 0.75, 1.0]
    assert lrs[5] == 1.0 and lrs[6] == pytest.approx(0.1) and lrs[8] == pytest.approx(0.01)


def test_sampler_ranks_partition_the_single_process_batches():
    single = list(EpochBatchSampler(50, 8, seed=3))
    ranks = [list(EpochBatchSampler(50, 4, seed=3, rank=r, world=2)) for r in range(2)]
    assert len(single) == 6 and all(len(r) == 6 for r in ranks)
    for k, batch in enumerate(single):
        assert ranks[0][k] + ranks[1][k] == batch
    s = EpochBatchSampler(50, 8, seed=3)
    s.set_epoch(0, skip=4)
    assert list(s) == single[4:]
    s.set_epoch(1)
    assert list(s) != single                                        # a new order each epoch


def test_toy_training_learns_and_writes_loadable_checkpoints(tmp_path):
    _, result = run_toy(tmp_path / "run", max_steps=40, ckpt_every=10, val_every=10, lr=3e-2, milestones=[30])
    curve = losses(tmp_path / "run")
    assert result.status == "done" and result.step == 40
    assert np.mean([l for _, l in curve[-5:]]) < 0.3 * np.mean([l for _, l in curve[:5]])
    ckpt = torch.load(tmp_path / "run" / "checkpoints" / "latest.pt", weights_only=True)
    assert ckpt["train"]["step"] == 40 and ckpt["kind"] == "toy" and ckpt["extra"]["labels"] == ["a", "b"]
    assert set(ckpt["train"]["rng_per_rank"][0]) >= {"torch", "numpy", "python", "generator"}
    assert not torch.equal(inference_weights(ckpt)["0.weight"], ckpt["train"]["model"]["0.weight"])  # EMA copy
    torch.testing.assert_close(inference_weights(ckpt)["0.weight"], ckpt["train"]["ema"]["0.weight"])
    best = load_checkpoint(tmp_path / "run", kind="toy")                  # a run folder resolves to best.pt
    assert best["train"]["best"]["metric"] == "mse" and best["train"]["best"]["step"] in (10, 20, 30, 40)
    assert sorted(p.name for p in (tmp_path / "run" / "checkpoints").glob("step_*.pt")) == ["step_30.pt", "step_40.pt"]
    assert (tmp_path / "run" / "config.yaml").is_file() and (tmp_path / "run" / "val.csv").is_file()


def test_resume_reproduces_the_uninterrupted_run_exactly(tmp_path):
    _, straight = run_toy(tmp_path / "a", max_steps=14)
    run_toy(tmp_path / "b", max_steps=7)
    _, resumed = run_toy(tmp_path / "b", resume=True, max_steps=14)
    assert straight.step == resumed.step == 14
    assert losses(tmp_path / "a") == losses(tmp_path / "b")            # identical, row for row
    a = torch.load(tmp_path / "a" / "checkpoints" / "latest.pt", weights_only=True)
    b = torch.load(tmp_path / "b" / "checkpoints" / "latest.pt", weights_only=True)
    for key in a["train"]["model"]:
        assert torch.equal(a["train"]["model"][key], b["train"]["model"][key])
        assert torch.equal(a["train"]["ema"][key], b["train"]["ema"][key])


def test_resume_without_a_checkpoint_is_a_clear_error(tmp_path):
    from coamd.errors import CoamdError

    with pytest.raises(CoamdError, match="no checkpoint"):
        run_toy(tmp_path / "empty", resume=True)


def test_too_few_samples_for_one_batch_is_a_clear_error(tmp_path):
    from coamd.errors import CoamdError

    with pytest.raises(CoamdError, match="fewer than one global batch"):
        run_toy(tmp_path / "r", batch_size=200)


# ---------------------------------------------------------------------- SIGINT (subprocess)
def _child_main(run_dir: str, resume: bool) -> int:
    """Entry point of the subprocess: a slow toy run that the test interrupts."""
    _, result = run_toy(run_dir, resume=resume, slow=0.05 if not resume else 0.0, max_steps=60, ckpt_every=0,
                        val_every=0)
    return 130 if result.status == "interrupted" else 0


@pytest.mark.slow  # tests/test_train_cli.py covers SIGINT through `coamd train` in the default run
def test_sigint_saves_a_checkpoint_and_resume_continues(tmp_path):
    run = tmp_path / "run"
    code = f"import sys; sys.path.insert(0, {str(HERE)!r}); import test_train_loop as t; " \
           f"sys.exit(t._child_main({str(run)!r}, {{}}))"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-c", code.format(False)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 60
    while not (run / "log.csv").exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode in (0, 130), out
    assert "resume with: resume" in out and "SIGINT received" in out
    step = torch.load(run / "checkpoints" / "latest.pt", weights_only=True)["train"]["step"]
    assert 0 < step < 60
    _, result = run_toy(run, resume=True, max_steps=60, ckpt_every=0, val_every=0)   # resume in-process
    assert result.status == "done"
    assert torch.load(run / "checkpoints" / "latest.pt", weights_only=True)["train"]["step"] == 60
    assert [s for s, _ in losses(run)] == list(range(1, 61))


# ---------------------------------------------------------------------- DDP (2 processes, gloo)
def _ddp_worker(rank: int, world: int, port: int, run_dir: str, out: str) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE=str(world),
                      LOCAL_RANK=str(rank))
    from coamd.train import init_distributed
    from coamd.train.distributed import shutdown

    torch.set_num_threads(1)
    info, _ = init_distributed(torch.device("cpu"))
    trainer, _ = run_toy(run_dir, dist=info, dropout=0.0, batch_size=4, accumulation=2, max_steps=6,
                         grad_clip=0.0, val_every=3, ckpt_every=3)
    torch.save({k: v.clone() for k, v in trainer.model.state_dict().items()}, f"{out}.{rank}.pt")
    shutdown()


def test_ddp_two_processes_match_each_other_and_a_single_process(tmp_path):
    import socket

    import torch.multiprocessing as mp

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    mp.spawn(_ddp_worker, args=(2, port, str(tmp_path / "ddp"), str(tmp_path / "w")), nprocs=2, join=True)
    w0, w1 = (torch.load(tmp_path / f"w.{r}.pt", weights_only=True) for r in range(2))
    for k in w0:
        assert torch.equal(w0[k], w1[k]), k                           # ranks stay in lock-step
    # a single process with the same global batch (4 x 2 ranks) sees the same samples per step
    trainer, _ = run_toy(tmp_path / "single", dropout=0.0, batch_size=8, accumulation=2, max_steps=6,
                         grad_clip=0.0, val_every=3, ckpt_every=3)
    single = trainer.model.state_dict()
    for k in w0:
        torch.testing.assert_close(w0[k], single[k], atol=1e-5, rtol=1e-4)
    ckpt = torch.load(tmp_path / "ddp" / "checkpoints" / "latest.pt", weights_only=True)
    assert ckpt["train"]["world"] == 2 and len(ckpt["train"]["rng_per_rank"]) == 2
