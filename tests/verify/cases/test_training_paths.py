"""The training paths' cases reach the code training runs: the SIMD kernels included."""

from __future__ import annotations

import pytest

import cnnref.conv_paths as paths
from verify import registry

needs_simd = pytest.mark.skipif(
    not paths._conv.simd_available(), reason="the CPU has no AVX2 + FMA"
)


def _cases(target):
    return list(registry.cases(seed=0, targets=[target]))


@needs_simd
def test_the_conv2d_backward_path_cases_run_the_simd_kernels_for_dw_and_where_c_allows_dx():
    """Every case's dw goes by the SIMD kernel; dx by it where C is a multiple of the channel
    block, by the gather kernel (stride 1) or the per-image patch matrices (stride 2) where it
    is not (both kinds present, at both strides)."""
    cases = _cases("conv.conv2d_backward")
    assert {c.settings["stride"] for c in cases} == {"stride 1", "stride 2"}
    assert {c.settings["pad"] for c in cases} == {"pad 0", "pad 1"}
    dx_by_simd = set()
    for case in cases:
        x, w = case.args["x"], case.args["w"]
        assert paths.simd_applies(x, w.shape[3]), case.name
        simd_channels = case.settings["channels"] != "C small"
        assert paths.simd_applies(x, x.shape[3]) == simd_channels, case.name
        dx_by_simd.add((simd_channels, case.settings["stride"]))
    assert dx_by_simd == {(c, s) for c in (True, False) for s in ("stride 1", "stride 2")}


@needs_simd
@pytest.mark.parametrize("target", ["conv.conv2d_activation", "conv.conv2d_parameter_gradients"])
def test_the_simd_filter_block_settings_run_the_simd_kernels(target):
    simd = [c for c in _cases(target) if c.settings["filters"] != "F small"]
    assert simd and all(paths.simd_applies(c.args["x"], c.args["w"].shape[3]) for c in simd)


@pytest.mark.parametrize(
    "target", ["conv.conv2d_activation", "conv.conv2d_parameter_gradients", "conv.conv2d_backward"]
)
def test_the_simd_settings_fill_one_and_two_avx512_vectors(target):
    """One SIMD block of channels is one AVX-512 vector (16 floats, 8 doubles), two blocks are
    two: the AVX-512 kernels' 1- and 2-vector blocks both get cases, in both dtypes."""
    seen = set()
    for case in _cases(target):
        x, w = case.args["x"], case.args["w"]
        wide = 64 // x.dtype.itemsize
        for axis, channels in (("filters", w.shape[3]), ("channels", x.shape[3])):
            if case.settings.get(axis, "small").endswith("small"):
                continue
            assert channels % wide == 0, case.name
            seen.add((x.dtype.name, axis, channels // wide))
    dtypes = {"float32", "float64"}
    axis = "channels" if target == "conv.conv2d_backward" else "filters"
    assert {(d, axis, k) for d in dtypes for k in (1, 2)} <= seen
