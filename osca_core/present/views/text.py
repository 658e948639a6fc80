"""Text taken from data, made safe to show: escaping for Streamlit Markdown and for plotly labels, and strategy
labels (from :mod:`osca_core.strategies.registry`). The one allocation-to-text form is :func:`osca_core.model.results.allocation_text`.

A configuration called ``<b>x</b>``, ``**x**`` or ``'; DROP TABLE x; --`` is shown exactly as typed: every
Markdown, directive and LaTeX character is backslash-escaped (CommonMark), and the standalone tokens that
Streamlit's Markdown turns into symbols after escapes (``--`` into an em dash, ``->`` into an arrow, ``<=`` into
a less-or-equal sign, ...) get an invisible U+2060 WORD JOINER between their two characters, so no rule matches
while the reader sees the characters typed.
"""

from __future__ import annotations

import html
import re

from osca_core.strategies import registry

WORD_JOINER = "\u2060"

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&=\"'^@%])")
# Streamlit's Markdown (StreamlitMarkdown, a remark plugin run on text nodes after escapes) replaces these when
# surrounded by whitespace or the ends of the text: <-> -> <- -- >= <= ~=. JavaScript's \s also counts U+FEFF.
_SYMBOL_TOKEN = re.compile(r"(?<![^\s\ufeff])(<->|->|<-|--|>=|<=|~=)(?![^\s\ufeff])")


def _break_symbol_tokens(s: str) -> str:
    return _SYMBOL_TOKEN.sub(lambda m: m.group(1)[0] + WORD_JOINER + m.group(1)[1:], s)


def md_escape(text: object) -> str:
    """``text`` for Streamlit Markdown, shown literally: every ASCII punctuation character that Markdown, Streamlit's
    directives (``:red[...]``, ``:material/...:``, emoji short codes) or LaTeX (``$``) could act on is
    backslash-escaped (CommonMark: a backslash before ASCII punctuation yields that character), standalone
    ``--``/``->``/``<=``-like tokens get a word joiner (see the module docstring), and line breaks become spaces
    so one value stays on one line."""
    s = _break_symbol_tokens(" ".join(str(text).splitlines()))
    return _MD_SPECIAL.sub(r"\\\1", s)


def plot_text(text: object) -> str:
    """``text`` for a plotly label, hover text or tick: plotly.js reads a subset of HTML (``<b>``, ``<br>``,
    ``<a href>``, entities) in every text it draws, so ``&``, ``<`` and ``>`` are turned into entities."""
    return html.escape(str(text), quote=False)


def strategy_label(strategy: str) -> str:
    """How a strategy is named on screen: its registry label (``OSCA``, ``best pure``, ``pure: <configuration>``);
    a name that is no strategy (a study's series) as it is."""
    spec = registry.lookup(strategy)
    return strategy if spec is None else spec.label
