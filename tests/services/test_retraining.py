"""Retraining the field ranker from approvals: refused when too few, adopted only when it measures better on the
held-out shops, recorded and audited either way; the model in use, and its fall-back to the shipped one."""

from __future__ import annotations

import logging
import os
import subprocess

import pytest

from errors import ConflictError
from ocr.fields.ranker import MODEL_PATH
from services import audit, field_model, queue, retraining
from storage import ranker_runs
from storage.blobs import BlobStore
from storage.db import session_factory
from tests import approvals
from tests.seeding import make_document


def _approve(settings, items=None, **kwargs) -> list[int]:
    with session_factory(settings).begin() as session:
        return approvals.approve_all(session, approvals.readings() if items is None else items, **kwargs)


def _seed(settings, count: int, shops: int) -> None:
    """Approved documents without OCR words: enough for what `request` counts before it queues a run."""
    with session_factory(settings).begin() as session:
        for n in range(count):
            make_document(session, status="approved", fields={"vendor": f"SHOP {n % shops}", "total": "1.00"})


def test_too_few_approved_documents_are_refused_saying_how_many_there_are_and_are_needed(migrated):
    _seed(migrated, 12, 12)
    run = retraining.request(settings=migrated)
    assert run.state == "refused" and run.finished
    assert "12 approved with a vendor, 30 needed" in run.reason and "at least 3" in run.reason
    assert queue.depth(migrated) == 0  # nothing for a worker to do
    assert retraining.overview(settings=migrated).runs == [run]
    assert [e.action for e in audit.list_events(settings=migrated).rows][:2] == ["retraining_refused",
                                                                                  "retraining_requested"]


def test_approvals_of_too_few_shops_are_refused_saying_how_many_shops_it_takes(migrated):
    _seed(migrated, 40, 4)
    run = retraining.request(settings=migrated)
    assert run.state == "refused" and "come from 4, 6 needed" in run.reason


def test_a_second_run_waits_for_the_first_to_finish(migrated):
    _seed(migrated, 36, 12)
    first = retraining.request(settings=migrated)
    assert first.state == "queued" and queue.depth(migrated) == 1
    with pytest.raises(ConflictError, match=f"run {first.id} is queued already"):
        retraining.request(settings=migrated)


def test_a_queued_run_whose_job_the_queue_lost_is_put_on_it_again(migrated):
    _seed(migrated, 36, 12)
    run = retraining.request(settings=migrated)
    queue.get_huey(migrated).flush()  # the queue file deleted, Redis emptied
    assert retraining.recover(migrated) == [run.id]
    assert queue.job_ids(migrated, queue.RETRAIN_TASK_NAME) == {run.id}
    assert retraining.recover(migrated) == []
    assert retraining.run_of(run.id, migrated).state == "queued"


def _running(settings, worker: str, requested_by: str | None = "boss") -> int:
    """A run as a worker leaves it once it has started: running, naming its process."""
    with session_factory(settings).begin() as session:
        run = ranker_runs.add_run(session, requested_by, [])
        run.state, run.worker = "running", worker
        return run.id


def test_a_running_run_whose_process_is_gone_is_failed_saying_what_to_do_and_audited(migrated):
    ended = subprocess.Popen(["true"])
    ended.wait()  # a process id that no longer exists
    host = migrated.host_name
    from_page = _running(migrated, f"{host}:{ended.pid}")
    from_command = _running(migrated, f"{host}:{ended.pid}", requested_by=None)
    alive = _running(migrated, f"{host}:{os.getppid()}")
    elsewhere = _running(migrated, f"another-host:{ended.pid}")  # only its 2-hour limit can tell

    retraining.recover(migrated)

    failed = retraining.run_of(from_page, migrated)
    assert failed.state == "failed" and failed.finished_at is not None
    assert "The worker running it stopped during this run" in failed.reason
    assert "the model in use stays" in failed.reason and "start it again from Monitor -> Field model" in failed.reason
    assert "run `cli.py retrain` again" in retraining.run_of(from_command, migrated).reason
    assert [retraining.run_of(run, migrated).state for run in (alive, elsewhere)] == ["running", "running"]
    events = [e for e in audit.list_events(settings=migrated).rows if e.action == "retraining_failed"]
    assert len(events) == 2 and "stopped during this run" in events[0].details["reason"]


def test_the_held_out_shops_are_a_quarter_and_stay_held_out_as_new_shops_come():
    shops = {f"shop{n}" for n in range(40)}
    held = retraining.held_out_shops(shops)
    assert 5 <= len(held) <= 15
    more = retraining.held_out_shops(shops | {f"new{n}" for n in range(40)})
    assert held <= more  # the same documents keep measuring the models, so runs compare
    assert len(retraining.held_out_shops({f"s{n}" for n in range(6)})) == 3  # the minimum, never over half


