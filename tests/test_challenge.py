"""The optional challenge: the checker fails the starter, passes the solution, and says why."""
from datetime import timedelta
from pathlib import Path


from desklib import cli
from desklib.challenge import check_priority_queue
from desklib.queue import SlaQueue

ROOT = Path(__file__).resolve().parents[1]
STARTER = ROOT / "starters" / "priority_queue.py"
SOLUTION = ROOT / "solutions" / "priority_queue.py"


def test_starter_fails_and_solution_passes():
    starter = check_priority_queue(STARTER)
    assert not all(r.passed for r in starter)
    assert all("Hint:" in r.message for r in starter if not r.passed)
    assert all(r.passed for r in check_priority_queue(SOLUTION))


def test_fifo_is_caught(tmp_path):
    fifo = tmp_path / "fifo.py"
    fifo.write_text(SOLUTION.read_text().replace(
        "heapq.heappush(self._heap, (time_remaining, next(self._counter), ticket_id))",
        "heapq.heappush(self._heap, (next(self._counter), time_remaining, ticket_id))"))
    failed = {r.name for r in check_priority_queue(fifo) if not r.passed}
    assert "pop returns the least time remaining" in failed
    assert "order_by_urgency: waited longest is not always first" in failed


def test_unstable_ties_are_caught(tmp_path):
    unstable = tmp_path / "unstable.py"
    unstable.write_text(SOLUTION.read_text().replace("next(self._counter), ticket_id", "-next(self._counter), ticket_id"))
    failed = {r.name for r in check_priority_queue(unstable) if not r.passed}
    assert failed == {"ties come out in push order", "200 tickets in urgency order, ties stable"}


def test_broken_file_is_reported(tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("def oops(:\n")
    (result,) = check_priority_queue(broken)
    assert not result.passed and "SyntaxError" in result.message


def test_reference_slaqueue_agrees_with_the_solution():
    """desklib.queue.SlaQueue (the library's EDF queue) orders like the challenge's solution."""
    from datetime import datetime, timezone
    now = datetime(2026, 3, 2, 12, tzinfo=timezone.utc)
    lefts = [("a", 30), ("b", -5), ("c", 30), ("d", 0), ("e", 12)]
    q = SlaQueue()
    for tid, minutes in lefts:
        q.push(tid, now + timedelta(minutes=minutes))
    assert [q.pop() for _ in lefts] == ["b", "d", "e", "a", "c"]


def test_cli_exit_codes(capsys):
    assert cli.main(["check", "priority_queue", "--file", str(SOLUTION)]) == 0
    assert "9 of 9 cases pass" in capsys.readouterr().out
    assert cli.main(["check", "priority_queue", "--file", str(STARTER)]) == 1
    assert cli.main(["check", "priority_queue", "--file", "nope.py"]) == 2
    assert capsys.readouterr().err.count("\n") == 1
