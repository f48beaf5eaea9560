"""The short version of bench/fault_ledger.py: a real ``helpline run``
killed with SIGKILL twice while mail arrives loses no acknowledged message
and stores none twice (the bar of 20 rounds in a row is the bench script's)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import fault_ledger  # noqa: E402


def test_no_acknowledged_message_is_lost_or_doubled_across_kills(tmp_path):
    lines = []
    problems = fault_ledger.run(rounds=2, messages=40, seed=3, workdir=tmp_path, out=lines.append)
    assert problems == [], (problems, lines, (tmp_path / "server.log").read_text()[-2000:])
    assert lines[-1].endswith("40 of 40 acknowledged")
