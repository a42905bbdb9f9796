"""Review workflow: sample size and allocation, agreement statistics, and labelling in a real browser."""

import json
import shutil
import threading

import pytest
from typer.testing import CliRunner

from seccodegen.cli import app
from seccodegen.review.agreement import cohen_kappa, compute
from seccodegen.review.reviewset import create_reviewset
from seccodegen.review.sampling import allocate, required_sample_size
from seccodegen.review.store import LabelStore

EVIL = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">'


def judged(tmp_path, n=40):
    rows = []
    for i in range(n):
        cwe = "CWE-787" if i % 2 else "CWE-78"
        code = f"int main(void) {{\n  /* {EVIL} */\n  return {i};\n}}\n"
        rows.append({"id": f"s{i}", "scenario_id": f"c/{cwe.lower()}/x", "language": "c", "cwe": cwe,
                     "model": {"name": "m", "spec": "m", "adapter": None}, "valid": i % 7 != 0,
                     "secure": i % 3 != 0, "correct": i % 4 != 0, "code": code, "completion": f"  return {i};\n}}",
                     "findings": [] if i % 3 else [{"tool": "cppcheck", "rule": "r", "message": "bad <b>x</b>",
                                                     "line": 3, "cwe_ids": [cwe]}]})
    path = tmp_path / "results.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_sample_size_matches_cochran():
    assert required_sample_size(10**9) == 385
    assert required_sample_size(1000) == 278
    assert required_sample_size(50) == 45
    alloc = allocate({"a": 90, "b": 9, "c": 1}, 10)
    assert sum(alloc.values()) == 10 and alloc["c"] == 1 and alloc["a"] >= 8


def test_kappa_and_stats(tmp_path):
    assert cohen_kappa([("s", "s"), ("v", "v")]) == 1.0
    assert abs(cohen_kappa([("s", "s"), ("s", "v"), ("v", "v"), ("v", "s")])) < 1e-9
    rs, k, pop = create_reviewset([str(judged(tmp_path))], str(tmp_path / "rs"), n=12)
    assert (k, pop) == (12, 40)
    items = [json.loads(x) for x in (rs / "items.jsonl").read_text().splitlines()]
    store = LabelStore(rs / "labels.sqlite")
    decided = [it for it in items if it["verdict"] in ("secure", "vulnerable")]
    for it in decided:  # reviewer a agrees with the judge everywhere; b says secure always
        store.save(it["id"], "a", it["verdict"], None)
        store.save(it["id"], "b", "secure", None)
    stats = compute(rs)
    overall = stats["per_cwe"][-1]
    assert overall["group"] == "all" and overall["n"] == 2 * len(decided)
    n_vuln = sum(it["verdict"] == "vulnerable" for it in decided)
    assert overall["judge vulnerable / human secure"] == n_vuln
    assert stats["inter_reviewer"]["items"] == len(decided)
    assert len(stats["disagreements"]) == n_vuln


def _chromium():
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(_chromium() is None, reason="Debian chromium not installed")
def test_label_in_browser_and_stats(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    from seccodegen.review.server import make_server

    rs, _, _ = create_reviewset([str(judged(tmp_path))], str(tmp_path / "rs"), n=6)
    server = make_server(rs, "127.0.0.1", 0)
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-quic"]
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=_chromium(), args=args)
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{port}/")
            page.fill("#reviewer", "alice")
            page.dispatch_event("#reviewer", "change")
            page.wait_for_selector("#code .ln")
            assert EVIL in page.inner_text("#code")  # shown as text ...
            assert page.evaluate("window.pwned") is None  # ... never run as HTML
            page.click("button[data-v=vulnerable]")
            page.wait_for_selector("#status:has-text('saved')")
            page.keyboard.press("c")
            page.keyboard.press("n")
            page.keyboard.press("s")
            page.wait_for_selector("#side .done >> nth=1")
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    labels = LabelStore(rs / "labels.sqlite").labels()
    assert [(lab["reviewer"], lab["security"]) for lab in labels].count(("alice", "vulnerable")) == 1
    assert {lab["security"] for lab in labels} == {"vulnerable", "secure"}
    assert any(lab["correctness"] == "correct" for lab in labels)
    res = CliRunner().invoke(app, ["review", "stats", str(rs), "--out", str(tmp_path / "stats.md")])
    assert res.exit_code == 0, res.output
    assert "Judge vs people" in res.output and (tmp_path / "stats.md").is_file()
