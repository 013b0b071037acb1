"""Fingerprints of code: the course package's functions recognised in any disguise.

A function of ``dlcourse`` copied into a notebook, ``exec``'d from the package's text under
another file name, or rebuilt with its docstring stripped is still the package's. A
:func:`fingerprint` reads a code object's instruction stream with constants by value and
local names by slot, global and attribute names by the order of their first use, blind to
docstrings, line numbers, names and the order of constants;
:func:`package_fingerprints` is the table of the installed package's functions, and
:func:`_fingerprints_of_text` reads submitted text the same way. Used on both sides of the
judge: the kernel's recorder (:mod:`dlgrade.judge_code`) fingerprints the code that ran, the
grading process's :class:`dlgrade.judge_code.CodePolicy` compares.
"""

from __future__ import annotations

import dis
import hashlib
import os
import types

#: Opcodes whose argument is a constant, a local variable or a cell: in a fingerprint the
#: constant's value stands for the position of it (``co_consts`` is ordered by first use, and
#: a function's docstring is its first entry, never loaded), a variable its slot (its name is
#: the student's to choose).
_CONST_OPS = frozenset(dis.hasconst)
_LOCAL_OPS = frozenset(dis.haslocal) | frozenset(dis.hasfree)
#: Opcodes whose argument is a global, module-level or attribute name (``co_names``): in a
#: fingerprint the name stands for the order of its first use in the code object
_NAME_OPS = frozenset(dis.hasname)


def _constant(value):
    if isinstance(value, types.CodeType):
        return _shape(value)
    if isinstance(value, frozenset):  # set order depends on the hash seed
        return ("frozenset", tuple(sorted(repr(v) for v in value)))
    if isinstance(value, tuple):
        return ("tuple", tuple(_constant(v) for v in value))
    return (type(value).__name__, repr(value))


def _shape(code: types.CodeType):
    """What a code object does, blind to its docstring, the order of its constants, line
    numbers and every name it uses: the instruction stream with every constant replaced by its
    value (a class body's ``__doc__ = "..."`` left out), and the argument counts."""
    steps = []
    names: dict[str, int] = {}
    for ins in dis.get_instructions(code):
        if ins.opname == "NOP":
            continue
        if ins.opname == "STORE_NAME" and ins.argval == "__doc__" and steps and \
                steps[-1][0] == "LOAD_CONST" and steps[-1][1][0] == "str":
            steps.pop()  # a class's docstring
            continue
        if ins.opcode in _CONST_OPS:
            steps.append((ins.opname, _constant(ins.argval)))
        elif ins.opcode in _LOCAL_OPS:
            steps.append((ins.opname, ins.arg))
        elif ins.opcode in _NAME_OPS and isinstance(ins.argval, str):
            # a global or attribute name stands for the order of its first use: the package's
            # code with ``np`` bound under another name is the same code (review 21c, Rv3)
            slot = names.setdefault(ins.argval, len(names))
            pushes_null = ins.opname == "LOAD_GLOBAL" and bool(ins.arg & 1)
            steps.append((ins.opname, slot, pushes_null))
        else:
            steps.append((ins.opname, ins.argrepr))
    return (tuple(steps), code.co_argcount, code.co_posonlyargcount, code.co_kwonlyargcount,
            code.co_flags & 0x0C)  # CO_VARARGS | CO_VARKEYWORDS


def fingerprint(code: types.CodeType) -> str:
    """A digest of what a code object does: instructions, the constant values they use,
    which of them use the same name, argument counts.

    File name, function name, line numbers, every name (local, global, attribute: each stands
    for its slot or the order of its first use), the docstring and the order of the constants
    are left out, so the package's function compiled from its text under another name, with
    its docstrings stripped, or rebuilt with ``np`` bound as ``_np_`` has the same
    fingerprint. Names used in another pattern (``m.g(a) + k.h(a)`` against
    ``m.g(a) + m.h(a)``) give another one.
    """
    return hashlib.blake2b(repr(_shape(code)).encode("utf-8", "backslashreplace"),
                           digest_size=16).hexdigest()


