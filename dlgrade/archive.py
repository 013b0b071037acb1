"""Unpack an LMS download (a zip of everyone's submissions) within a budget.

nbgrader's ``ExtractorPlugin`` unpacks every member of an archive, and every archive inside
it, with no limit on sizes, counts or nesting: a 1 kB upload holding a zip of a 300 MB file
of zeros fills the collecting machine's disk before anything looks at the files (issue 21,
hostile review hole 4). :func:`unpack_zip` reads the archive with :mod:`zipfile` itself and
decides from the archive's directory (``ZipInfo.file_size``, the sizes it declares, which
:mod:`zipfile` also enforces while decompressing) before it writes a byte:

* only notebooks (``.ipynb``) are written, each at most :attr:`ArchiveLimits.max_notebook_bytes`;
* a zip inside the archive (a student's own upload) is read with the same budget, at most
  :attr:`ArchiveLimits.max_depth` levels deep; other archive kinds inside are refused;
* everything written, nested zips included, counts against
  :attr:`ArchiveLimits.max_total_bytes`, and at most :attr:`ArchiveLimits.max_members` entries
  are looked at in all;
* links, absolute names, ``..``, encrypted members are refused; other files are left in the
  archive and reported as ignored.

The layout is nbgrader's: ``x.zip`` unpacks into ``x/``, a nested ``alice/02_neuron.zip``
into ``alice/02_neuron/``, so :mod:`dlgrade.collect` matches names as before.
"""

from __future__ import annotations

import os
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .lms.base import entry_name
from .safe_files import MB, SUBMISSION, Refusal

#: Archive kinds that may hold submissions but are not opened (only zip is).
OTHER_ARCHIVES = (".gz", ".tgz", ".tar", ".bz2", ".xz", ".7z", ".rar")
SKIPPED_PARTS = frozenset({"__MACOSX"})
#: how macOS names the resource fork it adds beside a file (``._name.ipynb``, a few bytes of
#: metadata, not a notebook) when a zip is packed on a Mac: skipped as ``__MACOSX`` is
APPLEDOUBLE = "._"


@dataclass(frozen=True)
class ArchiveLimits:
    """How much of an archive :func:`unpack_zip` may write."""

    max_notebook_bytes: int = SUBMISSION.max_notebook_bytes  # as a notebook handed in
    max_total_bytes: int = 500 * MB
    max_members: int = 20_000
    max_depth: int = 3

    def __post_init__(self):
        for name in ("max_notebook_bytes", "max_total_bytes", "max_members"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}: got {value!r}, expected a positive whole number")
        if not isinstance(self.max_depth, int) or self.max_depth < 0:
            raise ValueError(f"max_depth: got {self.max_depth!r}, expected 0 or more")


@dataclass
class Unpacked:
    """:func:`unpack_zip`'s answer: files written (relative paths), refusals, ignored."""

    written: list = field(default_factory=list)
    refused: list = field(default_factory=list)  # Refusal
    #: the folders that hold an archive found inside the download (a student's own zip)
    nested: list = field(default_factory=list)
    ignored: list = field(default_factory=list)
    members: int = 0
    total_bytes: int = 0


def _size(n: int) -> str:
    return f"{n / MB:.1f} MB"


def _safe_parts(name: str) -> tuple[str, ...] | None:
    """The parts of a member's name, or None for an absolute name or one with ``..``."""
    if "\\" in name or "\x00" in name:
        return None
    path = PurePosixPath(name)
    if path.is_absolute() or any(part in ("..", "") for part in path.parts):
        return None
    return tuple(part for part in path.parts if part != ".")


def _is_link(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def _copy_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path,
                 limit: int) -> int:
    """Write one member to ``target`` (a new file), at most ``limit`` bytes."""
    written = 0
    target.parent.mkdir(parents=True, exist_ok=True)
    with archive.open(info) as source, open(target, "xb") as out:
        while True:
            chunk = source.read(1 << 20)
            if not chunk:
                break
            written += len(chunk)
            if written > limit:
                raise ValueError(f"more data than its declared size of {_size(limit)}")
            out.write(chunk)
    return written


