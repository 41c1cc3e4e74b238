"""Runs one command in a fresh process through the C runner, which reports wall time, CPU time
and the peak RSS of that one process tree (wait4 on the child)."""
import os
import subprocess
import tempfile
from dataclasses import dataclass

from .paths import BIN


@dataclass
class Sample:
    wall: float
    cpu: float
    maxrss_kb: int
    status: int
    output: str = ""

    @property
    def ok(self):
        return self.status == 0


def parse_result(text):
    fields = dict(kv.split("=", 1) for kv in text.split())
    return (float(fields["wall"]), float(fields["user"]) + float(fields["sys"]),
            int(fields["maxrss_kb"]), int(fields["status"]))


def run(cmd, preload, env=None, timeout=600, cwd=None):
    """Runs cmd under `preload` (an LD_PRELOAD path, "" for none)."""
    with tempfile.NamedTemporaryFile("r", suffix=".res") as res:
        full = [str(BIN / "runner"), "-p", preload, "-o", res.name, "--", *map(str, cmd)]
        try:
            p = subprocess.run(full, env=env or os.environ, cwd=cwd, capture_output=True, text=True,
                               timeout=timeout)
        except subprocess.TimeoutExpired:
            return Sample(timeout, 0, 0, 124, "timeout")
        text = res.read()
        if not text:
            return Sample(0, 0, 0, p.returncode or 1, p.stdout + p.stderr)
        wall, cpu, rss, status = parse_result(text)
        return Sample(wall, cpu, rss, status, (p.stdout + p.stderr)[-4000:])
