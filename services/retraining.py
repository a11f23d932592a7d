"""Retraining the field ranker from reviewers' approvals (the Monitor page's Field model section, cli.py retrain).

An approved document is a labelled receipt: its stored pages (both readings) and the values its reviewer approved,
grouped by shop (ocr.fields.training.shop_of its approved vendor). A run
1. collects them, and refuses when there are too few to train and measure on (MIN_DOCUMENTS, MIN_SHOPS);
2. holds out about a quarter of the shops (`held_out_shops`: each shop's place comes from a hash of its name, so
   the same shops stay held out from run to run while new shops join either side);
3. fits a candidate on the other approvals, plus the labelled folders the command line names (what the shipped model
   was trained on: the candidate then keeps what it knows; a run from the page has approvals only);
4. reads the held-out documents cold with the model in use and with the candidate, and scores both with
   ocr.evaluate's F1 over the learned fields;
5. adopts the candidate only if its F1 is strictly higher: its file goes into the blob store and the workers read
   with it from their next document (services.field_model). Either way the run keeps both figures, per field too.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from errors import ConflictError, QueueUnavailable
from ocr.config import ExtractionConfig
from ocr.evaluate import Summary, summarize
from ocr.fields.extract import extract_fields
from ocr.fields.ranker import Ranker
from ocr.fields.training import LEARNED, LabelledReceipt, Prepared, family_data, fit, prepare, shop_of
from ocr.validation import result_of
from services import field_model, queue, sandbox, vendors
from services.access import Permission, use_case
from services.liveness import worker_gone, worker_id
from settings import Settings, get_settings
from storage import ranker_runs, repository
from storage.blobs import BlobStore
from storage.db import engine_for
from storage.models import utcnow
from storage.ranker_runs import RunState

log = logging.getLogger("docdesk.retraining")

MIN_DOCUMENTS = 30  # approved documents with a vendor
MIN_HELD_OUT_SHOPS = 3
MIN_SHOPS = 2 * MIN_HELD_OUT_SHOPS  # as many to train on as are held out, at least
HELD_OUT_SHARE = 0.25
SPLIT_KEY = "docdesk held-out shops"  # hashed with each shop's name: where the shop falls
SEED = 0
STALE_AFTER = timedelta(hours=2)  # a run unfinished this long lost its worker

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass(frozen=True)
class Run:
    """One retraining run as the page and the command line show it."""

    id: int
    requested_by: str | None
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    state: str
    stage: str
    done: int
    total: int
    folders: list[Any]
    documents: int | None
    shops: int | None
    held_out_documents: int | None
    held_out_shops: int | None
    current_model: str | None
    current_f1: float | None
    candidate_f1: float | None
    figures: dict[str, Any]
    active: bool
    reason: str | None

    @property
    def finished(self) -> bool:
        return RunState(self.state).finished

    @classmethod
    def of(cls, row: ranker_runs.RankerRun) -> Run:
        return cls(**{f.name: getattr(row, f.name) for f in fields(cls)})


@dataclass(frozen=True)
class Overview:
    in_use: str  # what documents are read with: 'shipped' or 'run N'
    adopted: str | None  # the run an admin adopted ('run N'); not in use when its file cannot be read
    runs: list[Run]  # newest first

    @property
    def running(self) -> Run | None:
        return next((run for run in self.runs if not run.finished), None)


# --- the use cases ---------------------------------------------------------------------------------------------

def overview(*, user: str | None = None, settings: Settings | None = None) -> Overview:
    with use_case(user, Permission.RETRAIN, settings=settings) as session:
        active = ranker_runs.active_model(session)
        return Overview(field_model.in_use(session, settings or get_settings()).name,
                        field_model.run_name(active[0]) if active else None,
                        [Run.of(row) for row in ranker_runs.runs(session)])


def request(*, user: str | None = None, settings: Settings | None = None) -> Run:
    """Record a run and put it on the queue for a worker; refused at once (and recorded) when there are too few
    approvals. ConflictError while another run is queued or running."""
    settings = settings or get_settings()
    with use_case(user, Permission.RETRAIN, settings=settings) as session:
        run = _new_run(session, user, [])
        approved = ranker_runs.approved_documents(session)
        refusal = too_few(len(approved), len({shop_of(vendor) for _, vendor in approved}))
        if refusal:
            _end(session, run, RunState.REFUSED, refusal)
        run_id = run.id
    if not refusal:
        try:
            queue.enqueue_retraining(run_id, settings)
        except Exception as error:  # noqa: BLE001 - Redis down, the queue file unreadable: the same to an admin
            _record_end(run_id, settings, RunState.FAILED, f"The queue cannot be reached ({error}).")
            raise QueueUnavailable(f"The retraining could not be put on the queue ({type(error).__name__}): "
                                   "check that the queue is up (DOCDESK_QUEUE_URL), then start it again.") from error
    return run_of(run_id, settings)


def use_shipped(*, user: str | None = None, settings: Settings | None = None) -> str:
    """Go back to the model that ships with DocDesk; returns what was in use before."""
    with use_case(user, Permission.RETRAIN, settings=settings) as session:
        active = ranker_runs.active_model(session)
        before = field_model.run_name(active[0] if active else None)
        ranker_runs.make_active(session, None)
        repository.add_audit(session, "field_model_reset", user=user, previous=before)
    log.info("field model reset to the shipped one", extra={"step": "retrain", "previous": before})
    return before


def run_of(run_id: int, settings: Settings) -> Run:
    with use_case(settings=settings) as session:
        row = ranker_runs.get_run(session, run_id)
        if row is None:
            raise LookupError(f"no retraining run {run_id}")
        return Run.of(row)


def run_queued(run_id: int, *, settings: Settings | None = None) -> None:
    """The worker's job: run a queued retraining (a run already finished or taken is left alone)."""
    execute(run_id, settings or get_settings())


