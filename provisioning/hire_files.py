"""Reading HR's batch of hires from a CSV or XLSX file into rows of text, with every
problem of the file itself (size, encoding, columns) told in words HR can act on. What a
row means is checked by provisioning.admin.hires; what it does, by the onboarding service."""

import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO, Any

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000

# Column names as HR may write them (case, spaces and hyphens do not matter) -> field.
COLUMNS = {
    "username": "user_name",
    "user_name": "user_name",
    "given_name": "given_name",
    "first_name": "given_name",
    "family_name": "family_name",
    "last_name": "family_name",
    "email": "email",
    "e_mail": "email",
    "e_mail_address": "email",
    "email_address": "email",
    "template": "template",
    "title": "title",
    "job_title": "title",
    "department": "department",
    "employment_type": "employment_type",
    "location": "location",
    "start_date": "starts_on",
    "manager": "manager",
    "manager_username": "manager",
    "manager_email": "manager",
    "manager_e_mail": "manager",
}
REQUIRED = ("user_name", "email", "template")
# The names the guide and the messages use, one per field.
HEADINGS = {
    "user_name": "username",
    "given_name": "given name",
    "family_name": "family name",
    "email": "email",
    "template": "template",
    "title": "title",
    "department": "department",
    "employment_type": "employment type",
    "location": "location",
    "starts_on": "start date",
    "manager": "manager",
}

EMPTY = (
    "The file is empty. Its first line names the columns ("
    + ", ".join(HEADINGS[name] for name in REQUIRED)
    + ", …) and each line below it is one hire."
)


class HireFileError(Exception):
    """The file cannot be read as a batch of hires; the message says why and what to do."""


@dataclass(frozen=True)
class HireRow:
    """One line of the file: its number as a spreadsheet shows it, and its values."""

    number: int
    values: dict[str, str]


def hire_rows_read(upload: IO[bytes], *, name: str, size: int) -> list[HireRow]:
    """The hires in an uploaded .csv or .xlsx file. Raises HireFileError."""
    if size > MAX_BYTES:
        raise HireFileError(
            f"The file is {size / 1024 / 1024:.1f} MB; a batch may be at most "
            f"{MAX_BYTES // 1024 // 1024} MB ({MAX_ROWS} hires). Split it into smaller files."
        )
    content = upload.read(MAX_BYTES + 1)
    if name.lower().endswith(".xlsx"):
        table = _xlsx_table(content)
    elif name.lower().endswith(".csv"):
        table = _csv_table(content)
    else:
        raise HireFileError("Upload a .csv or an .xlsx file.")
    return _hire_rows(table)


def _csv_table(content: bytes) -> list[list[str]]:
    try:
        text = content.decode("utf-8-sig")  # Excel's "CSV UTF-8" starts with a BOM
    except UnicodeDecodeError as error:
        line = content[: error.start].count(b"\n") + 1
        raise HireFileError(
            f"The file is not UTF-8 text (line {line} has a character in another encoding). "
            "In Excel, save it as “CSV UTF-8 (comma delimited)”, or upload the .xlsx file."
        ) from None
    if "\x00" in text:
        raise HireFileError("The file holds binary data, not text. Upload a .csv or .xlsx.")
    first_line = text.split("\n", 1)[0]
    # Excel writes ";" where the decimal separator is a comma.
    delimiter = max(",;\t", key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return list(reader)
    except csv.Error:
        raise HireFileError(
            f"Line {reader.line_num} cannot be read as CSV (a value too long, or a quote "
            "left open). Check that line, or upload the .xlsx file."
        ) from None


def _xlsx_table(content: bytes) -> list[list[str]]:
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise HireFileError(
            "The file cannot be opened as an Excel workbook (.xlsx). Save it again from "
            "Excel, or upload a .csv."
        ) from None
    try:
        sheet = workbook.worksheets[0]
        return [
            [_cell_text(value) for value in row]
            for row in sheet.iter_rows(max_row=MAX_ROWS + 2, values_only=True)
        ]
    finally:
        workbook.close()


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _hire_rows(table: list[list[str]]) -> list[HireRow]:
    lines = [(number, row) for number, row in enumerate(table, 1) if any(c.strip() for c in row)]
    if not lines:
        raise HireFileError(EMPTY)
    _, header = lines[0]
    fields = [COLUMNS.get(_column_key(heading)) for heading in header]
    unknown = [h for h, f in zip(header, fields, strict=True) if f is None and h.strip()]
    missing = [HEADINGS[name] for name in REQUIRED if name not in fields]
    if unknown or missing:
        problems = []
        if unknown:
            problems.append("unknown column(s): " + ", ".join(f"“{h}”" for h in unknown))
        if missing:
            problems.append("missing column(s): " + ", ".join(missing))
        raise HireFileError(
            f"The first line names the columns, and it has {'; '.join(problems)}. "
            "The columns are: " + ", ".join(HEADINGS.values()) + "."
        )
    repeated = sorted({HEADINGS[f] for f in fields if f and fields.count(f) > 1})
    if repeated:
        raise HireFileError("These columns appear twice: " + ", ".join(repeated) + ".")
    hires = lines[1:]
    if not hires:
        raise HireFileError("The file has the column names but no hires below them.")
    if len(hires) > MAX_ROWS:
        raise HireFileError(
            f"The file has {len(hires)} hires; a batch may have at most {MAX_ROWS}. "
            "Split it into smaller files."
        )
    return [
        HireRow(
            number,
            {
                field: (row[index] if index < len(row) else "").strip()
                for index, field in enumerate(fields)
                if field
            },
        )
        for number, row in hires
    ]


def _column_key(heading: str) -> str:
    return heading.strip().lower().replace("-", "_").replace(" ", "_")
