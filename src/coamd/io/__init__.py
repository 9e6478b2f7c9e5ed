"""Motion file I/O: every importer returns canonical SMPL-22 motion at 20 fps (`LoadedMotion`)."""

from .motion import LoadedMotion

__all__ = ["LoadedMotion"]
