"""Last step before a sandboxed kernel runs student code: no new Unix sockets.

Called once the kernel's own sockets are bound (the fork server's kernel and the exec'd
kernel's boot script do it right before ``IPKernelApp.start``). A seccomp filter then makes
``socket(AF_UNIX, ...)`` fail with EACCES, so the kernel cannot connect to any Unix socket
on the filesystem (a database's, an agent's, the grader's), whatever its permissions and
wherever it lies; abstract sockets are already out of reach (own network namespace).
``socketpair`` stays allowed (multiprocessing and pipes need it). Standard library only.
"""

from __future__ import annotations

import ctypes
import errno
import platform
import struct

PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000
AF_UNIX = 1
#: machine -> (AUDIT_ARCH_*, number of the socket syscall)
ARCHES = {"x86_64": (0xC000003E, 41), "aarch64": (0xC00000B7, 198)}


def _insn(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("HBBI", code, jt, jf, k)


def filter_program(arch: int, socket_nr: int) -> bytes:
    """The BPF program: foreign arch or x32 numbers -> EACCES; socket(AF_UNIX) -> EACCES."""
    ld_w_abs, jeq_k, jge_k, ret_k = 0x20, 0x15, 0x35, 0x06
    deny = SECCOMP_RET_ERRNO | errno.EACCES
    return b"".join([
        _insn(ld_w_abs, 0, 0, 4),                 # seccomp_data.arch
        _insn(jeq_k, 1, 0, arch),
        _insn(ret_k, 0, 0, deny),
        _insn(ld_w_abs, 0, 0, 0),                 # seccomp_data.nr
        _insn(jge_k, 0, 1, 0x40000000),           # x32 system calls
        _insn(ret_k, 0, 0, deny),
        _insn(jeq_k, 0, 3, socket_nr),
        _insn(ld_w_abs, 0, 0, 16),                # args[0] (low half): the domain
        _insn(jeq_k, 0, 1, AF_UNIX),
        _insn(ret_k, 0, 0, deny),
        _insn(ret_k, 0, 0, SECCOMP_RET_ALLOW),
    ])


def seal() -> None:
    """Install the filter in the calling process (and everything it starts later).

    Needs ``PR_SET_NO_NEW_PRIVS`` already set (the sandbox does). Raises OSError where
    seccomp is unavailable, so a kernel is never started believing it is sealed.
    """
    machine = platform.machine()
    if machine not in ARCHES:
        raise OSError(f"seccomp filter: unsupported machine {machine!r}")
    program = filter_program(*ARCHES[machine])
    n = len(program) // 8
    buf = ctypes.create_string_buffer(program, len(program))

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    prog = SockFprog(n, ctypes.addressof(buf))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"seccomp filter: {errno.errorcode.get(err, err)}")
