"""release_binary: a cc_binary built for release, whatever the command line.

`bazel build //release` builds cook with -c opt and --stamp (so --version
names the commit) through a configuration transition, then strips it, so
nobody has to remember the flags. The ordinary build's outputs are left
alone: the release configuration has its own output directory.
"""

def _release_transition_impl(settings, attr):
    return {
        "//command_line_option:compilation_mode": "opt",
        "//command_line_option:stamp": True,
    }

_release_transition = transition(
    implementation = _release_transition_impl,
    inputs = [],
    outputs = [
        "//command_line_option:compilation_mode",
        "//command_line_option:stamp",
    ],
)

def _release_binary_impl(ctx):
    binary = ctx.attr.binary[0][DefaultInfo].files_to_run.executable
    out = ctx.actions.declare_file(ctx.attr.name)
    ctx.actions.run_shell(
        inputs = [binary],
        outputs = [out],
        command = "strip --strip-all -o \"$2\" \"$1\"",
        arguments = [binary.path, out.path],
        mnemonic = "StripRelease",
        progress_message = "Stripping %s" % out.short_path,
    )
    return [DefaultInfo(files = depset([out]), executable = out)]

release_binary = rule(
    implementation = _release_binary_impl,
    attrs = {
        "binary": attr.label(cfg = _release_transition, executable = True, mandatory = True),
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
    },
    executable = True,
)
