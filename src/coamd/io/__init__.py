"""Motion file I/O: every importer returns canonical SMPL-22 motion at 20 fps (`LoadedMotion`).

`load_motion(path)` reads ``.npy``/``.npz`` joints, BVH, ASF/AMC and NTU ``.skeleton`` files;
`load_motions` also returns every motion of a batch file.
"""

from .load import SUPPORTED_EXTENSIONS, load_motion, load_motions
from .motion import LoadedMotion
from .retarget import UNITS
from .samples import SAMPLES_FILE, Samples, is_samples, read_samples, write_samples

__all__ = ["SAMPLES_FILE", "SUPPORTED_EXTENSIONS", "UNITS", "LoadedMotion", "Samples", "is_samples", "load_motion",
           "load_motions", "read_samples", "write_samples"]
from .bvh_write import save_bvh as save_bvh  # the BVH exporter (coamd export)
