"""dlgrade.judge_wire without a kernel: every value type the judge's channel carries comes back
as itself, and whatever else arrives (pickles, object arrays, forged tags, oversize or deep
messages) is refused with a WireError that says what was refused."""

from __future__ import annotations

import json

import numpy as np
import pytest

from dlgrade.judge_wire import MAX_DEPTH, WireError, decode, dumps, encode, loads
from tests.submissions.wire_values import ROUND_TRIP, npy, same


@pytest.mark.parametrize("value", ROUND_TRIP, ids=lambda v: type(v).__name__)
def test_every_allowed_type_round_trips(value):
    assert same(value, decode(loads(dumps(encode(value)))))


def test_generator_round_trips_with_its_state():
    rng = np.random.default_rng(5)
    rng.random(3)
    copy = decode(loads(dumps(encode(rng))))
    assert copy is not rng and copy.random() == rng.random()


@pytest.mark.parametrize("tagged, words", [
    ({"t": "nd", "v": npy(np.array([object(), 1], dtype=object), allow_pickle=True)},
     "refused"),
    ({"t": "nd", "v": npy(np.zeros(2, dtype=[("a", "f8"), ("b", "i4")]))}, "dtype"),
    ({"t": "nd", "v": npy(np.array([b"ab"]))}, "dtype"),
    ({"t": "nd", "v": "not base64 !!"}, "array was refused"),
    ({"t": "pickle", "v": "gASV"}, "unknown"),
    ({"t": "int", "v": "12; import os"}, "decimal"),
    ({"t": "float", "v": 1.5}, "float"),
    ({"t": "dict", "v": [[{"t": "list", "v": []}, {"t": "none"}]]}, "unhashable"),
    ({"t": "rng", "bg": "os.system", "state": {"t": "dict", "v": []}}, "refused"),
    ({"t": "ref", "id": 1}, "unexpected"),
    ({"t": "nd", "v": npy(np.zeros(3)), "scalar": True}, "0-dimensional"),
])
def test_refusals_are_clear_errors(tagged, words):
    with pytest.raises(WireError, match=words):
        decode(tagged)


def test_oversize_and_deep_payloads_are_refused():
    with pytest.raises(WireError, match="at most 100"):
        loads("[" + "1," * 100 + "1]", max_chars=100)
    with pytest.raises(WireError, match="larger than 10 bytes"):
        decode(encode(np.zeros(100)), max_bytes=10)
    deep = {"t": "none"}
    for _ in range(40):
        deep = {"t": "list", "v": [deep]}
    with pytest.raises(WireError, match="deeper"):
        decode(deep)
    with pytest.raises(WireError, match="cannot be sent"):
        encode(object())
    with pytest.raises(WireError, match="no object arrays"):
        encode(np.array([None]))


def test_the_tags_are_the_documented_ones():
    assert encode(2**70) == {"t": "int", "v": str(2**70)}  # any size, as decimal text
    assert encode(float("nan")) == {"t": "float", "v": "nan"}
    assert encode((1,))["t"] == "tuple" and encode([1])["t"] == "list"
    assert encode(True) == {"t": "bool", "v": True}  # a bool is not sent as the int 1
    assert encode(np.float32(0.5))["scalar"] is True
    assert json.loads(dumps(encode({"k": [1.5]}))) == encode({"k": [1.5]})  # plain JSON


def test_references_go_through_the_callers_hook():
    def as_ref(value):
        return {"t": "ref", "id": 7}

    tagged = encode([len, {"f": len}], other=as_ref)
    assert tagged["v"][0] == {"t": "ref", "id": 7}
    back = decode(tagged, other=lambda obj: ("handle", obj["id"]))
    assert back == [("handle", 7), {"f": ("handle", 7)}]
    with pytest.raises(WireError, match="malformed message: expected 'id' of type int"):
        decode({"t": "ref", "id": "7"}, other=lambda obj: obj)


def test_nesting_is_refused_one_level_past_the_limit():
    value = 0
    for _ in range(MAX_DEPTH):
        value = [value]
    assert decode(encode(value)) == value  # exactly at the limit: allowed
    with pytest.raises(WireError, match=f"deeper than {MAX_DEPTH}"):
        encode([value])


def test_a_generator_state_must_be_a_real_one():
    tagged = encode(np.random.default_rng(1))
    tagged["state"] = encode({"bit_generator": "PCG64", "state": {"state": "x"}})
    with pytest.raises(WireError, match="generator state was refused"):
        decode(tagged)


@pytest.mark.parametrize("text, words", [
    (b"[1]", "not text"),
    ("{", "not JSON"),
    ("[" * 100_000 + "]" * 100_000, "not JSON"),  # too deep for the parser: refused, no crash
])
def test_malformed_messages_are_refused(text, words):
    with pytest.raises(WireError, match=words):
        loads(text)


def test_a_bare_nan_never_goes_out():
    with pytest.raises(ValueError, match="JSON compliant"):
        dumps({"v": float("nan")})  # floats travel as their text instead
