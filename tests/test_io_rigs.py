"""Rig joint names -> SMPL-22: known rig families, interpolated joints, mapping files, unknown rigs."""

import json

import numpy as np
import pytest

from coamd.errors import RigMappingError
from coamd.io import load_motion
from coamd.io.rig_names import split_name
from coamd.skeleton import SMPL22
from fixtures_io import END_SITES, HUMAN, rest_frames, write_bvh

J = SMPL22.index


@pytest.mark.parametrize("name, side, part", [
    ("mixamorig:LeftUpLeg", "L", "upleg"),
    ("mixamorig_RightForeArm", "R", "forearm"),
    ("Bip01 L Thigh", "L", "thigh"),
    ("UpperArm_L", "L", "upperarm"),
    ("Toes_R", "R", "toes"),
    ("lfemur", "L", "femur"),
    ("rclavicle", "R", "clavicle"),
    ("LHipJoint", "L", "hipjoint"),
    ("L_Shoulder", "L", "shoulder"),
    ("lowerback", None, "lowerback"),
    ("joint_Root", None, "root"),
    ("Spine1", None, "spine1"),
    ("HandR", "R", "hand"),
])
def test_names_split_into_side_and_body_part(name, side, part):
    assert split_name(name) == (side, part)


def _renamed(mapping: dict[str, str]):
    return [(mapping.get(n, n), mapping.get(p, p) if p else None, o, r) for n, p, o, r in HUMAN]


SMPL_STYLE = {  # SMPL's own names: 'Foot' is the toe base, 'Shoulder' the upper arm, 'Collar' the clavicle
    "Hips": "Pelvis", "Spine": "Spine1", "Spine1": "Spine2", "Spine2": "Spine3", "LeftShoulder": "L_Collar",
    "LeftArm": "L_Shoulder", "LeftForeArm": "L_Elbow", "LeftHand": "L_Wrist", "RightShoulder": "R_Collar",
    "RightArm": "R_Shoulder", "RightForeArm": "R_Elbow", "RightHand": "R_Wrist", "LeftUpLeg": "L_Hip",
    "LeftLeg": "L_Knee", "LeftFoot": "L_Ankle", "LeftToeBase": "L_Foot", "RightUpLeg": "R_Hip",
    "RightLeg": "R_Knee", "RightFoot": "R_Ankle", "RightToeBase": "R_Foot",
}


@pytest.mark.parametrize("style", ["lafan", "mixamo", "smpl"])
def test_rig_families_map_the_same_body_the_same_way(tmp_path, style):
    ref = load_motion(write_bvh(tmp_path / "ref.bvh", rest_frames(2)))
    if style == "mixamo":
        rename = {n: f"mixamorig:{n}" for n, *_ in HUMAN}
    elif style == "lafan":
        rename = {"LeftToeBase": "LeftToe", "RightToeBase": "RightToe"}
    else:
        rename = SMPL_STYLE
    skeleton = _renamed(rename)
    ends = {rename.get(k, k): v for k, v in END_SITES.items()}
    m = load_motion(write_bvh(tmp_path / f"{style}.bvh", rest_frames(2), skeleton=skeleton, end_sites=ends))
    np.testing.assert_allclose(m.joints, ref.joints, atol=1e-6)
    assert m.meta["mapping"]["L_shoulder"] == rename.get("LeftArm", "LeftArm")
    assert m.meta["mapping"]["L_foot"] == rename.get("LeftToeBase", "LeftToeBase")
    assert m.meta["mapping"]["spine3"] == rename.get("Spine2", "Spine2")  # where the arms branch off


