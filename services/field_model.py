"""Which field ranker documents are read with: the model an admin adopted (services.retraining), else the shipped one.

Each job looks the active run up (one small query, in its claim's transaction); the model file is read only when
that changed, so a worker reads with a newly adopted model from its next document, without a restart, and never
reads the file per document. A file that is missing or unreadable is logged and the shipped model used instead:
a worker never stops reading documents over it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from ocr.fields.ranker import Ranker, shipped_ranker
from settings import Settings
from storage import ranker_runs
from storage.blobs import BlobStore
from storage.db import Session

log = logging.getLogger("docdesk.field_model")

SHIPPED = "shipped"


@dataclass(frozen=True)
class InUse:
    name: str  # 'shipped' or 'run N'
    ranker: Ranker


_loaded: tuple[tuple, InUse] | None = None  # this process's: (the active run and blob store it was loaded from, it)


def in_use(session: Session, settings: Settings) -> InUse:
    """The ranker to read with now (loaded again only when the active model changed since this process last asked)."""
    global _loaded
    active = ranker_runs.active_model(session)
    key = (active, str(settings.blob_dir))
    if _loaded is None or _loaded[0] != key:
        _loaded = (key, _load(active, settings))
    return _loaded[1]


def run_name(run_id: int | None) -> str:
    return SHIPPED if run_id is None else f"run {run_id}"


def _load(active: tuple[int, str] | None, settings: Settings) -> InUse:
    if active is None:
        return InUse(SHIPPED, shipped_ranker())
    run_id, key = active
    try:
        ranker = Ranker.load(BlobStore(settings.blob_dir).path(key))
    except Exception as error:  # noqa: BLE001 - missing, damaged or of another format: the same to the reader
        log.error("the adopted field model cannot be read; reading with the shipped model instead. Adopt it again "
                  "or go back to the shipped model on the Monitor page (or `cli.py retrain --use-shipped`)",
                  extra={"step": "field_model", "run": run_id, "blob": key,
                         "error": f"{type(error).__name__}: {error}"})
        return InUse(SHIPPED, shipped_ranker())
    log.info("reading with the adopted field model", extra={"step": "field_model", "run": run_id})
    return InUse(run_name(run_id), ranker)
