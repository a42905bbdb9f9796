"""Fuzz the dataset readers: each damaged row, file or commit is dropped with its reason in the
drop log (dropped.jsonl), or the whole input is refused with one line; never a silent change."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

from fuzz_harness import (
    byte_corruption,
    call,
    dumps_jsonl,
    fuzz_settings,
    json_field_corruption,
    record,
    strict_jsonl,
    write,
)
from hypothesis import given
from hypothesis import strategies as st

from seccodegen.dataset.readers import READERS, ReaderContext, read_link_csv

FIX = Path(__file__).parents[1] / "fixtures" / "dataset"


def _snapshot(records) -> list[tuple]:
    return sorted(
        (r.repo, r.sha, tuple(r.cve_ids), tuple(r.cwe_ids), tuple((f.path, f.before, f.after) for f in r.files))
        for r in records
    )


def read(fmt: str, path: Path, **kw):
    """(records, drops) or (None, error)."""
    def go():
        ctx = ReaderContext(**kw)
        return _snapshot(READERS.get(fmt)(path, ctx)), sorted((d.location, d.reason) for d in ctx.drops)

    value, exc = call(go)
    return (value, None) if exc is None else (None, exc)


def classify(kind: str, how: str, got, intact, variant_valid: bool) -> None:
    value, exc = got
    if exc is not None:
        record(kind, "error")
        return
    recs, drops = value
    if recs == intact[0] and set(drops) <= set(intact[1]):  # at most a dropped entry went away
        record(kind, "same")
    elif set(drops) - set(intact[1]):  # the damage is in the drop log with its reason
        assert all(reason for _, reason in drops), how
        record(kind, "skip")
    else:
        assert variant_valid, f"{how}: records changed with nothing in the drop log"
        record(kind, "valid")


# ---- vulnfix-jsonl --------------------------------------------------------------------------

# the fixture's valid lines only (it also holds deliberately broken ones for the reader's own tests)
VULNFIX = b"".join(
    ln + b"\n" for ln in (FIX / "vulnfix_commits.jsonl").read_bytes().splitlines() if strict_jsonl(ln)
)
_TEXT = (str, type(None))


def _vulnfix_typed(records: list[dict] | None) -> bool:
    """Independent oracle: every record has the documented field types."""
    if records is None:
        return False
    for r in records:
        ids_ok = all(
            r.get(k) is None or isinstance(r[k], str) or (isinstance(r[k], list) and all(isinstance(x, str) for x in r[k]))
            for k in ("cve_ids", "cwe_ids")
        )
        files = r.get("files")
        files_ok = isinstance(files, list) and all(
            isinstance(f, dict) and isinstance(f.get("path"), str)
            and isinstance(f.get("before"), _TEXT) and isinstance(f.get("after"), _TEXT)
            for f in files
        )
        if not (ids_ok and files_ok and isinstance(r.get("repo"), str) and isinstance(r.get("sha"), str)):
            return False
        if not all(isinstance(r.get(k), _TEXT) for k in ("source", "date", "message")):
            return False
    return True


@fuzz_settings(40)
@given(data=st.data())
def test_vulnfix_jsonl(tmp_path_factory, data) -> None:
    tmp = tmp_path_factory.mktemp("vf")
    intact_recs = strict_jsonl(VULNFIX)
    intact, _ = read("vulnfix-jsonl", write(tmp / "i.jsonl", VULNFIX))
    if data.draw(st.booleans(), label="field-level"):
        how, recs = data.draw(json_field_corruption(intact_recs), label="corruption")
        bad = dumps_jsonl(recs)
    else:
        how, bad = data.draw(byte_corruption(VULNFIX), label="corruption")
    name = data.draw(st.sampled_from(["c.jsonl", "c.jsonl.gz"]), label="name")
    if name.endswith(".gz"):
        import gzip

        bad = gzip.compress(bad, mtime=0)
    got = read("vulnfix-jsonl", write(tmp / name, bad))
    decoded = strict_jsonl(__import__("gzip").decompress(bad) if name.endswith(".gz") else bad)
    classify("dataset vulnfix-jsonl", how, got, intact, _vulnfix_typed(decoded))


# ---- CSV sources: bigvul and the --links list ------------------------------------------------


def _strict_csv_ok(data: bytes) -> bool:
    """Independent oracle: UTF-8, strict quoting, every row as many cells as the header."""
    try:
        rows = [r for r in csv.reader(io.StringIO(data.decode("utf-8"), newline=""), strict=True) if r and r != [""]]
    except (UnicodeDecodeError, csv.Error):
        return False
    return bool(rows) and all(len(r) == len(rows[0]) for r in rows)


BIGVUL = (FIX / "bigvul_MSR_data_cleaned.csv").read_bytes()
LINKS = (FIX / "links_all_linkNotNull.csv").read_bytes()


@fuzz_settings(30)
@given(data=st.data())
def test_bigvul_csv(tmp_path_factory, data) -> None:
    tmp = tmp_path_factory.mktemp("bv")
    intact, _ = read("bigvul", write(tmp / "i.csv", BIGVUL))
    how, bad = data.draw(byte_corruption(BIGVUL), label="corruption")
    got = read("bigvul", write(tmp / "MSR_data_cleaned.csv", bad))
    classify("dataset bigvul csv", how, got, intact, _strict_csv_ok(bad))


def _links(path: Path):
    def go():
        drops: list = []
        links = read_link_csv(path, drops)
        return sorted((k, tuple(v.cve_ids), tuple(v.cwe_ids)) for k, v in links.items()), sorted(
            (d.location, d.reason) for d in drops
        )

    value, exc = call(go)
    return (value, None) if exc is None else (None, exc)


@fuzz_settings(30)
@given(data=st.data())
def test_links_csv(tmp_path_factory, data) -> None:
    tmp = tmp_path_factory.mktemp("ln")
    intact, _ = _links(write(tmp / "i.csv", LINKS))
    how, bad = data.draw(byte_corruption(LINKS), label="corruption")
    classify("dataset --links csv", how, _links(write(tmp / "links.csv", bad)), intact, _strict_csv_ok(bad))


def test_links_huge_cell_and_unclosed_quote(tmp_path) -> None:
    assert b",x\r\n" in LINKS
    big = LINKS.replace(b",x\r\n", b"," + b"y" * 200_000 + b"\r\n", 1)
    value, exc = _links(write(tmp_path / "big.csv", big))
    assert exc is None and len(value[0]) == 1  # a 200 KB cell is read, not a csv field-limit crash
    value, exc = _links(write(tmp_path / "q.csv", LINKS.replace(b",x\r\n", b',"x\r\n', 1)))
    assert exc is None and any(reason == "corrupt link row" for _, reason in value[1])


# ---- CVEfixes SQLite -------------------------------------------------------------------------


def _cvefixes_db(tmp: Path) -> Path:
    tmp.mkdir(parents=True, exist_ok=True)
    db = tmp / "CVEfixes.db"
    con = sqlite3.connect(db)
    con.executescript((FIX / "cvefixes.sql").read_text(encoding="utf-8"))
    con.commit()
    con.close()
    return db


def _integrity_ok(db: Path) -> bool:
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        ok = con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        con.close()
        return ok
    except sqlite3.DatabaseError:
        return False


@fuzz_settings(20)
@given(data=st.data())
def test_cvefixes_db_bytes(tmp_path_factory, data) -> None:
    tmp = tmp_path_factory.mktemp("cf")
    db = _cvefixes_db(tmp)
    intact, _ = read("cvefixes", db)
    how, bad = data.draw(byte_corruption(db.read_bytes()), label="corruption")
    damaged = write(tmp / "damaged.db", bad)
    # a flipped byte inside a TEXT cell is another valid database (SQLite keeps no checksums)
    classify("dataset cvefixes sqlite", how, read("cvefixes", damaged), intact, _integrity_ok(damaged))


SELECTED = {
    "fixes": ["cve_id", "hash", "repo_url"],
    "cwe_classification": ["cve_id", "cwe_id"],
    "commits": ["hash", "msg", "committer_date"],
    "file_change": ["file_change_id", "hash", "filename", "new_path", "code_before", "code_after"],
}


def test_cvefixes_schema_variants(tmp_path) -> None:
    """A database of another CVEfixes version: each missing column or table is one clear line."""
    for table, cols in SELECTED.items():
        for col in cols:
            db = _cvefixes_db(tmp_path / f"{table}-{col}")
            con = sqlite3.connect(db)
            con.execute(f"ALTER TABLE {table} DROP COLUMN {col}")
            con.commit()
            con.close()
            value, exc = read("cvefixes", db)
            assert exc is not None and col in str(exc), (table, col)
            record("dataset cvefixes schema", "error")
    db = _cvefixes_db(tmp_path / "nocwe")
    con = sqlite3.connect(db)
    con.execute("DROP TABLE cwe_classification")
    con.commit()
    con.close()
    value, exc = read("cvefixes", db)
    assert exc is not None and "cwe_classification" in str(exc)
    record("dataset cvefixes schema", "error")


# ---- debian-patches --------------------------------------------------------------------------


def _hunks_consistent(text: str) -> bool:
    """Independent oracle: every @@ header's line counts match the lines that follow it."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        m = re.match(r"^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@", line)
        if not m:
            continue
        want_old, want_new = int(m.group(1) or 1), int(m.group(2) or 1)
        old = new = 0
        for body in lines[i + 1 :]:
            if body.startswith(("@@", "--- ", "diff ")) or (old >= want_old and new >= want_new):
                break
            tag = body[:1] or " "
            if tag not in " -+\\":
                break
            old += tag in " -"
            new += tag in " +"
        if (old, new) != (want_old, want_new):
            return False
    return True


