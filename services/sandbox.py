"""Run untrusted-file work (decoding, OCR) in a forked child with hard limits, so a bad file ends itself, not us.

The one way both the worker (services.process) and `cli.py extract` isolate a document:
- a wall-clock limit (settings.document_timeout_s): the child and its Tesseract / Poppler children are killed;
- an address-space limit (RLIMIT_AS, settings.child_memory_mb) and a CPU-time limit (RLIMIT_CPU,
  settings.child_cpu_s); Tesseract reads pages inside the child (ocr.libtesseract), under both; pdftoppm and
  Tesseract's orientation check run as the child's subprocesses and inherit them;
- the child is in its own process group, ignores Ctrl-C (the caller decides) and dies with its parent.

How a child's end is reported (the caller maps these onto a document's state):
- the function's result, or the exception it raised (pickled back, with the child's traceback);
- out of memory (MemoryError, or the child could not even report it) -> InputError 'too_complex': the same
  file would run out again, so it is never retried;
- CPU limit (SIGXCPU) -> InputError 'too_slow': same reasoning;
- wall-clock limit -> TransientError 'document_timeout' (a busy machine can cause it: retried, bounded);
- killed by another signal or exited without a result (a decoder crash, the kernel's OOM killer) ->
  ChildCrashed ('worker_crashed', a TransientError: retried up to settings.max_attempts, then failed).
"""

from __future__ import annotations

import ctypes
import os
import pickle
import resource
import select
import shutil
import signal
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from errors import ChildCrashed, ErrorCode, InputError, TransientError
from settings import Settings

T = TypeVar("T")

_EXIT_NO_MEMORY = 3  # the child ran out of memory even while reporting it
_CPU_GRACE_S = 5  # SIGXCPU at the soft limit, SIGKILL this much later


@dataclass(frozen=True)
class Limits:
    timeout_s: float
    memory_mb: int | None
    cpu_s: int | None

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(settings.document_timeout_s, settings.child_memory_mb, settings.child_cpu_s)


def too_complex() -> InputError:
    return InputError("The file needs more memory than allowed to decode: save it at a lower resolution "
                      "(300 dpi is enough) or split it, and upload it again.", code=ErrorCode.TOO_COMPLEX)


def too_slow(cpu_s: int | None) -> InputError:
    return InputError(f"The file needs more than {cpu_s or 0} s of processing time: save it at a lower resolution "
                      "or split it, and upload it again.", code=ErrorCode.TOO_SLOW)


def run(function: Callable[..., T], *args: Any, limits: Limits) -> T:
    """`function(*args)` in a forked child under `limits`; its result or exception comes back here. The child's
    temporary files go to an owner-only folder of its own, removed when it ends however it ends."""
    work = tempfile.mkdtemp(prefix="docdesk-doc-")
    try:
        return _run(work, function, args, limits)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run(work: str, function: Callable[..., T], args: tuple, limits: Limits) -> T:
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never returns
        os.close(read_fd)
        tempfile.tempdir = work
        os.environ["TMPDIR"] = work
        os.umask(0o077)
        _child(write_fd, function, args, limits)

    os.close(write_fd)
    deadline = time.monotonic() + limits.timeout_s
    chunks: list[bytes] = []
    ended: tuple[int, Any] | None = None
    try:
        with os.fdopen(read_fd, "rb", buffering=0) as pipe:
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    _kill_tree(pid)
                    raise TransientError(f"Processing took longer than {limits.timeout_s:.0f} s and was stopped.",
                                         code=ErrorCode.DOCUMENT_TIMEOUT)
                ready, _, _ = select.select([pipe], [], [], min(remaining, 1.0))
                if ready:
                    chunk = pipe.read(1 << 20)
                    if not chunk:
                        break
                    chunks.append(chunk)
    except BaseException:
        _kill_tree(pid)
        raise
    finally:
        ended = _reap(pid)
    if chunks:
        outcome, *rest = pickle.loads(b"".join(chunks))
        if outcome == "ok":
            return rest[0]
        error, child_traceback = rest
        error.child_traceback = child_traceback
        raise error
    _kill_group(pid)  # a Tesseract left behind by a child that died mid-page
    raise _no_result(ended, limits)


