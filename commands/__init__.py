"""The command line's commands, one module per group; `cli.py` (the entry point) registers each under its name.

common.py       how an error ends a command, Tesseract on one thread, labelled folders
db.py           db upgrade
users.py        users add, list, set-role, disable, reset-password, ensure-admin
extract.py      extract (the OCR pipeline on files, no database)
field_model.py  eval, train, retrain (measuring and training the field model)
documents.py    worker, ingest, watch, status, retry
export.py       export, batches, pdf

Commands stay thin: they read their options, call services (or ocr, for extract) and print; the logic is there.
"""
