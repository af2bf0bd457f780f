"""@cook_version//:version.bzl: the VERSION file as a Starlark constant.

BUILD files cannot read files, but release/BUILD.bazel names its outputs
after the version (cook_VERSION_amd64.deb), so this repository rule reads
the one VERSION file at load time. The file is a label attribute, so Bazel
reads it again whenever it changes. Offline: nothing is fetched.
"""

def _cook_version_impl(rctx):
    version = rctx.read(rctx.path(rctx.attr.version_file)).strip()
    allowed = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.+~-"
    if not version or not version[0].isdigit() or [c for c in version.elems() if c not in allowed]:
        fail("VERSION must be one Debian upstream version such as 0.14.0, not %r" % version)
    rctx.file("BUILD.bazel", "exports_files([\"version.bzl\"])\n")
    rctx.file("version.bzl", "VERSION = %r\n" % version)

cook_version = repository_rule(
    implementation = _cook_version_impl,
    attrs = {"version_file": attr.label(allow_single_file = True, mandatory = True)},
    local = True,
)
