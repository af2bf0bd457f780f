#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora (tests/fuzz/<target>/corpus/) from the
test fixtures, the example workspace, ../shared/corpus when present, and the
inputs the unit tests use. Run from the repository root; the output is
committed, so CI needs neither this script nor the fixtures' sources.

    python3 tests/fuzz/make_seeds.py

The recipes come from `cook prepare`: $COOK, else bazel-bin/builder/cook
(built when missing).
"""

import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile

ROOT = os.getcwd()
FUZZ = os.path.join(ROOT, "tests", "fuzz")

WORKSPACES = [
    "examples/bakery",
    "tests/fixtures/larder",
    "tests/fixtures/probe",
    "tests/fixtures/tally",
]
SHARED_CORPUS = os.path.normpath(os.path.join(ROOT, "..", "..", "shared", "corpus"))
if not os.path.isdir(SHARED_CORPUS):
    SHARED_CORPUS = os.path.normpath(os.path.join(ROOT, "..", "shared", "corpus"))

WORKSPACE_FILES = ("Cargo.toml", "Cargo.lock", "config", "config.toml",
                   "rust-toolchain", "rust-toolchain.toml")


def corpus(target):
    path = os.path.join(FUZZ, target, "corpus")
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def write(directory, name, data):
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data)


def slug(path):
    return path.replace("/", "_").replace(".", "_").strip("_")


def workspace_sections(ws_dir, skip_vendor=True):
    """The workspace as "@@ path" sections, the root Cargo.toml first."""
    files = []
    for dirpath, dirnames, filenames in os.walk(ws_dir):
        dirnames[:] = sorted(d for d in dirnames
                             if d not in ("target", ".git") and
                             not (skip_vendor and d == "vendor"))
        for name in sorted(filenames):
            rel = os.path.relpath(os.path.join(dirpath, name), ws_dir)
            if name in WORKSPACE_FILES or name.endswith(".rs"):
                files.append(rel)
    files.sort(key=lambda p: (p != "Cargo.toml", p))
    out = []
    for rel in files:
        with open(os.path.join(ws_dir, rel), "rb") as f:
            body = b"" if rel.endswith(".rs") else f.read()
        out.append(b"@@ " + rel.encode() + b"\n" + body.rstrip(b"\n"))
    return b"\n".join(out) + b"\n"


def label_of(ws):
    if ws.startswith(ROOT + os.sep):
        return slug(os.path.relpath(ws, ROOT))
    return "shared_corpus_" + slug(os.path.basename(ws))


def all_workspaces():
    found = [os.path.join(ROOT, w) for w in WORKSPACES]
    if os.path.isdir(SHARED_CORPUS):
        for name in sorted(os.listdir(SHARED_CORPUS)):
            path = os.path.join(SHARED_CORPUS, name)
            if os.path.isfile(os.path.join(path, "Cargo.toml")):
                found.append(path)
    return found


def toml_and_prepare():
    toml_dir = corpus("toml_fuzz")
    prepare_dir = corpus("prepare_fuzz")
    for ws in all_workspaces():
        label = label_of(ws)
        for dirpath, dirnames, filenames in os.walk(ws):
            dirnames[:] = [d for d in dirnames if d not in ("target", ".git")]
            for name in filenames:
                if name in WORKSPACE_FILES and name != "rust-toolchain":
                    rel = os.path.relpath(os.path.join(dirpath, name), ws)
                    with open(os.path.join(dirpath, name), "rb") as f:
                        write(toml_dir, label + "-" + slug(rel), f.read())
        write(prepare_dir, label, workspace_sections(ws))
    # Shapes the fixtures lack: globs with exclude, inheritance, outside path
    # dependencies, [patch], renamed and target-specific dependencies, and
    # explicit targets with autodiscovery off.
    write(prepare_dir, "globs-exclude-inherit", """@@ Cargo.toml
