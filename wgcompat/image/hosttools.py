"""The host tools the image builder runs (dpkg-deb, dpkg, depmod, modinfo), and the Debian
package that provides each: a missing tool is a UserError that says what to install."""

from __future__ import annotations

import subprocess
from wgcompat.errors import UserError

HOST_TOOLS = {"dpkg-deb": "dpkg", "dpkg": "dpkg", "depmod": "kmod", "modinfo": "kmod"}


def run_tool(argv: list[str]) -> subprocess.CompletedProcess[str]:
    """Run a host tool, its output captured as text (the caller reads the return code)."""
    try:
        return subprocess.run(argv, capture_output=True, text=True)
    except FileNotFoundError as exc:
        package = HOST_TOOLS.get(argv[0], argv[0])
        raise UserError(f"{argv[0]} is not installed on this host (the guest image builder needs it)",
                        f"run `apt-get install {package}` (as root), then try again") from exc
