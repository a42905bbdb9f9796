"""Each reader on a small fixture in its real format: records, provenance and drops."""

from __future__ import annotations

from pathlib import Path

import pytest

from seccodegen.dataset.readers import READERS, ReaderContext, read_link_csv
from seccodegen.errors import InputError


def read(fmt: str, path: Path, **kw) -> tuple[list, ReaderContext]:
    ctx = ReaderContext(**kw)
    return list(READERS.get(fmt)(path, ctx)), ctx


def reasons(ctx: ReaderContext) -> list[str]:
    return sorted(d.reason for d in ctx.drops)


def test_registry_has_every_format():
    for name in (
        "cvefixes",
        "bigvul",
        "crossvul",
        "androidcvefixes",
        "git",
        "debian-patches",
        "vulnfix-jsonl",
        "sven-pairs",
    ):
        assert name in READERS


def test_cvefixes_reads_files_methods_and_cwes(cvefixes_db):
    recs, ctx = read("cvefixes", cvefixes_db)
    by_repo = {r.repo: r for r in recs}
    c = by_repo["example/hdrparse"]
    assert c.cve_ids == ["CVE-2099-0001"] and c.cwe_ids == ["CWE-787"]
    assert [(f.path, f.language, f.scope) for f in c.files] == [("src/hdr.c", "c", "file")]
    assert "if (n >= out_len)" in c.files[0].after and "if (n >= out_len)" not in c.files[0].before
    assert c.message == "Fix overflow in parse_header"
    py = by_repo["example/pyconf"]
    # no code in file_change: the method_change pair is used; NVD-CWE-Other is not a CWE id
    assert py.cwe_ids == ["CWE-502"]
    assert [(f.language, f.scope) for f in py.files] == [("python", "function")]
    assert "safe_load" in py.files[0].after and "safe_load" not in py.files[0].before
    assert reasons(ctx) == ["corrupt row", "not a C/C++/Java/Python file"]
    assert any("file_change[300]" in d.location for d in ctx.drops)


def test_androidcvefixes_reads_java(androidcvefixes_db):
    recs, _ = read("androidcvefixes", androidcvefixes_db)
    assert len(recs) == 1
    rec = recs[0]
    assert rec.source == "androidcvefixes" and rec.cwe_ids == ["CWE-125"]
    assert rec.repo == "android.googlesource.com/platform/frameworks/base"
    assert rec.files[0].language == "java"


def test_cvefixes_rejects_a_non_cvefixes_db(tmp_path):
    import sqlite3

    db = tmp_path / "other.db"
    sqlite3.connect(db).execute("CREATE TABLE t (x TEXT)")
    with pytest.raises(InputError, match="no table"):
        read("cvefixes", db)


def test_bigvul_groups_functions_by_commit_and_drops_bad_rows(dsfix):
    recs, ctx = read("bigvul", dsfix / "bigvul_MSR_data_cleaned.csv")
    assert len(recs) == 1
    rec = recs[0]
    assert (rec.repo, rec.sha) == ("example/chunkreader", "1234567890abcdef1234567890abcdef12345678")
    assert rec.cve_ids == ["CVE-2099-2001"] and rec.cwe_ids == ["CWE-119"]
    assert [f.scope for f in rec.files] == ["function", "function"]
    assert reasons(ctx) == [
        "corrupt row",
        "function not changed by the fix (vul=0)",
        "not a C/C++/Java/Python file",
    ]
    assert all(":row" in d.location for d in ctx.drops)


def test_bigvul_refuses_the_link_list(dsfix):
    with pytest.raises(InputError, match="--links"):
        read("bigvul", dsfix / "links_all_linkNotNull.csv")


def test_crossvul_pairs_metadata_and_bad_files(dsfix):
    recs, ctx = read("crossvul", dsfix / "crossvul")
    by_repo = {r.repo: r for r in recs}
    assert set(by_repo) == {"example/strlib", "example/pydb"}
    assert by_repo["example/strlib"].cve_ids == ["CVE-2099-4017"]
    assert by_repo["example/pydb"].cwe_ids == ["CWE-89"]
    assert by_repo["example/pydb"].files[0].language == "python"
    assert "strcpy" in by_repo["example/strlib"].files[0].before
    assert "corrupt row" in reasons(ctx)  # bad_40_0 has no good_ partner
    assert "unknown encoding (not UTF-8)" in reasons(ctx)
    assert "not a C/C++/Java/Python file" in reasons(ctx)  # php


