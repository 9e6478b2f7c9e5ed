"""coamd.viz: GIF/MP4/HTML/PNG previews of motions (small sizes and few frames to stay fast)."""

import re

import numpy as np
import pytest

from coamd.errors import CoamdError, MotionFormatError
from coamd.skeleton import SMPL22, canonicalize, forward_kinematics
from coamd.skeleton.rotations import euler_to_matrix
from coamd.viz import Camera, frame_motion, read_html_motions, render, render_frames, save_png_strip
from coamd.viz import video as viz_video

BONE_LENGTHS = np.array([0, .1, .1, .12, .4, .4, .13, .4, .4, .05, .13, .13, .2, .17, .17, .12, .1, .1, .27, .27,
                         .25, .25])


def walk(T: int = 20, fps: float = 20.0, speed: float = 1.2, turn: float = 0.0) -> np.ndarray:
    """A canonical stick figure walking forward (FK of swinging hips, knees and arms): (T, 22, 3)."""
    t = np.arange(T) / fps
    phase = 2 * np.pi * t
    euler = np.zeros((T, 22, 3))  # (yaw, pitch, roll) per joint, order 'YXZ'
    euler[:, 1, 1], euler[:, 2, 1] = -0.45 * np.sin(phase), 0.45 * np.sin(phase)
    euler[:, 4, 1] = 0.5 * np.clip(np.sin(phase + 1.2), 0, None)
    euler[:, 5, 1] = 0.5 * np.clip(-np.sin(phase + 1.2), 0, None)
    euler[:, 16, 1], euler[:, 17, 1] = 0.4 * np.sin(phase), -0.4 * np.sin(phase)
    heading = turn * t
    euler[:, 0, 0] = heading
    root = np.stack([np.cumsum(np.sin(heading)) * speed / fps, 0.95 + 0.02 * np.cos(2 * phase),
                     np.cumsum(np.cos(heading)) * speed / fps], -1)
    pos, _ = forward_kinematics(SMPL22, euler_to_matrix(euler, "YXZ"), SMPL22.rest_offsets(BONE_LENGTHS), root)
    return canonicalize(pos)


def _gif_frames(path):
    from PIL import Image, ImageSequence

    with Image.open(path) as im:
        return [np.asarray(f.convert("RGB")) for f in ImageSequence.Iterator(im)]


# ------------------------------------------------------------------ camera
def test_follow_camera_keeps_a_long_walk_in_frame():
    m = walk(160, speed=1.5)  # 12 m forward: a fixed view would shrink the figure to a dot
    framing = frame_motion(m, SMPL22, "auto")
    assert framing.mode == "follow"
    xy, _ = Camera().project(m.astype(np.float64), framing.targets, framing.radius)  # (T, J, 2)
    assert np.abs(xy).max() <= 1.0
    # The figure stays big: head-to-foot spans a good part of the view in every frame.
    assert np.ptp(xy[..., 1], axis=1).min() > 0.6


def test_fit_camera_holds_an_in_place_motion_in_one_view():
    m = walk(40, speed=0.0)
    framing = frame_motion(m, SMPL22, "auto")
    assert framing.mode == "fit" and np.ptp(framing.targets, axis=0).max() == 0.0
    xy, _ = Camera().project(m.astype(np.float64), framing.targets, framing.radius)
    assert np.abs(xy).max() <= 1.0


def test_real_motion_stays_in_frame(realdata):
    m = np.load(realdata / "humanml3d_sample" / "new_joints" / "012314.npy")
    for mode in ("auto", "fit", "follow"):
        framing = frame_motion(m, SMPL22, mode)
        xy, _ = Camera().project(m.astype(np.float64), framing.targets, framing.radius)
        assert np.abs(xy).max() <= 1.0, mode


def test_unknown_camera_mode_is_a_user_error():
    with pytest.raises(CoamdError, match="camera"):
        frame_motion(walk(5), SMPL22, "orbit")


# ------------------------------------------------------------------ frames
def test_left_side_is_blue_and_on_screen_right_when_facing_the_camera():
    frame = render_frames(walk(1, speed=0.0), size=(160, 160), view=Camera(azimuth_deg=0.0, elevation_deg=10.0))[0]
    px = frame.astype(int)
    blue = (px[..., 2] > 150) & (px[..., 0] < 100)
    red = (px[..., 0] > 150) & (px[..., 2] < 100)
    assert blue.sum() > 30 and red.sum() > 30
    cols = np.arange(frame.shape[1])
    assert (cols * blue).sum() / blue.sum() > (cols * red).sum() / red.sum()


def test_side_by_side_panels_share_the_longest_length_and_hold_last_pose():
    long, short = walk(10), walk(6, speed=0.6)
    frames = render_frames([long, short], titles=["long", "short"], size=(96, 96))
    assert frames.shape == (10, 96, 192, 3) and frames.dtype == np.uint8
    left, right = frames[..., :96, :], frames[..., 96:, :]
    assert np.array_equal(right[5], right[9])  # the short one holds its last pose (and clock)
    assert not np.array_equal(left[5], left[9])  # the long one keeps moving


def test_many_panels_wrap_into_rows():
    frames = render_frames([walk(3)] * 6, size=(64, 64))
    assert frames.shape == (3, 128, 256, 3)  # 4 per row