def _no_result(ended: tuple[int, Any] | None, limits: Limits) -> Exception:
    status, usage = ended or (None, None)
    if status is not None and os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        cpu_used = usage.ru_utime + usage.ru_stime if usage is not None else 0.0
        if sig == signal.SIGXCPU or (sig == signal.SIGKILL and limits.cpu_s and cpu_used >= limits.cpu_s):
            return too_slow(limits.cpu_s)
        return ChildCrashed(f"The OCR process was stopped by signal {signal.Signals(sig).name} (a crash or the "
                            "system running out of memory); it will be tried again.")
    if status is not None and os.WIFEXITED(status) and os.WEXITSTATUS(status) == _EXIT_NO_MEMORY:
        return too_complex()
    return ChildCrashed("The OCR process stopped unexpectedly (out of memory or a crash); it will be tried again.")


def _child(write_fd: int, function: Callable, args: tuple, limits: Limits) -> None:
    code = 0
    try:
        os.setpgid(0, 0)  # Ctrl-C at the caller's terminal must not reach this document's Tesseract
        _die_with_parent()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        _set_limits(limits)
        try:
            payload = pickle.dumps(("ok", function(*args)))
        except MemoryError:
            payload = pickle.dumps(("error", too_complex(), traceback.format_exc()))
        except BaseException as error:  # noqa: BLE001 - everything goes back to the parent
            payload = _pickle_error(error)
        with os.fdopen(write_fd, "wb") as pipe:
            pipe.write(payload)
    except MemoryError:
        code = _EXIT_NO_MEMORY
    except BaseException:  # noqa: BLE001
        code = 1
    finally:
        os._exit(code)


def _set_limits(limits: Limits) -> None:
    if limits.memory_mb:
        size = limits.memory_mb * 1024 * 1024
        _lower(resource.RLIMIT_AS, size, size)
    if limits.cpu_s:
        used = resource.getrusage(resource.RUSAGE_SELF)  # a forked child starts at zero; be exact anyway
        soft = int(used.ru_utime + used.ru_stime) + limits.cpu_s
        _lower(resource.RLIMIT_CPU, soft, soft + _CPU_GRACE_S)


def _lower(kind: int, soft: int, hard: int) -> None:
    """Set a limit, never above one already in force (an unprivileged process cannot raise its hard limit)."""
    old_soft, old_hard = resource.getrlimit(kind)
    if old_hard != resource.RLIM_INFINITY:
        hard = min(hard, old_hard)
        soft = min(soft, hard)
    resource.setrlimit(kind, (soft, hard))


def _pickle_error(error: BaseException) -> bytes:
    text = traceback.format_exc()
    try:
        payload = pickle.dumps(("error", error, text))
        pickle.loads(payload)
        return payload
    except Exception:  # noqa: BLE001 - an exception that cannot cross the pipe becomes a plain one
        return pickle.dumps(("error", RuntimeError(f"{type(error).__name__}: {error}"), text))


def _die_with_parent() -> None:
    """Linux: the child gets SIGKILL when its parent dies, so a killed worker leaves no orphan behind."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _kill_tree(pid: int) -> None:
    """The child and everything it started (its process group, and any stray descendant)."""
    import psutil

    _kill_group(pid)
    try:
        parent = psutil.Process(pid)
        for child in parent.children(recursive=True):
            child.kill()
        parent.kill()
    except psutil.NoSuchProcess:
        pass


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _reap(pid: int) -> tuple[int, Any] | None:
    """(wait status, the child's own resource usage), or None when it was already reaped."""
    try:
        _, status, usage = os.wait4(pid, 0)
        return status, usage
    except ChildProcessError:
        return None
