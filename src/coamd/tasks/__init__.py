"""The user-facing tasks on one loaded bundle: generate, edit, recognise, retrieve (paper-brief §3.6-§3.8, §5).

``load_bundle`` reads a model bundle or training runs (:mod:`.bundle` documents the format and the
rules); :class:`CoAMD` (``coamd.load()``) is the Python API over the task functions.
"""

from .api import CoAMD, load
from .bundle import Bundle, BundleError, find_checkpoints, load_bundle
from .bundling import make_bundle, make_random_bundle, write_bundle
from .edit import EditResult, edit
from .generate import GenerationResult, Sampling, generate, sampling_settings
from .long_motion import generate_sequence
from .recognize import Recognition, recognize
from .retrieve import Gallery, build_gallery, load_gallery

__all__ = [
    "Bundle", "BundleError", "CoAMD", "EditResult", "Gallery", "GenerationResult", "Recognition", "Sampling",
    "build_gallery", "edit", "find_checkpoints", "generate", "generate_sequence", "load", "load_bundle",
    "load_gallery", "make_bundle", "make_random_bundle", "recognize", "sampling_settings", "write_bundle",
]