[workspace]
members = ["crates/*"]
exclude = ["crates/skip"]
resolver = "2"
[workspace.package]
version = "1.2.3"
edition = "2021"
[workspace.dependencies]
serde = { version = "1", features = ["derive"] }
local = { path = "../outside" }
[patch.crates-io]
anyhow = { path = "patched/anyhow" }
[profile.release]
strip = true
split-debuginfo = "packed"
[profile.custom]
inherits = "release"
@@ crates/a/Cargo.toml
[package]
name = "a"
version.workspace = true
edition.workspace = true
autobins = false
build = "build.rs"
[[bin]]
name = "a-tool"
path = "src/tool.rs"
required-features = ["cli"]
[[example]]
name = "demo"
[[test]]
name = "it"
harness = false
[[bench]]
name = "speed"
[features]
cli = ["dep:serde"]
[dependencies]
serde = { workspace = true, optional = true }
renamed = { package = "b", path = "../b", version = "0.1" }
local.workspace = true
[target.'cfg(unix)'.dependencies]
libc = "0.2"
[build-dependencies]
cc = "1"
@@ crates/a/build.rs
@@ crates/a/src/lib.rs
@@ crates/a/src/tool.rs
@@ crates/a/examples/demo.rs
@@ crates/a/tests/it.rs
@@ crates/a/benches/speed.rs
@@ crates/b/Cargo.toml
[package]
name = "b"
version = "0.1.0"
@@ crates/b/src/main.rs
@@ crates/b/src/bin/extra/main.rs
@@ crates/skip/Cargo.toml
[package]
name = "skip"
version = "9.9.9"
@@ crates/skip/src/lib.rs
@@ patched/anyhow/Cargo.toml
[package]
name = "anyhow"
version = "1.0.0"
@@ patched/anyhow/src/lib.rs
@@ .cargo/config.toml
[source.crates-io]
replace-with = "vendored"
[source.vendored]
directory = "vendor"
[patch.crates-io]
regex = { path = "patched/regex" }
@@ rust-toolchain.toml
[toolchain]
channel = "1.70"
@@ Cargo.lock
version = 3

[[package]]
name = "a"
version = "1.2.3"
dependencies = [
 "b",
 "serde",
]

[[package]]
name = "b"
version = "0.1.0"

[[package]]
name = "serde"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "0000000000000000000000000000000000000000000000000000000000000000"
""")
    write(prepare_dir, "outside-path-dependency", """@@ ws/Cargo.toml
[package]
name = "app"
version = "0.3.0"
[dependencies]
helper = { path = "../helper" }
[workspace]
@@ ws/src/main.rs
@@ helper/Cargo.toml
[package]
name = "helper"
version = "0.1.0"
edition = "2018"
[lib]
crate-type = ["rlib", "cdylib"]
@@ helper/src/lib.rs
""")
    write(toml_dir, "deep-and-odd", """a.b.c.d.e.f = 1