@fuzz_settings(30)
@given(data=st.data())
def test_debian_patch(tmp_path_factory, data) -> None:
    tmp = tmp_path_factory.mktemp("deb")
    root = tmp / "debian"
    shutil.copytree(FIX / "debian", root)
    intact, _ = read("debian-patches", root)
    which = data.draw(st.sampled_from(["libdemo_1.0-1/debian/patches/CVE-2099-5001.patch",
                                       "nosrc_2.0-1/debian/patches/CVE-2099-5002.patch",
                                       "libdemo_1.0-1/debian/patches/series"]), label="file")
    how, bad = data.draw(byte_corruption((root / which).read_bytes()), label="corruption")
    write(root / which, bad)
    try:
        text = bad.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if which.endswith("series"):  # another list of existing patches is another valid series
        names = [ln.split("#")[0].strip() for ln in (text or "").splitlines()]
        valid = text is not None and all((root / which).parent.joinpath(n).is_file() for n in names if n)
    else:
        valid = text is not None and _hunks_consistent(text)
    classify("dataset debian-patches", f"{which}: {how}", read("debian-patches", root), intact, valid)


# ---- crossvul: files replaced by what is not a file -------------------------------------------

FS_DAMAGE = ["fifo", "directory", "link_loop", "dangling_link", "non_utf8", "delete"]


