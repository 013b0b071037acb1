"""The judge's record of what ran during a call (:mod:`dlgrade.judge_code`), in a real kernel.

Issue 21 item 5 and the hostile review's holes 1-3 and 5: the package's ``sigmoid`` reached
through a container, a dict, ``vars()``, a namespace, a callable object, a tuple default, a
pickle kept in a list, or the package's source text exec'd under another file name, all fail
the call; warnings switched off through a name built at run time are seen; honest code,
numpy and scikit-learn (which silences warnings itself) pass untouched.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from dlgrade.judge_channel import Channel, PackageCodeError
from dlgrade.judge_code import CodePolicy
from dlgrade.judge_fingerprint import fingerprint, package_fingerprints

#: A notebook cell that reaches the package's sigmoid in every way the review found.
STUDENT_CODE = '''
import importlib, operator, pickle, types, warnings
import numpy as np
from sklearn.linear_model import LogisticRegression

_mod = importlib.import_module("dl" + "course.activations")
_box = [_mod.sigmoid]
_table = {"s": _mod.sigmoid}
_vars = vars(_mod)
_space = types.SimpleNamespace(f=_mod.sigmoid)
_pickled = [pickle.loads(b"c" + b"dl" + b"course.activations\\nsigmoid\\n.")]


class _Caller:
    def __init__(self, f):
        self.f = f

    def __call__(self, t):
        return self.f(t)


def in_list(t):
    return _box[0](t)

def in_dict(t):
    return _table["s"](t)

def in_vars(t):
    return _vars["sigmoid"](t)

def in_namespace(t):
    return _space.f(t)

in_instance = _Caller(_mod.sigmoid)

def in_default(t, _f=(_mod.sigmoid,)):
    return _f[0](t)

def pickled_in_list(t):
    return _pickled[0](t)

# the package's text compiled under another file name (review hole 3)
_ns = {}
for _name in ("_validation", "activations"):
    _src = open(importlib.util.find_spec("dl" + "course." + _name).origin).read()
    _src = _src.replace("from ._validation import", "# from ._validation import")
    exec(compile(_src, "<cell>", "exec"), _ns)
execd = _ns["sigmoid"]

def execd_wrapped(t):
    return execd(t)

def switches_profiler_off(t):
    import sys
    saved = sys.getprofile()
    sys.setprofile(None)
    try:
        return _box[0](t)
    finally:
        sys.setprofile(saved)

def wipes_what_getprofile_gives(t):
    import sys
    r = _box[0](t)
    profile = sys.getprofile()  # review 21d, T4: the record's own profiler, then
    if profile is not None:
        profile.clear()
    return r

def wipes_every_profiler_gc_finds(t):
    import gc, _lsprof
    r = _box[0](t)
    for profile in [o for o in gc.get_objects() if isinstance(o, _lsprof.Profiler)]:
        _lsprof.Profiler.clear(profile)
    return r

def honest(t):
    t = np.asarray(t, dtype=float)
    e = np.exp(-np.abs(t))
    return np.where(t >= 0, 1.0 / (1.0 + e), e / (1.0 + e))

def naive(t):
    return 1.0 / (1.0 + np.exp(-np.asarray(t, dtype=float)))

def hushed_by_attrgetter(t):
    with operator.attrgetter("err" + "st" + "ate")(np)(all="ignore"):
        return naive(t)

def hushed_warnings(t):
    with operator.attrgetter("catch_" + "warnings")(warnings)():
        operator.methodcaller("simple" + "filter", "ignore")(warnings)
        return naive(t)

def seterr_left_on(t):
    operator.methodcaller("se" + "terr", all="ignore")(np)
    return naive(t)

def fits_sklearn(X, y):
    return LogisticRegression().fit(X, y).predict(X)
'''

ATTACKS = ["in_list", "in_dict", "in_vars", "in_namespace", "in_instance", "in_default",
           "pickled_in_list", "execd", "execd_wrapped", "switches_profiler_off"]
HUSHED = ["hushed_by_attrgetter", "hushed_warnings", "seterr_left_on"]
WIPES = ["wipes_what_getprofile_gives", "wipes_every_profiler_gc_finds"]


@pytest.fixture(scope="module")
def kernel():
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3")
    reply = kc.execute_interactive(STUDENT_CODE, timeout=60)
    assert reply["content"]["status"] == "ok"
    channel = Channel(km.get_connection_info(session=False), timeout=30,
                      interrupt=km.interrupt_kernel)
    channel.code_policy = CodePolicy([STUDENT_CODE])
    names = channel.get(set(ATTACKS + HUSHED + WIPES + ["honest", "naive", "fits_sklearn"]))
    yield channel, names
    channel.close()
    kc.stop_channels()
    km.shutdown_kernel(now=True)


@pytest.mark.parametrize("name", ATTACKS)
def test_a_call_that_runs_the_package_fails(kernel, name):
    channel, ns = kernel
    channel.start_cell()
    # the package's code seen running, or the record switched off: nothing of it is seen
    expected = ("could not be checked for own work" if "off" in name
                else "course package's own implementation")
    with pytest.raises(PackageCodeError, match=expected):
        ns[name](np.array([0.0, 1.0]))


def test_the_reason_names_what_ran(kernel):
    channel, ns = kernel
    channel.start_cell()
    with pytest.raises(PackageCodeError, match=r"dlcourse\.activations\.sigmoid ran"):
        ns["in_list"](0.0)
    with pytest.raises(PackageCodeError, match="a copy of dlcourse.activations.sigmoid that "
                                               "the submitted text does not define"):
        ns["execd"](0.0)
    with pytest.raises(PackageCodeError, match=r"it called built-in method sys\.setprofile"):
        ns["switches_profiler_off"](0.0)


def test_a_call_that_wipes_its_record_earns_nothing(kernel):
    """Review 21d, T4: the package's sigmoid, then the record wiped (its profiler's ``clear``),
    earned full points. ``sys.getprofile()`` no longer hands the record out, so the package's
    code is seen; the profilers found through ``gc`` and wiped with the C base method leave a
    record without its mark: the call is not trusted."""
    channel, ns = kernel
    channel.start_cell()
    with pytest.raises(PackageCodeError, match=r"dlcourse\.activations\.sigmoid ran"):
        ns["wipes_what_getprofile_gives"](np.array([0.0, 1.0]))
    channel.start_cell()
    with pytest.raises(PackageCodeError, match="could not be checked for own work: the record "
                                               "of this call was wiped"):
        ns["wipes_every_profiler_gc_finds"](np.array([0.0, 1.0]))
    channel.start_cell()  # the next cell's calls are judged as before
    assert np.allclose(ns["honest"](np.array([0.0])), [0.5])


def test_honest_code_numpy_and_sklearn_pass(kernel):
    channel, ns = kernel
    channel.start_cell()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert np.allclose(ns["honest"](np.array([-1000.0, 0.0, 1000.0])), [0.0, 0.5, 1.0])
        X = np.array([[0.0], [1.0], [2.0], [3.0]])
        assert ns["fits_sklearn"](X, np.array([0, 0, 1, 1])).shape == (4,)
    assert [str(w.message) for w in caught] == []


@pytest.mark.parametrize("name", HUSHED)
def test_warnings_switched_off_by_any_name_are_seen(kernel, name):
    channel, ns = kernel
    channel.start_cell()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert np.allclose(ns[name](np.array([-1000.0, 0.0])), [0.0, 0.5])
    messages = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert any("switched warnings off while it ran" in m for m in messages), messages


def test_the_naive_formula_still_warns_by_itself(kernel):
    channel, ns = kernel
    channel.start_cell()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ns["naive"](np.array([-1000.0]))
    assert any("overflow" in str(w.message) for w in caught)
    assert not any("switched warnings off" in str(w.message) for w in caught)


def test_a_short_answer_that_equals_a_package_helper_is_the_students_own():
    """Code the submission defines is not a copy when it compiles like one of the package's
    short undocumented helpers (a correct answer may): the fingerprint match counts for code
    the submitted text does not define, and for submitted code that can only be a copy."""
    from dlcourse import activations

    helper = "def _out(values):\n    return values[()] if values.ndim == 0 else values\n"
    digest = fingerprint(compile(helper, "<cell>", "exec").co_consts[0])
    # the package's _out, docstring left out: the same bytecode as the student's helper
    plain = compile("def f(values):\n    return values[()] if values.ndim == 0 else values\n",
                    "<x>", "exec").co_consts[0]
    assert fingerprint(plain) == digest
    assert CodePolicy([helper]).package_use({"other": [[digest, "_out"]]}) is None
    assert activations._out.__doc__  # the package's own _out is documented: a different code


def test_the_packages_documented_function_handed_in_as_text_is_a_copy():
    """Issue 21 hostile review, finding 3c: the package's file handed in beside the notebook
    (or its function pasted into a cell) is the package's code, docstring and all, not the
    student's own text."""
    import inspect

    from dlcourse import activations

    text = inspect.getsource(activations.sigmoid)
    digest = fingerprint(compile(text, "<cell>", "exec").co_consts[0])
    assert package_fingerprints()[digest] == "dlcourse.activations.sigmoid"
    assert "a copy of dlcourse.activations.sigmoid handed in as the student's own text" in \
        CodePolicy([text]).package_use({"other": [[digest, "sigmoid"]]})
    assert "a copy of dlcourse.activations.sigmoid that the submitted text does not define" \
        in CodePolicy(["def sigmoid(t):\n    return t\n"]).package_use(
            {"other": [[digest, "sigmoid"]]})


