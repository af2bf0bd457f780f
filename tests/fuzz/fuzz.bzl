"""cook_fuzz_target: one libFuzzer target and its replay test."""

def cook_fuzz_target(name, srcs, deps = []):
    """Declares `name` and `name`_regression_test.

    `name` is a libFuzzer binary under --config=fuzz (linked with
    -fsanitize=fuzzer) and a replay binary otherwise. `name`_regression_test
    replays tests/fuzz/`name`/corpus and tests/fuzz/`name`/regressions (kept
    crash inputs) in every build, so `bazel test` and `bazel test
    --config=asan` check each input once.
    """
    native.cc_binary(
        name = name,
        testonly = True,
        srcs = srcs,
        linkopts = select({
            "//tests/fuzz:fuzzing": ["-fsanitize=fuzzer"],
            "//conditions:default": [],
        }),
        tags = ["fuzz"],
        deps = deps + select({
            "//tests/fuzz:fuzzing": [],
            "//conditions:default": ["//tests/fuzz:standalone_main"],
        }),
    )
    inputs = native.glob([name + "/corpus/**", name + "/regressions/**"])
    native.cc_test(
        name = name + "_regression_test",
        size = "small",
        srcs = srcs,
        args = [
            "tests/fuzz/%s/corpus" % name,
            "tests/fuzz/%s/regressions" % name,
        ],
        data = inputs,
        deps = deps + ["//tests/fuzz:standalone_main"],
    )