"quoted key" = 'literal'
x = [[1, 2], ["a"], { y = 1970-01-01T00:00:00Z, b = true }]
f = { z = 1e300, n = nan, i = -inf, e = 0.001 }
[[arr.of.tables]]
v = 0x7fffffffffffffff
[[arr.of.tables]]
s = \"\"\"multi
line\\u00e9\"\"\"
""")


def recipes():
    """Recipes from `cook prepare` on each workspace (needs a built cook)."""
    out = corpus("recipe_fuzz")
    cook = os.environ.get("COOK", os.path.join(ROOT, "bazel-bin", "builder", "cook"))
    if not os.path.exists(cook):
        subprocess.run(["bazel", "build", "//builder:cook"], check=True)
    for ws in all_workspaces():
        label = label_of(ws)
        dest = os.path.join(out, label)
        result = subprocess.run(
            [cook, "prepare", "--manifest-path", os.path.join(ws, "Cargo.toml"),
             "--recipe-path", dest], capture_output=True)
        if result.returncode != 0:
            print("skipped", ws, result.stderr.decode(errors="replace"),
                  file=sys.stderr)
    # Variants of a real recipe that try to leave the skeleton.
    with open(os.path.join(out, sorted(os.listdir(out))[0])) as f:
        base = json.load(f)
    def variant(name, edit):
        doc = json.loads(json.dumps(base))
        edit(doc)
        write(out, name, json.dumps(doc, sort_keys=True, indent=2))
    variant("file-dotdot", lambda d: d["files"].update({"../evil/x": "x"}))
    variant("file-absolute", lambda d: d["files"].update({"/tmp/evil": "x"}))
    variant("file-and-dir", lambda d: d["files"].update({"a": "x", "a/b": "y"}))
    variant("stub-dotdot", lambda d: d["packages"][0]["targets"][0].update(
        {"path": "src/../../../evil.rs"}))
    variant("stub-over-file", lambda d: d["packages"][0]["targets"][0].update(
        {"path": d["packages"][0]["manifest_path"]}))
    variant("root-dotdot", lambda d: d.update({"workspace_root": ".."}))
    variant("toolchain-missing", lambda d: d.update(
        {"toolchain_file": "rust-toolchain.toml"}))
    variant("relative-source", lambda d: d.update(
        {"directory_sources": ["vendor"]}))


def references():
    out = corpus("reference_fuzz")
    digest = "sha256:" + "ab" * 32
    refs = ["scratch", "oci:out", "oci:out:v1.2-rc_3", "oci:/abs/dir:tag",
            "oci:/mnt/a:b/layout", "oci:/mnt/a:b/layout:t",
            "docker-archive:img.tar", "docker-archive:img.tar:app:1.0",
            "docker-archive:/x/img.tar:localhost:5000/team/app:v2",
            "docker://rust:1", "docker://someone/tool:2",
            "docker://index.docker.io/library/rust:1",
            "docker://ghcr.io/org/repo/sub:tag", "docker://localhost:5000/app",
            "docker://reg.example:443/a/b@" + digest,
            "docker://reg.example/a:t@" + digest,
            "docker://user:token@reg.example/a", "oci:x\xff:v1"]
    for i, ref in enumerate(refs):
        write(out, "ref%02d" % i, ref.encode("utf-8", "surrogateescape")
              if "\xff" not in ref else b"oci:x\xff:v1")


def auth():
    out = corpus("auth_fuzz")
    cases = {
        "bearer": ('Bearer realm="https://auth.example/token",'
                   'service="registry.example:5000",scope="repository:a/b:pull"',
                   '{"token":"t1","expires_in":300}'),
        "bearer-access-token": ('Bearer realm="https://registry.example:5000/token?x=1"',
                                '{"access_token":"t2","issued_at":"2020-01-01T00:00:00Z"}'),
        "basic": ('Basic realm="Registry"', ""),
        "several": ('Basic realm="a, b", Bearer realm="https://t/token",service=reg, Negotiate',
                    '{"token":"x","expires_in":1e308}'),
        "escapes": (r'Basic realm="say \"hi\" \\ there", x=""', "[]"),
        "token68": ("Negotiate YWJj/+d==, Basic realm=\"r\"", ""),
        "denied": ('Bearer realm="https://auth.example/token",error="insufficient_scope"',
                   '{"token":"t","expires_in":-1}'),
    }
    for name, (challenge, token) in cases.items():
        write(out, name, "@@ challenge\n%s\n@@ token\n%s\n" % (challenge, token))
    write(out, "identity", '@@ identity\n@@ challenge\nBearer realm="https://a/t",service=s\n'
          '@@ token\n{"access_token":"z"}\n')

    files = corpus("authfile_fuzz")
    configs = {
        "auths": {"auths": {"registry.example:5000": {"auth": "dXNlcjpwYXNz"}}},
        "username": {"auths": {"https://registry.example:5000/v1/": {
            "username": "u", "password": "p", "identitytoken": "i"}}},
        "hub": {"auths": {"https://index.docker.io/v1/": {"auth": "dTpw"}}},
        "helpers": {"credHelpers": {"registry.example:5000": "fuzz"},
                    "credsStore": "store"},
        "bad-base64": {"auths": {"registry.example:5000": {"auth": "!!!"}}},
    }
    for name, config in configs.items():
        write(files, name, "@@ config.json\n%s\n@@ helper\n%s\n" % (
            json.dumps(config),
            json.dumps({"ServerURL": "registry.example:5000",
                        "Username": "<token>", "Secret": "s"})))
    write(files, "hub-host", "@@ host\ndocker.io\n@@ config.json\n" +
          json.dumps(configs["hub"]) + "\n")


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def make_tar(entries):
    """entries: (name, kind, data_or_target, mode)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, kind, payload, mode in entries:
            info = tarfile.TarInfo(name)
            info.mode = mode
            info.mtime = 1153704088
            if kind == "file":
                info.size = len(payload)
                tar.addfile(info, io.BytesIO(payload))
                continue
            info.type = {"dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE,
                         "hardlink": tarfile.LNKTYPE, "chr": tarfile.CHRTYPE,
                         "fifo": tarfile.FIFOTYPE}[kind]
            if kind in ("symlink", "hardlink"):
                info.linkname = payload
            tar.addfile(info)
    return buf.getvalue()


