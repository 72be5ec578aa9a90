"""The wire format shared by the grader and its sandboxed child."""

from __future__ import annotations

import os

import numpy as np
import pytest

from verify.grade import wire


def test_arrays_round_trip_as_raw_buffers_with_dtype_and_shape() -> None:
    buffers: list[bytes] = []
    value = (np.arange(6.0).reshape(2, 3).T, [np.int64(4), 2.5], {"stride": 2})
    tree = wire.encode(value, buffers)
    array = wire.decode_array(tree["tuple"][0], buffers)
    assert array.flags.writeable and array.flags.c_contiguous
    np.testing.assert_array_equal(array, value[0])
    scalar = wire.decode_array(tree["tuple"][1]["list"][0], buffers)
    assert scalar.shape == () and scalar == 4
    assert tree["tuple"][1]["list"][1] == 2.5
    assert tree["tuple"][2] == {"dict": {"stride": 2}}


class Sub(np.ndarray):
    pass


class Rigged:
    def __eq__(self, other):
        return True


@pytest.mark.parametrize(
    ("value", "described"),
    [
        (np.zeros(3).view(Sub), "an ndarray subclass"),
        (np.array([object()]), "dtype object"),
        (np.zeros(2, dtype=complex), "dtype complex128"),
        (Rigged(), "Rigged"),
        (b"\x80\x04", "builtins.bytes"),
    ],
)
def test_anything_but_plain_arrays_and_builtins_is_described_not_encoded(value, described) -> None:
    buffers: list[bytes] = []
    node = wire.encode(value, buffers)
    assert described in node["bad"]
    assert buffers == []


@pytest.mark.parametrize(
    "node",
    [
        {"array": 0, "dtype": "|O", "shape": [1]},
        {"array": 0, "dtype": "<f8", "shape": [3]},
        {"array": 0, "dtype": "<f8", "shape": [-1]},
        {"array": 5, "dtype": "<f8", "shape": [1]},
    ],
)
def test_malformed_array_descriptions_are_refused(node) -> None:
    with pytest.raises(ValueError):
        wire.decode_array(node, [b"\x00" * 8])


def test_messages_cross_a_pipe_intact() -> None:
    read_end, write_end = os.pipe()
    try:
        wire.send(write_end, {"function": "f", "n": 2}, [b"abc", b""])
        header, buffers = wire.receive(read_end)
    finally:
        os.close(read_end)
        os.close(write_end)
    assert header == {"function": "f", "n": 2}
    assert buffers == [b"abc", b""]


def test_a_closed_pipe_is_an_eof() -> None:
    read_end, write_end = os.pipe()
    os.close(write_end)
    with pytest.raises(EOFError):
        wire.receive(read_end)
    os.close(read_end)


def test_a_message_announcing_more_than_the_limit_is_refused_before_it_is_read() -> None:
    read_end, write_end = os.pipe()
    try:
        wire.send(write_end, {"n": 1}, [b"x" * 1000])
        with pytest.raises(ValueError, match="over the limit"):
            wire.receive(read_end, limit=500)
    finally:
        os.close(read_end)
        os.close(write_end)


def test_a_header_nested_too_deeply_is_refused() -> None:
    read_end, write_end = os.pipe()
    nested: object = 1
    for _ in range(wire.MAX_DEPTH + 1):
        nested = [nested]
    try:
        wire.send(write_end, {"value": nested}, [])
        with pytest.raises(ValueError, match="nested deeper"):
            wire.receive(read_end)
    finally:
        os.close(read_end)
        os.close(write_end)


@pytest.mark.parametrize(
    "node",
    [
        {"array": 0, "dtype": ["<f8"], "shape": [1]},
        {"array": 0, "dtype": "<f8", "shape": [0, 10**30]},
        {"array": 0, "dtype": "<f8", "shape": [1] * 33},
    ],
)
def test_hostile_array_descriptions_are_value_errors(node) -> None:
    with pytest.raises(ValueError):
        wire.decode_array(node, [b""])


def test_an_integer_no_float_can_hold_is_refused() -> None:
    with pytest.raises(ValueError, match="no float can hold"):
        wire.check_tree({"value": {"list": [1, 10**400]}})
