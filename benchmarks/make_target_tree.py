#!/usr/bin/env python3
"""Writes a tree shaped like a Rust target directory: rlibs and rmetas made of
real machine code and symbol tables (slices of the host's shared libraries),
.so files, and many small files (fingerprints, dep-info, build-script output).

usage: make_target_tree.py DIR SIZE_BYTES [SEED]
Deterministic for a given host, size and seed."""

import os
import random
import sys


def corpus():
    """Real binary data: the host's shared libraries."""
    chunks = []
    total = 0
    for d in ("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib"):
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            path = os.path.join(d, name)
            if ".so" in name and os.path.isfile(path) and not os.path.islink(path):
                try:
                    with open(path, "rb") as f:
                        data = f.read(8 << 20)
                except OSError:
                    continue
                if len(data) > 4096:
                    chunks.append(data)
                    total += len(data)
            if total > (256 << 20):
                return chunks
    return chunks


def main():
    root, size = sys.argv[1], int(sys.argv[2])
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
    libs = corpus()
    if not libs:
        sys.exit("no shared libraries found to build realistic content from")
    written = 0

    def blob(n):
        out = bytearray()
        while len(out) < n:
            lib = rng.choice(libs)
            start = rng.randrange(0, max(1, len(lib) - 65536))
            out += lib[start:start + rng.randrange(4096, 65536)]
        return bytes(out[:n])

    def write(rel, data, mode=0o644):
        nonlocal written
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, mode)
        written += len(data)

    crate = 0
    while written < size:
        crate += 1
        name = f"crate{crate:04d}"
        h = f"{rng.getrandbits(64):016x}"
        for profile in ("debug",):
            base = f"{profile}"
            # The bulk: rlib and rmeta.
            write(f"{base}/deps/lib{name}-{h}.rlib", blob(rng.randrange(256 << 10, 6 << 20)))
            write(f"{base}/deps/lib{name}-{h}.rmeta", blob(rng.randrange(16 << 10, 512 << 10)))
            write(f"{base}/deps/{name}-{h}.d",
                  "".join(f"/root/.cargo/registry/src/index/{name}-1.0.0/src/m{i}.rs\n"
                          for i in range(rng.randrange(3, 40))).encode())
            if crate % 9 == 0:
                write(f"{base}/deps/lib{name}-{h}.so", blob(rng.randrange(1 << 20, 8 << 20)), 0o755)
            # Many small files: fingerprints and build-script outputs.
            fp = f"{base}/.fingerprint/{name}-{h}"
            write(f"{fp}/lib-{name}", f"{rng.getrandbits(64):016x}".encode())
            write(f"{fp}/lib-{name}.json", (b'{"rustc":1,"features":"[]","target":%d}' % rng.getrandbits(32)))
            write(f"{fp}/dep-lib-{name}", blob(rng.randrange(64, 2048)))
            write(f"{fp}/invoked.timestamp", b"This file has an mtime of when this was started.")
            if crate % 4 == 0:
                out = f"{base}/build/{name}-{h}"
                write(f"{out}/build-script-build", blob(rng.randrange(256 << 10, 1 << 20)), 0o755)
                write(f"{out}/output", b"cargo:rerun-if-changed=build.rs\n")
                for i in range(rng.randrange(1, 30)):
                    write(f"{out}/out/gen{i}.rs", blob(rng.randrange(100, 4000)))
    print(f"{written} bytes in {crate} crates under {root}")


if __name__ == "__main__":
    main()
