"""The sandbox's syscall filter: its program, and what it refuses."""

from __future__ import annotations

import struct

import pytest

from verify.grade.seccomp import denied_syscalls, seccomp_filter


@pytest.mark.parametrize("machine", ["x86_64", "aarch64"])
def test_the_filter_is_a_bpf_program_ending_in_allow_eperm_enosys(machine) -> None:
    program = seccomp_filter(machine)
    assert len(program) % 8 == 0
    tail = program[-24:]
    returns = [struct.unpack("<HBBI", tail[i : i + 8]) for i in range(0, 24, 8)]
    assert [(code, k) for code, _, _, k in returns] == [
        (0x06, 0x7FFF0000),
        (0x06, 0x00050000 | 1),
        (0x06, 0x00050000 | 38),
    ]


@pytest.mark.parametrize("machine", ["x86_64", "aarch64"])
def test_every_jump_lands_inside_the_program(machine) -> None:
    program = seccomp_filter(machine)
    count = len(program) // 8
    for index in range(count):
        code, jt, jf, _ = struct.unpack("<HBBI", program[8 * index : 8 * index + 8])
        if code & 0x07 == 0x05:  # a jump
            assert index + 1 + max(jt, jf) < count


def test_the_denied_syscalls_include_the_ways_out() -> None:
    denied = denied_syscalls("x86_64")
    assert {"fork", "vfork", "ptrace", "mount", "unshare", "setns", "bpf"} <= set(denied)
    assert "fork" not in denied_syscalls("aarch64")  # that machine has only clone


def test_an_unknown_machine_gets_no_filter() -> None:
    assert seccomp_filter("sparc64") is None
