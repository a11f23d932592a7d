"""Every service call a page makes checks the acting user's permission (a hidden button is not a permission)."""

import io

import pytest

from errors import InputError, PermissionDenied
from services import audit, documents, duplicates, export, ingest, monitor, pdfs, retraining, review, status, users
from services.access import GRANTS, Permission
from storage.db import session_factory
from storage.models import Role, Status
from tests.seeding import make_document
from tests.signin import PASSWORD, add

WAITING = export.ExportFilter(statuses=(Status.NEEDS_REVIEW.value,), state=None)  # the seeded document
# name -> (permission, call(settings, user, document_id))
CALLS = {
    "ingest.ingest_file": (Permission.UPLOAD, lambda s, u, d: ingest.ingest_file(b"\x89PNG bad", "r.png", user=u,
                                                                               settings=s)),
    "ingest.ingest_files": (Permission.UPLOAD, lambda s, u, d: ingest.ingest_files([("r.png", b"\x89PNG bad")], user=u,
                                                                                 settings=s)),
    "documents.list_documents": (Permission.VIEW_OWN, lambda s, u, d: documents.list_documents(user=u, settings=s)),
    "documents.batch_progress": (Permission.UPLOAD, lambda s, u, d: documents.batch_progress([d], user=u, settings=s)),
    "documents.batch_summary": (Permission.UPLOAD, lambda s, u, d: documents.batch_summary([d], user=u, settings=s)),
    "documents.retry": (Permission.REVIEW, lambda s, u, d: documents.retry([d], user=u, settings=s)),
    "status.document_counts": (Permission.VIEW_ALL, lambda s, u, d: status.document_counts(s, user=u)),
    "review.queue": (Permission.REVIEW, lambda s, u, d: review.queue(user=u, settings=s)),
    "review.next_document_id": (Permission.REVIEW, lambda s, u, d: review.next_document_id(user=u, settings=s)),
    "review.open_document": (Permission.REVIEW, lambda s, u, d: review.open_document(d, user=u, settings=s)),
    "review.page_screen": (Permission.REVIEW, lambda s, u, d: review.page_screen(d, user=u, settings=s)),
    "review.save": (Permission.REVIEW, lambda s, u, d: review.save(d, 1, {"total": "1.00"}, user=u, settings=s)),
    "review.approve": (Permission.REVIEW, lambda s, u, d: review.approve(d, 1, {}, user=u, settings=s)),
    "review.reject": (Permission.REVIEW, lambda s, u, d: review.reject(d, 1, "blurred", user=u, settings=s)),
    "review.reprocess": (Permission.REVIEW, lambda s, u, d: review.reprocess(d, user=u, settings=s)),
    "export.preview": (Permission.EXPORT, lambda s, u, d: export.preview(user=u, settings=s)),
    "export.export_batch": (Permission.EXPORT, lambda s, u, d: export.export_batch(WAITING, user=u, settings=s)),
    "export.list_batches": (Permission.EXPORT, lambda s, u, d: export.list_batches(user=u, settings=s)),
    "export.get_batch": (Permission.EXPORT, lambda s, u, d: export.get_batch(
        export.export_batch(WAITING, settings=s).id, user=u, settings=s)),
    "export.batch_file": (Permission.EXPORT, lambda s, u, d: export.batch_file(
        export.export_batch(WAITING, settings=s).id, export.ExportFile.XLSX, user=u, settings=s)),
    "export.audit_csv": (Permission.AUDIT, lambda s, u, d: export.audit_csv(user=u, settings=s)),
    "documents.uploaders": (Permission.VIEW_OWN, lambda s, u, d: documents.uploaders(user=u, settings=s)),
    "audit.filter_choices": (Permission.AUDIT, lambda s, u, d: audit.filter_choices(user=u, settings=s)),
    "documents.view_document": (Permission.VIEW_OWN, lambda s, u, d: documents.view_document(d, user=u, settings=s)),
    "documents.page_preview": (Permission.VIEW_OWN, lambda s, u, d: documents.page_preview(d, user=u, settings=s)),
    "documents.thumbnails": (Permission.VIEW_OWN, lambda s, u, d: documents.thumbnails(
        documents.list_documents(settings=s).rows, user=u, settings=s)),
    "documents.upload_rows": (Permission.UPLOAD, lambda s, u, d: documents.upload_rows([d], user=u, settings=s)),
    "documents.batch_stacks": (Permission.UPLOAD, lambda s, u, d: documents.batch_stacks([d], user=u, settings=s)),
    "documents.approve_many": (Permission.REVIEW, lambda s, u, d: documents.approve_many([d], user=u, settings=s)),
    "documents.reject_many": (Permission.REVIEW, lambda s, u, d: documents.reject_many([d], "blurred", user=u,
                                                                                       settings=s)),
    "monitor.health": (Permission.MONITOR, lambda s, u, d: monitor.health(user=u, settings=s)),
    "users.list_users": (Permission.MANAGE_USERS, lambda s, u, d: users.list_users(user=u, settings=s)),
    "users.add_user": (Permission.MANAGE_USERS,
                       lambda s, u, d: users.add_user("newcomer", "uploader", "a-long-password", user=u, settings=s)),
    "users.set_role": (Permission.MANAGE_USERS, lambda s, u, d: users.set_role("other", "admin", user=u, settings=s)),
    "users.set_active": (Permission.MANAGE_USERS, lambda s, u, d: users.set_active("other", False, user=u, settings=s)),
    "users.reset_password": (Permission.MANAGE_USERS,
                             lambda s, u, d: users.reset_password("other", user=u, settings=s)),
    "users.change_password": (Permission.OWN_ACCOUNT, lambda s, u, d: users.change_password(
        PASSWORD, "another-long-password", user=u, settings=s)),
    "audit.list_events": (Permission.AUDIT, lambda s, u, d: audit.list_events(user=u, settings=s)),
    "ingest.ingest_path": (Permission.UPLOAD, lambda s, u, d: ingest.ingest_path(s.data_dir / "absent.png", user=u,
                                                                                  settings=s)),
    "duplicates.of_document": (Permission.REVIEW, lambda s, u, d: duplicates.of_document(d, user=u, settings=s)),
    "duplicates.dismiss": (Permission.REVIEW, lambda s, u, d: _refused_as(
        "not_found", lambda: duplicates.dismiss(d, d + 1, user=u, settings=s))),
    "pdfs.document_pdf": (Permission.VIEW_OWN, lambda s, u, d: _refused_as(
        "not_read", lambda: pdfs.document_pdf(d, user=u, settings=s))),
    "pdfs.write_pdfs_zip": (Permission.EXPORT, lambda s, u, d: pdfs.write_pdfs_zip([d], io.BytesIO(), user=u,
                                                                                   settings=s)),
    "export.batch_pdfs": (Permission.EXPORT, lambda s, u, d: export.batch_pdfs(
        export.export_batch(WAITING, settings=s).id, io.BytesIO(), user=u, settings=s)),
    "retraining.overview": (Permission.RETRAIN, lambda s, u, d: retraining.overview(user=u, settings=s)),
    "retraining.request": (Permission.RETRAIN, lambda s, u, d: retraining.request(user=u, settings=s)),
    "retraining.use_shipped": (Permission.RETRAIN, lambda s, u, d: retraining.use_shipped(user=u, settings=s)),
}


