"""The Monitor page's Field model section (AppTest): start a retraining as a job, its progress, its result with both
figures, the runs so far, going back to the shipped model; reviewers see none of it."""

from __future__ import annotations

import pytest

import ui
from errors import PermissionDenied
from services import audit, queue, retraining
from storage import ranker_runs
from storage.db import session_factory
from tests import approvals
from tests.seeding import make_document
from tests.signin import signed_in_app


def _button(app, label: str):
    return next(b for b in app.button if b.label == label)


def _monitor(settings):
    app = signed_in_app(settings, "admin", "boss")
    app.switch_page("pages/monitor.py").run()
    assert not app.exception, app.exception
    return app


def test_an_admin_is_told_why_a_retraining_is_refused(migrated):
    with session_factory(migrated).begin() as session:
        make_document(session, status="approved")
    app = _monitor(migrated)
    assert "Documents are read with the **shipped** model." in [c.value for c in app.caption]
    _button(app, "Retrain from approvals").click().run()
    assert ui.plain("1 approved with a vendor, 30 needed") in app.warning[0].value
    history = app.dataframe[-1].value
    assert list(history["outcome"]) == ["refused: not enough approved documents to retrain"]
    never_measured = ["approved", "held out", "model in use", "F1 in use", "F1 candidate"]
    assert history.loc[0, never_measured].tolist() == ["—"] * 5  # not "None"


def test_a_run_whose_worker_stopped_says_so_in_the_runs_table(migrated):
    with session_factory(migrated).begin() as session:
        run = ranker_runs.add_run(session, "boss", [])
        run.state, run.worker = "running", f"{migrated.host_name}:999999999"  # no such process
    retraining.recover(migrated)  # as a starting worker does
    app = _monitor(migrated)
    assert ui.plain("The worker running it stopped during this run") in app.error[0].value
    history = app.dataframe[-1].value
    assert list(history["outcome"]) == ["failed: the worker running it stopped during this run"]
    assert history.loc[0, ["F1 in use", "F1 candidate"]].tolist() == ["—", "—"]


def test_the_outcome_of_each_kind_of_run_is_said_in_plain_words():
    from dataclasses import fields
    from datetime import datetime

    from pages.parts.field_model import outcome

    def run(state: str, **columns) -> retraining.Run:
        unset = dict.fromkeys(field.name for field in fields(retraining.Run))
        return retraining.Run(**{**unset, "requested_at": datetime(2026, 1, 1), "state": state, "stage": "",
                                 "active": False, **columns})

    assert outcome(run("queued")) == "queued: waiting for a worker"
    assert outcome(run("running", stage="fitting the candidate")) == "running: fitting the candidate"
    assert outcome(run("adopted", active=True)) == "adopted (in use): read the held-out documents better"
    assert outcome(run("adopted")) == "adopted: read the held-out documents better"
    assert outcome(run("kept", current_model="run 3")) == "kept the run 3 model: the candidate was not better"
    assert outcome(run("failed", reason="The queue cannot be reached (ConnectionError: refused).")) == (
        "failed: the queue cannot be reached")
    assert outcome(run("failed")) == "failed: no reason recorded"


@pytest.mark.slow
def test_an_admin_starts_a_retraining_for_the_workers_sees_it_wait_then_its_result_and_can_go_back(migrated):
    with session_factory(migrated).begin() as session:
        approvals.approve_all(session, approvals.readings())
    app = _monitor(migrated)
    _button(app, "Retrain from approvals").click().run()
    assert "is on the queue" in app.info[0].value
    assert "waits for a worker" in app.info[1].value
    assert _button(app, "Retrain from approvals").disabled
    assert queue.depth(migrated) == 1  # the job is on the real queue; the page does not train
    run_id = retraining.overview(settings=migrated).runs[0].id
    with session_factory(migrated).begin() as session:  # as a worker writes it once it has started
        ranker_runs.get_run(session, run_id).state = "running"
        ranker_runs.set_progress(session, run_id, "reading the training documents", 12, 24)
    app.run()
    assert app.get("progress")[0].proto.text == f"Run {run_id}: reading the training documents: 12 of 24"
    with session_factory(migrated).begin() as session:
        ranker_runs.get_run(session, run_id).state = "queued"

    retraining.run_queued(run_id, settings=migrated)  # what the worker does with the job
    app.run()
    assert not app.exception, app.exception
    assert f"Run {run_id}, " in app.success[0].value and ui.plain("Adopted: ") in app.success[0].value
    run = retraining.overview(settings=migrated).runs[0]  # the shipped model's figure is whatever it reads there
    assert run.candidate_f1 == 1.0 and run.current_f1 is not None and run.current_f1 < 1.0
    assert ui.plain(f"F1 1.000 against {run.current_f1:.3f} of the shipped model") in app.success[0].value
    figures = app.dataframe[0].value
    assert list(figures["field"]) == ["vendor", "vendor_address", "date", "total", "F1"]
    assert list(figures.columns) == ["field", "shipped", f"candidate (run {run_id})"]
    assert figures.set_index("field").loc["total"].tolist() == [0.0, 1.0]
    history = app.dataframe[1].value
    assert list(history["outcome"]) == ["adopted (in use): read the held-out documents better"]
    assert list(history["by"]) == ["boss"]
    assert history.loc[0, ["model in use", "F1 in use", "F1 candidate"]].tolist() == [
        "shipped", f"{run.current_f1:.3f}", "1.000"]
    assert f"**run {run_id}**" in " ".join(c.value for c in app.caption)

    _button(app, "Go back to the shipped model").click().run()
    assert "shipped model again (was the run" in app.success[0].value
    assert _button(app, "Go back to the shipped model").disabled
    assert "field_model_reset" in [e.action for e in audit.list_events(user="boss", settings=migrated).rows]


def test_an_adopted_model_that_cannot_be_read_is_shown_and_can_be_left(migrated):
    run_id = approvals.adopt_file(migrated, b"not a model")
    app = _monitor(migrated)
    assert "Documents are read with the **shipped** model." in [c.value for c in app.caption]
    assert f"The adopted model (run {run_id}) cannot be read" in app.warning[0].value
    _button(app, "Go back to the shipped model").click().run()
    assert not app.warning and _button(app, "Go back to the shipped model").disabled


def test_a_reviewer_has_no_monitor_page_and_may_not_start_a_retraining(migrated):
    app = signed_in_app(migrated, "reviewer", "rita")
    assert "pages/monitor.py" not in [script for script, *_ in ui.pages_for("reviewer")]
    assert not [b for b in app.button if b.label == "Retrain from approvals"]
    with pytest.raises(PermissionDenied, match="A reviewer may not retrain"):
        retraining.request(user="rita", settings=migrated)
    assert retraining.overview(settings=migrated).runs == []  # nothing recorded, nothing queued
