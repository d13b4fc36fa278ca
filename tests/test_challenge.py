"""The optional challenge: the checker fails the starter, passes the solution, and says why in a few lines."""
from datetime import timedelta
from pathlib import Path

import pytest

from desklib import challenge, cli
from desklib.challenge import check_priority_queue, find_challenge_file, format_results
from desklib.queue import SlaQueue

ROOT = Path(__file__).resolve().parents[1]
STARTER = ROOT / "starters" / "priority_queue.py"
SOLUTION = ROOT / "solutions" / "priority_queue.py"
ENTRY = "heapq.heappush(self._heap, (time_remaining, next(self._counter), ticket_id))"
TIES = {"equal time remaining comes out in push order", "200 tickets in urgency order, ties in push order",
        "order_by_urgency: equal time left keeps the input order",
        "tickets that cannot be compared (dicts) with equal time"}


def _variant(tmp_path, name, *replacements):
    text = SOLUTION.read_text()
    for old, new in replacements:
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / f"{name}.py"
    path.write_text(text)
    return path


def _failed(path):
    return {r.name: r for r in check_priority_queue(path) if not r.passed}


def test_starter_fails_and_solution_passes():
    starter = check_priority_queue(STARTER)
    assert not all(r.passed for r in starter)
    assert all(r.hint and r.message for r in starter if not r.passed)
    solution = check_priority_queue(SOLUTION)
    assert len(solution) == 12 and all(r.passed for r in solution)


def test_the_untouched_starter_is_told_where_to_start():
    out = format_results(check_priority_queue(STARTER))
    assert out.splitlines()[-1].startswith("Hint for “pop returns the least time remaining”: pop() returned None")
    assert "Traceback" not in out


def test_a_heap_of_time_and_id_without_a_counter_is_caught(tmp_path):
    """The heapq docs' two problems: ties come out by id, and tickets that cannot be compared crash."""
    pairs = _variant(tmp_path, "pairs", (ENTRY, "heapq.heappush(self._heap, (time_remaining, ticket_id))"),
                     ("heapq.heappop(self._heap)[2]", "heapq.heappop(self._heap)[1]"))
    failed = _failed(pairs)
    assert set(failed) == TIES
    crash = failed["tickets that cannot be compared (dicts) with equal time"]
    assert crash.message.startswith("raised TypeError: '<' not supported") and "itertools.count" in crash.hint
    assert failed["equal time remaining comes out in push order"].message == \
        "got ['alpha', 'mike', 'zulu'], expected ['zulu', 'alpha', 'mike']"


def test_unstable_ties_are_caught(tmp_path):
    unstable = _variant(tmp_path, "unstable", ("next(self._counter), ticket_id", "-next(self._counter), ticket_id"))
    assert set(_failed(unstable)) == TIES


def test_fifo_is_caught(tmp_path):
    fifo = _variant(tmp_path, "fifo", (ENTRY, "heapq.heappush(self._heap, (next(self._counter), time_remaining, "
                                              "ticket_id))"))
    failed = _failed(fifo)
    assert "pop returns the least time remaining" in failed
    assert "order_by_urgency: waited longest is not always first" in failed


def test_sorting_once_at_the_first_pop_is_caught(tmp_path):
    lazy = _variant(tmp_path, "lazy", ("heapq.heappush(self._heap, ", "self._heap.append("),
                    ('            raise IndexError("pop from an empty UrgencyQueue")',
                     '            raise IndexError("pop from an empty UrgencyQueue")\n'
                     '        if not getattr(self, "_sorted", False):\n'
                     '            heapq.heapify(self._heap)\n'
                     '            self._sorted = True'))
    assert set(_failed(lazy)) == {"pushes after pops still come out in order"}


def test_broken_file_is_reported(tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("def oops(:\n")
    (result,) = check_priority_queue(broken)
    assert not result.passed and "SyntaxError" in result.message
    assert len(format_results([result]).splitlines()) == 3


def test_one_line_per_case_then_the_count_and_one_hint(tmp_path):
    unstable = _variant(tmp_path, "unstable", ("next(self._counter), ticket_id", "-next(self._counter), ticket_id"))
    results = check_priority_queue(unstable)
    lines = format_results(results).splitlines()
    assert len(lines) == len(results) + 2
    assert lines[-2] == "8 of 12 cases pass."
    assert lines[-1].startswith("Hint for “equal time remaining comes out in push order”")
    assert sum(line.startswith("✗ ") for line in lines) == 4
    long_case = next(line for line in lines if line.startswith("✗ 200 tickets"))
    assert len(long_case) < 120 and long_case.split(": ", 1)[1].startswith("item ")
    assert format_results(check_priority_queue(SOLUTION)).splitlines()[-1] == "12 of 12 cases pass — well done!"


@pytest.mark.parametrize("where", [".", "notebooks", "starters"])
def test_the_challenge_file_is_found_from_the_lesson_folders(where):
    assert find_challenge_file(ROOT / where).resolve() == STARTER.resolve()


def test_the_current_folder_is_the_default(monkeypatch):
    monkeypatch.chdir(ROOT / "notebooks")
    assert find_challenge_file().resolve() == STARTER.resolve()


def test_a_copy_in_the_current_folder_comes_first(tmp_path):
    (tmp_path / "priority_queue.py").write_text("")
    assert find_challenge_file(tmp_path) == tmp_path / "priority_queue.py"


def test_elsewhere_the_project_beside_the_package_is_used(tmp_path):
    assert find_challenge_file(tmp_path).resolve() == STARTER.resolve()


def test_not_found_says_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.setattr(challenge, "PROJECT", tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError) as err:
        find_challenge_file(tmp_path / "a")
    message = str(err.value)
    assert "\n" not in message and message.startswith("priority_queue.py not found in ")
    assert str(tmp_path / "a" / "starters") in message and str(tmp_path / "nowhere" / "starters") in message


def test_reference_slaqueue_agrees_with_the_solution():
    """desklib.queue.SlaQueue (the library's EDF queue) orders like the challenge's solution."""
    from datetime import datetime, timezone
    now = datetime(2026, 3, 2, 12, tzinfo=timezone.utc)
    lefts = [("a", 30), ("b", -5), ("c", 30), ("d", 0), ("e", 12)]
    q = SlaQueue()
    for tid, minutes in lefts:
        q.push(tid, now + timedelta(minutes=minutes))
    assert [q.pop() for _ in lefts] == ["b", "d", "e", "a", "c"]


def test_the_starter_names_the_solution_as_reference():
    text = STARTER.read_text()
    assert "solutions/priority_queue.py" in text and "desklib/queue.py" not in text


def test_cli_exit_codes(capsys):
    assert cli.main(["check", "priority_queue", "--file", str(SOLUTION)]) == 0
    assert "12 of 12 cases pass" in capsys.readouterr().out
    assert cli.main(["check", "priority_queue", "--file", str(STARTER)]) == 1
    assert cli.main(["check", "priority_queue", "--file", "nope.py"]) == 2
    assert capsys.readouterr().err.count("\n") == 1
