"""Bandai-Namco and HDM05 label parsing and splits, on the real folders in ../shared/realdata."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from coamd.data.realsets import (
    BANDAI_LABELS,
    HDM05_LABELS,
    bandai_label,
    hdm05_label,
    parse_bandai_name,
    parse_hdm05_name,
    scan_bandai,
    scan_hdm05,
)

pytestmark = pytest.mark.realdata


def manifest(folder: Path) -> list[dict[str, str]]:
    with open(folder / "manifest.csv", newline="") as f:
        return list(csv.DictReader(f))


def test_name_parsers():
    assert parse_bandai_name("dataset-1_not-confident_x") is None
    assert parse_bandai_name("dataset-1_walk-back_not-confident_003") == {
        "part": "dataset-1", "content": "walk-back", "style": "not-confident", "take": "003"}
    assert parse_hdm05_name("HDM_bk_sneak2StepsLStart_006_120") == {
        "actor": "bk", "cut": "sneak2StepsLStart", "take": "006", "rate": "120"}
    assert bandai_label("walk-left") == bandai_label("walk-right") == "walk"
    assert bandai_label("wave-both-hands") == "wave both hands"
    assert hdm05_label("kickLFront1Reps") == "kick with the left leg to the front"
    assert hdm05_label("punchRFront2Reps") == "punch right front"  # unknown cut: readable fallback


def test_bandai_labels_from_file_names(realdata: Path):
    root = realdata / "bandai_namco"
    records, names, report = scan_bandai(root)
    rows = {Path(r["file"]).stem: r for r in manifest(root)}
    assert report.total == 0 and len(records) == len(rows) == 384
    assert names == list(BANDAI_LABELS)
    for rec in records:
        row = rows[rec.clip_id]
        assert (rec.meta["content"], rec.meta["style"], rec.meta["part"]) == (row["content"], row["style"],
                                                                            row["dataset"])
        assert names[rec.label] == bandai_label(row["content"])
    walks = {rec.meta["content"] for rec in records if names[rec.label] == "walk"}
    assert walks == {"walk", "walk-left", "walk-right"}
    test = [r for r in records if r.parts["styles"] == "test"]
    assert {r.meta["style"] for r in test} == {"feminine", "childish", "elderly"}
    assert 0 < len(test) < len(records) / 3
    held = [r for r in scan_bandai(root, test_styles=("angry",))[0] if r.parts["styles"] == "test"]
    assert held and all(r.meta["style"] == "angry" for r in held)


def test_hdm05_labels_and_actor_split(realdata: Path):
    root = realdata / "hdm05"
    records, names, report, asf = scan_hdm05(root)
    rows = {Path(r["file"]).stem: r for r in manifest(root)}
    assert report.total == 0 and len(records) == len(rows) == 288
    assert names == list(HDM05_LABELS.values()) and len(names) == 11
    assert sorted({p.stem for p in asf}) == ["HDM_bd", "HDM_bk", "HDM_dg", "HDM_mm", "HDM_tr"]
    for rec in records:
        row = rows[rec.clip_id]
        assert rec.meta["actor"] == row["actor"] and rec.meta["cut"] == row["label"]
        assert rec.parts["actors"] == row["split"]  # the folders' cross-subject split is the actor split
        assert rec.label == int(row["class_id"]) - 1  # label order follows the class folders
    train = sum(r.parts["actors"] == "train" for r in records)
    assert (train, len(records) - train) == (189, 99)
    assert np.isin([r.meta["actor"] for r in records if r.parts["actors"] == "test"], ["mm", "tr"]).all()


def test_real_clips_convert_to_canonical_smpl22(realdata: Path, tmp_path: Path):
    from coamd.data import get_spec
    from coamd.data.labelled import load_labelled
    from coamd.skeleton import facing_angles

    for name, scan in (("hdm05", scan_hdm05), ("bandai", scan_bandai)):
        root = realdata / ("hdm05" if name == "hdm05" else "bandai_namco")
        records, names, report = scan(root)[:3]
        subset = [records[0], records[-1]]  # hdm05: a train and a test actor
        clips = load_labelled(get_spec(name), root, subset, names, report, cache=tmp_path / name)
        assert clips.ids == [r.clip_id for r in subset] and clips.labels.tolist() == [r.label for r in subset]
        for i in range(len(clips)):
            x = clips.motion(i)
            assert x.shape[1:] == (22, 3) and x.dtype == np.float32 and len(x) > 10
            assert abs(float(x[..., 1].min())) < 1e-4  # floor at y = 0
            assert np.allclose(x[0, 0, [0, 2]], 0, atol=1e-4)  # first-frame pelvis at the origin
            assert abs(facing_angles(x[:1])[0]) < 1e-3  # facing +Z
            assert 1.2 < float(x[0, 15, 1]) < 2.1  # head height of a standing adult, in metres


def test_humanml3d_reference_sample_loads_in_metres(realdata: Path):
    from coamd.data import get_spec
    from coamd.data.humanml3d import load_motion_file

    x = load_motion_file(realdata / "humanml3d_sample" / "new_joints" / "012314.npy", get_spec("humanml3d"))
    assert x.shape == (170, 22, 3)
    assert 1.3 < float(x[0, 15, 1]) < 2.0 and abs(float(x[..., 1].min())) < 0.05


@pytest.mark.slow
def test_prepare_every_real_clip(realdata: Path, tmp_path: Path, capsys):
    from coamd.cli import main
    from coamd.data import load_bandai, load_hdm05

    for dataset, folder, clips in (("hdm05", "hdm05", 288), ("bandai", "bandai_namco", 384)):
        out = tmp_path / dataset
        assert main(["data", "prepare", dataset, "--root", str(realdata / folder), "--out", str(out),
                     "--workers", "2"]) == 0
        assert f"{clips} clips" in capsys.readouterr().out
        loaded = (load_hdm05 if dataset == "hdm05" else load_bandai)(realdata / folder, cache=out)
        assert len(loaded) == clips and loaded.report.total == 0 and loaded.store.joints.__class__ is np.memmap
