"""informersim_fuzz_target: a libFuzzer target and its corpus as a test.

For a target NAME with source NAME.cc (defining LLVMFuzzerTestOneInput):
  - NAME: a binary; under `--config=fuzz` (clang, libFuzzer, ASan, UBSan) the
    fuzzer itself, otherwise a replayer of the files it is given;
  - NAME_corpus_test: a test that replays corpus/NAME/ (seed inputs and every
    fixed crash) with the default toolchain, so `bazel test //...` runs them.
tools/fuzz.sh runs a fuzzer on its corpus and dictionary.
"""

def informersim_fuzz_target(name, deps = [], corpus_test_size = "small"):
    native.cc_library(
        name = name + "_entry",
        srcs = [name + ".cc"],
        deps = deps,
        alwayslink = True,
        testonly = True,
    )
    native.cc_binary(
        name = name,
        deps = [":" + name + "_entry"] + select({
            ":fuzzing": [],
            "//conditions:default": [":replay_main"],
        }),
        linkopts = select({
            ":fuzzing": ["-fsanitize=fuzzer"],
            "//conditions:default": [],
        }),
        testonly = True,
    )
    native.cc_test(
        name = name + "_corpus_test",
        deps = [":" + name + "_entry", ":replay_main"],
        data = native.glob(["corpus/" + name + "/**"]),
        args = ["tests/fuzz/corpus/" + name],
        size = corpus_test_size,
    )
