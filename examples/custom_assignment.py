"""A worked example of an instructor's own assignment: average pooling and a leaky relu.

Grade with::

    cnnref grade examples/custom_assignment.py examples/custom_solution.py

An assignment module defines ``ASSIGNMENT = Assignment(...)``: a name, a seed, and tasks. A task
names the function the student writes and turns a NumPy generator into cases; a case lists the
calls to make in the student's sandbox, what the reference returns, its points, and optionally
finite-difference checks (``gradients``) and known mistakes (``mistakes``) for the diagnosis.
References may be cnnref functions (avgpool2d here) or your own NumPy code (leaky_relu here): they
run in the grader's process, never in the student's.
"""

from __future__ import annotations

import numpy as np

import cnnref
from verify.grade.assignment import Assignment, Call, Case, Directional, Task
from verify.grade.assignments.inputs import away_from_zero, normal, pairing, upstream

SLOPE = 0.01


def leaky_relu(a: np.ndarray) -> np.ndarray:
    """z = a where a > 0, else 0.01·a."""
    return np.where(a > 0, a, SLOPE * a)


def leaky_relu_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for shape in ((int(rng.integers(3, 6)), 7), (1, 4, 5, 3)):
        a = away_from_zero(rng, *shape)  # away from the kink at 0
        cases.append(Case(f"a {shape}", (Call("leaky_relu", (a,)),), leaky_relu(a), 1.0, shape[0]))
    return cases


def avgpool_backward_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for n, size in ((int(rng.integers(2, 4)), 2), (1, 3)):
        x = normal(rng, n, 6, 9, 2)
        dout = upstream(rng, cnnref.avgpool2d(x, size).shape)
        expected = cnnref.avgpool2d_backward(dout, x, size)
        gradient = Directional(pairing(dout, lambda v, size=size: cnnref.avgpool2d(v, size)), x)
        cases.append(
            Case(
                f"x {x.shape}, size {size}",
                (Call("avgpool2d_backward", (dout, x, size)),),
                expected,
                points=2.0,
                batch=n,
                outputs=("dx",),
                gradients={"dx": gradient},
                mistakes={"pooling gradient not divided by the window size": expected * size**2},
            )
        )
    return cases


ASSIGNMENT = Assignment(
    name="custom-pooling",
    description="average pooling backward and a leaky relu",
    seed=7,
    tasks=(
        Task("leaky_relu", "leaky_relu(a) -> z", "forward", leaky_relu_cases),
        Task(
            "avgpool2d_backward",
            "avgpool2d_backward(dout, x, size) -> dx",
            "backward",
            avgpool_backward_cases,
        ),
    ),
)
