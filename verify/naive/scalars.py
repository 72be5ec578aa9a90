"""e^a, log a and tanh a of one Python number, real or complex (the naive loops' scalar math)."""

from __future__ import annotations

import cmath
import math


def exp(a):
    """e^a."""
    return cmath.exp(a) if isinstance(a, complex) else math.exp(a)


def log(a):
    """The natural logarithm of a (a > 0, or complex)."""
    return cmath.log(a) if isinstance(a, complex) else math.log(a)


def tanh(a):
    """tanh a."""
    return cmath.tanh(a) if isinstance(a, complex) else math.tanh(a)
