"""Retraining the field ranker from approvals (services.retraining): each run's progress and figures, and which
run's model the workers read with. The model files themselves are blobs (storage.blobs); a row names its key."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import String, Text, select, update
from sqlalchemy.orm import Mapped, mapped_column

from storage.db import Session
from storage.models import Base, Document, Field, Status, utcnow


class RunState(enum.StrEnum):
    QUEUED = "queued"  # on the queue, waiting for a worker
    RUNNING = "running"
    ADOPTED = "adopted"  # the candidate measured better: the workers read with it now
    KEPT = "kept"  # the candidate did not measure better: the current model stays
    REFUSED = "refused"  # too few approved documents to train and measure on
    FAILED = "failed"

    @property
    def finished(self) -> bool:
        return self not in (RunState.QUEUED, RunState.RUNNING)


class RankerRun(Base):
    __tablename__ = "ranker_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    requested_by: Mapped[str | None] = mapped_column(String(64))  # None: the command line
    requested_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    worker: Mapped[str | None] = mapped_column(String(64))  # 'host:pid' of the process running it
    state: Mapped[str] = mapped_column(String(16), default=RunState.QUEUED)
    stage: Mapped[str] = mapped_column(Text, default="")  # what it is doing now, for the progress line
    done: Mapped[int] = mapped_column(default=0)  # of `total` steps of the stage
    total: Mapped[int] = mapped_column(default=0)
    folders: Mapped[list[Any]] = mapped_column(default=list)  # labelled folders the command line added
    documents: Mapped[int | None]  # approved documents with learned fields
    shops: Mapped[int | None]
    held_out_documents: Mapped[int | None]
    held_out_shops: Mapped[int | None]
    current_model: Mapped[str | None] = mapped_column(String(32))  # 'shipped' or 'run N': what it was measured against
    current_f1: Mapped[float | None]
    candidate_f1: Mapped[float | None]
    figures: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"current"|"candidate": {field: accuracy}}
    model_key: Mapped[str | None] = mapped_column(String(64))  # the adopted model's blob
    active: Mapped[bool] = mapped_column(default=False, index=True)  # the workers read with its model
    reason: Mapped[str | None] = mapped_column(Text)  # why it was adopted, kept, refused or failed


def add_run(session: Session, requested_by: str | None, folders: list[str]) -> RankerRun:
    run = RankerRun(requested_by=requested_by, folders=folders)
    session.add(run)
    session.flush()
    return run


def get_run(session: Session, run_id: int) -> RankerRun | None:
    return session.get(RankerRun, run_id)


def runs(session: Session, *, limit: int = 50) -> list[RankerRun]:
    """The newest runs first."""
    return list(session.scalars(select(RankerRun).order_by(RankerRun.id.desc()).limit(limit)))


def unfinished(session: Session) -> list[RankerRun]:
    return list(session.scalars(select(RankerRun).where(RankerRun.state.in_((RunState.QUEUED, RunState.RUNNING)))))


def active_model(session: Session) -> tuple[int, str] | None:
    """(run id, blob key) of the adopted model the workers read with; None: the shipped model."""
    row = session.execute(select(RankerRun.id, RankerRun.model_key).where(RankerRun.active.is_(True))
                          .order_by(RankerRun.id.desc()).limit(1)).first()
    return (row[0], row[1]) if row is not None and row[1] else None


def make_active(session: Session, run: RankerRun | None) -> None:
    """Let the workers read with `run`'s model (None: the shipped one); at most one run is active."""
    session.execute(update(RankerRun).where(RankerRun.active.is_(True)).values(active=False))
    if run is not None:
        run.active = True


def set_progress(session: Session, run_id: int, stage: str, done: int = 0, total: int = 0) -> None:
    session.execute(update(RankerRun).where(RankerRun.id == run_id).values(stage=stage, done=done, total=total))


def approved_documents(session: Session) -> list[tuple[int, str]]:
    """(id, approved vendor) of every approved document with a vendor, oldest first."""
    rows = session.execute(select(Document.id, Field.value).join(Field, Field.document_id == Document.id)
                           .where(Document.status == Status.APPROVED, Field.name == "vendor",
                                  Field.value.is_not(None), Field.value != "")
                           .order_by(Document.id))
    return [(document_id, vendor or "") for document_id, vendor in rows]
