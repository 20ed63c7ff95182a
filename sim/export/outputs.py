"""Writing an output file without harming what is there: the rules every exporter follows.

* An existing file is replaced only when the user said so (``overwrite``), and never when it
  is one of the command's own inputs (``carbonsim report run.db -o run.db --force`` would
  otherwise replace the event log it reads with HTML).
* The file is built under a hidden temporary name beside it and renamed into place once
  complete: a failure leaves no partial file, a replaced file is replaced whole, and a
  symbolic link at ``out`` is replaced by the new file, its target left alone.
* Without ``overwrite``, the final step refuses a file that appeared meanwhile (``link``
  fails atomically on an existing name).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterable
from pathlib import Path

from sim.errors import FileProblem


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)


def check_output(
    out: str | os.PathLike[str], *, overwrite: bool, inputs: Iterable[str | os.PathLike[str]] = (), flag: str = "--force"
) -> Path:
    """Refuse ``out`` before any work is done: it is one of ``inputs`` (followed through
    links: writing there would destroy what is read), it exists and ``overwrite`` is off, or
    its folder does not exist. Returns ``out`` as a Path."""
    out = Path(os.fspath(out))
    for source in inputs:
        if os.path.lexists(out) and _same_file(out, Path(source)):
            raise FileProblem(f"{out} is one of this command's inputs; write the output to another file")
    if os.path.lexists(out) and not overwrite:
        raise FileExistsError(f"{out} already exists; add {flag} to replace it")
    if os.path.isdir(out):
        raise FileProblem(f"{out} is a folder; give a file name")
    if not out.parent.is_dir():
        raise FileProblem(f"{out.parent} is not a folder; {out.name} cannot be written there")
    return out


def temp_sibling(out: Path) -> str:
    """A hidden, unused name beside ``out`` (same folder, so the final rename stays on one
    filesystem)."""
    return os.fspath(out.with_name(f".{out.name}.{secrets.token_hex(6)}.tmp"))


def publish(tmp_name: str, out: Path, *, overwrite: bool, flag: str = "--force") -> None:
    """Move the finished ``tmp_name`` to ``out`` (see the module's rules)."""
    if overwrite:
        os.replace(tmp_name, out)  # replaces a link itself, not its target
        return
    try:
        os.link(tmp_name, out)
    except FileExistsError:
        raise FileExistsError(f"{out} already exists; add {flag} to replace it") from None
    except OSError:
        # a filesystem without hard links: check, then rename (a narrow race remains)
        if os.path.lexists(out):
            raise FileExistsError(f"{out} already exists; add {flag} to replace it") from None
        os.replace(tmp_name, out)
        return
    os.unlink(tmp_name)


def write_output(
    out: str | os.PathLike[str],
    write: Callable[[str], None],
    *,
    overwrite: bool = False,
    inputs: Iterable[str | os.PathLike[str]] = (),
    flag: str = "--force",
) -> Path:
    """Check ``out``, call ``write(tmp_name)`` to build the file under a temporary name, then
    publish it; the temporary file is removed on any failure. Returns ``out`` as a Path."""
    inputs = list(inputs)
    out = check_output(out, overwrite=overwrite, inputs=inputs, flag=flag)
    tmp_name = temp_sibling(out)
    try:
        write(tmp_name)
        publish(tmp_name, out, overwrite=overwrite, flag=flag)
    except BaseException:
        try:
            os.unlink(tmp_name)
        except FileNotFoundError:
            pass
        raise
    return out


def write_output_dir(out: str | os.PathLike[str], write: Callable[[Path], None], *, overwrite: bool = False) -> Path:
    """The folder version of :func:`write_output`: ``write(tmp)`` fills a temporary folder beside
    ``out``, which is then renamed into place (an existing ``out`` folder, only with
    ``overwrite``, is moved aside first and removed once the new one is in). A failure leaves
    ``out`` as it was. FileExistsError for an existing ``out`` without ``overwrite``;
    FileProblem when ``out`` is a file."""
    import shutil
    import tempfile

    out = Path(out)
    if out.exists() and not out.is_dir():
        raise FileProblem(f"{out} is a file, not a folder; name a folder to write into")
    if out.exists() and not overwrite:
        raise FileExistsError(str(out))
    parent = out.parent if str(out.parent) else Path(".")
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=parent))
    try:
        write(tmp)
        old = None
        if out.exists():
            old = parent / f".{out.name}.old-{secrets.token_hex(4)}"
            os.rename(out, old)
        os.rename(tmp, out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out
