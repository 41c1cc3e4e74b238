"""Builds what the suite runs: the C workloads (cc -O2), the Swift workloads package and
libswiftmm.so, all under .build-bench/ (never the root .build)."""
import subprocess
import time

from .paths import BENCH, BIN, BUILD, ROOT

C_PROGRAMS = ["churn", "prodcons", "larson", "threadchurn", "freeorder", "falseshare", "large",
              "overhead", "fastpath", "runner"]


def build_c():
    BIN.mkdir(parents=True, exist_ok=True)
    for name in C_PROGRAMS:
        src = BENCH / "c" / f"{name}.c"
        out = BIN / name
        if out.exists() and out.stat().st_mtime > max(src.stat().st_mtime,
                                                      (BENCH / "c" / "common.h").stat().st_mtime):
            continue
        subprocess.run(["cc", "-O2", "-g", "-Wall", "-Wextra", "-pthread", "-o", str(out), str(src)],
                       check=True)


def build_swift_workloads():
    subprocess.run(["swift", "build", "-c", "release", "--package-path",
                    str(BENCH / "SwiftWorkloads"), "--scratch-path", str(BUILD / "swift-workloads")],
                   check=True, stdout=subprocess.DEVNULL)
    return BUILD / "swift-workloads" / "release" / "swift-workloads"


def build_swiftmm(retries=3):
    """libswiftmm.so from the working tree; retried, since the allocator may be mid-edit."""
    scratch = BUILD / "swiftmm"
    for attempt in range(retries):
        r = subprocess.run(["swift", "build", "-c", "release", "--product", "swiftmm",
                            "--scratch-path", str(scratch)], cwd=ROOT, capture_output=True, text=True)
        if r.returncode == 0:
            return scratch / "release" / "libswiftmm.so"
        print(f"libswiftmm.so build failed (attempt {attempt + 1}):\n{r.stdout[-2000:]}{r.stderr[-2000:]}")
        time.sleep(20)
    raise SystemExit("cannot build libswiftmm.so")
