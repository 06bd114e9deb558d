"""Atomic writes: every output goes to a temporary file beside it, then is renamed into place.

A crash never leaves a half-written output, and an existing output is replaced only when
asked (``overwrite=True``). A temporary file is hidden and marked (``.plan.xuewei-tmp-…
.gpkg``): a process killed outright (SIGKILL, a power cut) cannot remove it, so the next
write of the same output removes such leftovers (:func:`remove_leftovers`). A file that
cannot be written (a read-only folder, a full disk) raises
:class:`~xuewei.errors.OutputError` naming it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from xuewei.errors import OutputError, OutputExistsError

__all__ = [
    "TEMP_MARK",
    "atomic_path",
    "atomic_paths",
    "remove_leftovers",
    "temporary_path",
    "write_failure",
]

#: What the name of every temporary output file holds.
TEMP_MARK = ".xuewei-tmp-"


def temporary_path(path: str | Path) -> Path:
    """Return a new, unused hidden name beside ``path``, with its suffix (no file made).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> tmp = temporary_path(pathlib.Path(tempfile.mkdtemp()) / "plan.gpkg")
    >>> tmp.name.startswith(".plan.xuewei-tmp-"), tmp.suffix, tmp.exists()
    (True, '.gpkg', False)
    """
    path = Path(path)
    fd, name = tempfile.mkstemp(
        prefix=f".{path.stem}{TEMP_MARK}", suffix=path.suffix, dir=path.parent
    )
    os.close(fd)
    tmp = Path(name)
    tmp.unlink()  # writers such as GDAL want to create the file themselves
    return tmp


def remove_leftovers(path: str | Path) -> list[Path]:
    """Remove the temporary files that a killed write of ``path`` left beside it.

    Returns
    -------
    list of pathlib.Path
        The files removed.
    """
    path = Path(path)
    if not path.parent.is_dir():
        return []
    # and what a writer kept beside its file (SQLite's `-journal` of a GeoPackage)
    found = sorted(path.parent.glob(f".*{path.stem}{TEMP_MARK}*{path.suffix}*"))
    for leftover in found:
        leftover.unlink(missing_ok=True)
    return found


def write_failure(path: str | Path, exc: Exception) -> OutputError:
    """Return the :class:`~xuewei.errors.OutputError` for a failed write of ``path``.

    A library that writes through its own file layer (GDAL's SQLite for a GeoPackage)
    reports a full disk in its own words ("no such table"); when the folder has less than
    1 MiB free, the error says that the disk is full.
    """
    path = Path(path)
    reason = (exc.strerror if isinstance(exc, OSError) else None) or str(exc)
    try:
        free: int | None = shutil.disk_usage(path.parent).free
    except OSError:
        free = None
    if free is not None and free < _FULL and "No space left" not in reason:
        reason = f"No space left on device ({free:,} bytes free; {reason})"
    return OutputError(f"cannot write {path}: {reason}")


_FULL = 1 << 20  # bytes free under which a failed write is put down to a full disk


@contextlib.contextmanager
def atomic_path(path: str | Path, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` if the block succeeds.

    Parameters
    ----------
    path
        The final file.
    overwrite
        Replace an existing file; otherwise :class:`~xuewei.errors.OutputExistsError`.

    Raises
    ------
    OutputError
        When the folder cannot be made or written (read-only, a full disk).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("done")
    >>> target.read_text()
    'done'
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise OutputExistsError(f"{path} exists; pass overwrite=True (CLI: --overwrite)")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = temporary_path(path)
    except OSError as exc:
        raise write_failure(path, exc) from exc
    try:
        yield tmp
        os.replace(tmp, path)
    except OutputError:
        raise
    except OSError as exc:
        raise write_failure(path, exc) from exc
    finally:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_paths(
    paths: Mapping[str, Path], *, overwrite: bool = False
) -> Iterator[dict[str, Path]]:
    """Yield a temporary path for each of ``paths``; rename them all when the block succeeds.

    Every file is complete before the first is renamed, so a run killed while it writes
    leaves the earlier outputs as they were (or none); only a kill in the moment of the
    renames themselves (microseconds per file) can leave some files new and some old —
    each of them complete. Leftovers of an earlier killed run are removed first.

    Raises
    ------
    OutputExistsError
        When one of ``paths`` exists and ``overwrite`` is false (nothing is written).
    OutputError
        When the folder cannot be written.
    """
    existing = [p for p in paths.values() if p.exists()]
    if existing and not overwrite:
        shown = ", ".join(map(str, existing))
        raise OutputExistsError(f"outputs exist: {shown}; pass overwrite=True (CLI: --overwrite)")
    staged: dict[str, Path] = {}
    try:
        for path in paths.values():
            path.parent.mkdir(parents=True, exist_ok=True)
            remove_leftovers(path)
        for key, path in paths.items():
            staged[key] = temporary_path(path)
        yield staged
        for key, path in paths.items():
            os.replace(staged[key], path)
    except OutputError as exc:  # a writer's, naming the temporary file: name the output
        message = str(exc)
        for key, tmp in staged.items():
            message = message.replace(str(tmp), str(paths[key]))
        raise OutputError(message) from exc
    except OSError as exc:
        raise write_failure(next(iter(paths.values())), exc) from exc
    finally:
        for tmp in staged.values():
            tmp.unlink(missing_ok=True)
