"""User-facing errors: the CLI prints these as one line (no traceback unless --debug)."""

from __future__ import annotations


class CoamdError(Exception):
    """A problem with the user's input or environment, phrased for the user.

    The message names the file or argument and the problem, on one line.
    """


class MotionFormatError(CoamdError):
    """A motion file is missing, unreadable, truncated or has the wrong shape/values."""


class RigMappingError(CoamdError):
    """A BVH/ASF rig whose joints cannot be mapped onto SMPL-22."""