@pytest.mark.slow
def test_a_candidate_that_learnt_the_reviewers_rule_is_adopted_and_a_run_with_nothing_new_keeps_it(migrated,
                                                                                                    tmp_path):
    _approve(migrated)
    said = tmp_path / "progress.txt"  # the run works in a child process of its own

    def progress(stage: str, done: int, total: int) -> None:
        with said.open("a") as lines:
            lines.write(stage + "\n")

    run = retraining.run_here(settings=migrated, progress=progress)
    assert run.state == "adopted" and run.active, run.reason
    assert (run.documents, run.shops, run.held_out_shops) == (33, 11, 3) and run.held_out_documents == 9
    assert run.current_model == "shipped" and run.candidate_f1 > run.current_f1
    # the shipped model reads the printed TOTAL; the reviewers here approve the SUBTOTAL, and the candidate learnt it
    assert run.figures["current"]["total"] == 0.0 and run.figures["candidate"]["total"] == 1.0
    stages = set(said.read_text().splitlines())
    assert {"collecting approved documents", "measuring the current model", "measuring the candidate"} <= stages
    with session_factory(migrated).begin() as session:
        in_use = field_model.in_use(session, migrated)
        key = ranker_runs.active_model(session)[1]
    assert in_use.name == f"run {run.id}" and in_use.ranker.card["run"] == run.id
    assert BlobStore(migrated.blob_dir).path(key).is_relative_to(migrated.data_dir)  # never the repository's file

    again = retraining.run_here(settings=migrated)
    assert again.state == "kept" and not again.active
    assert again.current_model == f"run {run.id}" and again.candidate_f1 == again.current_f1
    assert "did not measure better" in again.reason
    assert retraining.overview(settings=migrated).in_use == f"run {run.id}"
    actions = [e.action for e in audit.list_events(settings=migrated).rows]
    assert {"retraining_adopted", "retraining_kept"} <= set(actions)

    assert retraining.use_shipped(settings=migrated) == f"run {run.id}"
    assert retraining.overview(settings=migrated).in_use == "shipped"
    assert "field_model_reset" in [e.action for e in audit.list_events(settings=migrated).rows]


@pytest.mark.slow
def test_approvals_the_shipped_model_already_reads_right_keep_it(migrated):
    items = [item for item in approvals.readings()]
    _approve(migrated, items, relabel=lambda values: {"vendor": values["vendor"], "date": values["date"],
                                                      "total": values["printed_total"]})
    run = retraining.run_here(settings=migrated)
    assert run.state == "kept", run.reason
    assert run.current_f1 == 1.0 and run.candidate_f1 <= 1.0
    assert retraining.overview(settings=migrated).in_use == "shipped"


@pytest.mark.slow
def test_a_run_that_breaks_is_recorded_as_failed_and_the_model_in_use_stays(migrated, monkeypatch):
    _approve(migrated)

    def broken(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(retraining, "fit", broken)
    run = retraining.run_here(settings=migrated)
    assert run.state == "failed" and "out of memory while retraining" in run.reason
    assert "model in use stays" in run.reason
    assert retraining.overview(settings=migrated).in_use == "shipped"


def _in_use(settings) -> field_model.InUse:
    with session_factory(settings).begin() as session:
        return field_model.in_use(session, settings)


def test_the_model_in_use_is_read_again_only_when_the_active_model_changes(migrated):
    assert _in_use(migrated).name == "shipped"
    run_id = approvals.adopt_file(migrated, MODEL_PATH.read_bytes())
    first = _in_use(migrated)
    assert first.name == f"run {run_id}"
    assert _in_use(migrated) is first  # not read again for the next document
    retraining.use_shipped(settings=migrated)
    assert _in_use(migrated).name == "shipped"


@pytest.mark.parametrize("data", [b'{"format": 1, "families": {', None], ids=["damaged", "missing"])
def test_an_adopted_model_file_that_cannot_be_read_falls_back_to_the_shipped_model_and_says_so(migrated, data,
                                                                                                   caplog):
    run_id = approvals.adopt_file(migrated, data)
    with caplog.at_level(logging.ERROR, logger="docdesk.field_model"):
        in_use = _in_use(migrated)
    assert in_use.name == "shipped" and in_use.ranker.card == field_model.shipped_ranker().card
    record = caplog.records[-1]
    assert "cannot be read" in record.getMessage() and record.run == run_id
    overview = retraining.overview(settings=migrated)
    assert (overview.in_use, overview.adopted) == ("shipped", f"run {run_id}")  # the page warns of it
