"""Escaping of text taken from data (osca_core.present.views.text): Markdown escapes that round-trip and leave no syntax active, standalone
``--``/``->``/``<=`` tokens broken so Streamlit shows them as typed, plotly labels literal."""

from __future__ import annotations

import html
import re

from hypothesis import given, settings
from hypothesis import strategies as hs

from osca_core.present.views import text


def _commonmark_unescape(s: str) -> str:
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", s)


@given(hs.text(alphabet=hs.characters(blacklist_categories=("Cs", "Cc")), max_size=40))
@settings(max_examples=200, deadline=None)
def test_md_escape_round_trips_and_leaves_no_markdown_syntax_active(s):
    e = text.md_escape(s)
    shown = _commonmark_unescape(e)
    assert shown.replace(text.WORD_JOINER, "") == " ".join(s.splitlines()).replace(text.WORD_JOINER, "")
    # every markdown / directive / latex character is preceded by a backslash
    bare = re.sub(r"\\.", "", e)
    assert not set(bare) & set("*_`[]<>#|~$:\\&!")


def test_md_escape_of_hostile_names():
    assert text.md_escape("<b>x</b>") == r"\<b\>x\</b\>"
    assert text.md_escape("**bold** :red[x] $y$") == r"\*\*bold\*\* \:red\[x\] \$y\$"


@given(hs.text(max_size=40))
def test_plot_text_is_literal_for_plotly(s):
    e = text.plot_text(s)
    assert "<" not in e and ">" not in e
    assert html.unescape(e) == s


# Streamlit's Markdown rules (StreamlitMarkdown.js, applied to text nodes after escapes, JavaScript regexes)
_STREAMLIT_SYMBOLS = [(r"(^|\s)<->(\s|$)", "↔"), (r"(^|\s)->(\s|$)", "→"), (r"(^|\s)<-(\s|$)", "←"),
                      (r"(^|\s)--(\s|$)", "—"), (r"(^|\s)>=(\s|$)", "≥"), (r"(^|\s)<=(\s|$)", "≤"),
                      (r"(^|\s)~=(\s|$)", "≈")]


def _streamlit_symbols(s: str) -> str:
    for pat, sym in _STREAMLIT_SYMBOLS:
        s = re.sub(pat, lambda m, sym=sym: m.group(1) + sym + m.group(2), s)
    return s


@given(hs.lists(hs.sampled_from(["--", "->", "<-", "<->", ">=", "<=", "~=", "a", " ", "-", "\ufeff", "\n"]),
                max_size=12).map("".join))
@settings(max_examples=300, deadline=None)
def test_md_escape_keeps_every_token_streamlit_would_turn_into_a_symbol(s):
    shown = _commonmark_unescape(text.md_escape(s))
    assert _streamlit_symbols(shown) == shown  # no rule matches what Streamlit renders
    assert shown.replace(text.WORD_JOINER, "") == " ".join(s.splitlines())


def test_md_escape_of_the_sql_comment_name():
    shown = _commonmark_unescape(text.md_escape("best pure: '; DELETE FROM configs; -- at C = 4"))
    assert shown == "best pure: '; DELETE FROM configs; -" + text.WORD_JOINER + "- at C = 4"
    assert _commonmark_unescape(text.md_escape("a--b x->y")) == "a--b x->y"  # not standalone: left alone


def test_strategy_labels_come_from_the_registry():
    from osca_core.strategies import registry
    for name in registry.names():
        assert text.strategy_label(name) == registry.label(name)
    assert text.strategy_label("pure:gpt4o_0.8") == "pure: gpt4o_0.8"
    assert text.strategy_label("osca (ban multi-model)") == "osca (ban multi-model)"
