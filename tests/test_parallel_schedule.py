"""The order in which tests/submissions/parallel.py's scheduler hands out work units.

The units of ``COSTLY`` (minutes each) must go out first, the longest first, whatever their
number of tests; the rest keep xdist's order (the queue it built, largest groups first).
"""

from __future__ import annotations

from collections import OrderedDict

from xdist.scheduler import LoadScopeScheduling

from tests.submissions.parallel import COSTLY, GroupScheduling


def _handed_out(queue: dict[str, int], monkeypatch) -> list[str]:
    """The scopes in the order GroupScheduling sends them, from a queue of scope -> tests."""
    scheduler = GroupScheduling.__new__(GroupScheduling)  # no xdist session needed for this
    scheduler.workqueue = OrderedDict(
        (scope, {f"{scope}::t{i}": False for i in range(n)}) for scope, n in queue.items())
    sent: list[str] = []
    monkeypatch.setattr(LoadScopeScheduling, "_assign_work_unit",
                        lambda self, node: sent.append(self.workqueue.popitem(last=False)[0]))
    while scheduler.workqueue:
        scheduler._assign_work_unit(node=None)
    return sent


def test_costly_units_go_out_first_longest_first(monkeypatch):
    longest, second = sorted(COSTLY, key=COSTLY.get, reverse=True)[:2]
    queue = {"tests/test_dlgrade_judge.py": 49, "tests/test_cli.py": 26, second: 2,
             "tests/test_layers.py::test_dense": 1, longest: 11}
    assert _handed_out(queue, monkeypatch) == [
        longest, second, "tests/test_dlgrade_judge.py", "tests/test_cli.py",
        "tests/test_layers.py::test_dense"]


def test_without_costly_units_the_queue_order_stays(monkeypatch):
    queue = {"a": 5, "b": 3, "c": 1}
    assert _handed_out(queue, monkeypatch) == ["a", "b", "c"]
