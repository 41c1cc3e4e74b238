"""The allocators compared, each an LD_PRELOAD path, and their installation from Debian's packages when
missing. glibc's entry preloads the C library itself: a program linked against another allocator (Debian's
redis-server links libjemalloc) would otherwise run on that allocator in the glibc column."""
import os
import subprocess
import sys

LIBDIR = "/usr/lib/x86_64-linux-gnu"

# name -> (Debian package, library to preload)
SYSTEM = {
    "jemalloc": ("libjemalloc2", f"{LIBDIR}/libjemalloc.so.2"),
    "tcmalloc": ("libgoogle-perftools4", f"{LIBDIR}/libtcmalloc_minimal.so.4"),
    "mimalloc": ("libmimalloc2.0", f"{LIBDIR}/libmimalloc.so.2"),
}
EXTRA_PACKAGES = ["redis-server", "redis-tools", "valgrind"]


def ensure_installed():
    """apt-get installs whatever allocator or tool is missing (apt-get update first)."""
    missing = [pkg for pkg, lib in SYSTEM.values() if not os.path.exists(lib)]
    for pkg, tool in [("redis-server", "redis-server"), ("redis-tools", "redis-benchmark"),
                      ("valgrind", "valgrind")]:
        if not any(os.path.exists(os.path.join(d, tool)) for d in os.environ["PATH"].split(":")):
            missing.append(pkg)
    if not missing:
        return
    print(f"installing {' '.join(missing)}", flush=True)
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    lock = ["-o", "DPkg::Lock::Timeout=600"]
    subprocess.run(sudo + ["apt-get", *lock, "update", "-qq"], check=True, env=env)
    subprocess.run(sudo + ["apt-get", *lock, "install", "-y", "-qq", *missing], check=True, env=env,
                   stdout=subprocess.DEVNULL)


GLIBC = f"{LIBDIR}/libc.so.6"


def allocators(swiftmm_lib):
    """The ordered list of (name, preload path); glibc first, SwiftMM last."""
    result = [("glibc", GLIBC if os.path.exists(GLIBC) else "")]
    for name, (_, lib) in SYSTEM.items():
        if os.path.exists(lib):
            result.append((name, lib))
        else:
            print(f"warning: {name} not available ({lib})", file=sys.stderr)
    result.append(("swiftmm", str(swiftmm_lib)))
    return result
