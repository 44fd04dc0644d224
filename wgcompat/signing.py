"""Module signatures: sign wireguard.ko with the kernel's own sign-file.

``invoke build --sign KEY,CERT`` signs the module it built with KEY (a PEM private key,
or a PEM file holding key and certificate) and CERT (the X.509 certificate, PEM or
DER), using the hash the kernel's .config names (CONFIG_MODULE_SIG_HASH) and the kernel
tree's scripts/sign-file, the tool the kernel signs its own modules with. The signed
copy goes next to the module build (``signed-<digest of the key>/wireguard.ko``); the
build itself is never changed.

The signed test-kernel flavour (kconfigs/signed.config) enforces signatures and trusts
the key its build generated, ``certs/signing_key.pem`` and ``certs/signing_key.x509``
in its build folder: ``kernel_key()`` names those.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from wgcompat.errors import UserError


@dataclass(frozen=True)
class SigningKey:
    key: Path
    cert: Path


def parse_sign_option(text: str) -> SigningKey:
    """``KEY,CERT`` from the command line, both readable."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 2 or not all(parts):
        raise UserError(f"--sign {text!r} does not name a key and a certificate",
                        "pass --sign KEY,CERT: the PEM private key and its X.509 certificate, comma-separated")
    pair = SigningKey(Path(parts[0]).expanduser(), Path(parts[1]).expanduser())
    for what, path in (("signing key", pair.key), ("certificate", pair.cert)):
        if not path.is_file():
            raise UserError(f"the {what} {path} does not exist",
                            "pass the path of an existing file (a kernel build's certs/signing_key.pem and "
                            "certs/signing_key.x509, or DKMS's /var/lib/dkms/mok.key and mok.pub)")
        if not os.access(path, os.R_OK):
            raise UserError(f"the {what} {path} cannot be read by this user",
                            "run as a user that can read it, or fix its permissions (chmod, or sudo)")
    return pair


def kernel_key(kernel_dir: Path) -> SigningKey:
    """The key a kernel build generated and trusts (a signed-flavour kernel)."""
    pair = SigningKey(kernel_dir / "certs" / "signing_key.pem", kernel_dir / "certs" / "signing_key.x509")
    if not pair.key.is_file() or not pair.cert.is_file():
        raise UserError(f"{kernel_dir} has no certs/signing_key.pem and .x509: it was not built to sign modules",
                        "use the signed flavour (--config signed), or pass the key and certificate with --sign KEY,CERT")
    return pair


def _hash_algorithm(kernel_dir: Path) -> str:
    config = (kernel_dir / ".config").read_text(errors="replace")
    found = re.search(r'^CONFIG_MODULE_SIG_HASH="([a-z0-9-]+)"$', config, re.M)
    if found is None:
        raise UserError(f"{kernel_dir}/.config sets no CONFIG_MODULE_SIG_HASH: this kernel does not check module signatures",
                        "sign for a kernel built with CONFIG_MODULE_SIG (the signed flavour, or a distribution kernel)")
    return found.group(1)


def sign_module(kernel_dir: Path, module: Path, signer: SigningKey) -> Path:
    """A signed copy of ``module``; see the docstring above."""
    sign_file = kernel_dir / "scripts" / "sign-file"
    if not os.access(sign_file, os.X_OK):
        raise UserError(f"{sign_file} is missing: this kernel tree has no sign-file",
                        "sign for a kernel built with CONFIG_MODULE_SIG, whose build makes scripts/sign-file")
    algorithm = _hash_algorithm(kernel_dir)
    digest = hashlib.sha256(signer.cert.read_bytes()).hexdigest()[:12]
    out = module.parent / f"signed-{digest}" / module.name
    out.parent.mkdir(exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{module.name}.", dir=out.parent)
    os.close(fd)
    try:
        shutil.copyfile(module, tmp)
        done = subprocess.run([str(sign_file), algorithm, str(signer.key), str(signer.cert), tmp],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise UserError(f"sign-file could not sign {module} with {signer.key}: {done.stderr.strip()}",
                            "check that the key is the PEM private key of that certificate and is not "
                            "protected by a passphrase (or set KBUILD_SIGN_PIN)")
        os.replace(tmp, out)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return out
