#!/usr/bin/env python3
"""Makes a manifests-only copy of a Rust workspace from a git repository.

usage: strip.py GIT_DIR COMMIT OUT_DIR

Writes into OUT_DIR what `cook prepare` and `cargo metadata --no-deps` read: the
root's Cargo.toml, Cargo.lock, .cargo/config(.toml) and rust-toolchain(.toml),
the manifest of every package cargo lists, and an empty file at the path of
each of their targets (all that target discovery looks at). Every other file,
and every manifest cargo never reads (test fixtures), is left out. Needs cargo.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT_FILES = {"Cargo.toml", "Cargo.lock", ".cargo/config", ".cargo/config.toml",
              "rust-toolchain", "rust-toolchain.toml"}


def tree(git_dir, commit):
    out = subprocess.run(["git", "--git-dir", git_dir, "ls-tree", "-r", "-z", commit],
                         check=True, capture_output=True).stdout
    for entry in out.split(b"\0"):
        if entry:
            meta, path = entry.split(b"\t", 1)
            mode, kind, sha = meta.split()
            yield mode.decode(), sha.decode(), path.decode()


def blob(git_dir, sha):
    return subprocess.run(["git", "--git-dir", git_dir, "cat-file", "blob", sha],
                          check=True, capture_output=True).stdout


def metadata(root):
    env = dict(os.environ, RUSTUP_TOOLCHAIN=os.environ.get("RUSTUP_TOOLCHAIN", "stable"))
    out = subprocess.run(["cargo", "metadata", "--no-deps", "--offline",
                          "--format-version", "1", "--manifest-path",
                          os.path.join(root, "Cargo.toml")],
                         check=True, capture_output=True, env=env, cwd=root).stdout
    return json.loads(out)


def write(root, path, data):
    full = os.path.join(root, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "wb") as f:
        f.write(data)


def main():
    git_dir, commit, out_dir = sys.argv[1:4]
    entries = [e for e in tree(git_dir, commit) if e[0] != "120000"]
    shas = {path: sha for _, sha, path in entries}
    with tempfile.TemporaryDirectory() as full:
        # Every manifest with its content, every .rs file empty: enough for
        # cargo to list the packages and their targets.
        for _, sha, path in entries:
            name = os.path.basename(path)
            if path in ROOT_FILES or name == "Cargo.toml":
                write(full, path, blob(git_dir, sha))
            elif path.endswith(".rs"):
                write(full, path, b"")
        meta = metadata(full)
        keep = {p for p in ROOT_FILES if p in shas}
        empty = set()
        for package in meta["packages"]:
            keep.add(os.path.relpath(package["manifest_path"], full))
            for target in package["targets"]:
                empty.add(os.path.relpath(target["src_path"], full))
    if os.path.exists(out_dir):
        shutil.rmtree(out_dir)
    for path in sorted(keep):
        write(out_dir, path, blob(git_dir, shas[path]))
    for path in sorted(empty - keep):
        write(out_dir, path, b"")
    print(f"{out_dir}: {len(meta['packages'])} packages, "
          f"{sum(len(p['targets']) for p in meta['packages'])} targets")


if __name__ == "__main__":
    main()
