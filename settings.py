"""One typed settings object, read from the environment (prefix DOCDESK_) and an optional .env file."""

import socket
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ocr.config import DateOrder, ExtractionConfig, LoadLimits, OcrConfig, ReadingMode, SplitPages

# The OCR layer's options are these settings; their defaults are its defaults (ocr/config.py).
_OCR, _LOAD, _EXTRACT = OcrConfig(), LoadLimits(), ExtractionConfig()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DOCDESK_", env_file=".env", extra="ignore")

    # Each description is the meaning column of docs/operations.md's settings table (scripts/settings_table.py);
    # "Default: ..." there stands for a default that is computed.
    data_dir: Path = Field(Path("data"), description="Folder of the SQLite file, the queue and the blob store, "
                           "created readable by its owner only.")
    database_url: str | None = Field(None, description="Any SQLAlchemy URL, e.g. PostgreSQL. "
                                     "Default: the SQLite file DATA_DIR/docdesk.db.")
    queue_url: str | None = Field(None, description="`redis://host:6379/0` puts the jobs in Redis. "
                                  "Default: a SQLite queue in DATA_DIR.")
    blob_store: Path | None = Field(None, description="Folder of originals and page images; with several hosts, one "
                                    "folder every host mounts (see Scaling out). Default: DATA_DIR/blobs.")
    # at most 56 characters, so that "host:pid" fits the 64 of ProcessingRun.worker
    host_name: str = Field(default_factory=lambda: socket.gethostname()[:56], min_length=1, max_length=56,
                           description="Name this host's workers are recorded under; every worker host needs its "
                           "own. Default: the machine's host name.")

    max_upload_bytes: int = Field(_LOAD.max_upload_bytes, gt=0, description="Largest accepted file, in bytes "
                                  "(50 MiB).")
    max_page_pixels: int = Field(_LOAD.max_page_pixels, gt=0, description="Largest accepted page, width x height in "
                                 "pixels (60 MP).")
    max_pages: int = Field(_LOAD.max_pages, gt=0, description="Most pages in one file (TIFF frames, PDF pages).")
    pdf_dpi: int = Field(_LOAD.pdf_dpi, ge=72, le=600, description="Resolution PDF pages are rasterized at.")

    ocr_language: str = Field(_OCR.language, description="Tesseract language(s), e.g. `eng+msa`; `make install` and "
                              "`make run` install the language data named here (in the environment or `.env`).")
    ocr_page_timeout_s: float = Field(_OCR.page_timeout_s, gt=0, description="Tesseract time limit per page, in "
                                      "seconds.")
    document_timeout_s: float = Field(300.0, gt=0, description="Time limit for processing one document, in seconds "
                                      "(wall clock).")
    child_memory_mb: int = Field(2000, ge=0, description="Address-space limit (MB) of the process that decodes and "
                                 "reads one document, and of its Tesseract; 0 = none.")
    child_cpu_s: int = Field(300, ge=0, description="CPU-time limit (s) of that process and of each Tesseract it "
                             "runs; 0 = none.")
    default_currency: str = Field(_EXTRACT.default_currency, min_length=3, max_length=3,
                                  description="ISO 4217 code used when a receipt shows none; also for a "
                                  "bare `$` when it is no dollar, flagged for a check (a foreign dollar, or this "
                                  "currency printed as `$`).")
    date_order: DateOrder = Field(_EXTRACT.date_order, description="How to read ambiguous dates like 03/04/2019: "
                                  "`DMY`, `MDY` or `YMD`.")
    low_confidence: float = Field(_EXTRACT.low_confidence, ge=0, le=1, description="Vendor, address, date and "
                                  "total less likely to be right than this are flagged for review (at 0.8 the flags "
                                  "point at 90-93 % of the wrong values and 20 % of the right ones, at 0.7 at 85-87 % "
                                  "and 12-13 %, cross-validated).")
    low_label_confidence: float = Field(_EXTRACT.low_label_confidence, ge=0, le=1, description="The other fields "
                                        "(read by their label: phone, tax id, receipt number, time, amounts, ...) "
                                        "read less surely than this are flagged for review.")
    unreadable_below: float = Field(_EXTRACT.unreadable_below, ge=0, le=1,
                                    description="A vendor or address read less surely than this is left empty, its "
                                    "reading quoted in an `unreadable` flag, for the reviewer to type; 0 always fills "
                                    "it in.")
    reading: ReadingMode = Field(_OCR.reading, description="`accurate`: the lines that can hold a field (the header, "
                                 "labelled amounts, dates) are read a second time, by PP-OCRv6-small; `fast`: only the "
                                 "shop's name (its first two lines), and Tesseract does not read poorly read lines "
                                 "again inverted; `tesseract`: Tesseract only.")
    locales: str = Field(",".join(_EXTRACT.locales), pattern=r"^\s*[a-z]{2}\s*(,\s*[a-z]{2}\s*)*$",
                         description="Word lists the labels, legal forms and address words are read with "
                         "(`ocr/fields/locales/*.toml`), comma-separated.")
    split_pages: SplitPages = Field(_OCR.split_pages, description="How the pages of a multi-page file (a stack from "
                                    "a sheet-feed scanner) become receipts: `auto` judges each page (a page with its "
                                    "own header starts a receipt that holds its own total; see Stacks in "
                                    "docs/user-guide.md), `always` makes each page a receipt, `never` keeps the file "
                                    "one receipt.")
    vendor_memory: bool = Field(True, description="Take vendor and address from an approved receipt whose top "
                                "lines read alike, spelled as reviewers approved them most often.")
    vendor_memory_similarity: float = Field(_EXTRACT.vendor_similarity, ge=0, le=100,
                                            description="How alike (0-100) those lines must read.")

    workers: int | None = Field(None, ge=1, description="Worker processes. Default: one per CPU core.")
    lease_s: float = Field(600.0, gt=0, description="A document in `processing` longer than this (s) is requeued.")
    max_attempts: int = Field(3, ge=1, description="Tries for a transient failure before the document is failed.")
    min_free_mb: int = Field(200, ge=0, description="Free disk space (MB) the data folder must keep: below it uploads "
                             "are refused (`disk_full`) and processing waits, its documents queued, no attempt used.")

    watch_dir: Path | None = Field(None, description="Folder `make run` watches (`cli.py watch`): every file a "
                                   "scanner or a shared drive drops there is ingested once written. Default: none.")
    watch_user: str | None = Field(None, description="Account recorded as the uploader of watched files (one allowed "
                                   "to upload). Default: none (the local operator).")
    watch_after: Literal["move", "keep"] = Field("move", description="What becomes of a watched file once taken: "
                                                 "`move` to DIR/done/, or DIR/refused/ with NAME.txt saying why; "
                                                 "`keep` in place (remembered, never taken twice).")
    watch_settle_s: float = Field(2.0, gt=0, description="A watched file is taken once its size and time have not "
                                  "changed for this long (s), or at once when it is renamed into place.")
    watch_poll_s: float = Field(5.0, gt=0, description="The watched folder is listed this often (s) besides what "
                                "inotify reports at once: this is what sees files on network shares (NFS, SMB).")

    session_idle_minutes: int = Field(60, gt=0, description="Sign-in expires after this much inactivity.")

    def ocr_config(self) -> OcrConfig:
        """What the OCR layer is told (ocr.config): built here, at the entry points, and passed down."""
        return OcrConfig(
            language=self.ocr_language, page_timeout_s=self.ocr_page_timeout_s,
            reading=self.reading, split_pages=self.split_pages,
            limits=LoadLimits(max_upload_bytes=self.max_upload_bytes, max_page_pixels=self.max_page_pixels,
                              max_pages=self.max_pages, pdf_dpi=self.pdf_dpi),
            extraction=ExtractionConfig(default_currency=self.default_currency, date_order=self.date_order,
                                        low_confidence=self.low_confidence,
                                        low_label_confidence=self.low_label_confidence,
                                        unreadable_below=self.unreadable_below,
                                        vendor_similarity=self.vendor_memory_similarity,
                                        locales=tuple(code.strip() for code in self.locales.split(","))))

    @field_validator("locales")
    @classmethod
    def _known_locales(cls, value: str) -> str:
        from ocr.fields.lexicon import available_locales

        unknown = [code.strip() for code in value.split(",") if code.strip() not in available_locales()]
        if unknown:
            raise ValueError(f"no word list for {', '.join(unknown)}; choose from {', '.join(available_locales())}")
        return value

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'docdesk.db').resolve()}"

    @property
    def blob_dir(self) -> Path:
        return self.blob_store or self.data_dir / "blobs"

    @property
    def upload_limit_mb(self) -> int:
        """max_upload_bytes in Streamlit's unit (MiB), rounded up: the upload box's limit and the web server's
        (scripts/run.sh). The exact limit is checked on the bytes, with a message that says what to do."""
        return -(-self.max_upload_bytes // 2**20)


@lru_cache
def get_settings() -> Settings:
    return Settings()
