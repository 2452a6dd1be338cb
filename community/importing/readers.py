"""Reading import files: CSV in whatever dialect and encoding it came in, and JSON.

Both readers return `Record`s: the raw values of one input row and where it
was (a CSV line number, or the position of a JSON object), so that every
rejection can point at the row a person has to fix.
"""

import csv
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Tried in this order: UTF-8 (with or without a byte-order mark) is what most
# exports are; Excel on Windows writes cp1252; latin-1 decodes any byte, so it
# is the last resort that never fails.
ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
DELIMITERS = (",", ";", "\t", "|")
_SPACES = re.compile(r"\s+")


class ReadError(ValueError):
    """The file as a whole cannot be read (as opposed to one bad row)."""


@dataclass(slots=True)
class Record:
    line: int  # CSV: the line the row starts on; JSON: the object's position (from 1)
    data: dict[str, Any]
    kind: str = "line"  # "line" or "item": how `line` reads in a report

    @property
    def where(self) -> str:
        return f"{self.kind} {self.line}"


def decode(raw: bytes) -> tuple[str, str]:
    """The text of `raw` and the encoding that decoded it."""
    for encoding in ENCODINGS:
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes every byte")  # pragma: no cover


def clean_header(name: str) -> str:
    # Headers may hold line breaks (the EMA file does); one space is what people type.
    return _SPACES.sub(" ", name or "").strip()


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first rows into the most, equally long, columns.

    csv.Sniffer guesses from character frequencies and is thrown off by long
    quoted texts with commas and line breaks; parsing a few rows with each
    candidate and keeping the one with a consistent column count is sturdier.
    """
    sample = text[: 256 * 1024]
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        reader = csv.reader(io.StringIO(sample), delimiter=delimiter)
        try:
            widths = [len(row) for _, row in zip(range(30), reader, strict=False) if row]
        except csv.Error:
            continue
        if not widths or widths[0] < 2:
            continue
        # Drop the last row read: the sample may cut it in half.
        body = widths[1:-1] or widths[:1]
        consistent = sum(1 for w in body if w == widths[0])
        score = (consistent, widths[0])
        if score > best_score:
            best, best_score = delimiter, score
    return best


def read_csv(path: Path | str) -> tuple[list[Record], list[str], str]:
    """The rows of a CSV file as dictionaries keyed by cleaned header names.

    Returns the records, the header and the encoding used.
    """
    text, encoding = decode(Path(path).read_bytes())
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise ReadError("The file is empty.") from None
    except csv.Error as exc:
        raise ReadError(f"The header cannot be read: {exc}") from None
    header = [clean_header(h) for h in header]
    if not any(header):
        raise ReadError("The first row holds no column names.")
    records: list[Record] = []
    start = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            # A broken quote swallows the rest of the file; say where it began.
            raise ReadError(f"Line {start}: {exc}") from None
        if any(cell.strip() for cell in row):
            data = dict(zip(header, row, strict=False))
            if len(row) > len(header):
                data["__extra__"] = row[len(header) :]
            elif len(row) < len(header):
                data["__short__"] = len(row)
            records.append(Record(start, data))
        start = reader.line_num + 1
    return records, header, encoding


def read_json(path: Path | str) -> tuple[list[Record], list[str], str]:
    """The objects of a JSON file holding a list of objects."""
    text, encoding = decode(Path(path).read_bytes())
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReadError(f"Not valid JSON: {exc}") from None
    if not isinstance(data, list):
        raise ReadError("The JSON file must hold a list of objects.")
    records = [
        Record(i, item if isinstance(item, dict) else {"__not_object__": item}, "item")
        for i, item in enumerate(data, 1)
    ]
    # Objects need not all have the same keys: the header is every key seen.
    keys: dict[str, None] = {}
    for item in data:
        if isinstance(item, dict):
            keys.update(dict.fromkeys(item))
    return records, list(keys), encoding


def get_path(data: Any, path: str) -> Any:
    """The value at a dotted path such as `web_pages.0` or `address.city`; None if absent.

    A key that exists as a whole (headers may contain dots) wins over a path.
    """
    if isinstance(data, dict) and path in data:
        return data[path]
    current = data
    for part in path.split("."):
        if isinstance(current, dict):
            if part in current:
                current = current[part]
                continue
            return None
        if isinstance(current, list):
            try:
                current = current[int(part)]
            except (ValueError, IndexError):
                return None
            continue
        return None
    return current


def detect_format(path: Path | str, fmt: str | None) -> str:
    if fmt:
        if fmt not in ("csv", "json"):
            raise ReadError(f"Unknown format {fmt!r}: use csv or json.")
        return fmt
    return "json" if str(path).lower().endswith(".json") else "csv"


def read(path: Path | str, fmt: str | None = None) -> tuple[list[Record], list[str], str]:
    path = Path(path)
    if not path.is_file():
        raise ReadError(f"No such file: {path}")
    return read_json(path) if detect_format(path, fmt) == "json" else read_csv(path)