def _refused_as(code: str, call) -> None:
    """Run a call that passes the permission check and then refuses what it was given (the seeded document has
    no page image, no duplicate): only that refusal, never PermissionDenied."""
    try:
        call()
    except InputError as error:
        assert error.code == code
        return
    raise AssertionError(f"expected the refusal {code}")


# Service functions with a `user` that are no use case of their own: the permission machinery itself.
NOT_USE_CASES = {"access.holds", "access.require", "access.use_case"}


def test_every_service_call_that_acts_for_a_user_is_checked_here():
    """A new use case (or one moved, like re-process and retry) cannot skip the permission table unnoticed."""
    import importlib
    import inspect
    import pkgutil

    import services

    acting = set()
    for module in pkgutil.iter_modules(services.__path__):
        loaded = importlib.import_module(f"services.{module.name}")
        for name, function in inspect.getmembers(loaded, inspect.isfunction):
            if function.__module__ == loaded.__name__ and not name.startswith("_") and (
                    "user" in inspect.signature(function).parameters):
                acting.add(f"{module.name}.{name}")
    assert acting - NOT_USE_CASES == set(CALLS)


@pytest.fixture
def world(migrated, monkeypatch):
    from services import queue

    monkeypatch.setattr(queue, "enqueue", lambda *a, **k: None)  # no queue needed to see who may do what
    for role in Role:
        add(migrated, f"{role}-user", role)
    add(migrated, "other", "uploader")
    with session_factory(migrated).begin() as session:
        document_id = make_document(session, migrated, uploaded_by="uploader-user").id
    return migrated, document_id


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("call", list(CALLS))
def test_each_service_call_against_each_role(world, role, call):
    settings, document_id = world
    permission, run = CALLS[call]
    if permission in GRANTS[role]:
        run(settings, f"{role}-user", document_id)
    else:
        with pytest.raises(PermissionDenied):
            run(settings, f"{role}-user", document_id)


@pytest.mark.parametrize("call", list(CALLS))
def test_a_disabled_or_unknown_user_may_call_nothing(world, call):
    settings, document_id = world
    users.set_active("admin-user", False, settings=settings)  # the command line may disable the last admin
    for name in ("admin-user", "nobody"):
        with pytest.raises(PermissionDenied):
            CALLS[call][1](settings, name, document_id)


def test_an_uploader_lists_and_watches_only_their_own_documents(world):
    settings, mine = world
    with session_factory(settings).begin() as session:
        theirs = make_document(session, settings, uploaded_by="other", status=Status.QUEUED).id
    listed = documents.list_documents(documents.DocumentFilter(uploader="other"), user="uploader-user",
                                      settings=settings)
    assert [r.id for r in listed.rows] == [mine]
    assert documents.uploaders(user="uploader-user", settings=settings) == ["uploader-user"]
    assert sum(documents.batch_progress([mine, theirs], user="uploader-user", settings=settings).values()) == 1
    assert sum(documents.batch_summary([mine, theirs], user="uploader-user", settings=settings)["counts"].values()) == 1
    everyone = documents.list_documents(user="reviewer-user", settings=settings)
    assert {r.id for r in everyone.rows} == {mine, theirs}


def test_the_command_line_acts_without_a_user(world):
    settings, _ = world
    for name, (_, run) in CALLS.items():
        if name == "users.change_password":  # no own account: the command line resets passwords instead
            continue
        with session_factory(settings).begin() as session:
            document_id = make_document(session, settings).id
        run(settings, None, document_id)
