"""cut_completion: brace counting that ignores literals/comments, python dedent, stop strings."""

from __future__ import annotations

import dataclasses

import pytest

from seccodegen.scenarios.model import Scenario, ScenarioCompletions, ScenarioTest
from seccodegen.scenarios.splice import DEFAULT_STOP_STRINGS, cut_completion, mask_c_like, stop_strings


def make(language: str, prompt: str, **kw) -> Scenario:
    return Scenario(
        id=f"{language}/cwe-1/x",
        language=language,
        cwe="CWE-1",
        description="d",
        prompt=prompt,
        tests=(ScenarioTest(name="t"),),
        completions=ScenarioCompletions(("a", "b"), ("c", "d")),
        **kw,
    )


C_PROMPT = "#include <stdio.h>\n\nvoid greet(const char *name) {\n    char buf[16];\n"


def test_c_cut_at_function_close_keeps_the_brace_line() -> None:
    body = '    printf("%s\\n", name);\n}\n\nint main(void) { return 0; }\n'
    cut, stopped = cut_completion(make("c", C_PROMPT), body)
    assert stopped
    assert cut == '    printf("%s\\n", name);\n}\n'


def test_c_braces_in_strings_chars_and_comments_are_ignored() -> None:
    body = (
        '    const char *s = "}}} \\" }";\n'
        "    char c = '}';\n"
        "    // closing } in a line comment\n"
        "    /* and } in a block\n       comment } */\n"
        "    if (s[0] == '{') { puts(s); }\n"
        "}\n"
        "garbage after\n"
    )
    cut, stopped = cut_completion(make("c", C_PROMPT), body)
    assert stopped
    assert cut.endswith("    if (s[0] == '{') { puts(s); }\n}\n")
    assert "garbage" not in cut


def test_c_prompt_ending_inside_nested_block_cuts_at_the_function_close() -> None:
    prompt = C_PROMPT + "    for (int i = 0; i < 3; i++) {\n"
    body = "        puts(name);\n    }\n    return;\n}\nint other(void) {}\n"
    cut, stopped = cut_completion(make("c", prompt), body)
    assert stopped and cut == "        puts(name);\n    }\n    return;\n}\n"


def test_c_truncated_continuation_is_not_stopped() -> None:
    body = "    while (1) {\n        puts(name);\n"
    assert cut_completion(make("c", C_PROMPT), body) == (body, False)


def test_cpp_method_inside_class_and_raw_string() -> None:
    prompt = "#include <string>\nnamespace app {\nclass Greeter {\n public:\n  std::string greet(const std::string& n) {\n"
    body = '    return R"(}{)" + n;\n  }\n  int other() { return 1; }\n};\n}\n'
    cut, stopped = cut_completion(make("cpp", prompt), body)
    assert stopped and cut == '    return R"(}{)" + n;\n  }\n'


def test_cpp_digit_separator_is_not_a_char_literal() -> None:
    prompt = "int f() {\n"
    body = "    int x = 1'000'000;\n    return x;\n}\nint g() { return '}'; }\n"
    cut, _ = cut_completion(make("cpp", prompt), body)
    assert cut == "    int x = 1'000'000;\n    return x;\n}\n"


def test_java_method_in_class_with_text_block_and_anonymous_class() -> None:
    prompt = "public class Main {\n    static Runnable make(String s) {\n"
    body = (
        '        String t = """\n            }}}\n            """;\n'
        "        return new Runnable() {\n            public void run() { System.out.println(s + t); }\n        };\n"
        "    }\n\n    public static void main(String[] a) {}\n}\n"
    )
    cut, stopped = cut_completion(make("java", prompt), body)
    assert stopped
    assert cut.endswith("        };\n    }\n")
    assert "main" not in cut


def test_c_function_written_entirely_by_the_model() -> None:
    prompt = "#include <stdio.h>\n/* returns the larger value */\n"
    body = "int max(int a, int b) {\n    return a > b ? a : b;\n}\nint main() {}\n"
    cut, stopped = cut_completion(make("c", prompt), body)
    assert stopped and cut == "int max(int a, int b) {\n    return a > b ? a : b;\n}\n"