def test_fingerprints_ignore_names_lines_and_files():
    first = compile("x = 1\n\ndef f(a, b):\n    return a * b + 2\n", "one.py", "exec")
    second = compile("\n\n\ndef g(p, q):\n    return p * q + 2\n", "<other>", "exec")
    third = compile("def f(a, b):\n    return a * b + 3\n", "one.py", "exec")

    def function(module):
        return next(c for c in module.co_consts if hasattr(c, "co_code"))

    assert fingerprint(function(first)) == fingerprint(function(second))
    assert fingerprint(function(first)) != fingerprint(function(third))


def test_the_students_own_functions_are_recognised_as_the_submitted_text(kernel):
    """The kernel compiles a cell statement by statement; the judge's reading of the submitted
    text gives the same fingerprints, so the student's own functions are never "unexplained"
    (only code made at run time, e.g. by ``exec``, is compared with the package)."""
    channel, ns = kernel
    channel.start_cell()
    seen = []
    policy = channel.code_policy
    original = policy.package_use
    policy.package_use = lambda report, callbacks=None: \
        seen.append(report) or original(report, callbacks)
    try:
        ns["honest"](np.array([1.0]))
        ns["fits_sklearn"](np.array([[0.0], [1.0]]), np.array([0, 1]))
    finally:
        del policy.package_use
    own = {name: digest in policy.own for report in seen for digest, name in report["other"]
           if name in ("honest", "fits_sklearn")}
    assert own == {"honest": True, "fits_sklearn": True}
    assert all(report["package"] == [] for report in seen)