def _walk(code: types.CodeType):
    yield code
    for value in code.co_consts:
        if isinstance(value, types.CodeType):
            yield from _walk(value)


def _units(text: str, filename: str, flag_variants: bool = True):
    """Code objects of ``text`` compiled the ways Python and IPython compile it: the whole
    text as one module (an import, ``exec``), and each top-level statement alone (IPython runs
    a cell statement by statement), with and without ``from __future__ import annotations``
    (a function's bytecode depends on the unit it is compiled in)."""
    import __future__

    import ast

    try:
        tree = ast.parse(text, filename)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return
    units = [tree] + [ast.Module(body=[node], type_ignores=[]) for node in tree.body]
    variants = (0, __future__.annotations.compiler_flag) if flag_variants else (0,)
    for flags in variants:
        for unit in units:
            try:
                module = compile(unit, filename, "exec", flags=flags, dont_inherit=True)
            except (SyntaxError, ValueError, MemoryError, RecursionError):
                continue
            yield from (code for code in _walk(module) if code is not module)


def _fingerprints_of_text(text: str, filename: str) -> set[str]:
    """Fingerprints of every function (and class body, lambda, comprehension) in ``text``."""
    return {fingerprint(code) for code in _units(text, filename)}


#: Bytes of bytecode from which a function is too long to be written the same way twice
#: by chance (the course's solutions share comprehensions and helpers of up to 100 bytes
#: with the package)
SUBSTANTIAL_BYTES = 200
#: Functions of one submitted text (a cell, a file) equal to this many different functions of
#: the package make the text a copy of the package's, whatever their size: one short function
#: may be written the same way by chance, several together are not
COPIED_FUNCTIONS = 2
#: Bytes of bytecode below which a function counts for nothing in that tally (``return x``)
TRIVIAL_BYTES = 30

_UNNAMED = ("<module>", "<lambda>", "<listcomp>", "<genexpr>", "<dictcomp>", "<setcomp>")


def _docstring(code: types.CodeType) -> str | None:
    if code.co_name in _UNNAMED or not code.co_consts or not isinstance(code.co_consts[0], str):
        return None
    return code.co_consts[0]


def _substantial(code: types.CodeType) -> bool:
    """Whether a code object equal to a package function's is too long to be the student's
    own by chance (a docstring word for word the package's is checked by
    :meth:`CodePolicy.package_use`, which has the package's table)."""
    return len(code.co_code) >= SUBSTANTIAL_BYTES


_PACKAGE_TABLE: dict[str, tuple[str, dict[str, str]]] = {}
#: fingerprint -> the docstrings the package's functions with that fingerprint carry
_PACKAGE_DOCS: dict[str, set[str]] = {}


def package_root() -> str:
    """The folder of the installed ``dlcourse`` package (real path)."""
    import importlib.util

    spec = importlib.util.find_spec("dlcourse")
    origin = spec.origin if spec is not None else None
    return os.path.realpath(os.path.dirname(origin)) if origin else ""


def package_fingerprints() -> dict[str, str]:
    """fingerprint -> ``dlcourse.module.function`` of every code object of the package,
    compiled from its files (not imported: nothing of it runs). Computed once per process."""
    root = package_root()
    cached = _PACKAGE_TABLE.get("dlcourse")
    if cached is not None and cached[0] == root:
        return cached[1]
    table: dict[str, str] = {}
    for folder, _, files in os.walk(root):
        for name in sorted(files):
            if not name.endswith(".py"):
                continue
            path = os.path.join(folder, name)
            relative = os.path.relpath(os.path.splitext(path)[0], root).split(os.sep)
            module = ".".join(["dlcourse", *[p for p in relative if p != "__init__"]])
            try:
                with open(path, encoding="utf-8") as handle:
                    text = handle.read()
            except (OSError, UnicodeDecodeError):
                continue
            for code in _units(text, path, flag_variants=False):
                digest = fingerprint(code)
                table.setdefault(digest, f"{module}.{code.co_qualname}")
                if _docstring(code):
                    _PACKAGE_DOCS.setdefault(digest, set()).add(_docstring(code))
    _PACKAGE_TABLE["dlcourse"] = (root, table)
    return table
