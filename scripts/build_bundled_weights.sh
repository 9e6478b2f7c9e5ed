#!/usr/bin/env bash
# Reproduce the bundled cpu-small weights (src/coamd/weights/cpu-small/) from scratch on CPU.
# Usage: scripts/build_bundled_weights.sh [WORK_DIR]   (default: ./bundle_work)
# Each step is resumable: re-running after an interruption continues the unfinished run.
set -euo pipefail
work=${1:-bundle_work}
corpus=$work/corpus
runs=$work/runs
mkdir -p "$runs"

[ -f "$corpus/corpus.json" ] || coamd data synth --out "$corpus" --clips 5000 --seed 0
coamd data prepare synth --root "$corpus"

train() {  # train KIND OVERRIDES...: start the run, or resume it when a checkpoint is there
  local kind=$1; shift
  if [ -f "$runs/$kind/checkpoints/latest.pt" ]; then
    coamd train "$kind" --out "$runs/$kind" --resume "$@"
  else
    coamd train "$kind" --config cpu-small --data "$corpus" --out "$runs/$kind" "$@"
  fi
}

train ae model.ae.dropout=0.0 max_steps=16000 "milestones=[11000,14500]" val_every=1000 ckpt_every=1000
# MAR: the bundled run went to 2,500 steps, then was resumed to 6,500 with a x0.1 step at 5,600
# (resuming continues exactly; a single run to 6,500 follows the same schedule)
train mar max_steps=6500 "milestones=[5600]" val_every=500 ckpt_every=250
train length max_steps=2000
train evaluator
train generator max_steps=2500 "milestones=[2000]" val_every=500 ckpt_every=500

python - "$runs" <<'PY'
import sys
from coamd.evaluation import Evaluators
from coamd.tasks.bundling import make_bundle
runs = sys.argv[1]
Evaluators.load(f"{runs}/evaluator").save("src/coamd/weights/evaluator", fp16=True)
make_bundle([f"{runs}/ae", f"{runs}/mar", f"{runs}/generator", f"{runs}/length"], "src/coamd/weights/cpu-small",
            fp16=True, name="cpu-small", overwrite=True,
            defaults={"sampler": "euler", "ode_steps": 16}, model_cards=["docs/model_cards/cpu-small.md"])
PY
