"""run_scenario_tests: compile per language, sandboxed runs, every expectation kind."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from seccodegen.sandbox import SandboxLimits
from seccodegen.scenarios.model import load_scenario, scenario_from_dict
from seccodegen.scenarios.testing import check_compiles, run_scenario_tests

VALID = Path(__file__).parents[1] / "fixtures" / "scenarios" / "valid" / "copy-name.yaml"


def scenario(language: str, tests: list[dict], prompt: str = "", **extra):
    data = {
        "id": f"{language}/cwe-20/probe",
        "language": language,
        "cwe": "CWE-20",
        "description": "probe",
        "prompt": prompt or "x",
        "tests": tests,
        "completions": {"vulnerable": ["a", "b"], "secure": ["c", "d"]},
        **extra,
    }
    return scenario_from_dict(data, "probe.yaml")


def test_fixture_secure_passes_and_vulnerable_output_is_checked() -> None:
    s = load_scenario(VALID)
    outcome = run_scenario_tests(s, s.assemble(s.secure_completions[0]))
    assert outcome.passed and outcome.compiled and (outcome.n_passed, outcome.n_total) == (2, 2)
    assert [r.name for r in outcome.results] == ["short-name", "long-name-truncated"]
    # the vulnerable strcpy overflows on the long name: crashes (stack protector) or prints it whole
    bad = run_scenario_tests(s, s.assemble(s.vulnerable_completions[0]))
    assert not bad.passed and bad.results[0].passed and bad.n_passed == 1
    assert "signal" in bad.results[1].reason or "stdout" in bad.results[1].reason


def test_compile_error_is_reported_not_run() -> None:
    s = load_scenario(VALID)
    outcome = run_scenario_tests(s, s.assemble("    this is not C\n}\n"))
    assert not outcome.passed and not outcome.compiled and outcome.results == ()
    assert "error" in outcome.compile_error
    assert "compile error" in outcome.failure_summary()
    assert check_compiles(s, s.assemble(s.secure_completions[1])) is None


C_FILES = r"""#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
    char line[64];
    if (!fgets(line, sizeof line, stdin)) return 3;
    FILE *in = fopen("in/data.txt", "r");
    if (!in) return 4;
    int c; FILE *out = fopen("out.txt", "w");
    while ((c = fgetc(in)) != EOF) fputc(c, out);
    fclose(in); fclose(out);
    remove("junk.txt");
    printf("read %s", line);
    return argc > 1 ? atoi(argv[1]) : 0;
}
"""


def test_files_stdin_exit_codes_and_file_expectations() -> None:
    base = {"stdin": "hello\n", "files": {"in/data.txt": "payload", "junk.txt": "x"}}
    s = scenario("c", [
        {"name": "ok", **base, "expect_stdout": "read hello", "expect_files": {"out.txt": "payload"},
         "expect_files_absent": ["junk.txt"], "expect_stdout_contains": ["hello"],
         "expect_stdout_not_contains": ["error"]},
        {"name": "exit-7", **base, "args": ["7"], "expect_exit": 7},
        {"name": "any-exit", **base, "args": ["9"], "expect_exit": None},
        {"name": "wrong-exit", **base, "args": ["2"]},
        {"name": "wrong-file", **base, "expect_files": {"out.txt": "other"}},
        {"name": "not-absent", **base, "expect_files_absent": ["in/data.txt"]},
        {"name": "no-stdin", "files": base["files"], "expect_exit": 0},
        {"name": "forbidden", **base, "expect_stdout_not_contains": ["hello"]},
    ])  # fmt: skip
    outcome = run_scenario_tests(s, C_FILES)
    by_name = {r.name: r for r in outcome.results}
    assert [n for n, r in by_name.items() if r.passed] == ["ok", "exit-7", "any-exit"]
    assert "exit code 2, expected 0" in by_name["wrong-exit"].reason
    assert "'out.txt'" in by_name["wrong-file"].reason
    assert "must not" in by_name["not-absent"].reason
    assert by_name["no-stdin"].returncode == 3
    assert "forbidden" in by_name["forbidden"].reason
    assert outcome.n_passed == 3 and not outcome.passed


PY_MODES = """import os, sys
mode = int(sys.argv[1], 8)
os.makedirs("spool", exist_ok=True)
os.chmod("spool", mode)
with open("plain.txt", "w") as f:  # no mode asked for: the umask decides
    f.write("x")