def _recorded(function, *args):
    """What the recorder reports for one call of ``function`` in this process."""
    import os

    import dlgrade
    from dlgrade.judge_code import Recorder

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Recorder(skip=(os.path.dirname(dlgrade.__file__),)) as recorder:
            function(*args)
    return recorder.report()


def _relabelled(function, filename):
    """``function`` rebuilt from its own code object under another file name."""
    import types

    return types.FunctionType(function.__code__.replace(co_filename=filename),
                              function.__globals__, function.__name__)


def test_code_relabelled_with_a_library_file_name_is_not_library_code():
    """Review 21b, holes 1 and 2: the package's sigmoid, or a naive one inside
    ``np.errstate``, rebuilt with numpy's file name, was taken for numpy's code: neither
    reported nor fingerprinted, its silencer ignored. Library code is now what the library's
    file compiles to; numpy's real functions still count as numpy's."""
    from dlcourse import activations

    report = _recorded(_relabelled(activations.sigmoid, np.__file__), np.array([0.0, 1.0]))
    assert [fingerprint(activations.sigmoid.__code__), "sigmoid"] in report["other"]
    assert package_fingerprints()[fingerprint(activations.sigmoid.__code__)] == \
        "dlcourse.activations.sigmoid"

    def naive(t):
        with np.errstate(all="ignore"):
            return 1.0 / (1.0 + np.exp(-t))

    report = _recorded(_relabelled(naive, np.__file__), np.array([-1000.0]))
    assert "it entered numpy's errstate" in report["silenced"]
    # numpy's own Python code (np.linspace) is numpy's: not reported as anyone's
    report = _recorded(np.linspace, 0.0, 1.0, 5)
    assert report["other"] == [] and report["package"] == []


