"""Writing generated files safely: atomically, and never over a hand-edited file.

Every file symconv writes goes through :func:`write_files`:

* all targets are checked before any is written, so a refusal leaves nothing half-done;
* each file is written to a temporary file in the same directory and moved into place
  with :func:`os.replace` (atomic on POSIX), so a crash never leaves a partial file;
* a manifest (``.symconv-manifest.json`` beside the files) records the SHA-256 of what
  symconv wrote; an existing file whose content no longer matches its record (edited
  by hand) or that symconv never wrote is refused unless ``force=True``.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> write_files({folder / "a.txt": "one"})
[PosixPath('...a.txt')]
>>> (folder / "a.txt").write_text("edited by hand")
14
>>> write_files({folder / "a.txt": "two"})
Traceback (most recent call last):
...
symconv._io.HandEditedError: ...a.txt was changed since symconv wrote it; use --force (force=True) to overwrite
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Mapping

__all__ = ["write_files", "check_writable", "check_output_path", "check_output_dir", "read_manifest", "HandEditedError",
           "OutputPathError", "MANIFEST", "digest"]

MANIFEST = ".symconv-manifest.json"


class HandEditedError(ValueError):
    """A target exists and was not written (or was changed after being written) by symconv."""


class OutputPathError(ValueError):
    """An output path that cannot be written: a missing folder, a directory, no permission."""


def check_output_path(path: Any, option: str = "output", suffixes: tuple = ()) -> Path:
    """Refuse an output path before any work is done; return it as a :class:`Path`.

    Every command that writes a file calls this first (``--out``, ``--plot``), and
    :func:`write_files` calls it again for each target, so a refusal always reads the same
    and nothing is half-written. The folder's writability is probed by creating (and
    removing) a temporary file, which also catches read-only file systems and root.

    Parameters
    ----------
    path : str or os.PathLike
    option : str
        The option named in the message (``--out``).
    suffixes : tuple of str
        Accepted file name endings (``(".tex",)``); empty accepts any.

    Raises
    ------
    OutputPathError
        One line naming the option, the rule and the path.

    Examples
    --------
    >>> check_output_path("no/such/folder/x.png", "--plot")
    Traceback (most recent call last):
    ...
    symconv._io.OutputPathError: --plot: the folder 'no/such/folder' does not exist (create it first), got --plot='no/such/folder/x.png'
    >>> check_output_path(".", "--out")
    Traceback (most recent call last):
    ...
    symconv._io.OutputPathError: --out: '.' is a directory; give a file name, got --out='.'
    """
    text = os.fspath(path) if isinstance(path, (str, os.PathLike)) else None
    if not text or "\x00" in text:
        raise OutputPathError(f"{option}: expected a file name, got {option}={path!r}")
    target = Path(text)
    folder = target.parent
    got = f"got {option}={text!r}"
    try:
        if target.is_dir():
            raise OutputPathError(f"{option}: {text!r} is a directory; give a file name, {got}")
        if not folder.exists():
            raise OutputPathError(f"{option}: the folder {str(folder)!r} does not exist (create it first), {got}")
        if not folder.is_dir():
            raise OutputPathError(f"{option}: {str(folder)!r} is not a folder, {got}")
        if target.exists() and not target.is_file():
            raise OutputPathError(f"{option}: {text!r} is not a regular file, {got}")
        if suffixes and not text.lower().endswith(tuple(suffixes)):
            raise OutputPathError(f"{option}: must name a {', '.join(suffixes)} file, {got}")
    except OSError as exc:          # e.g. a name too long for the file system
        raise OutputPathError(f"{option}: cannot use this path ({exc.strerror or exc}), {got}") from None
    _require_writable(folder, option, got)
    if target.exists() and not os.access(target, os.W_OK):
        raise OutputPathError(f"{option}: {text!r} is not writable, {got}")
    return target


def check_output_dir(path: Any, option: str = "output") -> Path:
    """Refuse an output folder before any work: an existing file, or no writable place to create it.

    Examples
    --------
    >>> check_output_dir("/proc/version/derivations", "--dir")
    Traceback (most recent call last):
    ...
    symconv._io.OutputPathError: --dir: '/proc/version' is a file, not a folder, got --dir='/proc/version/derivations'
    """
    text = os.fspath(path) if isinstance(path, (str, os.PathLike)) else None
    if not text or "\x00" in text:
        raise OutputPathError(f"{option}: expected a folder name, got {option}={path!r}")
    got = f"got {option}={text!r}"
    folder = Path(text)
    try:
        existing = folder
        while not existing.exists():
            if existing.parent == existing:
                break
            existing = existing.parent
        if not existing.is_dir():
            raise OutputPathError(f"{option}: {str(existing)!r} is a file, not a folder, {got}")
    except OSError as exc:
        raise OutputPathError(f"{option}: cannot use this path ({exc.strerror or exc}), {got}") from None
    _require_writable(existing, option, got)
    return folder


def _require_writable(folder: Path, option: str, got: str) -> None:
    """Create and remove a probe file in ``folder`` (works for root and read-only file systems alike)."""
    try:
        handle, probe = tempfile.mkstemp(prefix=".symconv-probe.", dir=folder)
        os.close(handle)
        os.unlink(probe)
    except OSError as exc:
        raise OutputPathError(f"{option}: the folder {str(folder)!r} is not writable "
                              f"({exc.strerror or exc}), {got}") from None


def digest(data: bytes) -> str:
    """SHA-256 hex digest."""
    return hashlib.sha256(data).hexdigest()


def _as_bytes(content: str | bytes) -> bytes:
    return content.encode("utf-8") if isinstance(content, str) else bytes(content)


def read_manifest(folder: Path) -> dict:
    path = folder / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _atomic_write(path: Path, data: bytes) -> None:
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise


def check_writable(files: Mapping[Path, str | bytes], force: bool = False) -> None:
    """Raise :class:`HandEditedError` if any target may not be overwritten."""
    for path, content in files.items():
        path = Path(path)
        if path.is_dir():
            raise OutputPathError(f"{path} is a directory; give a file name")
        if force or not path.exists():
            continue
        current = path.read_bytes()
        if current == _as_bytes(content):
            continue
        recorded = read_manifest(path.parent).get(path.name)
        if recorded != digest(current):
            raise HandEditedError(f"{path} was changed since symconv wrote it; use --force (force=True) to overwrite"
                                  if recorded else
                                  f"{path} exists and was not written by symconv; use --force (force=True) to overwrite")


def write_files(files: Mapping[Path, str | bytes], force: bool = False) -> list[Path]:
    """Write generated files atomically after checking none was edited by hand.

    Parameters
    ----------
    files : mapping of path to text (UTF-8) or bytes
    force : bool
        Overwrite files that were edited by hand or not written by symconv.

    Returns
    -------
    list of Path
        The paths written, in the order given.
    """
    targets = {Path(p): c for p, c in files.items()}
    for path in targets:
        check_output_path(path)
    check_writable(targets, force)
    by_folder: dict[Path, dict] = {}
    for path, content in targets.items():
        data = _as_bytes(content)
        if not (path.exists() and path.read_bytes() == data):
            _atomic_write(path, data)
        by_folder.setdefault(path.parent, {})[path.name] = digest(data)
    for folder, records in by_folder.items():
        manifest = read_manifest(folder)
        manifest.update(records)
        _atomic_write(folder / MANIFEST, (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode())
    return list(targets)
