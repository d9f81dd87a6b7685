"""Sources: the registries' extracts read, checked, parsed and ingested, with quarantine.

Example:
    >>> from sijill.sources import parse_date
    >>> parse_date("05/11/1980").iso()
    '1980-11-05'
"""

from sijill.sources.formats import ENROLMENT_FORMAT, FORMATS, RECORD_FORMATS, ExtractFormat
from sijill.sources.models import (
    ACCEPTED,
    HELD,
    IDENTITY_FIELDS,
    NAME_FIELDS,
    QUARANTINED,
    RECORD_FIELDS,
    SUPERSEDED,
    IngestBatch,
    SourceRecord,
)
from sijill.sources.parse import PartialDate, parse_date, parse_sex
from sijill.sources.reader import (
    ExtractFile,
    SourcesDirectory,
    find_extracts,
    open_extract,
    read_rows,
    scan_sources,
    source_of,
)
from sijill.sources.records import ParsedRow, parse_row, row_hash
from sijill.sources.service import IngestOutcome, already_ingested, ingest_extract

__all__ = [
    "ACCEPTED",
    "ENROLMENT_FORMAT",
    "FORMATS",
    "HELD",
    "IDENTITY_FIELDS",
    "NAME_FIELDS",
    "QUARANTINED",
    "RECORD_FIELDS",
    "RECORD_FORMATS",
    "SUPERSEDED",
    "ExtractFile",
    "ExtractFormat",
    "IngestBatch",
    "IngestOutcome",
    "ParsedRow",
    "PartialDate",
    "SourceRecord",
    "SourcesDirectory",
    "already_ingested",
    "find_extracts",
    "ingest_extract",
    "open_extract",
    "parse_date",
    "parse_row",
    "parse_sex",
    "read_rows",
    "row_hash",
    "scan_sources",
    "source_of",
]
