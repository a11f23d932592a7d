"""Test helpers: receipt bytes, and a real `cli.py worker` in a subprocess (optionally fault-injected).

`python -m tests.services.worker_proc --workers 1` runs the real worker command; when
DOCDESK_TEST_SLOW_S is set, the OCR engine sleeps that long before reading each page — a fault
injected only here, so a test can kill the worker while a document is being processed (and
DOCDESK_TEST_KILL_MID_SPLIT kills it while it writes a stack's receipts; DOCDESK_TEST_SLOW_RETRAIN_S makes a
retraining run wait that long before it starts its work, so a test can kill the worker during a run).
"""

from __future__ import annotations

import functools
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@functools.lru_cache
def _receipt_image():
    from tests.receipts import sample_receipt

    return sample_receipt().image


def receipt_png(variant: int = 0) -> bytes:
    """A generated receipt as PNG; each variant differs in one corner pixel, so its SHA-256 differs."""
    from tests.receipts import encode

    image = _receipt_image().copy()
    image[0, 0] = 255 - (variant % 200)
    return encode(image, "PNG")


def start_worker(data_dir: Path, *, workers: int = 1, extra_env: dict[str, str] | None = None,
                 log_path: Path | None = None) -> subprocess.Popen:
    """`cli.py worker` on `data_dir`; the database and queue URLs come from the environment (the `settings` fixture)."""
    env = {**os.environ, "DOCDESK_DATA_DIR": str(data_dir), **(extra_env or {})}
    log = open(log_path or data_dir.parent / "worker.log", "ab")
    return subprocess.Popen([sys.executable, "-m", "tests.services.worker_proc", "--workers", str(workers)],
                            cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True)


def tesseract_spy(folder: Path) -> tuple[dict[str, str], Path]:
    """An environment whose `tesseract` is the real one behind a script noting the OMP_THREAD_LIMIT each call
    gets, and the file the notes go to (one line per call; 'unset' when it is missing)."""
    real = shutil.which("tesseract")
    assert real, "tesseract is not installed"
    folder.mkdir(parents=True, exist_ok=True)
    notes = folder / "omp_thread_limit.log"
    spy = folder / "tesseract"
    spy.write_text(f'#!/bin/sh\necho "${{OMP_THREAD_LIMIT:-unset}}" >> "{notes}"\nexec "{real}" "$@"\n')
    spy.chmod(0o755)
    return {"PATH": f"{folder}{os.pathsep}{os.environ['PATH']}"}, notes


def stop_worker(process: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
    if process.poll() is None:
        os.killpg(process.pid, sig)
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        return process.wait()


def wait_for_status(settings, document_id: int, wanted: set[str], timeout: float = 90) -> str:
    from storage import repository
    from storage.db import session_factory

    deadline = time.monotonic() + timeout
    status = None
    while time.monotonic() < deadline:
        with session_factory(settings).begin() as session:
            status = repository.get_document(session, document_id).status
        if status in wanted:
            return status
        time.sleep(0.2)
    raise AssertionError(f"document #{document_id} still {status} after {timeout} s, wanted {wanted}")


def _install_slow_engine() -> None:
    delay = float(os.environ.get("DOCDESK_TEST_SLOW_S", "0") or 0)
    if not delay:
        return
    import ocr.pipeline

    real_default = ocr.pipeline.default_engine

    class SlowEngine:
        def __init__(self, inner):
            self.inner = inner

        def read_words(self, image, **kwargs):
            time.sleep(delay)
            return self.inner.read_words(image, **kwargs)

        def __getattr__(self, name):
            return getattr(self.inner, name)

    ocr.pipeline.default_engine = lambda config: SlowEngine(real_default(config))


def _install_slow_retraining() -> None:
    delay = float(os.environ.get("DOCDESK_TEST_SLOW_RETRAIN_S", "0") or 0)
    if not delay:
        return
    import services.retraining

    real = services.retraining._retrain

    def slow_retrain(*args, **kwargs):
        time.sleep(delay)
        return real(*args, **kwargs)

    services.retraining._retrain = slow_retrain


def _install_kill_mid_split() -> None:
    """DOCDESK_TEST_KILL_MID_SPLIT=FILE: the worker process kills itself (SIGKILL) after writing the second receipt of
    a split, before the transaction commits; once (it creates FILE first)."""
    marker = os.environ.get("DOCDESK_TEST_KILL_MID_SPLIT")
    if not marker:
        return
    import services.process

    real = services.process._write_receipt

    def write_then_die(session, document, output, receipt, lease):
        real(session, document, output, receipt, lease)
        if len(output.receipts) > 2 and receipt is output.receipts[1] and not os.path.exists(marker):
            Path(marker).touch()
            session.flush()  # the rows are in the database's open transaction
            os.kill(os.getpid(), signal.SIGKILL)

    services.process._write_receipt = write_then_die


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    _install_slow_engine()
    _install_kill_mid_split()
    _install_slow_retraining()
    from cli import app

    app(["worker", *sys.argv[1:]])
