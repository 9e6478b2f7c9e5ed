"""Layer 1: motion previews (Foundation issue §6).

``render`` writes a GIF, MP4, self-contained HTML viewer or PNG key-frame strip (by extension);
``render_frames`` returns the frames as an array; ``save_png_strip`` writes key frames. Stick
figures are drawn with matplotlib's Agg canvas (imported lazily) and a small perspective camera.
"""

from .camera import CAMERA_MODES, Camera, Framing, frame_motion
from .html import read_html_motions, write_html
from .preview import FORMATS, as_motion_list, render, render_frames, save_png_strip

__all__ = [
    "CAMERA_MODES",
    "FORMATS",
    "Camera",
    "Framing",
    "as_motion_list",
    "frame_motion",
    "read_html_motions",
    "render",
    "render_frames",
    "save_png_strip",
    "write_html",
]
