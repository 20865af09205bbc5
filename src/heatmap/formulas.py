"""The spreadsheet-formula rule, shared by every export and by the imports that read exports back.

A text cell whose first character is ``= + - @``, a tab, a carriage return or a NUL (OWASP "CSV
Injection", ASVS 1.2.10) could run as a formula in Excel, WPS, LibreOffice or Google Sheets; so can
such a character after leading whitespace or control characters, and the full-width forms
``＝ ＋ － ＠``. A text that is a whole number (``-12.5``, ``+3.2%``, ``-1,234``) is not one.
:mod:`heatmap.output.safe` quotes such cells on export; :mod:`heatmap.supervision.sheets` takes the
quote off again when a sheet it wrote comes back. One rule, here, for both (a base module: the
supervision layer sits below output).
"""

from __future__ import annotations

import re

#: Characters that start a formula in Excel, WPS, LibreOffice or Google Sheets, and their
#: full-width forms (U+FF1D, U+FF0B, U+FF0D, U+FF20): dangerous after leading whitespace too.
FORMULA_STARTS = "=+-@\uff1d\uff0b\uff0d\uff20"
#: Characters dangerous as the very first character of a cell (OWASP, ASVS 1.2.10).
FORMULA_CONTROLS = "\t\r\x00"
#: What may stand before a formula character and still let it count: whitespace (ASCII,
#: no-break, ideographic), the byte-order mark, and control characters (an importer may drop them).
LEADING = " \u00a0\u3000\ufeff" + "".join(map(chr, range(0x20))) + "\x7f"


def chars_class(chars: str) -> str:
    """A character class read the same by Python's ``re`` (object columns) and Arrow's RE2
    (string columns): ASCII as ``\\xHH`` (a ``-`` stays literal), the rest as itself."""
    return "[" + "".join(f"\\x{ord(c):02x}" if ord(c) < 128 else c for c in chars) + "]"


#: A formula start, as a pattern read alike by Python's ``re`` and Arrow's RE2.
FORMULA = (
    f"^(?:{chars_class(FORMULA_CONTROLS)}|{chars_class(LEADING)}*{chars_class(FORMULA_STARTS)})"
)
_FORMULA_RE = re.compile(FORMULA)
#: A whole number as a text (matched whole): spaces, a sign, digits with optional thousands
#: commas, decimals, an exponent, a per cent sign. ASCII digits only, as in RE2.
_SIGNS = "+-\uff0b\uff0d"
NUMBER = (
    f" *{chars_class(_SIGNS)}?"
    r"(?:[0-9][0-9,]*(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+\-]?[0-9]+)?%? *"
)
_NUMBER_RE = re.compile(NUMBER)


def is_formula(text: str) -> bool:
    """Whether a spreadsheet could read ``text`` as a formula (see the module docstring)."""
    return bool(_FORMULA_RE.match(text)) and not _NUMBER_RE.fullmatch(text)