def test_missing_joints_are_interpolated_on_the_rig_bones(tmp_path):
    # No clavicles, one spine joint, no toes: collars, spine1/2 and toe bases must be filled in.
    drop = {"LeftShoulder", "RightShoulder", "Spine1", "Spine2", "LeftToeBase", "RightToeBase"}
    reparent = {"Neck": "Spine", "LeftArm": "Spine", "RightArm": "Spine"}
    skeleton = []
    for n, p, o, r in HUMAN:
        if n in drop:
            continue
        if n == "Neck":
            o = (0, 44, 0)
        if n in ("LeftArm", "RightArm"):
            o = (15 if n == "LeftArm" else -15, 40, 0)
        skeleton.append((n, reparent.get(n, p), o, r))
    frames = rest_frames(3, skeleton)
    m = load_motion(write_bvh(tmp_path / "sparse.bvh", frames, skeleton=skeleton, end_sites={}), canonical=False)
    x = m.joints[0] * 100  # cm
    assert m.meta["mapping"]["spine3"] == "Spine" and m.meta["mapping"]["spine1"].startswith("interpolated")
    assert m.meta["mapping"]["L_collar"].startswith("interpolated") and m.meta["mapping"]["L_foot"] == "estimated"
    np.testing.assert_allclose(x[J("L_collar")], 0.5 * (x[J("spine3")] + x[J("L_shoulder")]), atol=1e-3)
    assert x[J("pelvis"), 1] < x[J("spine1"), 1] < x[J("spine2"), 1] < x[J("spine3"), 1]
    # the toe base is in front of (+Z) and below the ankle
    assert x[J("L_foot"), 2] > x[J("L_ankle"), 2] + 5 and x[J("L_foot"), 1] < x[J("L_ankle"), 1]
    assert np.isfinite(m.joints).all()


def test_unknown_rig_names_the_joints_it_cannot_map(tmp_path):
    generic = {n: f"bone{k:02d}" for k, (n, *_) in enumerate(HUMAN)}
    path = write_bvh(tmp_path / "generic.bvh", rest_frames(2), skeleton=_renamed(generic), end_sites={})
    with pytest.raises(RigMappingError) as e:
        load_motion(path)
    msg = str(e.value)
    assert "\n" not in msg and "generic.bvh" in msg
    for joint in ("pelvis", "L_hip", "L_knee", "neck", "head", "R_wrist"):
        assert joint in msg
    # An explicit mapping file makes it load, equal to the named rig.
    mapping = {"pelvis": "bone00", "spine3": "bone03", "neck": "bone04", "head": "bone05", "L_collar": "bone06",
               "L_shoulder": "bone07", "L_elbow": "bone08", "L_wrist": "bone09", "R_collar": "bone10",
               "R_shoulder": "bone11", "R_elbow": "bone12", "R_wrist": "bone13", "L_hip": "bone14",
               "L_knee": "bone15", "L_ankle": "bone16", "L_foot": "bone17", "R_hip": "bone18", "R_knee": "bone19",
               "R_ankle": "bone20", "R_foot": "bone21", "spine1": "bone01", "spine2": "bone02"}
    (tmp_path / "map.json").write_text(json.dumps(mapping))
    m = load_motion(path, mapping=tmp_path / "map.json")
    ref = load_motion(write_bvh(tmp_path / "named.bvh", rest_frames(2), end_sites={}))
    np.testing.assert_allclose(m.joints, ref.joints, atol=1e-6)


def test_mapping_files_with_bad_names_fail_clearly(tmp_path):
    path = write_bvh(tmp_path / "h.bvh", rest_frames(2))
    (tmp_path / "bad_rig.yaml").write_text("L_wrist: LeftPalm\n")
    with pytest.raises(RigMappingError, match="LeftPalm"):
        load_motion(path, mapping=tmp_path / "bad_rig.yaml")
    (tmp_path / "bad_smpl.yaml").write_text("left_pinky: LeftHand\n")
    with pytest.raises(RigMappingError, match="left_pinky"):
        load_motion(path, mapping=tmp_path / "bad_smpl.yaml")
    with pytest.raises(RigMappingError, match="not found"):
        load_motion(path, mapping=tmp_path / "nope.yaml")
    # a partial mapping overrides just the joints it names
    (tmp_path / "swap.yaml").write_text("L_wrist: LeftForeArm\nL_elbow: LeftArm\nL_shoulder: LeftShoulder\n"
                                        "L_collar: null\n")
    m = load_motion(path, mapping=tmp_path / "swap.yaml")
    assert m.meta["mapping"]["L_wrist"] == "LeftForeArm" and m.meta["mapping"]["R_wrist"] == "RightHand"
