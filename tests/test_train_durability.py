"""Hard kills and concurrent runs: logs survive SIGKILL, a run folder has one owner at a time."""

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from coamd.atomic import FolderBusyError, lock_file
from test_train_loop import HERE, run_toy

STEPS = 40
SLOW = {"max_steps": STEPS, "ckpt_every": 4, "val_every": 5}


def _child(run: Path, slow: float) -> subprocess.Popen:
    code = (f"import sys; sys.path.insert(0, {str(HERE)!r}); import test_train_loop as t; "
            f"t.run_toy({str(run)!r}, slow={slow}, max_steps={STEPS}, ckpt_every=4, val_every=5)")
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def _ckpt_step(run: Path) -> int:
    try:
        return torch.load(run / "checkpoints" / "latest.pt", weights_only=True)["train"]["step"]
    except Exception:  # noqa: BLE001 - not written yet
        return 0


def _rows(path: Path, keys=("step", "loss", "lr", "epoch")) -> list[tuple]:
    with open(path) as f:
        return [tuple(r.get(k) for k in keys) for r in csv.DictReader(f)]


def _wait(cond, seconds: float = 60.0) -> None:
    deadline = time.time() + seconds
    while not cond() and time.time() < deadline:
        time.sleep(0.05)
    assert cond(), "timed out"


def test_sigkill_then_resume_logs_exactly_the_uninterrupted_run(tmp_path):
    run_toy(tmp_path / "straight", **SLOW)
    run = tmp_path / "killed"
    proc = _child(run, slow=0.05)
    _wait(lambda: _ckpt_step(run) >= 12)
    time.sleep(0.1)  # and a few steps past that checkpoint, whose rows die with the process
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    killed_at = _ckpt_step(run)
    assert 12 <= killed_at < STEPS
    rows = _rows(run / "log.csv")
    assert [int(r[0]) for r in rows][:killed_at] == list(range(1, killed_at + 1))  # durable up to the checkpoint
    _, result = run_toy(run, resume=True, **SLOW)
    assert result.status == "done" and result.step == STEPS
    assert _rows(run / "log.csv") == _rows(tmp_path / "straight" / "log.csv")
    assert _rows(run / "val.csv", ("step", "loss")) == _rows(tmp_path / "straight" / "val.csv", ("step", "loss"))
    assert not list((run / "checkpoints").glob(".*.tmp.*"))                     # no temp file left behind


def test_a_second_run_on_the_same_folder_is_refused_and_a_dead_holder_is_taken_over(tmp_path, capfd):
    run = tmp_path / "run"
    proc = _child(run, slow=0.2)
    try:
        _wait(lambda: _ckpt_step(run) >= 4)
        with pytest.raises(FolderBusyError, match=rf"in use by pid {proc.pid} on "):
            run_toy(run, resume=True, **SLOW)
        assert lock_file(run).exists()
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
    (run / "checkpoints").mkdir(exist_ok=True)
    (run / "checkpoints" / ".latest.pt.tmp.abc123.pt").write_bytes(b"half a checkpoint")
    _, result = run_toy(run, resume=True, **SLOW)                               # the kernel freed the lock
    assert result.status == "done"
    assert f"taking over the lock left by pid {proc.pid}" in capfd.readouterr().err
    assert not (run / "checkpoints" / ".latest.pt.tmp.abc123.pt").exists()
    assert not lock_file(run).exists()                                          # released cleanly
