"""Links that hold: the URL state of the dashboard beyond what ``bind="query-params"`` does by itself.

- The landing dataset is a fixed choice: the dataset last opened on this server (any session), else the release's
  ``osca-bigcodebench``, else ``osca-swebench``, else the first stored name; and the URL always carries
  ``dataset=`` (the sidebar's selectbox has no default option, so its value is never "the default" that Streamlit
  leaves out of the URL), so an old link keeps opening the same dataset after another import.
- ``present=1`` (as the README writes it), ``yes`` and ``on`` mean ``true``; ``0`` / ``no`` / ``off`` mean false.
- A value of a link the view cannot use (an unknown configuration, a budget out of range, ``seed=1e400``) is
  dropped before its widget reads it, and every dropped value is named in ONE notice on top of the page (never a
  traceback, never silence). Bound widgets would otherwise drop unknown options without a word, and a number out
  of range (or infinite) raises inside Streamlit.
- The report's link back uses the address this page was opened at (``st.context.url``), not localhost:8501.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

import streamlit as st

RELEASE_LANDING = ("osca-bigcodebench", "osca-swebench")
DROPPED = "_osca_link_dropped"
TRUE_WORDS, FALSE_WORDS = ("1", "yes", "on", "true"), ("0", "no", "off", "false")


@st.cache_resource
def _last_opened() -> dict[str, str]:
    """The dataset last opened on this server (shared by every session; forgotten when the server stops)."""
    return {}


def remember_opened(name: str) -> None:
    _last_opened()["name"] = name


def landing_dataset(names: Sequence[str]) -> str:
    """The dataset a link without ``dataset=`` opens (module docstring)."""
    last = _last_opened().get("name")
    if last in names:
        return last
    for r in RELEASE_LANDING:
        if r in names:
            return r
    return names[0]


def land(names: Sequence[str]) -> None:
    """Before the dataset selectbox: a URL without ``dataset=`` gets :func:`landing_dataset` written into it and
    the run starts again, so the selectbox is seeded from the URL and the link names its dataset from the first
    page on (once bound, the parameter is the widget's and always present)."""
    if "dataset" in st.query_params or not names:
        return
    try:
        st.query_params["dataset"] = landing_dataset(names)
    except Exception:  # noqa: BLE001 - StreamlitAPIException: bound already (then the widget writes it)
        return
    st.rerun()


def _values(key: str) -> list[str]:
    return [str(x) for x in st.query_params.get_all(key)]


def _record(key: str, values: Iterable[str], why: str) -> None:
    shown = ", ".join(f"{key}={v}" for v in values) or f"{key}="
    st.session_state.setdefault(DROPPED, {})[key] = f"{shown} ({why})"


def _drop(key: str) -> bool:
    """Remove ``key`` from the URL (True when it was removed; a bound parameter cannot be: its widget is already
    drawn). Streamlit seeds a widget from the URL its run started with, so :func:`guard` reruns after a removal."""
    try:
        del st.query_params[key]
        return True
    except Exception:  # noqa: BLE001 - KeyError, or StreamlitAPIException: bound already
        return False


def boolean(key: str) -> bool:
    """``key=1|yes|on`` as true and ``0|no|off`` as false (into the widget's session state), an unreadable value
    dropped and named; True when the URL changed."""
    vals = _values(key)
    if not vals or key in st.session_state:
        return False
    word = vals[-1].strip().lower()
    if word in TRUE_WORDS or word in FALSE_WORDS:
        if word in ("true", "false"):
            return False
        try:  # written back as the widget reads it (not bound yet: the session's first run)
            st.query_params[key] = "true" if word in TRUE_WORDS else "false"
            return True
        except Exception:  # noqa: BLE001 - bound already
            return False
    _record(key, vals, "not true or false")
    return _drop(key)


def number(key: str, lo: float, hi: float, *, integer: bool = True, count: int = 1) -> bool:
    """Drop ``key`` when any of its values is not a finite number in [lo, hi] (an integer when ``integer``), or
    when it does not have ``count`` values; True when the URL changed."""
    vals = _values(key)
    if not vals or key in st.session_state:
        return False
    ok = len(vals) == count or (count == 1 and len(vals) >= 1)
    for v in vals:
        try:
            x = float(v)
        except ValueError:
            ok = False
            break
        if not math.isfinite(x) or not lo <= x <= hi or (integer and x != int(x)):
            ok = False
    if not ok:
        kind = ("integers" if integer else "numbers") if count == 2 else ("an integer" if integer else "a number")
        span = f"{int(lo)} to {int(hi)}" if integer else f"{lo:g} to {hi:g}"
        _record(key, vals, f"{'two ' if count == 2 else ''}{kind} from {span} expected")
        return _drop(key)
    return False


def guard(numbers: dict[str, tuple] | None = None, booleans: Sequence[str] = ()) -> None:
    """Check the link's numbers (``key -> (lo, hi, integer, count)``) and booleans before any of their widgets is
    drawn; when a value had to leave the URL, rerun at once (the widgets then start from their defaults, and the
    dropped values are named by :func:`notice`). Without this, ``seed=1e400`` raises inside Streamlit."""
    changed = False
    for key, (lo, hi, integer, count) in (numbers or {}).items():
        changed |= number(key, lo, hi, integer=integer, count=count)
    for key in booleans:
        changed |= boolean(key)
    if changed:
        st.rerun()


def choices(key: str, allowed: Iterable[str], what: str) -> None:
    """Name the values of ``key`` that are not among ``allowed`` (the bound widget drops them itself)."""
    vals = _values(key)
    if not vals or key in st.session_state:
        return
    allowed = set(allowed)
    bad = [v for v in vals if v not in allowed]
    if bad:
        _record(key, bad, what)


def notice() -> None:
    """The ONE notice naming every value dropped from this session's link, with a button to dismiss it."""
    dropped = st.session_state.get(DROPPED) or {}
    if not dropped:
        return
    st.warning("Dropped from the link (the view uses its defaults there): " + "; ".join(dropped.values()) + ".",
               icon=":material/link_off:")
    st.button("Dismiss", key="dismiss_link_notice", on_click=lambda: st.session_state.pop(DROPPED, None))


def server_base() -> str:
    """``scheme://host[:port][/base path]`` of the address this page was opened at (``st.context.url``); the
    configured address and port when the context has none (AppTest)."""
    url = getattr(st.context, "url", None)
    base_path = str(st.get_option("server.baseUrlPath") or "").strip("/")
    if url:
        u = urlsplit(url)
        if u.scheme and u.netloc:
            return f"{u.scheme}://{u.netloc}" + (f"/{base_path}" if base_path else "")
    host = st.get_option("server.address") or "localhost"
    port = st.get_option("server.port") or 8501
    return f"http://{host}:{port}" + (f"/{base_path}" if base_path else "")
