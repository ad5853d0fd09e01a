"""Wait until a freshly launched Chromium has finished starting, so a timed load measures the page alone.

Chromium 156 keeps working for about a second after Playwright's launch returns (its WebUI renderer
for the omnibox popup loads and runs some hundred modules): about 0.9 s of CPU that a load started at
once shares with the page, on a 2-core machine, adding noise (and time) to whatever is measured. The
browser's processes are found as the descendants of this Python process whose name says Chromium
(Playwright's driver starts them), so other browsers on the machine do not count.
"""

import os
import time
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _processes():
    """{pid: (parent pid, name, cpu seconds used)} for every process readable in /proc."""
    table = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # ended meanwhile
            continue
        name = text[text.index("(") + 1:text.rindex(")")]
        fields = text[text.rindex(")") + 2:].split()
        table[int(stat.parent.name)] = (int(fields[1]), name, (int(fields[11]) + int(fields[12])) / TICKS)
    return table


def browser_cpu_seconds():
    """CPU seconds used so far by the Chromium processes descended from this process."""
    table = _processes()
    children = {}
    for pid, (parent, _, _) in table.items():
        children.setdefault(parent, []).append(pid)
    total, pending = 0.0, [os.getpid()]
    while pending:
        pid = pending.pop()
        pending.extend(children.get(pid, ()))
        _, name, cpu = table.get(pid, (0, "", 0.0))
        if "chrom" in name.lower():
            total += cpu
    return total


def wait_until_browser_idle(quiet_cpu=0.03, interval=0.25, timeout=8.0):
    """Wait until the browser used under `quiet_cpu` s of CPU in each of two `interval`s (at most `timeout` s)."""
    start = time.monotonic()
    before, quiet = browser_cpu_seconds(), 0
    while quiet < 2 and time.monotonic() - start < timeout:
        time.sleep(interval)
        now = browser_cpu_seconds()
        quiet = quiet + 1 if now - before < quiet_cpu else 0
        before = now
