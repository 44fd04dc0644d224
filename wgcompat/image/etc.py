"""The guest's /etc: the few files a system with no package scripts still needs (users and
groups for root, hosts, the hostname, name service switch, an empty resolver, PATH)."""

from __future__ import annotations

from pathlib import Path

ETC_FILES: dict[str, str] = {
    "passwd": "root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
    "group": "root:x:0:\ntty:x:5:\nnogroup:x:65534:\n",
    "shadow": "root::1::::::\n",
    "hosts": "127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n",
    "hostname": "wgcompat\n",   # /init sets the one the kernel command line names
    "nsswitch.conf": "passwd: files\ngroup: files\nhosts: files dns\nservices: files\nprotocols: files\n",
    "resolv.conf": "",
    "profile": "export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n",
}


def write_etc(staging: Path) -> None:
    """Write ``ETC_FILES`` into ``staging/etc`` (over what the packages shipped)."""
    etc = staging / "etc"
    etc.mkdir(parents=True, exist_ok=True)
    for name, text in ETC_FILES.items():
        (etc / name).write_text(text)