def damage_path(p: Path, how: str) -> None:
    """Replace the file at ``p`` with something that is not a readable text file."""
    import os

    p.unlink()
    if how == "fifo":
        os.mkfifo(p)
    elif how == "directory":
        p.mkdir()
    elif how == "link_loop":
        p.symlink_to(p.name)
    elif how == "dangling_link":
        p.symlink_to(p.parent / "no-such-file")
    elif how == "non_utf8":
        p.write_bytes(b"int main(void) { return 0; }\n\xff\xfe\n")


@fuzz_settings(12)
@given(data=st.data())
def test_crossvul_tree(tmp_path_factory, data) -> None:
    tmp = tmp_path_factory.mktemp("cv")
    root = tmp / "crossvul"
    shutil.copytree(FIX / "crossvul", root)
    intact, _ = read("crossvul", root)
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    which = data.draw(st.sampled_from(files), label="file")
    how = data.draw(st.sampled_from(FS_DAMAGE), label="damage")
    damage_path(root / which, how)
    optional = which == "commits.json" and how == "delete"  # metadata is optional by design
    classify("dataset crossvul tree", f"{which}: {how}", read("crossvul", root), intact, optional)


# ---- git: damaged objects, odd names and messages ---------------------------------------------


def _git(repo: Path, *args: str) -> str:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t",
           "GIT_AUTHOR_DATE": "2020-01-01T00:00:00", "GIT_COMMITTER_DATE": "2020-01-01T00:00:00", "PATH": "/usr/bin:/bin"}
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, env=env, check=True).stdout.strip()


