"""The whole build: merge and dedupe, filters, split by file, nested sizes, contamination, drops."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seccodegen.config import load_config
from seccodegen.dataset import DEMO_COMMITS
from seccodegen.dataset.build import DatasetConfig, SourceSpec, run
from seccodegen.errors import ArtifactError, ConfigError


def load(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def examples(out: Path, gran: str, sub: str = "") -> list[dict]:
    base = out / gran / sub if sub else out / gran
    return load(base / "train.jsonl") + load(base / "val.jsonl")


def test_demo_builds_all_granularities_with_schema(tmp_path):
    out = run(
        DatasetConfig(sources=(SourceSpec("vulnfix-jsonl", str(DEMO_COMMITS)),), out=str(tmp_path / "ds"))
    )
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["stage"] == "dataset" and manifest["status"] == "finished"
    for gran in ("file", "function", "block", "line"):
        exs = examples(out, gran)
        assert exs, gran
        for ex in exs:
            assert ex["record"] == "dataset_example" and ex["schema_version"] == 1
            assert ex["granularity"] == gran and ex["language"] == "c"
            assert ex["cve_ids"][0].startswith("CVE-0000-") and ex["cwe_ids"]
            assert ex["provenance"]["source"] == "seccodegen-demo" and ex["provenance"]["path"]
            assert ex["split"] in ("train", "val") and ex["before"] is not None
            lines = ex["text"].splitlines()
            assert all(1 <= n <= len(lines) for n in ex["changed_lines"])
    assert len({ex["id"] for ex in examples(out, "function")}) == len(examples(out, "function"))
    assert (out / "stats.csv").read_text().startswith("subset,granularity,cves")


def test_split_is_by_file_and_seeded(tmp_path):
    cfg = {"sources": (SourceSpec("vulnfix-jsonl", str(DEMO_COMMITS)),), "val_fraction": 0.25}
    a = run(DatasetConfig(out=str(tmp_path / "a"), seed=1, **cfg))
    b = run(DatasetConfig(out=str(tmp_path / "b"), seed=1, **cfg))
    c = run(DatasetConfig(out=str(tmp_path / "c"), seed=2, **cfg))

    def split_of(out: Path) -> dict:
        got: dict = {}
        for gran in ("file", "function", "block", "line"):
            for ex in examples(out, gran):
                key = (ex["provenance"]["repo"], ex["provenance"]["path"])
                got.setdefault(key, set()).add(ex["split"])
        return got

    sa = split_of(a)
    assert all(len(s) == 1 for s in sa.values())  # every granularity of a file is in one split
    n_val = sum(s == {"val"} for s in sa.values())
    assert n_val == round(len(sa) * 0.25)
    assert sa == split_of(b)
    assert sa != split_of(c)
    assert (a / "file" / "train.jsonl").read_bytes() == (b / "file" / "train.jsonl").read_bytes()


def test_sizes_are_nested_commit_subsets(tmp_path):
    out = run(
        DatasetConfig(
            sources=(SourceSpec("vulnfix-jsonl", str(DEMO_COMMITS)),),
            out=str(tmp_path / "ds"),
            sizes=(4, 8, 50),
        )
    )

    def commits(sub: str) -> set:
        return {
            (e["provenance"]["repo"], e["provenance"]["sha"])
            for g in ("file", "line")
            for e in examples(out, g, sub)
        }

    c4, c8, all_ = commits("size-4"), commits("size-8"), commits("")
    assert len(c4) == 4 and len(c8) == 8 and c4 < c8 < all_
    assert not (out / "file" / "size-50").exists()  # more than the corpus holds: skipped and recorded
    assert json.loads((out / "manifest.json").read_text())["outputs"]["skipped_sizes"] == [50]


def test_cwe_filter_and_language_filter(tmp_path, dsfix):
    out = run(
        DatasetConfig(
            sources=(SourceSpec("vulnfix-jsonl", str(DEMO_COMMITS)),),
            out=str(tmp_path / "ds"),
            cwe=("cwe-787", "CWE-22"),
        )
    )
    exs = examples(out, "function")
    assert exs and {c for e in exs for c in e["cwe_ids"]} <= {"CWE-787", "CWE-22"}
    drops = load(out / "dropped.jsonl")
    assert sum(d["reason"] == "filtered out: no CWE in the cwe filter" for d in drops) == 10
    out2 = run(
        DatasetConfig(
            sources=(SourceSpec("crossvul", str(dsfix / "crossvul")),),
            out=str(tmp_path / "py"),
            languages=("python",),
        )
    )
    assert {e["language"] for e in examples(out2, "file")} == {"python"}


def test_merge_dedupes_commits_and_cves_across_sources(tmp_path, dsfix):
    out = run(
        DatasetConfig(
            sources=(
                SourceSpec("sven-pairs", str(dsfix / "sven")),
                SourceSpec("vulnfix-jsonl", str(dsfix / "vulnfix_commits.jsonl")),
                SourceSpec("debian-patches", str(dsfix / "debian")),
            ),
            links=(str(dsfix / "links_all_linkNotNull.csv"),),
            out=str(tmp_path / "ds"),
        )
    )
    fn = examples(out, "function")
    get = [e for e in fn if e["provenance"]["sha"] == "a" * 40]
    # whole-file vulnfix record wins over the SVEN function pair of the same commit; ids are merged
    assert len(get) == 1 and get[0]["provenance"]["source"] == "bigvul"
    assert get[0]["provenance"]["also_in"] == ["sven"]
    assert set(get[0]["cwe_ids"]) == {"CWE-125", "CWE-787"}
    drops = load(out / "dropped.jsonl")
    assert any(
        d["reason"] == "duplicate commit (same repo and sha)" and "sven" in d["location"] for d in drops
    )
    assert examples(out, "file")  # vulnfix + debian source package
    assert any(e["provenance"]["scope"] == "hunk" for e in examples(out, "line"))


def test_same_cve_from_a_second_source_is_dropped(tmp_path, dsfix):
    vf = tmp_path / "vf.jsonl"
    row = json.loads((dsfix / "vulnfix_commits.jsonl").read_bytes().splitlines()[0])
    row.update(repo="upstream/libdemo", sha="9" * 40, cve_ids=["CVE-2099-5001"])
    vf.write_text(json.dumps(row) + "\n")
    out = run(
        DatasetConfig(
            sources=(
                SourceSpec("vulnfix-jsonl", str(vf)),
                SourceSpec("debian-patches", str(dsfix / "debian")),
            ),
            out=str(tmp_path / "ds"),
        )
    )
    drops = load(out / "dropped.jsonl")
    dup = [d for d in drops if d["reason"].startswith("duplicate fix")]
    assert len(dup) == 1 and "CVE-2099-5001" in dup[0]["detail"]
    assert not any(e["provenance"]["repo"] == "libdemo" for e in examples(out, "file"))


def test_exclude_overlap_drops_contaminated_examples(tmp_path, dsfix):
    src = (SourceSpec("vulnfix-jsonl", str(dsfix / "vulnfix_commits.jsonl")),)
    plain = run(DatasetConfig(sources=src, out=str(tmp_path / "a")))
    clean = run(
        DatasetConfig(sources=src, out=str(tmp_path / "b"), exclude_overlap_with=str(dsfix / "scenarios"))
    )
    n_plain, n_clean = len(examples(plain, "function")), len(examples(clean, "function"))
    assert n_clean == n_plain - 1
    assert not any("a[i]" in e["text"] and "i >= n" in e["text"] for e in examples(clean, "file"))
    drops = [d for d in load(clean / "dropped.jsonl") if d["reason"].startswith("overlaps a scenario")]
    assert drops and all("c/cwe-125/get" in d["detail"] for d in drops)


def test_bad_input_never_stops_the_build(tmp_path, dsfix, cvefixes_db):
    out = run(
        DatasetConfig(
            sources=(
                SourceSpec("vulnfix-jsonl", str(dsfix / "vulnfix_commits.jsonl")),
                SourceSpec("cvefixes", str(cvefixes_db)),
                SourceSpec("crossvul", str(dsfix / "crossvul")),
                SourceSpec("bigvul", str(dsfix / "bigvul_MSR_data_cleaned.csv")),
            ),
            out=str(tmp_path / "ds"),
        )
    )
    drops = load(out / "dropped.jsonl")
    assert {"corrupt row", "unknown encoding (not UTF-8)", "binary file (NUL byte)"} <= {
        d["reason"] for d in drops
    }
    assert all(d["location"] for d in drops)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["outputs"]["dropped"] == len(drops)


def test_refuses_to_overwrite_and_validates_config(tmp_path):
    cfg = DatasetConfig(sources=(SourceSpec("vulnfix-jsonl", str(DEMO_COMMITS)),), out=str(tmp_path / "ds"))
    run(cfg)
    with pytest.raises(ArtifactError, match="--force"):
        run(cfg)
    run(cfg, force=True)
    with pytest.raises(ConfigError, match="unknown source format"):
        load_config(DatasetConfig, None, [], base={"sources": [{"format": "nope", "path": "x"}]})
    with pytest.raises(ConfigError, match="granularities"):
        DatasetConfig(granularities=("token",))
    with pytest.raises(ConfigError, match="CWE"):
        DatasetConfig(cwe=("buffer",))


def test_only_requested_granularities_are_written(tmp_path):
    out = run(
        DatasetConfig(
            sources=(SourceSpec("vulnfix-jsonl", str(DEMO_COMMITS)),),
            out=str(tmp_path / "ds"),
            granularities=("function", "line"),
        )
    )
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["function", "line"]


def test_worker_pool_gives_the_same_output_as_one_process(tmp_path, monkeypatch):
    from seccodegen.dataset import build

    src = (SourceSpec("vulnfix-jsonl", str(DEMO_COMMITS)),)
    one = run(DatasetConfig(sources=src, out=str(tmp_path / "one"), workers=1))
    monkeypatch.setattr(build, "MIN_COMMITS_FOR_POOL", 0)
    pool = run(DatasetConfig(sources=src, out=str(tmp_path / "pool"), workers=2))
    for gran in ("file", "function", "block", "line"):
        for split in ("train", "val"):
            rel = f"{gran}/{split}.jsonl"
            assert (one / rel).read_bytes() == (pool / rel).read_bytes(), rel


def test_git_source_builds_and_records_refs(tmp_path, git_repo):
    out = run(
        DatasetConfig(
            sources=(SourceSpec("git", str(git_repo["root"])),),
            links=(str(git_repo["links"]),),
            out=str(tmp_path / "ds"),
        )
    )
    fn = examples(out, "function")
    assert {e["provenance"]["sha"] for e in fn} == {git_repo["fix"], git_repo["linked"]}
    assert all(e["provenance"]["function"] == "cache_drop" for e in fn)
    manifest = json.loads((out / "manifest.json").read_text())
    refs = manifest["git_refs"][str(git_repo["repo"])]
    assert refs["refs/heads/main"] == git_repo["linked"]


def test_pair_instructions_reach_the_examples(tmp_path, dsfix):
    """SafeCoder's ``description`` becomes the example's ``instruction`` (chat-framed training)."""
    out = run(
        DatasetConfig(
            sources=(SourceSpec("safecoder-pairs", str(dsfix / "safecoder")),),
            out=str(tmp_path / "ds"),
        )
    )
    fn = examples(out, "function")
    assert [e["instruction"] for e in fn] == ["Return the i-th of n items, or -1 when i is out of range."]
    assert "instruction" not in fn[0]["provenance"] and fn[0]["before"].count("return") == 1
