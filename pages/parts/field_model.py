"""The Monitor page's Field model section (admins): which model reads the documents, retraining it from the
approvals as a job for the workers with its progress, the result (both figures, per field) and the runs so far, and
going back to the shipped model."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import ui
from errors import DocDeskError
from services import retraining
from services.retraining import RunState

OUTCOME = {RunState.ADOPTED: st.success, RunState.KEPT: st.info, RunState.REFUSED: st.warning,
           RunState.FAILED: st.error}
NUMBER_COLUMNS = ("approved", "held out", "F1 in use", "F1 candidate")
MISSING = "—"  # a figure a run never got (refused, failed, still running)
NOTICE = "field_model_notice"  # what the last click did, shown once after the page is drawn again


def show(user: str) -> None:
    st.subheader("Field model")
    overview = retraining.overview(user=user)
    buttons = st.container(horizontal=True)
    if buttons.button("Retrain from approvals", icon=":material/model_training:", disabled=overview.running is not None,
                   help="Train a candidate on the approved documents; it is adopted only if it reads a held-out "
                        "quarter of their shops better than the model in use. A worker runs it."):
        _start(user)
    if buttons.button("Go back to the shipped model", icon=":material/restore:", disabled=overview.adopted is None):
        before = retraining.use_shipped(user=user)
        _redraw(st.success, f"Documents are read with the shipped model again (was the {before} model).")
    if notice := st.session_state.pop(NOTICE, None):
        notice[0](notice[1])
    st.caption(f"Documents are read with the **{overview.in_use}** model.")
    if overview.adopted is not None and overview.in_use != overview.adopted:
        st.warning(f"The adopted model ({overview.adopted}) cannot be read, so documents are read with the shipped "
                   "model (the worker's log says why). Retrain, or go back to the shipped model.")
    if overview.running is not None:
        _live(user)
    finished = next((run for run in overview.runs if run.finished), None)
    if finished is not None and overview.running is None:
        _result(finished)
    if overview.runs:
        st.markdown("**Runs**")
        st.dataframe(_history(overview.runs), hide_index=True, width="stretch",
                     column_config={c: st.column_config.TextColumn(alignment="right") for c in NUMBER_COLUMNS})


def _start(user: str) -> None:
    try:
        run = retraining.request(user=user)
    except DocDeskError as error:
        st.error(ui.plain(error.message))
        return
    if run.state == RunState.REFUSED:
        st.rerun()  # the result says why
    _redraw(st.info, f"Run {run.id} is on the queue: a worker trains and measures the candidate (about half a minute "
                     "per 300 approved documents). You can leave this page meanwhile.")


def _redraw(show_it, message: str) -> None:
    """Draw the section again (the buttons as they now are), with `message` on top."""
    st.session_state[NOTICE] = (show_it, message)
    st.rerun()


@st.fragment(run_every=2)
def _live(user: str) -> None:
    run = retraining.overview(user=user).running
    if run is None:
        st.rerun()  # it finished: draw the result
        return
    if run.state == RunState.QUEUED:
        st.info(f"Run {run.id} waits for a worker (requested by {ui.plain(run.requested_by or 'the command line')}).",
                icon=":material/hourglass_empty:")
        return
    counts = f": {run.done} of {run.total}" if run.total else ""
    st.progress(run.done / run.total if run.total else 0.0, text=f"Run {run.id}: {run.stage or 'starting'}{counts}")


def _result(run: retraining.Run) -> None:
    when = (run.finished_at or run.requested_at).strftime("%Y-%m-%d %H:%M")
    OUTCOME.get(RunState(run.state), st.info)(f"Run {run.id}, {when} UTC: {ui.plain(run.reason)}")
    if not run.figures:
        return
    st.caption(f"Measured on {run.held_out_documents} held-out approved documents of {run.held_out_shops} shops "
               f"({run.documents} approved documents of {run.shops} shops in all); accuracy per field, and F1.")
    current, candidate = run.figures["current"], run.figures["candidate"]
    table = pd.DataFrame({"field": [*current, "F1"],
                          run.current_model: [*current.values(), run.current_f1],
                          f"candidate (run {run.id})": [*(candidate[name] for name in current), run.candidate_f1]})
    st.dataframe(table, hide_index=True, width=520,
                 column_config={c: st.column_config.NumberColumn(format="%.3f") for c in table.columns[1:]})


def _history(runs: list[retraining.Run]) -> pd.DataFrame:
    return pd.DataFrame([{
        "run": run.id, "requested": run.requested_at.strftime("%Y-%m-%d %H:%M"),
        "by": run.requested_by or "command line", "outcome": outcome(run),
        "approved": _figure(run.documents), "held out": _figure(run.held_out_documents),
        "model in use": run.current_model or MISSING,
        "F1 in use": _figure(run.current_f1, "{:.3f}"), "F1 candidate": _figure(run.candidate_f1, "{:.3f}")}
        for run in runs])


def _figure(value: float | None, form: str = "{}") -> str:
    return MISSING if value is None else form.format(value)


def outcome(run: retraining.Run) -> str:
    """What came of the run and why, in a few plain words (the message above the table has the whole reason)."""
    state = RunState(run.state)
    if state == RunState.QUEUED:
        return "queued: waiting for a worker"
    if state == RunState.RUNNING:
        return f"running: {run.stage or 'starting'}"
    if state == RunState.ADOPTED:
        return f"adopted{' (in use)' if run.active else ''}: read the held-out documents better"
    if state == RunState.KEPT:
        return f"kept the {run.current_model} model: the candidate was not better"
    why = _first_clause(run.reason or "no reason recorded")
    if state == RunState.REFUSED:
        why = why.partition(": ")[0]  # what is missing; how many, in the message above and the command's output
    return f"{state}: {why}"


def _first_clause(reason: str) -> str:
    """'The queue cannot be reached (ConnectionError ...). Start ...' -> 'the queue cannot be reached': the reason's
    first sentence, without what is in brackets."""
    clause = reason.split(". ")[0].split(" (")[0].rstrip(".")
    return clause[:1].lower() + clause[1:]
