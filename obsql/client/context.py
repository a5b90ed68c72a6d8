"""Where a run happened: the code it ran (text and hash), the git commit, the host and the process.

Everything here is computed once per function or directory and cached: it is on the path of every logged run.
"""
from __future__ import annotations

import functools
import hashlib
import inspect
import os
import socket
from pathlib import Path
from typing import Callable

HOST = socket.gethostname()


@functools.lru_cache(maxsize=1024)
def _source_of_code(code) -> tuple[str, str]:
    try:
        text = inspect.getsource(code)
    except (OSError, TypeError):
        text = ""
    if text:
        return text, source_hash(text)
    return text, hashlib.blake2b(code.co_code + repr(code.co_consts).encode(), digest_size=16).hexdigest()


def source_hash(text: str) -> str:
    """The hash `code_hash` holds for source text: the same for a logged function and for its text given from
    elsewhere (an imported run's code), so one code is one hash however it arrived."""
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def source_of(func: Callable) -> tuple[str, str]:
    """(source text, hash) of a function; the text is empty when Python cannot find it."""
    code = getattr(inspect.unwrap(func), "__code__", None)
    if code is None:
        return "", hashlib.blake2b(repr(func).encode(), digest_size=16).hexdigest()
    return _source_of_code(code)


def git_commit_for(func: Callable | None) -> str | None:
    """The commit checked out in the repository holding `func`'s file (else the working directory), if any."""
    path = None
    if func is not None:
        try:
            path = inspect.getsourcefile(inspect.unwrap(func))
        except TypeError:
            path = None
    return _commit_in(str(Path(path).resolve().parent) if path else os.getcwd())


@functools.lru_cache(maxsize=256)
def _commit_in(directory: str) -> str | None:
    git_dir = _find_git_dir(Path(directory))
    return _read_head(git_dir) if git_dir else None


def _find_git_dir(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        candidate = folder / ".git"
        if candidate.is_dir():
            return candidate
        if candidate.is_file():  # a worktree or submodule: "gitdir: <path>"
            text = candidate.read_text().strip()
            if text.startswith("gitdir:"):
                return (folder / text.partition(":")[2].strip()).resolve()
    return None


def _read_head(git_dir: Path) -> str | None:
    try:
        head = (git_dir / "HEAD").read_text().strip()
    except OSError:
        return None
    if not head.startswith("ref:"):
        return head or None
    ref = head.partition(":")[2].strip()
    for base in (git_dir, _common_dir(git_dir)):
        ref_file = base / ref
        if ref_file.is_file():
            return ref_file.read_text().strip() or None
        packed = base / "packed-refs"
        if packed.is_file():
            for line in packed.read_text().splitlines():
                sha, _, name = line.partition(" ")
                if name == ref:
                    return sha
    return None  # a new repository with no commit yet


def _common_dir(git_dir: Path) -> Path:
    common = git_dir / "commondir"
    return (git_dir / common.read_text().strip()).resolve() if common.is_file() else git_dir
