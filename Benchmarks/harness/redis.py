"""The redis workload: redis-server runs under the allocator (through the runner, which measures
its CPU time and peak RSS), redis-benchmark drives it on 127.0.0.1 with a bounded request count
(its wall time is the figure), and a round trip of a known value checks the data."""
import os
import socket
import subprocess
import tempfile
import time

from . import measure
from .paths import BIN


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(port, proc, deadline=10.0):
    end = time.monotonic() + deadline
    while time.monotonic() < end and proc.poll() is None:
        r = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(port), "ping"],
                           capture_output=True, text=True)
        if r.stdout.strip() == "PONG":
            return True
        time.sleep(0.05)
    return False


def cli(port, *args):
    return subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(port), *args],
                          capture_output=True, text=True, timeout=30).stdout.strip()


def run(preload, smoke):
    port = free_port()
    requests = 20000 if smoke else 60000
    with tempfile.TemporaryDirectory() as work, tempfile.NamedTemporaryFile("r", suffix=".res") as res:
        server = subprocess.Popen(
            [str(BIN / "runner"), "-p", preload, "-o", res.name, "--", "redis-server",
             "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
             "--dir", work, "--protected-mode", "yes", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            if not wait_ready(port, server):
                server.kill()
                return measure.Sample(0, 0, 0, 1, "redis-server did not start: " + server.stderr.read())
            start = time.monotonic()
            bench = subprocess.run(
                ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-n", str(requests), "-c", "16",
                 "-P", "8", "-r", "100000", "-d", "100", "-q",
                 "-t", "set,get,incr,lpush,rpop,sadd,hset,spop,lrange_100"],
                capture_output=True, text=True, timeout=600)
            wall = time.monotonic() - start
            value = "v" * 5000 + "-check"
            ok = (bench.returncode == 0 and cli(port, "set", "bench:check", value) == "OK"
                  and cli(port, "get", "bench:check") == value and int(cli(port, "dbsize") or 0) > 1000)
            cli(port, "shutdown", "nosave")
            server.wait(timeout=30)
        finally:
            if server.poll() is None:
                server.kill()
                server.wait()
        text = res.read()
        if not text:
            return measure.Sample(wall, 0, 0, 1, "no runner result")
        _, cpu, rss, status = measure.parse_result(text)
        output = (bench.stdout + bench.stderr)[-3000:]
        return measure.Sample(wall, cpu, rss, 0 if ok and status == 0 else (status or 2), output)
