"""A seccomp filter for the sandboxed child: no new processes, no debugging, no kernel plumbing.

The filter is a classic BPF program over ``struct seccomp_data`` (``nr`` at offset 0, ``arch`` at 4,
the first argument's low half at 16 on little-endian machines) that bubblewrap installs with
``--seccomp FD`` before it starts the child. It answers EPERM to ``fork``, ``vfork``, ``clone``
without ``CLONE_THREAD`` (threads stay allowed), ``ptrace`` and the syscalls that reach other
processes' memory, mounts, namespaces, keyrings, eBPF, perf events, ``userfaultfd`` and
``io_uring``, and ENOSYS to ``clone3`` (whose flags it cannot read; C libraries fall back to
``clone``). A syscall of another ABI (x32, i386) is refused. The Python-level guards refuse the same
things earlier; this holds even against native code, and whatever the uid (the kernel does not
apply ``RLIMIT_NPROC`` to root).
"""

from __future__ import annotations

import errno
import platform
import struct

_SECCOMP_RET_ALLOW = 0x7FFF0000
_SECCOMP_RET_ERRNO = 0x00050000
_CLONE_THREAD = 0x00010000
_X32_BIT = 0x40000000
_LD_ABS_W, _JEQ, _JGE, _JSET, _RET = 0x20, 0x15, 0x35, 0x45, 0x06

# The syscalls added since Linux 5.1 have one number on every machine (clone3 too, 435).
_UNIFIED = {
    "io_uring_setup": 425,
    "open_tree": 428,
    "move_mount": 429,
    "fsopen": 430,
    "fsconfig": 431,
    "fsmount": 432,
    "fspick": 433,
    "mount_setattr": 442,
}
# (audit arch, {name: number}, clone's number) per machine.
_TABLES = {
    "x86_64": (
        0xC000003E,
        {
            "fork": 57,
            "vfork": 58,
            "ptrace": 101,
            "process_vm_readv": 310,
            "process_vm_writev": 311,
            "kcmp": 312,
            "mount": 165,
            "umount2": 166,
            "pivot_root": 155,
            "chroot": 161,
            "unshare": 272,
            "setns": 308,
            "add_key": 248,
            "request_key": 249,
            "keyctl": 250,
            "kexec_load": 246,
            "kexec_file_load": 320,
            "bpf": 321,
            "perf_event_open": 298,
            "userfaultfd": 323,
            **_UNIFIED,
        },
        56,
    ),
    "aarch64": (
        0xC00000B7,
        {
            "ptrace": 117,
            "process_vm_readv": 270,
            "process_vm_writev": 271,
            "kcmp": 272,
            "mount": 40,
            "umount2": 39,
            "pivot_root": 41,
            "chroot": 51,
            "unshare": 97,
            "setns": 268,
            "add_key": 217,
            "request_key": 218,
            "keyctl": 219,
            "kexec_load": 104,
            "kexec_file_load": 294,
            "bpf": 280,
            "perf_event_open": 241,
            "userfaultfd": 282,
            **_UNIFIED,
        },
        220,
    ),
}
_CLONE3 = 435


def _instruction(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("<HBBI", code, jt, jf, k)


def denied_syscalls(machine: str | None = None) -> dict[str, int]:
    """The syscalls the filter answers EPERM, by name (``clone`` without threads aside)."""
    return dict(_TABLES[machine or platform.machine()][1])


def seccomp_filter(machine: str | None = None) -> bytes | None:
    """The BPF program for ``machine`` (default: this one), or None where no table is known."""
    machine = machine or platform.machine()
    if machine not in _TABLES:
        return None
    arch, denied, clone = _TABLES[machine]
    numbers = sorted(denied.values())
    x32 = machine == "x86_64"
    # layout: 0 load arch, 1 check, 2 load nr, [x32 check], denied..., clone3, clone, load arg0,
    # jset thread, ALLOW, EPERM, ENOSYS
    first_denied = 4 if x32 else 3
    clone3_at = first_denied + len(numbers)
    allow = clone3_at + 4
    eperm, enosys = allow + 1, allow + 2
    program = [
        _instruction(_LD_ABS_W, 4),
        _instruction(_JEQ, arch, 0, eperm - 2),
        _instruction(_LD_ABS_W, 0),
    ]
    if x32:
        program.append(_instruction(_JGE, _X32_BIT, eperm - 4, 0))
    for index, number in enumerate(numbers, first_denied):
        program.append(_instruction(_JEQ, number, eperm - index - 1, 0))
    program += [
        _instruction(_JEQ, _CLONE3, enosys - clone3_at - 1, 0),
        _instruction(_JEQ, clone, 0, allow - clone3_at - 2),
        _instruction(_LD_ABS_W, 16),
        _instruction(_JSET, _CLONE_THREAD, 0, eperm - clone3_at - 4),
        _instruction(_RET, _SECCOMP_RET_ALLOW),
        _instruction(_RET, _SECCOMP_RET_ERRNO | errno.EPERM),
        _instruction(_RET, _SECCOMP_RET_ERRNO | errno.ENOSYS),
    ]
    return b"".join(program)