def unpack_zip(source, dest, limits: ArchiveLimits = ArchiveLimits()) -> Unpacked:
    """Unpack the notebooks of the zip ``source`` into ``dest/<archive name>/`` (see the
    module doc); refused and ignored members are listed with their path in the archive."""
    result = Unpacked()
    source, dest = Path(source), Path(dest)
    _unpack(source, dest / source.stem, source.name, 0, limits, result)
    return result


def _unpack(source: Path, folder: Path, label: str, depth: int, limits: ArchiveLimits,
            result: Unpacked) -> None:
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        result.refused.append(Refusal(label, f"not a readable zip archive ({exc})"))
        return
    with archive:
        for info in archive.infolist():
            info.filename = entry_name(info)  # UTF-8 names without the flag (review 23g, G9)
            rel = f"{label}/{info.filename}"
            result.members += 1
            if result.members > limits.max_members:
                result.refused.append(Refusal(label, f"more than {limits.max_members} "
                                              "entries in the archives in all; the rest "
                                              "was not read"))
                return
            if info.is_dir():
                continue
            parts = _safe_parts(info.filename)
            if parts is None:
                result.refused.append(Refusal(rel, "an absolute name or one with '..'"))
                continue
            if SKIPPED_PARTS & set(parts) or parts[-1] == ".DS_Store" or \
                    parts[-1].startswith(APPLEDOUBLE):
                continue
            suffix = os.path.splitext(parts[-1])[1].lower()
            kind = "notebook" if suffix == ".ipynb" else "zip" if suffix == ".zip" else None
            if kind is None:
                if suffix in OTHER_ARCHIVES or parts[-1].lower().endswith(".tar.gz"):
                    result.refused.append(Refusal(rel, "an archive of a kind collect does "
                                                  "not open (only zip archives are read)"))
                else:
                    result.ignored.append(rel)
                continue
            if _is_link(info):
                result.refused.append(Refusal(rel, "a symbolic link inside the archive"))
                continue
            if info.flag_bits & 0x1:
                result.refused.append(Refusal(rel, "encrypted"))
                continue
            if kind == "zip" and depth >= limits.max_depth:
                result.refused.append(Refusal(rel, f"an archive nested deeper than "
                                              f"{limits.max_depth} levels"))
                continue
            cap = limits.max_notebook_bytes if kind == "notebook" else \
                limits.max_total_bytes
            if info.file_size > cap:
                result.refused.append(Refusal(rel, f"{_size(info.file_size)} unpacked, over "
                                              f"the limit of {_size(cap)} per "
                                              f"{'notebook' if kind == 'notebook' else 'archive'}"))
                continue
            if result.total_bytes + info.file_size > limits.max_total_bytes:
                result.refused.append(Refusal(rel, f"over the limit of "
                                              f"{_size(limits.max_total_bytes)} unpacked in all"))
                continue
            target = folder.joinpath(*parts)
            if kind == "zip":
                target = target.with_name(f".{target.name}.{result.members}.tmp")
            try:
                size = _copy_member(archive, info, target, info.file_size)
            except FileExistsError:
                result.refused.append(Refusal(rel, "a second entry with the same name"))
                continue
            except (zipfile.BadZipFile, ValueError, OSError, EOFError,
                    NotImplementedError) as exc:
                target.unlink(missing_ok=True)
                result.refused.append(Refusal(rel, f"could not be unpacked ({exc})"))
                continue
            result.total_bytes += size
            if kind == "notebook":
                result.written.append(str(target.relative_to(folder.parent)))
                continue
            nested = target.parent / PurePosixPath(parts[-1]).stem
            result.nested.append(nested)
            try:
                _unpack(target, nested, rel, depth + 1, limits, result)
            finally:
                target.unlink(missing_ok=True)
