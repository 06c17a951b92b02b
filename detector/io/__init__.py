"""Input and output: read pages from HTML, text, JSONL and WARC files; write verdicts as JSONL, CSV, Parquet.

>>> from detector.io import iter_pages, open_writer
>>> with open_writer("verdicts.parquet") as out:
...     for page in iter_pages(["crawl.warc.gz"]):
...         out.write(score(page).to_dict())
"""

from __future__ import annotations

from detector.io.readers import STDIN, SUPPORTED_EXTENSIONS, InputFormat, iter_pages, sniff_format
from detector.io.writers import (
    FLAT_COLUMNS,
    OUTPUT_EXTENSIONS,
    CsvWriter,
    JsonlWriter,
    OutputFormat,
    ParquetWriter,
    VerdictWriter,
    open_writer,
    output_format,
)

__all__ = [
    "FLAT_COLUMNS",
    "OUTPUT_EXTENSIONS",
    "STDIN",
    "SUPPORTED_EXTENSIONS",
    "CsvWriter",
    "InputFormat",
    "JsonlWriter",
    "OutputFormat",
    "ParquetWriter",
    "VerdictWriter",
    "iter_pages",
    "open_writer",
    "output_format",
    "sniff_format",
]
