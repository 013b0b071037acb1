"""The judge's wire format: plain data as JSON, numpy arrays as ``.npy`` bytes, nothing pickled.

Both ends of the channel between the trusted judge (:mod:`dlgrade.judge`) and the agent in the
student's kernel (:mod:`dlgrade.judge_agent`) use this module; it needs only the standard
library and numpy, so the student's kernel can import it. Every value is a tagged JSON object:

==============  ==========================================================================
``none``        None
``bool``        ``v``: true/false
``int``         ``v``: decimal text (any size)
``float``       ``v``: ``repr`` text (``nan``, ``inf`` included)
``complex``     ``re``, ``im``: float texts
``str``         ``v``: text
``list``        ``v``: list of values (``tuple`` likewise)
``dict``        ``v``: list of [key, value] pairs (keys are values too)
``nd``          ``v``: base64 of ``np.save(..., allow_pickle=False)``; ``scalar``: a numpy scalar
``rng``         ``bg``: bit generator name, ``state``: its state (a dict value)
``ref``         ``id``: an object that stays on the student side (a function or a handle)
``cb``          ``id``: a function that stays on the judge side (called back over the channel)
==============  ==========================================================================

:func:`decode` checks everything: tags, types, nesting depth, array dtypes (bool, integers,
floats, complex, text; never object or structured arrays) and sizes. Anything else raises
:class:`WireError` with a message saying what was refused.
"""

from __future__ import annotations

import base64
import io
import json

import numpy as np

#: Largest message (JSON text) either side accepts, in characters.
MAX_MESSAGE = 64 * 1024 * 1024
#: Most JSON lists and objects a message may hold (brackets and braces counted, text
#: included): a list of 100 000 Python floats takes about 100 000; arrays cross as one string.
MAX_CONTAINERS = 1_000_000
#: Deepest nesting of lists/tuples/dicts.
MAX_DEPTH = 32
#: Array dtype kinds that may cross: bool, signed/unsigned int, float, complex, unicode text.
ARRAY_KINDS = frozenset("biufcU")
#: Bit generators a ``np.random.Generator`` may be rebuilt with.
BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")


#: numpy's scalar types that cross as 0-d arrays (exact types: a subclass is not plain data)
_SCALARS = frozenset(t for t in set(np.sctypeDict.values()) if np.dtype(t).kind in ARRAY_KINDS)


class WireError(ValueError):
    """A value that may not cross the channel, or a malformed message."""


def _array_bytes(array: np.ndarray) -> str:
    if array.dtype.kind not in ARRAY_KINDS:
        raise WireError(f"an array of dtype {array.dtype} cannot be sent (only numbers, "
                        "booleans and text; no object arrays)")
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def encode(value, other=None, depth: int = 0):
    """The tagged form of ``value``.

    ``other(value)`` is asked for values that are not plain data; it returns a tagged form
    (``ref``/``cb``) or raises :class:`WireError`. Without it such values are refused.
    """
    if depth > MAX_DEPTH:
        raise WireError(f"data nested deeper than {MAX_DEPTH} levels cannot be sent")
    # exact types only: ``isinstance`` may read a ``__class__`` the value defines, which runs
    # its code (the agent encodes the student's objects and must run none of it)
    kind = type(value)
    if value is None:
        return {"t": "none"}
    if kind is bool:
        return {"t": "bool", "v": bool(value)}
    if kind is int:
        return {"t": "int", "v": str(value)}
    if kind is float:
        return {"t": "float", "v": repr(value)}
    if kind is complex:
        return {"t": "complex", "re": repr(value.real), "im": repr(value.imag)}
    if kind is str:
        return {"t": "str", "v": value}
    if kind in _SCALARS:
        return {"t": "nd", "v": _array_bytes(np.asarray(value)), "scalar": True}
    if kind is np.ndarray and (value.dtype.kind in ARRAY_KINDS or other is None):
        return {"t": "nd", "v": _array_bytes(value)}
    if type(value) in (list, tuple):
        return {"t": type(value).__name__, "v": [encode(v, other, depth + 1) for v in value]}
    if type(value) is dict:
        return {"t": "dict", "v": [[encode(k, other, depth + 1), encode(v, other, depth + 1)]
                                   for k, v in value.items()]}
    if type(value) is np.random.Generator:
        bit_generator = value.bit_generator
        name = type(bit_generator).__name__
        if name in BIT_GENERATORS and type(bit_generator) is getattr(np.random, name):
            return {"t": "rng", "bg": name, "state": encode(bit_generator.state, None, depth + 1)}
    if other is not None:
        return other(value)
    name = type.__dict__["__name__"].__get__(kind)  # not through a metaclass of the value's
    raise WireError(f"a {name} cannot be sent (only numbers, text, numpy "
                    "arrays and lists, tuples and dicts of them)")


