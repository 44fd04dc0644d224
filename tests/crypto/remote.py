"""The bundled crypto of another architecture, behind the ctypes library's interface.

A host cannot load an s390x or arm64 shared library, so for those the tests run
tests/crypto/shim/driver.c, the same crypto sources compiled into a static program for that
architecture, under QEMU's user-mode emulator (qemu-s390x, qemu-aarch64 from Debian's
qemu-user). `RemoteLibrary` stands where `ctypes.CDLL` stands: each call becomes one
request line to the program (driver.c documents the format) and the buffers the call
wrote are copied back into the caller's ctypes buffers, so WgcCrypto and every test use
it unchanged. Integers cross as decimal text and bytes as hex, so the answers are the
foreign architecture's own, whatever its byte order.
"""

from __future__ import annotations

import ctypes
import subprocess
from pathlib import Path
from typing import Any

from wgcompat.arch import Arch
from wgcompat.bench.crypto import (CRYPTO_DIR, SHIM_DIR, WARNING_CFLAGS, general_regs_cflags,
                                   run_compiler, userspace_defines, userspace_sources)


class RemoteError(RuntimeError):
    pass


class RemoteFunction:
    """One function of the program; restype/argtypes are accepted as on a CDLL's."""

    def __init__(self, library: RemoteLibrary, name: str) -> None:
        self.library = library
        self.name = name
        self.restype: Any = ctypes.c_int
        self.argtypes: Any = None

    def __call__(self, *args: Any) -> Any:
        tokens: list[str] = []
        written: list[tuple[int, Any]] = []  # (index among b arguments, ctypes buffer)
        buffers = 0
        for i, arg in enumerate(args):
            alias = next((k for k in range(i) if args[k] is arg and _is_buffer(arg)), None)
            if arg is None:
                tokens.append("-")
            elif alias is not None:
                tokens.append(f"={alias}")
            elif isinstance(arg, (bytes, bytearray)):
                tokens.append("b" + bytes(arg).hex())
                buffers += 1
            elif _is_buffer(arg):
                tokens.append("b" + arg.raw.hex())
                written.append((buffers, arg))
                buffers += 1
            elif isinstance(arg, ctypes.Array) and arg._type_ is ctypes.c_uint32:
                tokens.append("u" + ",".join(str(v) for v in arg))
            elif isinstance(arg, int):
                if arg < 0:
                    raise ValueError(f"{self.name}: negative integer argument {arg}")
                tokens.append(f"i{arg}")
            else:
                raise TypeError(f"{self.name}: cannot send a {type(arg).__name__}")
        answer = self.library.request(" ".join([self.name, *tokens]))
        ret, *outs = answer.split(" ")
        if len(outs) != buffers:
            raise RemoteError(f"{self.name}: {len(outs)} buffers came back, {buffers} went")
        for index, buf in written:
            data = bytes.fromhex(outs[index][1:])
            ctypes.memmove(buf, data, len(data))
        if ret.startswith("s"):
            return ret[1:].encode()
        value = int(ret)
        return bool(value) if self.restype is ctypes.c_bool else value


def _is_buffer(arg: Any) -> bool:
    return isinstance(arg, ctypes.Array) and arg._type_ is ctypes.c_char


class RemoteLibrary:
    """The driver program running under argv (qemu-<arch> driver), one call per line."""

    def __init__(self, argv: list[str]) -> None:
        self.argv = argv
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, bufsize=1)
        self._functions: dict[str, RemoteFunction] = {}

    def __getattr__(self, name: str) -> RemoteFunction:
        if not name.startswith("wgc_"):
            raise AttributeError(name)
        return self._functions.setdefault(name, RemoteFunction(self, name))

    def request(self, line: str) -> str:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline()
        if not answer:
            stderr = self.proc.stderr.read() if self.proc.stderr else ""
            raise RemoteError(f"{' '.join(self.argv)} ended (status {self.proc.wait()}) "
                              f"on {line.split(' ', 1)[0]}: {stderr.strip()}")
        return answer.rstrip("\n")

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


def build_driver(output: Path, defines: tuple[str, ...], arch: Arch) -> Path:
    """Compile the bundled crypto, the shim and tests/crypto/shim/driver.c into
    one static program for arch (cross-compiled with Debian's gcc-<triplet>),
    which RemoteLibrary runs under qemu-user. The crypto is built with the kernel's flags
    that keep the vector registers out of it (arm64: -mgeneral-regs-only) but for the
    vector files, as bundled.mk builds them, so the compiler vectorises no other code."""
    arch.check_compiler()
    output.parent.mkdir(parents=True, exist_ok=True)
    objdir = output.parent / (output.name + ".objs")
    objdir.mkdir(exist_ok=True)
    flags = userspace_defines(defines, machine=arch.uname)
    includes = [f"-I{SHIM_DIR}", f"-I{CRYPTO_DIR}"]
    objects: list[str] = []
    sources = userspace_sources(("-O2", *general_regs_cflags(arch.uname)), machine=arch.uname)
    for src, cflags in [*sources, (SHIM_DIR / "driver.c", ["-O2"])]:
        obj = objdir / (src.parent.name + "-" + src.stem + ".o")
        run_compiler([arch.gcc, "-std=gnu11", *WARNING_CFLAGS, *cflags, *flags,
                      *includes, "-c", str(src), "-o", str(obj)])
        objects.append(str(obj))
    run_compiler([arch.gcc, "-static", "-o", str(output), *objects])
    return output
