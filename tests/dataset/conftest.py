"""Fixtures of the dataset stage tests: corpus fixtures on disk, SQLite built from SQL, a git repo."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "dataset"


@pytest.fixture()
def dsfix() -> Path:
    return FIXTURES


def _db_from_sql(sql: Path, target: Path) -> Path:
    con = sqlite3.connect(target)
    con.executescript(sql.read_text(encoding="utf-8"))
    con.commit()
    con.close()
    return target


@pytest.fixture()
def cvefixes_db(tmp_path: Path) -> Path:
    return _db_from_sql(FIXTURES / "cvefixes.sql", tmp_path / "CVEfixes.db")


@pytest.fixture()
def androidcvefixes_db(tmp_path: Path) -> Path:
    return _db_from_sql(FIXTURES / "androidcvefixes.sql", tmp_path / "AndroidCVEfixes.db")


def _git(repo: Path, *args: str) -> str:
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
        "GIT_AUTHOR_DATE": "2020-01-01T00:00:00Z",
        "GIT_COMMITTER_DATE": "2020-01-01T00:00:00Z",
        "HOME": str(repo),
        "PATH": "/usr/bin:/bin",
    }
    out = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, env=env, check=True)
    return out.stdout.strip()


@pytest.fixture()
def git_repo(tmp_path: Path) -> dict:
    """A repository with: a CVE-citing fix, a test-only CVE commit, an unrelated commit, a linked commit."""
    repo = tmp_path / "repos" / "minerepo"
    repo.mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "remote", "add", "origin", "https://github.com/example/minerepo.git")
    src = repo / "src"
    src.mkdir()
    (src / "cache.c").write_text(
        "#include <stdlib.h>\n\nvoid cache_drop(char **slot)\n{\n    free(*slot);\n}\n", encoding="utf-8"
    )
    (repo / "README").write_text("cache\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "initial")
    (src / "cache.c").write_text(
        "#include <stdlib.h>\n\nvoid cache_drop(char **slot)\n{\n    free(*slot);\n    *slot = NULL;\n}\n",
        encoding="utf-8",
    )
    (src / "logo.bin").write_bytes(b"\x00\x01binary")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "cache: clear the slot after free\n\nFixes CVE-2099-3000.")
    fix = _git(repo, "rev-parse", "HEAD")
    (repo / "tests").mkdir()
    (repo / "tests" / "test_cache.c").write_text("int main(void) { return 0; }\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "add regression test for CVE-2099-3000")
    (repo / "README").write_text("cache library\n")
    _git(repo, "commit", "-q", "-am", "docs")
    (src / "cache.c").write_text(
        "#include <stdlib.h>\n\nvoid cache_drop(char **slot)\n{\n    if (slot == NULL)\n        return;\n"
        "    free(*slot);\n    *slot = NULL;\n}\n",
        encoding="utf-8",
    )
    _git(repo, "commit", "-q", "-am", "cache: tolerate NULL slot")
    linked = _git(repo, "rev-parse", "HEAD")
    links = tmp_path / "links.csv"
    links.write_text(
        ",CVE ID,CWE ID,codeLink,project\n"
        f"0,CVE-2099-3001,CWE-476,https://github.com/example/minerepo/commit/{linked},minerepo\n"
        f"1,CVE-2099-3000,CWE-416,https://github.com/example/minerepo/commit/{fix},minerepo\n",
        encoding="utf-8",
    )
    return {"root": tmp_path / "repos", "repo": repo, "fix": fix, "linked": linked, "links": links}
