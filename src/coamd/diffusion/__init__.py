"""Model-agnostic flow matching and ODE samplers (paper-brief §3.5); imports nothing from coamd."""

from .flow import exact_point_velocity, flow_matching_loss, interpolate, sample_time
from .ode import DISTILLED, METHODS, SAMPLERS, Velocity, dopri5, euler, heun, integrate, midpoint

__all__ = [
    "DISTILLED", "METHODS", "SAMPLERS", "Velocity", "dopri5", "euler", "exact_point_velocity", "flow_matching_loss",
    "heun", "integrate", "interpolate", "midpoint", "sample_time",
]
