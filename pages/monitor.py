"""Monitor: processing success and speed, the queue, refused uploads, reviewer corrections, OCR confidence; and the
field model (retraining it from approvals)."""

import pandas as pd
import streamlit as st

import ui
from pages.parts import field_model
from services import monitor
from services.access import Permission

user = ui.guard(Permission.MONITOR)  # first: sign-in, legacy-page bypass and role check

st.title("Monitor")
days = st.select_slider("Window", options=[7, 14, 28, 90, 365], value=28, format_func=lambda d: f"last {d} days")
health = monitor.health(days=days, user=user)
if health.disk_full:
    st.error(f"Disk full: {health.disk_free_mb} MB free in the data folder. Uploads are refused and processing "
             "waits until an admin frees space (DOCDESK_MIN_FREE_MB sets how much must stay free).")


def fmt(value, pattern: str) -> str:
    return "—" if value is None else pattern.format(value)


cards = st.columns(5)
cards[0].metric("Success rate", fmt(health.success_rate, "{:.1%}"), help=f"{health.runs} processing runs")
cards[1].metric("Per page p50", fmt(health.page_ms_p50, "{:.0f} ms"))
cards[2].metric("Per page p95", fmt(health.page_ms_p95, "{:.0f} ms"))
cards[3].metric("Queue depth", fmt(health.queue_depth, "{}"), help="jobs waiting for a worker")
cards[4].metric("Refused uploads", fmt(health.refused_share, "{:.1%}"),
                help=f"{health.refused} of {health.uploads + health.refused} files")

left, right = st.columns(2)
with left:
    st.subheader("Processing outcomes")
    if health.outcomes:
        st.bar_chart(pd.DataFrame({"runs": health.outcomes}), horizontal=True)
    else:
        st.caption("No processing runs in this window.")
    st.subheader("Why runs failed or were retried")
    if health.failure_codes:
        st.bar_chart(pd.DataFrame({"runs": health.failure_codes}), horizontal=True)
    else:
        st.caption("No failed or retried runs in this window.")
    st.subheader("Time per page by step (ms)")
    if health.steps:
        steps = pd.DataFrame(health.steps).set_index("step")
        st.bar_chart(steps[["p50_ms", "p95_ms"]], stack=False, horizontal=True)
    else:
        st.caption("No step timings yet.")
with right:
    st.subheader("Reviewer corrections per field, by week")
    if health.corrections:
        corrections = pd.DataFrame(health.corrections).pivot_table(index="week", columns="field",
                                                                   values="corrections", fill_value=0)
        st.bar_chart(corrections)
    else:
        st.caption("No corrections in this window.")
    st.subheader("Mean OCR confidence by day")
    if health.confidence_by_day:
        # Bars, not a line: a window with a single day would draw an invisible one-point line.
        st.bar_chart(pd.DataFrame(health.confidence_by_day).set_index("day")[["mean_confidence"]])
    else:
        st.caption("No processed documents in this window.")

if ui.allowed_here(Permission.RETRAIN):
    st.divider()
    field_model.show(user)
