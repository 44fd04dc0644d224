#!/usr/bin/env python3
"""Interop check of the protocol core against a black-box WireGuard.

The module self-test (selftest/handshake.c) proves that noise.c produces, byte
for byte, the initiation and response of handshake_vector.h and derives its
transport keys. This script closes the loop: it boots a harness-built kernel,
loads that kernel's own in-tree wireguard.ko (the reference, Contract 4) as the
responder of the same vector, sends it the vector's initiation from a
stdlib-only Python initiator (initiator.py), and checks that the reference
answers with a response that authenticates and that a ping through the tunnel
comes back decrypted with the derived keys. With --module, the same is done
against our own wireguard.ko (device and protocol core together) instead.

Usage (from the repository root, after `invoke kernel --kernel 6.1`):
    .venv/bin/python module/selftest/interop/check_interop.py \
        --kernel-dir ~/.cache/wgcompat/kernels/6.1.192-normal-<hash>
"""

from __future__ import annotations

import argparse
import base64
import importlib.util
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path.insert(0, str(REPO))

from wgcompat.guest.vm import GuestVM  # noqa: E402


class CheckError(Exception):
    """A precondition is missing; the message says what and how to fix it."""


@dataclass(frozen=True)
class InteropRequest:
    kernel_dir: Path
    log_dir: Path | None
    module: Path | None = None   # our wireguard.ko; None: the kernel's in-tree one


@dataclass(frozen=True)
class InteropResult:
    ok: bool
    transcript: str


def _load_generator():
    spec = importlib.util.spec_from_file_location("gen_handshake_vector",
                                                  HERE.parent / "gen_handshake_vector.py")
    if spec is None or spec.loader is None:
        raise CheckError(f"cannot load {HERE.parent / 'gen_handshake_vector.py'}; is the checkout complete?")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses need the module registered
    spec.loader.exec_module(module)
    return module


def _header_initiation() -> bytes:
    """The hv_initiation bytes the module self-test compares noise.c with."""
    text = (HERE.parent / "handshake_vector.h").read_text(encoding="ascii")
    match = re.search(r"hv_initiation\[148\] = \{([^}]*)\}", text)
    if not match:
        raise CheckError("handshake_vector.h has no hv_initiation; regenerate it with "
                         "gen_handshake_vector.py")
    return bytes(int(tok, 16) for tok in match.group(1).replace(",", " ").split())


def run(request: InteropRequest) -> InteropResult:
    bz = request.kernel_dir / "arch/x86/boot/bzImage"
    modules_root = request.kernel_dir / "modules-root"
    if not bz.is_file() or not modules_root.is_dir():
        raise CheckError(f"{request.kernel_dir} has no arch/x86/boot/bzImage or modules-root; "
                         "build a kernel with `invoke kernel --kernel 6.1` and pass its build folder")

    gen = _load_generator()
    inputs = gen.default_inputs()
    transcript = gen.run(inputs)
    if transcript.initiation != _header_initiation():
        raise CheckError("handshake_vector.h is stale (its initiation differs from the generator's); "
                         "regenerate it with gen_handshake_vector.py")

    b64 = lambda b: base64.b64encode(b).decode()  # noqa: E731
    with tempfile.TemporaryDirectory() as tmp:
        vector = Path(tmp) / "vector.txt"
        vector.write_text("".join(f"{name} {value.hex()}\n" for name, value in {
            "initiator_static": inputs.initiator_static,
            "initiator_ephemeral": inputs.initiator_ephemeral,
            "responder_public": transcript.responder_public,
            "psk": inputs.psk,
            "timestamp": inputs.timestamp,
            "initiation": transcript.initiation,
        }.items()), encoding="ascii")
        (Path(tmp) / "priv").write_text(b64(inputs.responder_static) + "\n", encoding="ascii")
        (Path(tmp) / "psk").write_text(b64(inputs.psk) + "\n", encoding="ascii")
        put = [(HERE / "initiator.py", "/root/initiator.py"), (vector, "/root/vector.txt"),
               (Path(tmp) / "priv", "/root/priv"), (Path(tmp) / "psk", "/root/psk")]
        if request.module is None:
            load = [
                "test -f /lib/modules/reference/wireguard.ko",
                "deps=$(modinfo -F depends /lib/modules/reference/wireguard.ko | tr , ' '); "
                "{ [ -z \"$deps\" ] || modprobe -a $deps; } && insmod /lib/modules/reference/wireguard.ko",
            ]
        else:
            # Ours is installed under updates/ (Contract 4); make sure that is what loaded.
            load = ["modprobe wireguard && modinfo -F filename wireguard | grep /updates/"]
        steps = [
            *load,
            "ip link set lo up && ip link add wg0 type wireguard",
            f"wg set wg0 private-key /root/priv listen-port 51820 peer {b64(transcript.initiator_public)} "
            "preshared-key /root/psk allowed-ips 10.9.0.1/32",
            "ip addr add 10.9.0.2/24 dev wg0 && ip link set wg0 up",
            "python3 /root/initiator.py /root/vector.txt",
            "wg show wg0 latest-handshakes; wg show wg0 transfer",
        ]
        log: list[str] = []
        initiator_output = ""
        with GuestVM(kernel_image=bz, modules_root=modules_root, wireguard_ko=request.module, put=put,
                     log_dir=request.log_dir, name="interop") as vm:
            for step in steps:
                result = vm.run(step, timeout=180)
                log.append(f"$ {step}\n{result.output}[status {result.status}]")
                if "initiator.py" in step:
                    initiator_output = result.output
                if result.status != 0:
                    if step.startswith("test -f"):
                        raise CheckError(f"{request.kernel_dir} has no in-tree WireGuard module; "
                                         "build the kernel with CONFIG_WIREGUARD=m (kconfigs/wireguard-in-tree.config)")
                    return InteropResult(False, "\n".join(log))
        return InteropResult("INTEROP OK" in initiator_output, "\n".join(log))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kernel-dir", type=Path, required=True,
                        help="harness kernel build folder (holds arch/x86/boot/bzImage and modules-root)")
    parser.add_argument("--log-dir", type=Path, default=None, help="where the VM logs go")
    parser.add_argument("--module", type=Path, default=None,
                        help="test this wireguard.ko (ours, built for that kernel) instead of the in-tree one")
    args = parser.parse_args(argv)
    if args.module is not None and not args.module.is_file():
        print(f"error: {args.module} is not a file; build the module first (invoke build --kernel ...)",
              file=sys.stderr)
        return 2
    try:
        result = run(InteropRequest(kernel_dir=args.kernel_dir.expanduser(), log_dir=args.log_dir,
                                    module=args.module))
    except CheckError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(result.transcript)
    print("interop: pass" if result.ok else "interop: FAIL")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
