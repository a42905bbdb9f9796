"""Progress outside a terminal: plain lines with counts, rate and ETA; no third-party bars."""

import os
import sys

from seccodegen.progress import progress_bar, progress_mode, quiet_third_party_bars, resume_message


def test_non_terminal_prints_periodic_lines_with_rate_and_eta(monkeypatch, capsys):
    monkeypatch.delenv("SECCODEGEN_PROGRESS", raising=False)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    monkeypatch.setenv("SECCODEGEN_PROGRESS_INTERVAL", "0")  # a line per advance instead of per 30 s
    assert progress_mode() == "lines"
    with progress_bar("sample", 10, "samples", done=4) as advance:
        advance(3)
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("sample: 7/10 samples (70%), ")
    assert "samples/s" in err[0] and "eta " in err[0]


def test_lines_come_at_most_once_per_interval(monkeypatch, capsys):
    monkeypatch.delenv("SECCODEGEN_PROGRESS", raising=False)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    monkeypatch.delenv("SECCODEGEN_PROGRESS_INTERVAL", raising=False)  # default: 30 s
    with progress_bar("judge: compile", 1000, "programs") as advance:
        for _ in range(1000):
            advance(1)
    assert capsys.readouterr().err == ""  # well under 30 s: no line at all


def test_off_switch_resume_line_and_third_party_bars(monkeypatch, capsys):
    monkeypatch.setenv("SECCODEGEN_PROGRESS", "0")
    with progress_bar("x", 3) as advance:
        advance(3)
    resume_message("sample", 120, 600, "samples")
    resume_message("sample", 0, 600, "samples")  # a fresh start says nothing
    assert capsys.readouterr().err == "sample: resuming: 120 of 600 samples done\n"
    for key in ("HF_HUB_DISABLE_PROGRESS_BARS", "TQDM_DISABLE"):
        monkeypatch.delenv(key, raising=False)
    quiet_third_party_bars()
    assert os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] == os.environ["TQDM_DISABLE"] == "1"


def test_a_bar_off_the_main_thread_is_lines(monkeypatch):
    """A step the runner overlaps with the GPU's writes lines: the main thread's bar owns the display."""
    import threading

    monkeypatch.setenv("SECCODEGEN_PROGRESS", "1")
    seen = []
    thread = threading.Thread(target=lambda: seen.append(progress_mode()))
    thread.start()
    thread.join()
    assert progress_mode() == "bar" and seen == ["lines"]