def zstd(data):
    return subprocess.run(["zstd", "-q", "-c"], input=data, capture_output=True,
                          check=True).stdout


def gz(data):
    return gzip.compress(data, mtime=0)


def image_json_and_archives():
    layer = make_tar([("build/", "dir", None, 0o755),
                      ("build/target/", "dir", None, 0o755),
                      ("build/target/debug/libx.rlib", "file", b"rlib", 0o644)])
    config = {"architecture": "amd64", "os": "linux",
              "created": "1970-01-01T00:00:01Z",
              "config": {"Env": ["PATH=/usr/bin", "CARGO_TARGET_DIR=/build/target"],
                         "WorkingDir": "/build",
                         "Labels": {"dev.cook.recipe": "sha256:00"},
                         "ExposedPorts": {"80/tcp": {}}},
              "rootfs": {"type": "layers", "diff_ids": [sha(layer)]},
              "history": [{"created_by": "cook"}], "extra": [1, 2.5, None]}
    config_bytes = json.dumps(config, sort_keys=True).encode()
    manifest = {"schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                           "digest": sha(config_bytes), "size": len(config_bytes)},
                "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+zstd",
                            "digest": sha(zstd(layer)), "size": len(zstd(layer)),
                            "annotations": {"a": "b"}}],
                "annotations": {"org.opencontainers.image.ref.name": "latest"}}
    docker_manifest = dict(manifest)
    docker_manifest["mediaType"] = "application/vnd.docker.distribution.manifest.v2+json"
    index = {"schemaVersion": 2,
             "mediaType": "application/vnd.oci.image.index.v1+json",
             "manifests": [{"mediaType": manifest["mediaType"],
                            "digest": sha(b"m"), "size": 1,
                            "platform": {"os": "linux", "architecture": "arm64",
                                         "variant": "v8"}},
                           {"mediaType": manifest["mediaType"],
                            "digest": sha(b"n"), "size": 1,
                            "platform": {"os": "linux", "architecture": "amd64"}}]}
    docker_list = dict(index)
    docker_list["mediaType"] = "application/vnd.docker.distribution.manifest.list.v2+json"
    out = corpus("image_json_fuzz")
    for name, doc in [("config", config), ("manifest", manifest),
                      ("docker-manifest", docker_manifest), ("index", index),
                      ("docker-list", docker_list)]:
        write(out, name, json.dumps(doc, indent=1))

    archives = corpus("docker_archive_fuzz")
    docker_config = dict(config)
    config_bytes = json.dumps(docker_config, sort_keys=True).encode()
    config_name = hashlib.sha256(config_bytes).hexdigest() + ".json"
    entries = [{"Config": config_name, "RepoTags": ["app:1"],
                "Layers": ["layer/layer.tar"]}]
    manifest_json = json.dumps(entries).encode()
    members = [("manifest.json", "file", manifest_json, 0o644),
               (config_name, "file", config_bytes, 0o644),
               ("layer/", "dir", None, 0o755),
               ("layer/layer.tar", "file", layer, 0o644),
               ("repositories", "file", b'{"app":{"1":"x"}}', 0o644)]
    archive = make_tar(members)
    write(archives, "archive.tar", archive)
    write(archives, "archive.tar.gz", gz(archive))
    write(archives, "archive.tar.zst", zstd(archive))
    write(archives, "symlinked-layer.tar", make_tar(
        [("manifest.json", "file", json.dumps([{"Config": config_name,
          "Layers": ["l.tar"]}]).encode(), 0o644),
         (config_name, "file", config_bytes, 0o644),
         ("blobs/sha256/x", "file", layer, 0o644),
         ("l.tar", "symlink", "blobs/sha256/x", 0o777)]))
    sections = b"".join(
        b"@@ " + name.encode() + b"\n" + payload + b"\n"
        for name, payload in [("manifest.json", manifest_json),
                              (config_name, config_bytes),
                              ("layer/layer.tar", layer)])
    write(archives, "sections", sections)
    write(archives, "sections-two-images", b"@@ manifest.json\n" + json.dumps(
        entries + [{"Config": "c.json", "Layers": []}]).encode() +
        b"\n@@ c.json\n{\"rootfs\":{\"diff_ids\":[]}}\n")