def test_fingerprints_are_blind_to_docstrings_and_constant_order():
    """Review 21b, hole 3: a docstring-stripped copy of a package function had another
    fingerprint (the docstring is the first constant)."""
    import inspect

    from dlcourse import activations

    text = inspect.getsource(activations.sigmoid)
    documented = compile(text, "<x>", "exec").co_consts[0]
    body = text.split('"""')
    stripped = compile(body[0] + "pass\n" + body[2], "<y>", "exec").co_consts[0]
    assert stripped.co_consts[0] != documented.co_consts[0]
    assert fingerprint(stripped) == fingerprint(documented)
    assert package_fingerprints()[fingerprint(stripped)] == "dlcourse.activations.sigmoid"
    # constants are compared by value: other values are other code
    first = compile("def f(x):\n    return x * 2.0 + 1.0\n", "<a>", "exec").co_consts[0]
    second = compile("def f(x):\n    return x * 1.0 + 2.0\n", "<b>", "exec").co_consts[0]
    assert fingerprint(first) != fingerprint(second)


def test_the_package_rebuilt_with_other_global_and_attribute_names_is_still_its_code():
    """Review 21c, Rv3: the package's sigmoid rebuilt in memory with its global ``np`` (and
    every attribute read through it) under other names ran as "other" code whose fingerprint
    matched nothing, since fingerprints kept the names. Names now stand for the order of
    their first use, so the recorder's report names the package's sigmoid."""
    import types

    from dlcourse import activations

    class Prefixed:  # attributes read under another name: ``_n_exp`` is numpy's exp
        def __init__(self, inner):
            self.inner = inner

        def __getattr__(self, name):
            return getattr(self.inner, name[3:])

    def renamed(code):
        consts = tuple(renamed(c) if isinstance(c, types.CodeType) else c
                       for c in code.co_consts)
        return code.replace(co_filename="<cell>", co_consts=consts,
                            co_names=tuple("_n_" + name for name in code.co_names))

    space = {"_n_np": Prefixed(np), "_n__out": lambda values: values}
    rebuilt = types.FunctionType(renamed(activations.sigmoid.__code__), space, "sigmoid")
    assert np.allclose(rebuilt(np.array([-1000.0, 0.0])), [0.0, 0.5])
    report = _recorded(rebuilt, np.array([-1000.0, 0.0]))
    assert report["package"] == []  # nothing of the package's files ran
    policy = CodePolicy(["def sigmoid(t):\n    return t\n"])
    assert "a copy of dlcourse.activations.sigmoid that the submitted text does not define" \
        in policy.package_use(report)
    # renamed consistently is the same code; names used in another pattern are not
    same = compile("def f(a):\n    return m.g(a) + m.h(a)\n", "<a>", "exec").co_consts[0]
    other = compile("def f(a):\n    return m.g(a) + k.h(a)\n", "<b>", "exec").co_consts[0]
    twice = compile("def f(a):\n    return q.r(a) + q.s(a)\n", "<c>", "exec").co_consts[0]
    assert fingerprint(same) == fingerprint(twice) != fingerprint(other)


