"""`cli.py export`, `batches` and `pdf`: approved data out, as export batches and searchable PDFs (services.export,
services.pdfs)."""

from __future__ import annotations

from pathlib import Path

import typer

from commands.common import errors_end_the_command


def export_command(csv_file: Path = typer.Option(None, "--csv", help="Write the documents CSV here."),
                   items: Path = typer.Option(None, "--items", help="Write the line items CSV here."),
                   xlsx: Path = typer.Option(None, "--xlsx", help="Write the XLSX workbook (both sheets) here."),
                   status: list[str] = typer.Option(["approved"], "--status",
                                                    help="Statuses to export (repeat the option); default approved."),
                   since: str = typer.Option(None, "--since", help="First receipt date, YYYY-MM-DD."),
                   until: str = typer.Option(None, "--until", help="Last receipt date, YYYY-MM-DD."),
                   which: str = typer.Option("new", "--which", help="new: not exported yet; changed: changed "
                                                                     "since their export; all: exported or not."),
                   bom: bool = typer.Option(False, "--bom", help="Start the CSVs with a UTF-8 byte-order mark."),
                   batch: int = typer.Option(None, "--batch", help="Write the files of this earlier batch again, "
                                                                   "byte for byte, instead of a new export."),
                   pdfs: Path = typer.Option(None, "--pdfs", help="Also write a zip of the batch's documents as "
                                             "searchable PDFs here.")) -> None:
    """Export documents as a new batch (CSV, line items CSV, XLSX; formulas neutralised), or an earlier batch again."""
    from datetime import date

    from errors import DocDeskError
    from services import export

    outputs = {export.ExportFile.DOCUMENTS_CSV: csv_file, export.ExportFile.ITEMS_CSV: items,
               export.ExportFile.XLSX: xlsx}
    states = {"new": export.ExportState.NOT_EXPORTED, "changed": export.ExportState.CHANGED, "all": None}
    try:
        if not any(outputs.values()) or which not in states:
            raise ValueError("say where to write (--csv, --items, --xlsx), and --which as new, changed or all")
        filters = export.ExportFilter(statuses=tuple(status), since=date.fromisoformat(since) if since else None,
                                      until=date.fromisoformat(until) if until else None, state=states[which])
    except ValueError as error:
        typer.echo(f"error: {error}; write dates as YYYY-MM-DD", err=True)
        raise typer.Exit(2) from None
    try:
        if batch is None:
            for warning in export.preview(filters).duplicates:
                typer.echo(f"warning: {warning}", err=True)
        found = export.get_batch(batch) if batch is not None else export.export_batch(filters, bom=bom)
        for kind, path in outputs.items():
            if path is not None:
                path.write_bytes(export.batch_file(found.id, kind))
        if pdfs is not None:
            with open(pdfs, "wb") as target:
                export.batch_pdfs(found.id, target)
    except DocDeskError as error:
        typer.echo(f"error: {error.message}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"batch {found.id}: {found.rows} documents; wrote "
               + ", ".join(str(path) for path in [*outputs.values(), pdfs] if path is not None))


def batches_command(limit: int = typer.Option(20, "--limit", help="How many, newest first.")) -> None:
    """The export batches: id, when, who, how many documents, the documents CSV's SHA-256."""
    from services import export

    for b in export.list_batches(page=1, page_size=limit).rows:
        typer.echo(f"{b.id:>5}  {b.created_at:%Y-%m-%d %H:%M}  {b.user or '(command line)':<16} "
                   f"{b.rows:>6} documents  {b.checksum}")


def pdf_command(document_id: int = typer.Argument(..., help="The document's id."),
                output: Path = typer.Option(None, "--output", "-o",
                                            help="Write the PDF here; default DATE_VENDOR_TOTAL.pdf in this folder.")
                ) -> None:
    """Write a read document's pages as a searchable PDF (invisible text over the page as read)."""
    from services import pdfs

    with errors_end_the_command():
        pdf = pdfs.document_pdf(document_id)
    path = output or Path(pdf.name)
    path.write_bytes(pdf.data)
    typer.echo(f"wrote {path}")