def recover(settings: Settings) -> list[int]:
    """What stopped workers left behind, as the worker's recovery loop finds it (at start, then every few seconds):
    a running run whose process on this host is gone is failed, saying so; a queued run whose job the queue lost (its
    file deleted, a crash between commit and enqueue) is put on it again (a duplicate job is harmless: a run that is
    no longer queued is left alone). Returns the ids put on the queue."""
    with use_case(settings=settings) as session:
        queued = []
        for run in ranker_runs.unfinished(session):
            if run.state == RunState.QUEUED:
                queued.append(run.id)
            elif worker_gone(run.worker, settings):
                _end(session, run, RunState.FAILED, _stopped(run))
    missing = [run_id for run_id in queued if run_id not in queue.job_ids(settings, queue.RETRAIN_TASK_NAME)]
    for run_id in missing:
        queue.enqueue_retraining(run_id, settings)
    return missing


def _stopped(run: ranker_runs.RankerRun) -> str:
    who, again = (("The command", "run `cli.py retrain` again") if run.requested_by is None
                  else ("The worker", "start it again from Monitor -> Field model"))
    return (f"{who} running it stopped during this run (killed, or its machine restarted) before the candidate was "
            f"measured; the model in use stays. To retrain, {again}.")


def run_here(folders: Sequence[Path] = (), *, settings: Settings | None = None, cache: Path | None = None,
             progress: Progress | None = None) -> Run:
    """The command line's retraining, in this process: recorded like the page's, with labelled folders added to
    what the candidate is trained on."""
    settings = settings or get_settings()
    with use_case(settings=settings) as session:
        run_id = _new_run(session, None, [str(folder) for folder in folders]).id
    labelled = _folder_receipts(folders, settings, cache, progress) if folders else []
    execute(run_id, settings, labelled, progress)
    return run_of(run_id, settings)


def _new_run(session, user: str | None, folders: list[str]) -> ranker_runs.RankerRun:
    for run in ranker_runs.unfinished(session):
        if utcnow() - run.requested_at < STALE_AFTER:
            raise ConflictError(f"Retraining run {run.id} is {run.state} already: wait for it to finish.")
        _end(session, run, RunState.FAILED, "No worker finished it: it was given up after "
                                   f"{STALE_AFTER.total_seconds() / 3600:.0f} hours.")
    run = ranker_runs.add_run(session, user, folders)
    repository.add_audit(session, "retraining_requested", user=user, run=run.id, folders=folders)
    return run


def too_few(documents: int, shops: int) -> str | None:
    """Why there is not enough to retrain on, saying how many there are and how many it takes; None if enough."""
    if documents < MIN_DOCUMENTS:
        return (f"Not enough approved documents to retrain: {documents} approved with a vendor, {MIN_DOCUMENTS} "
                f"needed (a quarter of their shops, at least {MIN_HELD_OUT_SHOPS}, are held out to measure on). "
                "Approve more documents and try again.")
    if shops < MIN_SHOPS:
        return (f"Not enough different shops to retrain: the approved documents come from {shops}, {MIN_SHOPS} "
                f"needed ({MIN_HELD_OUT_SHOPS} held out to measure on, the rest to train on).")
    return None


# --- one run -----------------------------------------------------------------------------------------------------