def test_a_text_with_several_package_functions_is_a_copy_without_docstrings():
    """Review 21b, hole 3b: the package's module without docstrings handed in (or pasted)
    was the student's own text, its functions being short. A text holding two or more of the
    package's functions is a copy; one short function alike stays the student's."""
    from tests.test_judge_ownwork import ATTACKS

    text = ATTACKS["stripped-pasted"]
    namespace = {"np": np}
    exec(compile(text, "<cell>", "exec"), namespace)  # noqa: S102 - the test's own text
    digest = fingerprint(namespace["sigmoid"].__code__)
    assert "a copy of dlcourse.activations.sigmoid handed in as the student's own text" in \
        CodePolicy([text]).package_use({"other": [[digest, "sigmoid"]]})
    alone = "def _out(values):\n    return values[()] if values.ndim == 0 else values\n"
    digest = fingerprint(compile(alone, "<cell>", "exec").co_consts[0])
    assert CodePolicy([alone]).package_use({"other": [[digest, "_out"]]}) is None


def test_no_independent_answer_or_seeded_mistake_is_called_a_copy():
    """Fingerprints blind to every name must not make honest code the package's: no text of
    tests/independent (correct answers in other styles) or tests/mistakes (wrong ones a
    student writes) is called a copy, and none of their functions equals a package function
    of 200 bytes or more (benchmarks/fingerprint_collisions.py prints the nearest ones)."""
    import importlib
    from pathlib import Path

    from dlgrade.judge_fingerprint import _units
    from tests.independent import variants

    texts = []
    for path in sorted(Path(__file__).parent.joinpath("independent").glob("ex*.py")):
        texts += [text for answers in variants(path.stem[2:]).values()
                  for text in answers.values()]
        mistakes = importlib.import_module(f"tests.mistakes.{path.stem}").MISTAKES
        texts += [mistake["source"] for mistake in mistakes]
    assert len(texts) > 300
    table = package_fingerprints()
    copies = {text.strip().splitlines()[0]: sorted(found) for text in texts
              if (found := CodePolicy([text]).copied())}
    assert copies == {}
    long_equal = {(code.co_name, table[fingerprint(code)]) for text in texts
                  for code in _units(text, "<cell>", flag_variants=False)
                  if len(code.co_code) >= 200 and fingerprint(code) in table}
    assert long_equal == set()


def test_code_tables_read_ahead_judge_code_as_tables_read_on_demand():
    """The fork server reads the code tables of the agent's usual files before it forks
    (``read_code_tables``); a kernel that finds them read judges every code object as one
    that reads them itself: the modules' own functions are theirs, a student's function
    relabelled with one of their file names is not, and an unread file is still read."""
    import inspect

    from dlgrade import judge_agent, judge_code

    names = ("inspect", "dlgrade.judge_agent", "not.imported.module")
    saved = dict(judge_code._FILE_CODES)
    try:
        judge_code._FILE_CODES.clear()
        judge_code.read_code_tables(names)
        ahead = dict(judge_code._FILE_CODES)
        # the tables of the two imported modules, nothing else
        assert {path for path, _ in ahead} == {inspect.__file__, judge_agent.__file__}
        assert (inspect.__file__, "cached") in ahead
        judge_code._FILE_CODES.clear()
        own = [inspect.getsource, inspect.signature, judge_agent.handle, judge_agent._serve]

        def student(t):
            return t + 1

        fakes = [_relabelled(student, inspect.__file__),
                 _relabelled(student, judge_agent.__file__)]
        on_demand = [judge_code._genuine(f.__code__) for f in own + fakes]
        judge_code._FILE_CODES.clear()
        judge_code._FILE_CODES.update(ahead)
        read_ahead = [judge_code._genuine(f.__code__) for f in own]
        assert set(judge_code._FILE_CODES) == set(ahead)  # nothing more had to be read
        read_ahead += [judge_code._genuine(f.__code__) for f in fakes]
        assert on_demand == read_ahead == [True] * len(own) + [False] * len(fakes)
        assert not judge_code._genuine(_relabelled(student, np.__file__).__code__)
        assert (np.__file__, "cached") in judge_code._FILE_CODES  # an unread file is read
    finally:
        judge_code._FILE_CODES.clear()
        judge_code._FILE_CODES.update(saved)


