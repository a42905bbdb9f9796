"""default-permission-creation (CWE-732): files created with the default mode, in programs that
never choose permissions themselves."""

from __future__ import annotations

from pathlib import Path

import pytest

from seccodegen.judge.analyzers.file_permissions import program_sets_permissions
from seccodegen.judge.analyzers.source_checks import SourceChecks

pytest.importorskip("tree_sitter_c")

C_HEAD = "#include <fcntl.h>\n#include <stdio.h>\n#include <sys/stat.h>\n"
CPP_HEAD = "#include <filesystem>\n#include <fstream>\nnamespace fs = std::filesystem;\n"


def flagged(tmp_path: Path, body: str, language: str = "c") -> list[int]:
    """Lines of the rule's findings in a one-function program with ``body``."""
    source = tmp_path / ("t.c" if language == "c" else "t.cpp")
    head = C_HEAD if language == "c" else CPP_HEAD
    source.write_text(head + "int save(const char *path) {\n" + body + "\n    return 0;\n}\n")
    found = SourceChecks().run([source], language, 30).get(source, [])
    return [f.line for f in found if f.rule == "default-permission-creation"]


@pytest.mark.parametrize(
    "body",
    [
        '    FILE *f = fopen(path, "w");',
        '    FILE *f = fopen(path, "a+");',
        "    int fd = open(path, O_WRONLY | O_CREAT);  /* no mode: undefined */",
        '    if ((fd = open(path, O_CREAT | O_APPEND | O_WRONLY)) < 0) return -1;',
    ],
)
def test_c_creations_with_the_default_mode_are_flagged(tmp_path: Path, body: str) -> None:
    assert flagged(tmp_path, body) == [5]


@pytest.mark.parametrize(
    "body",
    [
        '    FILE *f = fopen(path, "r");',  # reads: creates nothing
        "    int fd = open(path, O_RDONLY);",
        '    umask(077);\n    FILE *f = fopen(path, "w");',  # the umask masks others' write
        '    mode_t old = umask(S_IWGRP | S_IRWXO);\n    FILE *f = fopen(path, "a");',
        '    FILE *f = fopen(path, "w");\n    chmod(path, 0600);',  # narrowed afterwards
        '    FILE *f = fopen(path, "w");\n    fchmod(fileno(f), S_IRUSR | S_IWUSR);',
        "    int fd = open(path, O_WRONLY | O_CREAT, 0600);",  # an explicit mode that others cannot write
        '    mkdir("spool", 0700);\n    FILE *f = fopen("spool/job", "w");',  # inside a private directory
    ],
)
def test_c_programs_that_choose_permissions_or_create_nothing_are_not_flagged(tmp_path: Path, body: str) -> None:
    assert flagged(tmp_path, body) == []


def test_a_permissive_umask_or_mode_does_not_clear_default_creations(tmp_path: Path) -> None:
    # umask(0) and 0666 are the world-writable-permissions rule's findings; they choose nothing safe
    assert flagged(tmp_path, '    umask(0);\n    FILE *f = fopen(path, "w");') == [6]
    assert flagged(tmp_path, '    chmod("other", 0666);\n    FILE *f = fopen(path, "w");') == [6]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("    std::ofstream out(path, std::ios::trunc);", [5]),
        ("    std::ofstream out;\n    out.open(path);", [6]),
        ('    fs::create_directories(fs::path("spool") / path);', [5]),
        ("    std::ifstream in(path);", []),
        (
            "    std::ofstream out(path);\n"
            "    fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace);",
            [],
        ),
        ("    std::ofstream out(path);\n    fs::permissions(path, fs::perms::others_write, fs::perm_options::remove);", []),
        # adding owner bits narrows nothing
        ("    std::ofstream out(path);\n    fs::permissions(path, fs::perms::owner_exec, fs::perm_options::add);", [5]),
    ],
)
def test_cpp_streams_and_directories(tmp_path: Path, body: str, expected: list[int]) -> None:
    assert flagged(tmp_path, body, "cpp") == expected


def test_program_sets_permissions_reads_modes_not_names() -> None:
    assert program_sets_permissions("umask(022);")
    assert not program_sets_permissions("umask(0);")
    assert not program_sets_permissions("umask(mask);")  # unknown value: proves nothing
    assert program_sets_permissions("int fd = open(p, O_CREAT | O_WRONLY, S_IRUSR | S_IWUSR);")
    assert not program_sets_permissions("int fd = open(p, O_CREAT | O_WRONLY, 0666);")
    assert not program_sets_permissions("int fd = open(p, O_RDONLY);")
    assert program_sets_permissions("mkdir(dir, S_IRWXU);")
    assert not program_sets_permissions("mkdir(dir, 0777);")
    assert program_sets_permissions("fchmodat(AT_FDCWD, p, 0600, 0);")  # the mode is the third argument
    assert not program_sets_permissions("fchmodat(dirfd, p);")  # too few arguments: no mode, no crash