def execute(run_id: int, settings: Settings, labelled: Sequence[LabelledReceipt] = (),
            progress: Progress | None = None) -> None:
    """Run a queued retraining to its end: adopted, kept, refused or failed, recorded with its figures."""
    with use_case(settings=settings) as session:
        run = ranker_runs.get_run(session, run_id)
        if run is None or run.state != RunState.QUEUED:
            log.info("retraining run not queued: nothing to do", extra={"step": "retrain", "run": run_id})
            return
        run.state, run.started_at, run.worker = RunState.RUNNING, utcnow(), worker_id(settings)
    report = _reporter(run_id, settings, progress)
    try:
        sandbox.run(_retrain_isolated, run_id, settings, labelled, report,
                    limits=sandbox.Limits(STALE_AFTER.total_seconds(), None, None))
    except Exception as error:  # noqa: BLE001 - a run that breaks is recorded as failed; the worker carries on
        log.exception("retraining failed", extra={"step": "retrain", "run": run_id})
        _record_end(run_id, settings, RunState.FAILED, f"Retraining stopped: {type(error).__name__}: {error}. "
                                                       "The model in use stays; see the worker's log.")


def _retrain_isolated(run_id: int, settings: Settings, labelled: Sequence[LabelledReceipt], report: Progress) -> None:
    """`_retrain` in a forked child: the memory it takes (every approval's reading, LightGBM; ~0.9 GB of address
    space for 300 approvals) goes back when it ends, instead of staying in the worker and eating into the address-space
    limit of the children it forks for documents (settings.child_memory_mb)."""
    engine_for(settings.sqlalchemy_url).dispose(close=False)  # the child opens its own database connections
    try:
        _retrain(run_id, settings, labelled, report)
    except MemoryError:
        raise RuntimeError("out of memory while retraining") from None  # not the sandbox's 'file too complex'


def _retrain(run_id: int, settings: Settings, labelled: Sequence[LabelledReceipt], report: Progress) -> None:
    config = settings.ocr_config().extraction
    approved = approved_receipts(settings, report)
    shops = {receipt.group for receipt in approved}
    refusal = too_few(len(approved), len(shops))
    if refusal:
        _record_end(run_id, settings, RunState.REFUSED, refusal)
        return
    held_shops = held_out_shops(shops)
    held_out = [r for r in approved if r.group in held_shops]
    # a labelled folder's receipt of a held-out shop would let the candidate see what it is measured on
    training = [r for r in (*approved, *labelled) if r.group not in held_shops]
    _record(run_id, settings, documents=len(approved), shops=len(shops), held_out_documents=len(held_out),
            held_out_shops=len(held_shops))
    candidate = fit_candidate(run_id, training, config, report)
    with use_case(settings=settings) as session:
        current = field_model.in_use(session, settings)
    current_score = score(held_out, current.ranker, config, lambda n: report("measuring the current model", n,
                                                                              len(held_out)))
    candidate_score = score(held_out, candidate, config, lambda n: report("measuring the candidate", n,
                                                                         len(held_out)))
    _decide(run_id, settings, candidate, current.name, current_score, candidate_score)


def approved_receipts(settings: Settings, report: Progress) -> list[LabelledReceipt]:
    """Every approved document with a vendor and stored words, as a labelled receipt (oldest first)."""
    with use_case(settings=settings) as session:
        approved = ranker_runs.approved_documents(session)
    receipts = []
    for number, (document_id, vendor) in enumerate(approved, start=1):
        with use_case(settings=settings) as session:
            pages, values = vendors.stored_pages(session, document_id)
        if any(page.words for page in pages):
            receipts.append(LabelledReceipt(f"document {document_id}", shop_of(vendor), pages, values))
        if number % 25 == 0 or number == len(approved):
            report("collecting approved documents", number, len(approved))
    return receipts


