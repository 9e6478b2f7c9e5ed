"""The sampler names (torch-free, so the command line can offer them without importing torch).

:data:`METHODS` are the ODE solvers :func:`coamd.diffusion.integrate` dispatches on; ``distilled``
(:data:`DISTILLED`) names a few-step student flow head sampled with Euler. :data:`SAMPLERS` lists
every name a caller may pick (``--sampler``, ``Sampling.sampler``).
"""

METHODS = ("euler", "heun", "midpoint", "dopri5")
DISTILLED = "distilled"
SAMPLERS = (*METHODS, DISTILLED)