def test_bad_motions_raise_user_errors():
    with pytest.raises(MotionFormatError, match=r"motion 2.*\(T, 22, 3\)"):
        render_frames([walk(3), np.zeros((3, 21, 3))])
    bad = walk(3)
    bad[1, 4, 0] = np.nan
    with pytest.raises(MotionFormatError, match="NaN"):
        render_frames(bad)
    with pytest.raises(CoamdError, match="titles"):
        render_frames([walk(3)], titles=["a", "b"])


# ------------------------------------------------------------------ files
def test_gif_has_every_frame_at_the_right_size(tmp_path):
    out = render(walk(12), tmp_path / "walk.gif", size=(96, 80))
    frames = _gif_frames(out)
    assert len(frames) == 12 and frames[0].shape == (80, 96, 3)


def test_gif_keeps_frames_of_a_motionless_clip(tmp_path):
    still = np.repeat(walk(1, speed=0.0), 8, axis=0)  # identical poses: GIF encoders like to merge these
    assert len(_gif_frames(render(still, tmp_path / "still.gif", size=(64, 64)))) == 8


def test_out_fps_resamples_to_keep_real_time(tmp_path):
    out = render(walk(21), tmp_path / "slow.gif", fps=20.0, out_fps=10.0, size=(64, 64))  # 1 s of motion
    assert len(_gif_frames(out)) == 11


def test_mp4_reads_back_with_the_right_frame_count(tmp_path):
    import imageio.v3 as iio

    out = render([walk(9), walk(5)], tmp_path / "pair.mp4", size=(63, 64))  # odd width is evened
    video = iio.imread(out, index=None)
    assert video.shape == (9, 64, 128, 3)


def test_png_strip_shows_key_frames_row_per_motion(tmp_path):
    from PIL import Image

    out = save_png_strip([walk(20), walk(12)], tmp_path / "keys.png", num_keyframes=4, titles=["a", "b"],
                         size=(64, 96))
    with Image.open(out) as im:
        w, h = im.size
    assert w == 4 * 64 and h > 2 * 96
    assert render(walk(20), tmp_path / "via_render.png").exists()


def test_html_is_self_contained_and_embeds_the_motions(tmp_path):
    a, b = walk(15), walk(7, turn=0.5)
    titles = ["a person walks", "turns </script><b>left</b> & \"quotes\""]
    out = render([a, b], tmp_path / "view.html", titles=titles)
    text = out.read_text(encoding="utf-8")
    assert "http" not in text.lower()  # no CDN, no fetches: works opened from disk
    assert not re.search(r"<(script|link|img|iframe)[^>]*\s(src|href)=", text, re.IGNORECASE)
    assert text.count("</script>") == 2  # the caption cannot close the data block
    for tag in ("<canvas", 'id="play"', 'id="scrub"', 'id="speed"', "wheel", "pointermove"):
        assert tag in text or tag.strip("<") in text
    motions, got_titles = read_html_motions(out)
    assert got_titles == titles
    assert [m.shape for m in motions] == [a.shape, b.shape]
    assert max(np.abs(m - x).max() for m, x in zip(motions, (a, b))) <= 0.0005 + 1e-6  # rounded to mm


def test_loaded_motion_titles_default_to_caption_then_file_name(tmp_path):
    from coamd.io import LoadedMotion

    a = LoadedMotion(walk(4), meta={"caption": "a person strolls", "path": "/data/x/clip_007.bvh"})
    b = LoadedMotion(walk(4), meta={"path": "/data/x/clip_008.bvh"})
    out = render([a, b], tmp_path / "v.html")
    assert read_html_motions(out)[1] == ["a person strolls", "clip_008"]


def test_unknown_format_and_folder_output_are_rejected(tmp_path):
    with pytest.raises(CoamdError, match=r"\.avi"):
        render(walk(3), tmp_path / "x.avi")
    with pytest.raises(CoamdError, match="folder"):
        render(walk(3), tmp_path)


def test_failed_render_leaves_nothing_behind(tmp_path, monkeypatch):
    from coamd.viz import plot

    calls = {"n": 0}
    original = plot.FigureRenderer.draw

    def interrupted(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 6:
            raise KeyboardInterrupt
        return original(self, *args, **kwargs)

    monkeypatch.setattr(plot.FigureRenderer, "draw", interrupted)
    for ext in ("gif", "mp4"):
        calls["n"] = 0
        with pytest.raises(KeyboardInterrupt):
            render(walk(10), tmp_path / f"cut.{ext}", size=(64, 64))
    assert list(tmp_path.iterdir()) == []


def test_progress_bar_only_for_long_renders(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(viz_video, "PROGRESS_MIN_FRAMES", 6)
    render(walk(4), tmp_path / "short.gif", size=(48, 48))
    assert "frame" not in capsys.readouterr().err
    render(walk(6), tmp_path / "long.gif", size=(48, 48))
    err = capsys.readouterr().err
    assert "render long.gif" in err and "/6" in err


@pytest.mark.slow
def test_render_speed_one_motion_480px():
    import time

    m = walk(90)
    render_frames(m, size=(480, 480), frames=[0])  # warm up fonts and caches
    start = time.perf_counter()
    frames = render_frames(m, size=(480, 480))
    rate = len(frames) / (time.perf_counter() - start)
    assert rate >= 30.0, f"{rate:.1f} frames/s"