def _need(obj, key, kind):
    if not isinstance(obj, dict) or key not in obj or not isinstance(obj[key], kind):
        raise WireError(f"malformed message: expected {key!r} of type {kind.__name__}")
    return obj[key]


def _float(text) -> float:
    if not isinstance(text, str) or len(text) > 40:
        raise WireError("malformed message: a float must be its text")
    try:
        return float(text)
    except ValueError:
        raise WireError(f"malformed message: {text[:40]!r} is not a float") from None


def _array(text: str, max_bytes: int) -> np.ndarray:
    if len(text) > max_bytes * 4 // 3 + 4:
        raise WireError(f"an array larger than {max_bytes} bytes was refused")
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
        array = np.load(io.BytesIO(raw), allow_pickle=False)
    except ValueError as error:  # object arrays need pickle: np.load refuses them
        raise WireError(f"an array was refused: {error}") from None
    except Exception as error:  # noqa: BLE001 - any malformed .npy is a refusal, not a crash
        raise WireError(f"a malformed array was refused ({type(error).__name__})") from None
    if not isinstance(array, np.ndarray) or array.dtype.kind not in ARRAY_KINDS \
            or array.dtype.fields is not None:
        raise WireError(f"an array of dtype {getattr(array, 'dtype', '?')} was refused")
    return array


def decode(obj, other=None, depth: int = 0, max_bytes: int = MAX_MESSAGE):
    """The value of a tagged form; ``other(obj)`` builds ``ref``/``cb`` values.

    Raises :class:`WireError` on anything malformed or not allowed.
    """
    if depth > MAX_DEPTH:
        raise WireError(f"data nested deeper than {MAX_DEPTH} levels was refused")
    tag = _need(obj, "t", str)
    if tag == "none":
        return None
    if tag == "bool":
        return bool(_need(obj, "v", bool))
    if tag == "int":
        text = _need(obj, "v", str)
        if len(text) > 5000 or not text.lstrip("-").isdigit():
            raise WireError("malformed message: an int must be its decimal text")
        return int(text)
    if tag == "float":
        return _float(obj.get("v"))
    if tag == "complex":
        return complex(_float(obj.get("re")), _float(obj.get("im")))
    if tag == "str":
        return _need(obj, "v", str)
    if tag == "nd":
        array = _array(_need(obj, "v", str), max_bytes)
        if obj.get("scalar") is True:
            if array.shape != ():
                raise WireError("malformed message: a numpy scalar must be 0-dimensional")
            return array[()]
        return array
    if tag in ("list", "tuple"):
        items = [decode(v, other, depth + 1, max_bytes) for v in _need(obj, "v", list)]
        return items if tag == "list" else tuple(items)
    if tag == "dict":
        result = {}
        for pair in _need(obj, "v", list):
            if not isinstance(pair, list) or len(pair) != 2:
                raise WireError("malformed message: a dict entry must be a [key, value] pair")
            key = decode(pair[0], other, depth + 1, max_bytes)
            try:
                result[key] = decode(pair[1], other, depth + 1, max_bytes)
            except TypeError:
                raise WireError("malformed message: an unhashable dict key") from None
        return result
    if tag == "rng":
        name = _need(obj, "bg", str)
        if name not in BIT_GENERATORS:
            raise WireError(f"bit generator {name[:40]!r} was refused")
        state = decode(_need(obj, "state", dict), None, depth + 1, max_bytes)
        generator = np.random.Generator(getattr(np.random, name)())
        try:
            generator.bit_generator.state = state
        except Exception as error:  # noqa: BLE001 - a bad state is a refusal
            raise WireError(f"a generator state was refused ({type(error).__name__})") from None
        return generator
    if tag in ("ref", "cb") and other is not None:
        _need(obj, "id", int)
        return other(obj)
    raise WireError(f"malformed message: unknown or unexpected tag {tag[:20]!r}")


def dumps(obj) -> str:
    """JSON text of a message (tagged values inside)."""
    return json.dumps(obj, separators=(",", ":"), allow_nan=False)


def loads(text, max_chars: int = MAX_MESSAGE, max_containers: int = MAX_CONTAINERS):
    """Parse a message's JSON text, refusing oversize ones: longer than ``max_chars``, or
    with more than ``max_containers`` lists and objects (counted before parsing: tens of
    millions of empty lists in a message of legal length took the judge tens of seconds to
    parse, per reply; review 21c, hole M)."""
    if type(text) is not str:
        raise WireError("malformed message: not text")
    if len(text) > max_chars:
        raise WireError(f"a message of {len(text)} characters was refused "
                        f"(at most {max_chars})")
    containers = text.count("[") + text.count("{")
    if containers > max_containers:
        raise WireError(f"a message of {containers} lists and objects was refused "
                        f"(at most {max_containers})")
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise WireError("malformed message: not JSON") from None