def held_out_shops(shops: set[str]) -> set[str]:
    """About HELD_OUT_SHARE of the shops, at least MIN_HELD_OUT_SHOPS, at most half: those whose name hashes lowest.
    A shop's hash does not depend on the others, so a shop held out stays held out as approvals grow."""
    ranked = sorted(shops, key=_shop_place)
    share = sum(1 for shop in ranked if _shop_place(shop) < HELD_OUT_SHARE)
    return set(ranked[:min(max(share, MIN_HELD_OUT_SHOPS), len(ranked) // 2)])


def _shop_place(shop: str) -> float:
    digest = hashlib.sha256(f"{SPLIT_KEY}:{shop}".encode()).hexdigest()
    return int(digest[:12], 16) / 16 ** 12


def fit_candidate(run_id: int, training: Sequence[LabelledReceipt], config: ExtractionConfig,
                  report: Progress) -> Ranker:
    def prepared_one(n: int) -> None:
        if n % 25 == 0 or n == len(training):
            report("reading the training documents", n, len(training))

    prepared: list[Prepared] = prepare(training, config, prepared_one)
    report(f"fitting the candidate on {len(training)} documents", 0, 0)
    card = {"command": f"retrained from approvals (run {run_id})", "seed": SEED, "run": run_id,
            "receipts": len(training), "shops": len({r.group for r in training}),
            "trained": utcnow().isoformat(timespec="seconds")}
    return fit(family_data(prepared), SEED, card)


def score(receipts: Sequence[LabelledReceipt], ranker: Ranker, config: ExtractionConfig,
          report: Callable[[int], None]) -> Summary:
    """The receipts read cold (no vendor memory) by `ranker`, scored over the learned fields."""
    results = []
    for number, receipt in enumerate(receipts, start=1):
        results.append(result_of(receipt, extract_fields(receipt.pages, config, ranker)))
        if number % 10 == 0 or number == len(receipts):
            report(number)
    return summarize(results, LEARNED)


def _decide(run_id: int, settings: Settings, candidate: Ranker, current: str, current_score: Summary,
            candidate_score: Summary) -> None:
    better = round(candidate_score.f1, 6) > round(current_score.f1, 6)
    figures = {"current": _rounded(current_score.accuracy), "candidate": _rounded(candidate_score.accuracy)}
    f1s = f"F1 {candidate_score.f1:.3f} against {current_score.f1:.3f}"
    key = _store_model(candidate, settings) if better else None
    with use_case(settings=settings) as session:
        run = ranker_runs.get_run(session, run_id)
        run.current_model, run.figures = current, figures
        run.current_f1, run.candidate_f1 = round(current_score.f1, 4), round(candidate_score.f1, 4)
        if better:
            run.model_key = key
            ranker_runs.make_active(session, run)
            _end(session, run, RunState.ADOPTED, f"Adopted: the candidate measured better on the held-out documents "
                                                 f"({f1s} of the {current} model); the workers read with it from "
                                                 "their next document.")
        else:
            _end(session, run, RunState.KEPT, f"Kept the {current} model: the candidate did not measure better on "
                                              f"the held-out documents ({f1s}).")


def _rounded(accuracy: dict[str, float]) -> dict[str, float]:
    return {name: round(value, 4) for name, value in accuracy.items()}


def _store_model(ranker: Ranker, settings: Settings) -> str:
    """The model file into the blob store (written whole, then linked into place); returns its key."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fields.json"
        ranker.save(path)
        return BlobStore(settings.blob_dir).put(path.read_bytes())


# --- recording -----------------------------------------------------------------------------------------------------

def _end(session, run: ranker_runs.RankerRun, state: RunState, reason: str) -> None:
    """Finish the run (in the caller's transaction) and audit it."""
    run.state, run.reason, run.finished_at, run.stage = state, reason, utcnow(), ""
    repository.add_audit(session, f"retraining_{state}", user=run.requested_by, run=run.id,
                         current=run.current_model, current_f1=run.current_f1, candidate_f1=run.candidate_f1,
                         reason=reason)
    log.info("retraining %s", state, extra={"step": "retrain", "run": run.id, "reason": reason})


def _record_end(run_id: int, settings: Settings, state: RunState, reason: str) -> None:
    with use_case(settings=settings) as session:
        _end(session, ranker_runs.get_run(session, run_id), state, reason)


def _record(run_id: int, settings: Settings, **columns: Any) -> None:
    with use_case(settings=settings) as session:
        run = ranker_runs.get_run(session, run_id)
        for name, value in columns.items():
            setattr(run, name, value)


def _reporter(run_id: int, settings: Settings, progress: Progress | None) -> Progress:
    """Each stage and count into the run's row (the page polls it), and to `progress` (the command line)."""
    def report(stage: str, done: int, total: int) -> None:
        with use_case(settings=settings) as session:
            ranker_runs.set_progress(session, run_id, stage, done, total)
        if progress:
            progress(stage, done, total)

    return report


def _folder_receipts(folders: Sequence[Path], settings: Settings, cache: Path | None,
                     progress: Progress | None) -> list[LabelledReceipt]:
    from services.learning import read_folders

    read = read_folders(folders, settings.ocr_config(), cache=cache, workers=1,
                        progress=lambda line: progress(line, 0, 0) if progress else None)
    return [item.receipt for item in read]
