"""allnoconfig for the fake tree: keep preset values whose symbol the Kconfig defines."""
import re
import sys

kconfig, preset, out = sys.argv[1:4]
known = set(re.findall(r"^config\s+(\w+)", open(kconfig).read(), re.M))
lines = []
for line in open(preset):
    m = re.match(r"^CONFIG_(\w+)=", line)
    if m and m.group(1) in known:
        lines.append(line)
open(out, "w").writelines(lines)
