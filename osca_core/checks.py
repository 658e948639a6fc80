"""Values typed by a user, checked where they are read, one validator per rule (the CLI, the settings, the report
and the dashboard's URL parameters all call these, so no overflow or script reaches a traceback or a page).

- :func:`number`: a decimal number as text, range-checked *before* it is converted, so ``1e400``, a
  5000-digit integer, ``nan`` or ``inf`` are one line naming ``what`` and the range (``float("1e400")`` is inf;
  ``int("9" * 5000)`` raises past Python's 4300-digit limit; ``timedelta(seconds=1e300)`` overflows);
- :func:`http_url`: a link target that can only be a web address: ``http`` or ``https`` with a host, no
  whitespace or control characters (``javascript:``, ``data:``, ``file:`` and protocol-relative ``//x`` are
  refused), so an ``href`` built from it cannot run a script once HTML-escaped.
"""

from __future__ import annotations

import math
import re
from urllib.parse import urlsplit

from osca_core.errors import InputError

MAX_DIGITS = 40  # digits of a number as typed (more than any range here needs; int() of 5000 digits is refused)
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_INTEGER = re.compile(r"[+-]?\d+")


def shown(text: object, width: int = 30) -> str:
    """``text`` as a refusal shows it: at most ``width`` characters (a 5000-digit value is not echoed)."""
    s = str(text)
    return s if len(s) <= width else f"{s[:20]}... ({len(s)} characters)"


def digits(text: str, what: str, *, hi: int) -> int:
    """ASCII digits as an int, refused above ``hi`` *before* conversion (Python refuses ``int()`` of more than
    4300 digits with a ValueError; any number longer than ``hi``'s digits is above it). The refusal reads
    ``WHAT VALUE is above the limit of HI`` (``what`` e.g. ``"--budgets: budget"`` or ``"--seed:"``)."""
    t = text.strip().lstrip("0") or "0"
    if len(t) > len(str(hi)) or int(t) > hi:
        raise InputError(f"{what} {shown(text.strip())} is above the limit of {hi}")
    return int(t)


def number(text: object, what: str, *, lo: float, hi: float, integer: bool = False) -> float | int:
    """``text`` (str, int or float) as a number in [lo, hi] (an int when ``integer``); anything else raises
    :class:`InputError` ``WHAT: expected an integer|a number from LO to HI (got 'TEXT')``."""
    want = f"{'an integer' if integer else 'a number'} from {lo:g} to {hi:g}"
    raw = text if isinstance(text, str) else repr(text)
    shown = globals()["shown"](raw)
    s = raw.strip() if isinstance(text, str) else None
    if isinstance(text, bool) or (s is None and not isinstance(text, int | float)):
        raise InputError(f"{what}: expected {want} (got {shown!r})")
    if s is not None:
        if len(s) > MAX_DIGITS + 8 or not (_INTEGER if integer else _NUMBER).fullmatch(s):
            raise InputError(f"{what}: expected {want} (got {shown!r})")
        exp = re.search(r"[eE]([+-]?\d+)$", s)
        if exp and abs(int(exp[1])) > 400:
            raise InputError(f"{what}: expected {want} (got {shown!r})")
        value = int(s) if integer else float(s)
    else:
        value = text
        if integer and isinstance(value, float):
            if not math.isfinite(value) or value != int(value):
                raise InputError(f"{what}: expected {want} (got {shown!r})")
            value = int(value)
    if isinstance(value, float) and not math.isfinite(value) or not lo <= value <= hi:
        raise InputError(f"{what}: expected {want} (got {shown!r})")
    return value


def http_url(text: object, what: str) -> str:
    """``text`` if it is an ``http(s)://host...`` address (module docstring), else :class:`InputError`."""
    s = text if isinstance(text, str) else ""
    bad = not s or len(s) > 2000 or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in s)
    if not bad:
        try:
            parts = urlsplit(s)
            bad = parts.scheme.lower() not in ("http", "https") or not parts.hostname or "\\" in s
        except ValueError:
            bad = True
    if bad:
        shown = text if isinstance(text, str) and len(text) <= 60 else f"{str(text)[:40]}..."
        raise InputError(f"{what}: expected an http:// or https:// address with a host (got {shown!r})")
    return s
