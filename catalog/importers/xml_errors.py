"""What to say when a part of a file stops being XML (PARS files, workbook parts).

expat stops at the first character XML does not allow, and says only where in the XML: the
readers add which activity, row or cell that is, and these words say what is wrong with it.
A lone surrogate (JSON's "\\ud800") reaches XML as a character reference (``&#55296;``, as
openpyxl writes it) or as the three bytes a lenient encoder makes of it.
"""

from __future__ import annotations

from xml.etree.ElementTree import ParseError
from xml.parsers.expat import errors

BAD_CHARACTER_REFERENCE = errors.codes[errors.XML_ERROR_BAD_CHAR_REF]
INVALID_TOKEN = errors.codes[errors.XML_ERROR_INVALID_TOKEN]


def parse_problem(exc: ParseError, *, position: bool = True) -> str:
    """The problem an XML parse error reports; with its line and column (1-based) unless the
    caller names the place better (a cell)."""
    line, column = exc.position
    at = f" at line {line}, column {column + 1}" if position else ""
    if exc.code == BAD_CHARACTER_REFERENCE:
        return (
            "holds a character XML does not allow, such as &#xD800; (a lone UTF-16 "
            f"surrogate){',' if at else ''}{at}"
        )
    if exc.code == INVALID_TOKEN:
        return (
            f"is not well-formed XML{at}: a misplaced character, or bytes that are not "
            "UTF-8 text (such as an encoded lone surrogate)"
        )
    return f"is not well-formed XML: {str(exc).partition(':')[0]}{at}"
