"""Benchmark time stamps: written only when PIPELINE_STAMPS names a file prefix, one file per process."""

import os
import time

from command_center import stamps


def test_off_by_default_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(stamps, "PREFIX", "")
    stamps.stamp("committed", "key")
    assert not stamps.enabled()
    assert list(tmp_path.iterdir()) == []


def test_on_appends_one_line_per_stamp_to_the_process_file(tmp_path, monkeypatch):
    monkeypatch.setattr(stamps, "PREFIX", str(tmp_path / "stamps"))
    before = time.time()
    stamps.stamp("inbox_committed", 3, 9)
    stamps.stamp("sent", "2026-11-30T04:00:00+00:00", "b")

    [path] = tmp_path.iterdir()
    assert path.name == f"stamps.{os.getpid()}"
    first, second = [line.split() for line in path.read_text().splitlines()]
    assert first[0] == "inbox_committed"
    assert first[2:] == ["3", "9"]
    assert before <= float(first[1]) <= time.time()
    assert second[0] == "sent"
    assert second[2:] == ["2026-11-30T04:00:00+00:00", "b"]