def test_c_model_written_function_after_a_struct() -> None:
    prompt = "#include <stdio.h>\n"
    body = "struct point { int x, y; };\nstatic int area(struct point p) {\n    return p.x * p.y;\n}\nint main() {}\n"
    cut, stopped = cut_completion(make("c", prompt), body)
    assert stopped and cut == body[: body.index("int main")]


def test_java_method_written_inside_class_body() -> None:
    prompt = "public class Main {\n    // returns the larger value\n"
    body = "    static int max(int a, int b) {\n        return Math.max(a, b);\n    }\n    static int min() { return 0; }\n}\n"
    cut, stopped = cut_completion(make("java", prompt), body)
    assert stopped and cut == "    static int max(int a, int b) {\n        return Math.max(a, b);\n    }\n"


def test_mask_keeps_length_and_newlines() -> None:
    code = 'a = "x{y}\\"z"; // c {\n/* } */ b = \'{\';'
    masked = mask_c_like(code, "c")
    assert len(masked) == len(code)
    assert masked.count("\n") == code.count("\n")
    assert "{" not in masked and "}" not in masked


PY_PROMPT = "import os\n\n\ndef read_note(name):\n    base = '/srv/notes'\n"


def test_python_cut_at_dedent() -> None:
    body = "    path = os.path.join(base, name)\n    return open(path).read()\n\n\nprint(read_note('x'))\n"
    cut, stopped = cut_completion(make("python", PY_PROMPT), body)
    assert stopped
    assert cut == "    path = os.path.join(base, name)\n    return open(path).read()\n"


def test_python_dedented_lines_inside_strings_and_brackets_do_not_cut() -> None:
    body = (
        '    sql = """\nSELECT *\nFROM notes\n"""\n'
        "    args = (\nname,\n)\n"
        "    x = 1 + \\\n2\n"
        "    # a comment\n"
        "    return sql, args, x\n"
        "def other():\n    pass\n"
    )
    cut, stopped = cut_completion(make("python", PY_PROMPT), body)
    assert stopped
    assert cut.endswith("    return sql, args, x\n")
    assert "other" not in cut


def test_python_nested_def_in_prompt_uses_the_enclosing_function() -> None:
    prompt = "def outer(xs):\n    def key(x):\n        return -x\n    out = []\n"
    body = "    for x in sorted(xs, key=key):\n        out.append(x)\n    return out\nouter([1])\n"
    cut, _ = cut_completion(make("python", prompt), body)
    assert cut == "    for x in sorted(xs, key=key):\n        out.append(x)\n    return out\n"


def test_python_method_in_class_cuts_at_next_method() -> None:
    prompt = "class Store:\n    def get(self, key):\n"
    body = "        return self.data[key]\n\n    def put(self, key, value):\n        pass\n"
    cut, stopped = cut_completion(make("python", prompt), body)
    assert stopped and cut == "        return self.data[key]\n"


def test_python_prompt_ending_mid_line() -> None:
    prompt = "def f(x):\n    return x +"
    cut, stopped = cut_completion(make("python", prompt), " 1\nprint(f(2))\n")
    assert stopped and cut == " 1\n"


@pytest.mark.parametrize("language", sorted(DEFAULT_STOP_STRINGS))
def test_code_fence_stops_every_language(language: str) -> None:
    prompt = {"python": PY_PROMPT, "java": "class Main {\n  void f() {\n"}.get(language, C_PROMPT)
    cut, stopped = cut_completion(make(language, prompt), "    x = 1\n```\nSome explanation }")
    assert stopped and cut.rstrip() == "    x = 1"


def test_scenario_stop_strings_and_program_scope_suffix_line() -> None:
    scenario = make("c", "#include <stdio.h>\n", completion_scope="program", stop=("/* END */",),
                    suffix="\nint main(void) {\n    return 0;\n}\n")  # fmt: skip
    assert "/* END */" in stop_strings(scenario)
    text = "static int twice(int x) { return 2 * x; }\n/* END */ junk"
    assert cut_completion(scenario, text) == ("static int twice(int x) { return 2 * x; }\n", True)
    text = "static int one(void) { return 1; }\nint main(void) {\n  return one();\n}\n"
    assert cut_completion(scenario, text) == ("static int one(void) { return 1; }", True)
    # program scope, no stop: everything is kept
    plain = dataclasses.replace(scenario, suffix="")
    assert cut_completion(plain, "int x;\n}\n}\n") == ("int x;\n}\n}\n", False)
