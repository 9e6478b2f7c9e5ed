"""Motion file I/O: every importer returns canonical SMPL-22 motion at 20 fps (`LoadedMotion`).

`load_motion(path)` reads ``.npy``/``.npz`` joints, BVH, ASF/AMC and NTU ``.skeleton`` files;
`load_motions` also returns every motion of a batch file.
"""

from .load import SUPPORTED_EXTENSIONS, load_motion, load_motions
from .motion import LoadedMotion
from .retarget import UNITS

__all__ = ["SUPPORTED_EXTENSIONS", "UNITS", "LoadedMotion", "load_motion", "load_motions"]
from .bvh_write import save_bvh as save_bvh  # the BVH exporter (coamd export)