def make_repo(repo: Path) -> None:
    repo.mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "main")
    (repo / "a.c").write_text("int f(int *p) { return p[0]; }\n")
    (repo / "b.c").write_text("int g(void) { return 1; }\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "initial")
    (repo / "a.c").write_text("int f(int *p) { return p ? p[0] : 0; }\n")
    (repo / "weird\nname.c").write_text("int h(void) { return 2; }\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "check NULL\x1e (CVE-2099-7000)")
    (repo / "b.c").write_text("int g(void) { return 0; }\n")
    _git(repo, "commit", "-q", "-am", "fix CVE-2099-7001")


def test_git_names_and_messages(tmp_path) -> None:
    """A file name with a newline and a message with byte 0x1e neither desync nor lose commits."""
    make_repo(tmp_path / "r")
    (recs, drops), exc = read("git", tmp_path / "r")
    assert exc is None, exc
    assert sorted(r[2] for r in recs) == [("CVE-2099-7000",), ("CVE-2099-7001",)]
    paths = sorted(f[0] for r in recs for f in r[4])
    assert paths == ["a.c", "b.c", "weird\nname.c"]


@fuzz_settings(12)
@given(data=st.data())
def test_git_objects(tmp_path_factory, data) -> None:
    tmp = tmp_path_factory.mktemp("git")
    repo = tmp / "r"
    make_repo(repo)
    intact, _ = read("git", repo)
    objects = sorted(p for p in (repo / ".git" / "objects").rglob("*") if p.is_file() and len(p.parent.name) == 2)
    target = data.draw(st.sampled_from(objects), label="object")
    how, bad = data.draw(byte_corruption(target.read_bytes()), label="corruption")
    target.chmod(0o644)
    write(target, bad)
    classify("dataset git objects", f"{target.name}: {how}", read("git", repo), intact, False)


def test_dataset_build_cli_records_damage(tmp_path) -> None:
    """Through `seccodegen dataset build`: a damaged line, a bad link row and a gz tail end in
    dropped.jsonl with their reasons; the rest of the corpus is built."""
    import gzip

    from fuzz_harness import invoke

    lines = VULNFIX.splitlines()
    corpus = b"\n".join([lines[0], b'{"repo": "o/r", "sha": "1", "files": [{"path": "a.c", "before": "x", "after": "y"}], "cve_ids": 5}', lines[1] + b"\xff"])
    src = write(tmp_path / "c.jsonl.gz", gzip.compress(corpus + b"\n")[:-6])  # a truncated download
    links = write(tmp_path / "links.csv", LINKS + b'9,,,,,CVE-2099-1,,CWE-1,,,,,,,,,,not a link,x\r\n')
    rc, exc, output = invoke(
        ["dataset", "build", "--source", f"vulnfix-jsonl:{src}", "--links", str(links), "--out", str(tmp_path / "out")]
    )
    assert exc is None and rc == 0, output
    drops = [json.loads(x) for x in (tmp_path / "out" / "dropped.jsonl").read_text().splitlines()]
    reasons = {d["reason"] for d in drops}
    assert {"corrupt row", "link is not a GitHub/GitLab/Bitbucket commit URL"} <= reasons, reasons
    assert any("unreadable file tail" in d["detail"] for d in drops)
    assert any("CVE ids must be text" in d["detail"] for d in drops)
