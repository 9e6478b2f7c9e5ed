"""coamd: recognise, generate, retrieve and edit human motion on 3D skeletons.

A re-implementation (and extension) of CoAMD, arXiv 2604.17090. No import-time side effects:
heavy modules (torch models, text encoders) load on first use.
"""

__version__ = "0.1.0"
