"""Motion file I/O: every importer returns canonical SMPL-22 motion at 20 fps (`LoadedMotion`)."""

from .motion import LoadedMotion

__all__ = ["LoadedMotion"]
from .bvh_write import save_bvh as save_bvh  # the BVH exporter (coamd export)