def extractor():
    out = corpus("extractor_fuzz")
    benign = make_tar([("build/", "dir", None, 0o755),
                       ("build/target/", "dir", None, 0o755),
                       ("build/target/debug/", "dir", None, 0o700),
                       ("build/target/debug/a.rlib", "file", b"x" * 600, 0o644),
                       ("build/target/debug/link", "symlink", "a.rlib", 0o777),
                       ("build/target/debug/hard", "hardlink",
                        "build/target/debug/a.rlib", 0o644),
                       ("build/target/debug/run", "file", b"#!/bin/sh\n", 0o755)])
    hostile = [
        ("dotdot", [("../outside/x", "file", b"x", 0o644)]),
        ("absolute", [("/tmp/cook-fuzz-canary/x", "file", b"x", 0o644)]),
        ("symlink-escape", [("l", "symlink", "../outside", 0o777),
                            ("l/x", "file", b"x", 0o644)]),
        ("symlink-absolute", [("l", "symlink", "/tmp/cook-fuzz-canary", 0o777),
                              ("l/x", "file", b"x", 0o644)]),
        ("hardlink-escape", [("h", "hardlink", "../outside/x", 0o644)]),
        ("hardlink-absolute", [("h", "hardlink", "/etc/passwd", 0o644)]),
        ("device", [("dev", "chr", None, 0o644)]),
        ("fifo", [("fifo", "fifo", None, 0o644)]),
        ("file-then-dir", [("a", "file", b"x", 0o644), ("a/b", "file", b"y", 0o644)]),
        ("dir-no-perms", [("d/", "dir", None, 0o000), ("d/x", "file", b"x", 0o644)]),
        ("prefix", [("build/target/../../outside/x", "file", b"x", 0o644)]),
    ]
    for flags in (0, 1, 3):
        write(out, "benign-%d" % flags, bytes([flags]) + benign)
    write(out, "benign-zstd", b"\x03" + zstd(benign))
    write(out, "benign-gzip", b"\x01" + gz(benign))
    for name, entries in hostile:
        data = make_tar(entries)
        write(out, name, b"\x00" + data)
        write(out, name + "-zstd", b"\x01" + zstd(data))


def signatures():
    out = corpus("signature_fuzz")
    digest = "sha256:" + "d34db33f" * 8
    write(out, "cook_payload.json",
          ('{"critical":{"identity":{"docker-reference":"127.0.0.1:5000/cook/cache"},'
           '"image":{"docker-manifest-digest":"%s"},'
           '"type":"cosign container image signature"},"optional":null}' % digest).encode())
    write(out, "cosign_annotated_payload.json",
          ('{"critical":{"identity":{"docker-reference":"index.docker.io/library/rust:1"},'
           '"image":{"docker-manifest-digest":"%s"},'
           '"type":"cosign container image signature"},"optional":{"a":"b"}}' % digest).encode())
    write(out, "public_key.pem",
          b"-----BEGIN PUBLIC KEY-----\n"
          b"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEo8axy3h+X/Vqv5/g/X7tJqAThq6c\n"
          b"nUoRsugWXc2MeCJcCDKxYCR/a1KM6B53P21eMZiqC0+Uo/nyiMNnOoY2yA==\n"
          b"-----END PUBLIC KEY-----\n")
    write(out, "signature.der", bytes.fromhex(
        "3045022100ce4fdaf318929c54511c1448c587b2bf7b685dd31d8229a117b9a4b7e0e06b8c"
        "02201f3b4d2f1ed298f6adc4110aa40613e11f1c84a6f196bded772250beb70e6b8f"))
    write(out, "identity.txt", b"docker.io/library/rust@sha256:00")


def main():
    toml_and_prepare()
    references()
    auth()
    image_json_and_archives()
    extractor()
    recipes()
    signatures()


if __name__ == "__main__":
    main()