print("done")
"""


def test_expect_modes_sees_the_mode_the_program_set_under_umask_000() -> None:
    rule = {"spool": {"forbid": "0o002"}}
    s = scenario("python", [
        {"name": "private", "args": ["700"], "expect_modes": rule},
        {"name": "sticky-world-writable", "args": ["1777"], "expect_modes": rule},
        {"name": "default-mode", "args": ["700"], "expect_modes": {"plain.txt": {"forbid": "0o002"}}},
        {"name": "missing", "args": ["700"], "expect_modes": {"nope": {"forbid": "0o002"}}},
        {"name": "no-modes-checked", "args": ["700"], "expect_stdout": "done"},
    ])  # fmt: skip
    by_name = {r.name: r for r in run_scenario_tests(s, PY_MODES).results}
    assert by_name["private"].passed and by_name["no-modes-checked"].passed
    assert "'spool' has mode 0o1777; the bits 0o2 must not be set" in by_name["sticky-world-writable"].reason
    # open() asks for 0666: under the test's umask 000 that is what the file gets
    assert "'plain.txt' has mode 0o666" in by_name["default-mode"].reason
    assert "'nope' does not exist" in by_name["missing"].reason


def test_binary_input_files_arrive_byte_for_byte() -> None:
    s = scenario("python", [{"name": "bytes", "args": ["b.bin"], "files": {"b.bin": {"base64": "rO0ABf8="}},
                             "expect_stdout": "aced0005ff"}])  # fmt: skip
    assert run_scenario_tests(s, "import sys\nprint(open(sys.argv[1], 'rb').read().hex())\n").passed


def test_the_programs_temp_dir_is_its_test_dir() -> None:
    program = "import tempfile\nopen(tempfile.gettempdir() + '/left-behind', 'w').close()\n"
    s = scenario("python", [{"name": "tmp", "expect_files": {"left-behind": ""}}])
    assert run_scenario_tests(s, program).passed


def test_timeout_is_a_failed_test() -> None:
    s = scenario("c", [{"name": "spins"}])
    limits = SandboxLimits(cpu_seconds=1, wall_seconds=2.0)
    outcome = run_scenario_tests(s, "int main(void) { for (;;) {} }\n", limits=limits)
    reason = outcome.results[0].reason
    assert not outcome.passed and (reason == "timed out" or "SIGXCPU" in reason or "SIGKILL" in reason), (
        reason
    )


def test_python_program_and_syntax_error() -> None:
    s = scenario("python", [{"name": "echo", "args": ["a", "b"], "expect_stdout": "a+b"}])
    assert run_scenario_tests(s, "import sys\nprint('+'.join(sys.argv[1:]))\n").passed
    broken = run_scenario_tests(s, "def f(:\n    pass\n")
    assert not broken.compiled and "SyntaxError" in broken.compile_error


def test_cpp_program_with_flags() -> None:
    s = scenario("cpp", [{"name": "sum", "args": ["2", "40"], "expect_stdout": "42"}],
                 compile={"flags": ["-Wall"]})  # fmt: skip
    code = "#include <iostream>\n#include <string>\nint main(int c, char** v) { std::cout << std::stoi(v[1]) + std::stoi(v[2]) << '\\n'; }\n"
    assert run_scenario_tests(s, code).passed


@pytest.mark.parametrize("source_name", ["Main.java", "Greeter.java"])
def test_java_program_runs_its_main_class(source_name: str) -> None:
    s = scenario(
        "java", [{"name": "greet", "args": ["ann"], "expect_stdout": "hi ann"}], source_name=source_name
    )
    cls = source_name[: -len(".java")]
    code = f'public class {cls} {{ public static void main(String[] a) {{ System.out.println("hi " + a[0]); }} }}\n'
    outcome = run_scenario_tests(s, code)
    assert outcome.passed, outcome.failure_summary()
    wrong = dataclasses.replace(s, source_name="Other.java")
    assert not run_scenario_tests(wrong, code).compiled


def test_sanitizer_report_lines_and_language_defaults() -> None:
    from seccodegen.scenarios.effects import sanitizer_report
    from seccodegen.scenarios.testing import sanitizes

    asan = "==7==ERROR: AddressSanitizer: stack-buffer-overflow on address 0x1\nREAD of size 4\n"
    assert sanitizer_report(asan).startswith("==7==ERROR: AddressSanitizer: stack-buffer-overflow")
    assert sanitizer_report("main.c:3:5: runtime error: signed integer overflow\n").startswith("main.c:3:5")
    assert sanitizer_report("SUMMARY: UndefinedBehaviorSanitizer: undefined-behavior main.c:3:5\n")
    assert sanitizer_report("error: bad input\nSUMMARY: 3 rows\n") is None  # the program's own words
    c = load_scenario(VALID)
    assert sanitizes(c) and not sanitizes(dataclasses.replace(c, sanitize=False))
    assert not sanitizes(dataclasses.replace(c, language="python"))
