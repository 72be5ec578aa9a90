"""Mistakes named from the pattern of failing structural cases.

Every student gets the same structural cases; each case records which structural properties it has
(:data:`PROPERTIES`: pad 0, stride > 1, overlapping windows, H ≠ W, …). When an output is wrong in
exactly the cases that have one property and right in all the others, the property names the
mistake: wrong only at pad 0 is ``x[pad:-pad]``, wrong only where windows overlap is ``=`` instead
of ``+=``, wrong only when H ≠ W is a height/width swap. An assignment that wants these diagnoses
chooses its cases so that no two properties hold in the same set of cases (a test checks it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from . import mistakes as m

PAD_ZERO = "pad 0"
STRIDE = "stride > 1"
OVERLAP = "windows overlap"
HW_DIFFER = "H ≠ W"
OUT_DIFFER = "out_h ≠ out_w"
WINDOW_NON_SQUARE = "non-square window"
BATCH_ONE = "N = 1"
CHANNEL_ONE = "C = 1"
MANY_AXES = "x has more than two axes"

PROPERTIES = (
    PAD_ZERO,
    STRIDE,
    OVERLAP,
    HW_DIFFER,
    OUT_DIFFER,
    WINDOW_NON_SQUARE,
    BATCH_ONE,
    CHANNEL_ONE,
    MANY_AXES,
)

# (label, the properties any one of which a failing case has): the first rule whose cases are
# exactly the failing ones names the mistake.
RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (m.PAD_SLICE, (PAD_ZERO,)),
    (m.OVERLAP_ASSIGN, (OVERLAP,)),
    (m.STRIDE_IGNORED, (STRIDE,)),
    (m.WINDOW_HW_SWAPPED, (WINDOW_NON_SQUARE,)),
    (m.HW_SWAPPED, (HW_DIFFER,)),
    (m.HW_SWAPPED, (OUT_DIFFER,)),
    (m.HW_SWAPPED, (HW_DIFFER, OUT_DIFFER)),
    (m.HW_SWAPPED, (HW_DIFFER, OUT_DIFFER, WINDOW_NON_SQUARE)),
    (m.BATCH_OF_ONE, (BATCH_ONE,)),
    (m.CHANNEL_OF_ONE, (CHANNEL_ONE,)),
    (m.NOT_FLATTENED, (MANY_AXES,)),
)


def window_structure(
    n: int,
    c: int,
    size: tuple[int, int],
    window: tuple[int, int],
    stride: int,
    pad: int,
) -> dict[str, bool]:
    """The structural properties of a sliding-window case: input (n, c, H, W), window (HH, WW),
    one stride for both axes, ``pad`` on every side (0 for pooling)."""
    (h, w), (hh, ww) = size, window
    out_h, out_w = (h + 2 * pad - hh) // stride + 1, (w + 2 * pad - ww) // stride + 1
    return {
        PAD_ZERO: pad == 0,
        STRIDE: stride > 1,
        OVERLAP: stride < hh or stride < ww,
        HW_DIFFER: h != w,
        OUT_DIFFER: out_h != out_w,
        WINDOW_NON_SQUARE: hh != ww,
        BATCH_ONE: n == 1,
        CHANNEL_ONE: c == 1,
    }


def cases_with(structures: Sequence[Mapping[str, bool]], properties: tuple[str, ...]) -> set[int]:
    """Indices of the cases having at least one of ``properties``."""
    return {
        i for i, structure in enumerate(structures) if any(structure.get(p) for p in properties)
    }


def structural_mistake(failing: set[int], structures: Sequence[Mapping[str, bool]]) -> str | None:
    """The mistake named by the cases that failed, or None when no rule fits exactly (or every
    case, or none, failed: then the structure says nothing)."""
    if not failing or len(failing) == len(structures) or not any(structures):
        return None
    for label, properties in RULES:
        if cases_with(structures, properties) == failing:
            return label
    return None
