"""The short version of bench/fault_ledger.py: a real ``helpline run`` and a
separate ``helpline worker``, both killed with SIGKILL twice while mail
arrives and agents reply, lose no acknowledged inbound message, store none
twice, lose no stored reply and send none twice under different
Message-IDs (the bar of 20 rounds in a row is the bench script's)."""

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import fault_ledger  # noqa: E402


def test_no_acknowledged_message_or_stored_reply_is_lost_or_doubled_across_kills(tmp_path):
    lines = []
    problems = fault_ledger.run(rounds=2, messages=40, replies=16, seed=3, workdir=tmp_path, out=lines.append)
    assert problems == [], (problems, lines, (tmp_path / "server.log").read_text()[-3000:])
    final = next(line for line in lines if "(final)" in line)
    assert "40 of 40 acknowledged" in final
    acked, unanswered, delivered = map(
        int, re.search(r"(\d+) replies acknowledged, (\d+) unanswered, (\d+) mails delivered", final).groups()
    )
    assert acked + unanswered == 16 and acked >= 1  # every reply was posted; some got through
    assert delivered >= acked  # each acknowledged reply reached the SMTP server (checked per reply in run())


def test_the_reply_ledger_catches_a_lost_a_doubled_and_a_re_keyed_reply():
    replies = fault_ledger.Replies(4)
    replies.acked = {0, 1, 2, 3}
    stored = {0: [(10, "sent")], 1: [(11, "sent")], 2: [(12, "sent")], 3: [(13, "pending")]}
    delivered = {0: ["<a@x>", "<a@x>"], 2: ["<c@x>", "<c2@x>"], 3: ["<d@x>"], 9: ["<z@x>"]}
    problems, duplicates = fault_ledger.check_replies(replies, stored, delivered)
    assert duplicates == 1  # reply 0 twice with one Message-ID: at-least-once, allowed
    assert any("reply 1: stored, never delivered" in p for p in problems)
    assert any("reply 2: delivered 2 times with different Message-IDs" in p for p in problems)
    assert any("reply 3: outbox state" in p for p in problems)
    assert any("reply 9: delivered but not stored" in p for p in problems)