def test_vulnfix_jsonl_reads_commits_and_reports_every_bad_line(dsfix):
    link_drops: list = []
    links = read_link_csv(dsfix / "links_all_linkNotNull.csv", link_drops)
    assert [(d.location.rsplit(":", 1)[-1], d.reason) for d in link_drops] == [
        ("2", "link is not a GitHub/GitLab/Bitbucket commit URL")  # the LINKEDSHA placeholder row
    ]
    recs, ctx = read("vulnfix-jsonl", dsfix / "vulnfix_commits.jsonl", links=links)
    assert [r.sha[:1] for r in recs] == ["a", "c"]
    first, second = recs
    assert first.source == "bigvul" and first.cwe_ids == ["CWE-787"]  # CWE filled in from the link list
    assert [f.path for f in first.files] == ["src/get.c"]
    assert [(f.path, f.language, f.before is None) for f in second.files] == [
        ("src/ptr.cc", "cpp", False),
        ("src/new.h", "c", True),
    ]
    locations = {d.location.rsplit(":", 1)[-1]: d.reason for d in ctx.drops}
    assert locations["2"] == "corrupt row" and locations["3"] == "corrupt row"
    assert "test-only file" in reasons(ctx) and "binary file (NUL byte)" in reasons(ctx)
    assert "no usable changed file in commit" in reasons(ctx)


def test_vulnfix_jsonl_reads_gzip(tmp_path, dsfix):
    import gzip

    gz = tmp_path / "commits.jsonl.gz"
    gz.write_bytes(gzip.compress((dsfix / "vulnfix_commits.jsonl").read_bytes()))
    recs, _ = read("vulnfix-jsonl", gz)
    assert len(recs) == 2


def test_max_file_bytes_drops_large_files(dsfix):
    recs, ctx = read("vulnfix-jsonl", dsfix / "vulnfix_commits.jsonl", max_file_bytes=40)
    assert any(d.reason.startswith("file larger than") for d in ctx.drops)
    assert all(len(f.after or "") <= 40 for r in recs for f in r.files)


def test_sven_pairs_group_rows_of_one_commit(dsfix):
    recs, ctx = read("sven-pairs", dsfix / "sven")
    by_sha = {r.sha[:4]: r for r in recs}
    names = by_sha["5555"]
    assert names.repo == "example/names" and names.cwe_ids == ["CWE-787"]
    assert [(f.language, f.scope) for f in names.files] == [("c", "function"), ("python", "function")]
    assert names.files[1].extra["function"] == "Names.get"
    assert reasons(ctx) == ["not a fix pair (no func_src_before/func_src_after)"]


def test_debian_applies_series_with_source_and_cuts_hunks_without(dsfix):
    recs, ctx = read("debian-patches", dsfix / "debian")
    by_pkg = {r.repo: r for r in recs}
    full = by_pkg["libdemo"]
    assert full.cve_ids == ["CVE-2099-5001"] and full.files[0].scope == "file"
    # the earlier non-CVE patch of the series is applied first
    assert "(Debian build)" in full.files[0].before
    assert "while (cap < b->len + n)" in full.files[0].after
    hunks = by_pkg["nosrc"]
    assert hunks.files[0].scope == "hunk" and hunks.files[0].path == "lib/x.c"
    assert "if (n < 1)" in hunks.files[0].after and "if (n < 1)" not in hunks.files[0].before
    assert reasons(ctx) == ["test-only file"]


def test_git_miner_finds_cve_and_linked_commits(git_repo):
    links = read_link_csv(git_repo["links"])
    recs, ctx = read("git", git_repo["root"], links=links)
    by_sha = {r.sha: r for r in recs}
    assert set(by_sha) == {git_repo["fix"], git_repo["linked"]}
    fix = by_sha[git_repo["fix"]]
    assert fix.repo == "example/minerepo" and fix.source == "git-cve-mention"
    assert fix.cve_ids == ["CVE-2099-3000"] and fix.cwe_ids == ["CWE-416"]
    assert [f.path for f in fix.files] == ["src/cache.c"]
    assert "*slot = NULL;" in fix.files[0].after and "*slot = NULL;" not in fix.files[0].before
    linked = by_sha[git_repo["linked"]]
    assert linked.source == "git-link" and linked.cve_ids == ["CVE-2099-3001"]
    assert "test-only change (every code file is under a test directory)" in reasons(ctx)


def test_git_miner_without_links_takes_only_cve_commits(git_repo):
    recs, _ = read("git", git_repo["repo"])
    assert [r.sha for r in recs] == [git_repo["fix"]]


def test_link_lookup_accepts_abbreviated_hashes(tmp_path):
    links = tmp_path / "links.csv"
    links.write_text(",CVE ID,CWE ID,codeLink\n0,CVE-2099-0007,CWE-20,https://github.com/Org/Repo/commit/abcdef1\n")
    ctx = ReaderContext(links=read_link_csv(links))
    info = ctx.link_for("org/repo", "abcdef1234567890abcdef1234567890abcdef12")
    assert info is not None and info.cwe_ids == ["CWE-20"] and info.cve_ids == ["CVE-2099-0007"]
    assert ctx.link_for("other/repo", "abcdef1234567890abcdef1234567890abcdef12") is None