def test_code_classified_ahead_is_classified_as_the_recorder_classifies_it():
    """The fork server classifies the code of the kernel's usual modules before it forks
    (``classify_loaded``): each kind it keeps is the one a kernel's recorder gives the same
    code object, only the grader's and libraries' code is kept, and neither a function
    relabelled with a library file's name nor the course package's code is ever taken as
    library code ahead of the recorder's own reading."""
    import inspect
    import json.decoder
    import sys
    import types

    from dlcourse import activations
    from dlgrade import judge_agent, judge_code

    def student(t):
        return t + 1

    fake = types.ModuleType("h23_fake_library")
    fake.relabelled = _relabelled(student, inspect.__file__)
    fake.relabelled.__module__ = fake.__name__
    names = ("inspect", "json.decoder", "dlgrade.judge_agent", "dlgrade.judge_wire",
             fake.__name__, activations.__name__, "not.imported.module")
    saved = dict(judge_code.Recorder._kinds)
    sys.modules[fake.__name__] = fake
    try:
        judge_code.Recorder._kinds.clear()
        added = judge_code.classify_loaded(names, judge_agent._GRADER)
        ahead = dict(judge_code.Recorder._kinds)
        assert added == len(ahead) > 100
        kinds = {kind for _, kind in ahead.values()}
        assert kinds == {"grader", "library"}
        codes = {id(code) for code, _ in ahead.values()}
        assert id(inspect.signature.__code__) in codes
        assert id(json.decoder.JSONDecoder.decode.__code__) in codes
        assert id(judge_agent.handle.__code__) in codes
        assert id(fake.relabelled.__code__) not in codes
        assert not any(code.co_filename == activations.__file__ for code, _ in ahead.values())
        # the kernel's own reading, from an empty table, gives every kept code the same kind
        judge_code.Recorder._kinds.clear()
        recorder = judge_code.Recorder(skip=judge_agent._GRADER)
        assert all(recorder._kind(code) == kind for code, kind in ahead.values())
        assert recorder._kind(fake.relabelled.__code__) == "other"
        assert recorder._kind(activations.sigmoid.__code__) == "package"
    finally:
        del sys.modules[fake.__name__]
        judge_code.Recorder._kinds.clear()
        judge_code.Recorder._kinds.update(saved)


def test_a_package_comprehension_alone_is_no_copy_but_its_function_is():
    """Code the submitted text does not define is a copy when its fingerprint is a package
    function's; a comprehension, lambda or generator expression of the package alone is not
    (names abstracted, such small code is shared by other libraries: jupyter_client's
    Session.deserialize has the same list comprehension as dlcourse._validation)."""
    table = package_fingerprints()
    small = next(d for d, name in table.items() if name.rpartition(".")[2] == "<listcomp>")
    whole = next(d for d, name in table.items() if name == "dlcourse.activations.sigmoid")
    assert CodePolicy([]).package_use({"other": [[small, "<listcomp>"]]}) is None
    assert "it ran a copy of dlcourse.activations.sigmoid that the submitted text does not " \
        "define" in CodePolicy([]).package_use({"other": [[small, "<listcomp>"],
                                                          [whole, "f"]]})
