"""services.queue: jobs carry document ids; a worker hands the queue the task they run."""

import logging

import pytest

from services import queue
from settings import Settings


def test_a_job_runs_the_task_the_worker_handed_over(settings):
    ran = []
    huey = queue.serve(lambda document_id, settings: ran.append((document_id, settings)), settings)
    queue.enqueue(7, settings)
    assert queue.job_ids(settings) == {7}

    huey.execute(huey.dequeue())

    assert ran == [(7, settings)]
    assert queue.depth(settings) == 0


def test_a_retraining_job_runs_the_retraining_the_worker_handed_over(settings):
    processed, retrained = [], []
    huey = queue.serve(lambda document_id, settings: processed.append(document_id), settings,
                       retrain=lambda run_id, settings: retrained.append((run_id, settings)))
    queue.enqueue_retraining(3, settings)
    assert queue.job_ids(settings, queue.RETRAIN_TASK_NAME) == {3} and queue.job_ids(settings) == set()

    huey.execute(huey.dequeue())

    assert (processed, retrained) == ([], [(3, settings)])


@pytest.mark.parametrize("put_on_queue", [queue.enqueue, queue.enqueue_retraining], ids=["document", "retraining"])
def test_a_process_that_only_enqueues_cannot_run_a_job(settings, put_on_queue):
    put_on_queue(7, settings)
    job = queue.get_huey(settings).dequeue()
    with pytest.raises(RuntimeError, match="cli.py worker"):
        job.execute()


def test_enqueue_quietly_logs_a_queue_it_cannot_reach_and_carries_on(tmp_path, caplog):
    unreachable = Settings(data_dir=tmp_path, queue_url=f"unix://{tmp_path / 'no-redis.sock'}")
    with pytest.raises(Exception):  # noqa: B017 - whatever the client raises: enqueue itself does not hide it
        queue.enqueue(7, unreachable)

    with caplog.at_level(logging.ERROR, logger="docdesk.queue"):
        queue.enqueue_quietly(7, unreachable, delay=5)

    assert [(r.message, r.document_id) for r in caplog.records] == [
        ("could not enqueue; the worker will pick it up on recovery", 7)]


def test_the_queue_is_described_without_its_password(tmp_path):
    """The worker logged DOCDESK_QUEUE_URL as it was, Redis password included."""
    from services import queue
    from settings import Settings

    described = queue.describe(Settings(data_dir=tmp_path, queue_url="redis://docdesk:s3cret@redis.internal:6379/0"))
    assert described == "redis://redis.internal:6379/0"
    assert queue.describe(Settings(data_dir=tmp_path)).endswith("queue.db")
