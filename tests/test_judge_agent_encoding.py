"""Review 21c's holes L, W, M and O at the judge's channel, against one real kernel.

The agent in the student's kernel (:mod:`dlgrade.judge_agent`) must run nothing of the
student's outside a recorded region: not while it encodes a result (L), not while the record is
paused for a call back into the judge (W), not when the judge reads an attribute. A judge
function is the judge's only during the call it was passed to, and never because a student's
object says so. One malformed reply marks the agent broken (M). A correct answer built from
Python floats reads as numbers (O). The same holes through whole notebooks, plain
``nbgrader autograde`` and ``dlcourse grade``: tests/test_judge_agent_attacks.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from dlgrade.judge_channel import Channel, JudgeError, PackageCodeError, Remote
from dlgrade.judge_code import CodePolicy

STUDENT_CODE = '''
import importlib
import numpy as np

_ref = importlib.import_module("dl" + "course.activations").sigmoid
touched = []

def own_sigmoid(t):
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(t, dtype=float)))

class Lazy:
    """Not plain data: the package's sigmoid runs when anything reads an attribute."""
    def __init__(self, t):
        self.t, self.v = t, None
    def __getattr__(self, name):
        touched.append(name)
        if self.v is None:
            self.v = np.asarray(_ref(self.t))
        raise AttributeError(name)
    def __len__(self):
        return len(self.v)
    def __getitem__(self, i):
        return self.v[i]

def lazy_sigmoid(t):
    return Lazy(t)

class Sneaky:
    """Reads of its class or attributes are noted (none may happen outside a record)."""
    def __getattribute__(self, name):
        touched.append(name)
        return object.__getattribute__(self, name)

class Meta(type):
    def __getattribute__(cls, name):
        touched.append("meta " + name)
        return type.__getattribute__(cls, name)

class Marked(metaclass=Meta):
    pass

sneaky = Sneaky()
marked = Marked()

def forged(t):
    return t

def float_objects(t):
    return np.array([float(x) for x in np.ravel(t)], dtype=object).reshape(np.shape(t))

kept = []

def keeps(f, x):
    kept.append(f)
    return f(x)

def calls_kept(x):
    return kept[-1](x)

def trigger_in_arguments(f, x):
    """Calls the judge's f with an argument whose attribute reads run the package."""
    box = Lazy(x)
    try:
        f(x, extra=box)
    except Exception:
        pass
    return box.v is not None

class Model:
    @property
    def weights(self):
        return _ref(np.zeros(3))

model = Model()

def touched_names():
    return list(touched)
'''


@pytest.fixture(scope="module")
def kernel():
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3")
    reply = kc.execute_interactive(STUDENT_CODE, timeout=60)
    assert reply["content"]["status"] == "ok"
    kc.execute_interactive("touched.clear()", timeout=60)  # IPython's own reads at definition
    channel = Channel(km.get_connection_info(session=False), timeout=20,
                      interrupt=km.interrupt_kernel)
    channel.code_policy = CodePolicy([STUDENT_CODE])
    ns = channel.get({"own_sigmoid", "lazy_sigmoid", "sneaky", "marked", "forged",
                      "float_objects", "keeps", "calls_kept", "trigger_in_arguments", "model",
                      "touched_names"})
    yield channel, ns, kc
    channel.close()
    kc.stop_channels()
    km.shutdown_kernel(now=True)


@pytest.fixture
def judged(kernel):
    kernel[0].start_cell()
    return kernel


def test_objects_are_referenced_without_running_their_code(judged):
    channel, ns, _ = judged
    assert type(ns["sneaky"]) is Remote and type(ns["marked"]) is Remote
    assert ns["sneaky"].__class__ is Remote  # its class is the notebook's, not a library's
    assert ns["touched_names"]() == []


def test_a_result_that_runs_the_package_when_read_is_caught(judged):
    _, ns, _ = judged
    # L: its __getattr__ ran dlcourse's sigmoid while the agent encoded the result, outside
    # the record; now the encoding reads nothing of it, and is recorded anyway
    # the judge gets a reference it cannot read as numbers; the package never ran
    with pytest.raises((PackageCodeError, TypeError, ValueError)):
        np.asarray(ns["lazy_sigmoid"](np.array([0.0, 1.0])), dtype=float)
    assert ns["touched_names"]() == []
    assert np.allclose(ns["own_sigmoid"](np.array([0.0])), [0.5])


def test_an_attribute_read_is_vetted_like_a_call(judged):
    _, ns, _ = judged
    with pytest.raises(PackageCodeError, match="dlcourse.activations.sigmoid"):
        ns["model"].weights  # noqa: B018 - the property runs in the kernel


def test_an_object_array_of_numbers_reads_as_numbers(judged):
    _, ns, _ = judged
    got = ns["float_objects"](np.array([[-800.0, 0.0], [1.0, 800.0]]))
    assert type(got) is np.ndarray and got.dtype == np.float64  # O: not read item by item
    assert np.array_equal(got, [[-800.0, 0.0], [1.0, 800.0]])


def test_a_judge_function_is_valid_only_during_its_call(judged):
    _, ns, _ = judged
    assert ns["keeps"](lambda x: x + 1, 1) == 2
    # W: the same function kept and called by a later graded call is refused there
    with pytest.raises(RuntimeError, match="after the graded call it was passed to"):
        ns["calls_kept"](1)


def test_a_forged_callback_attribute_makes_no_judge_function(judged):
    channel, ns, kc = judged
    assert ns["keeps"](lambda x: x * 3, 2) == 6
    key = max(channel._callbacks)
    reply = kc.execute_interactive(f"forged._judge_callback = {key}", timeout=30)
    assert reply["content"]["status"] == "ok"
    again = channel.get({"forged"})["forged"]
    assert type(again) is Remote and again(5) == 5


def test_callback_arguments_are_encoded_without_running_the_students_code(judged):
    _, ns, _ = judged

    def judge_side(x, **kwargs):
        return 0.0

    # W: the argument's __getattr__ ran the package while the record was paused
    assert ns["trigger_in_arguments"](judge_side, np.array([1.0])) is False


def test_a_stale_callback_is_refused_by_the_judge_too(judged):
    channel, ns, _ = judged
    # this test registers its own callback: under xdist it may run first
    assert ns["keeps"](lambda x: x * 3, 2) == 6
    key = max(channel._callbacks)
    answer = channel._run_callback({"id": key, "args": {"t": "list", "v": []},
                                    "kwargs": {"t": "dict", "v": []}})
    assert answer["exc"][0] == "RuntimeError" and "had ended" in answer["exc"][1]


def test_a_replaced_agent_with_a_huge_reply_marks_it_broken(judged):
    channel, ns, kc = judged
    # M: 3 M empty lists, refused before parsing
    kc.execute_interactive(
        "import dlgrade.judge_agent as _agent\n_real = _agent.handle\n"
        "_agent.handle = lambda text: '{\"ok\":[' + '[],' * 3_000_000 + '[]]}'", timeout=60)
    try:
        with pytest.raises(JudgeError, match="replaced or broken.*lists and objects"):
            ns["own_sigmoid"](0.0)
        assert channel.broken and "3000003 lists" in channel.broken
    finally:
        kc.execute_interactive("_agent.handle = _real", timeout=60)
        channel.broken = None
