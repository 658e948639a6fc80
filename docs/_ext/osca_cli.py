"""Sphinx directive ``osca-cli``: the ``osca`` command-line reference, rendered from the real parser.

The directive imports :func:`osca_core.cli.build_parser` at build time and writes one section per subcommand
(nested ``bench`` subcommands included): its usage line exactly as ``osca CMD --help`` prints it, its one-line
help, and every argument group with each option's flags, metavar, default and help text. Nothing is typed by
hand, so the reference cannot drift from argparse.

It reads the attributes argparse's own help formatter walks (``_actions``, ``_action_groups``, the sub-parsers
action's ``choices`` and ``_choices_actions``), and nothing of the CLI modules but ``build_parser``.

Usage in MyST::

    ```{osca-cli}
    ```
"""

from __future__ import annotations

import argparse
import importlib

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

__version__ = "1"


def _subparsers(parser: argparse.ArgumentParser) -> argparse._SubParsersAction | None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return None


def _help_of(sub: argparse._SubParsersAction) -> dict[str, str]:
    """Sub-command name -> the ``help=`` it was added with."""
    return {a.dest: a.help or "" for a in sub._choices_actions}


USAGE_WIDTH = 100  # a fixed width, so the page does not depend on the terminal (or $COLUMNS) of the build


def _formatter(parser: argparse.ArgumentParser) -> argparse.HelpFormatter:
    return parser.formatter_class(prog=parser.prog, width=USAGE_WIDTH)


def _usage(parser: argparse.ArgumentParser) -> str:
    """What ``parser.format_usage()`` prints, at :data:`USAGE_WIDTH` and without its ``usage: `` prefix."""
    formatter = _formatter(parser)
    formatter.add_usage(parser.usage, parser._actions, parser._mutually_exclusive_groups, prefix="")
    return formatter.format_help().strip()


def _flags(parser: argparse.ArgumentParser, action: argparse.Action) -> str:
    """``-x, --long METAVAR`` (or the positional's name), as the help formatter writes it."""
    return _formatter(parser)._format_action_invocation(action)


def _expanded_help(parser: argparse.ArgumentParser, action: argparse.Action) -> str:
    if not action.help or action.help == argparse.SUPPRESS:
        return ""
    return _formatter(parser)._expand_help(action)


class OscaCliDirective(SphinxDirective):
    """Render every ``osca`` subcommand of ``build_parser()`` as sections (see the module docstring)."""

    has_content = False
    option_spec = {"module": lambda s: s.strip(), "func": lambda s: s.strip()}

    def run(self) -> list[nodes.Node]:
        module = importlib.import_module(self.options.get("module", "osca_core.cli"))
        parser = getattr(module, self.options.get("func", "build_parser"))()
        self.env.note_dependency(module.__file__)
        sub = _subparsers(parser)
        if sub is None:
            return [self._section(parser.prog, parser, "")]
        helps = _help_of(sub)
        return [self._section(f"{parser.prog} {name}", p, helps.get(name, "")) for name, p in sub.choices.items()]

    # -- nodes ---------------------------------------------------------------------------------------------

    def _section(self, title: str, parser: argparse.ArgumentParser, summary: str) -> nodes.section:
        section = nodes.section()
        label = nodes.make_id("cli " + title)  # e.g. cli-osca-bench-optimizer: {ref}`cli-osca-bench-optimizer`
        section["ids"].append(label)
        section["names"].append(label)
        self.state.document.note_explicit_target(section)
        section += nodes.title(text=title)
        if summary:
            section += nodes.paragraph(text=summary[:1].upper() + summary[1:] + ("" if summary.endswith(".") else "."))
        usage = _usage(parser)
        section += nodes.literal_block(usage, usage, language="text")
        if parser.description:
            section += nodes.paragraph(text=parser.description)
        sub = _subparsers(parser)
        for group in parser._action_groups:
            actions = [a for a in group._group_actions
                       if a.help != argparse.SUPPRESS and not isinstance(a, (argparse._HelpAction,
                                                                              argparse._SubParsersAction))]
            if not actions:
                continue
            section += nodes.rubric(text=group.title or "options")
            items = nodes.definition_list()
            for action in actions:
                term = nodes.term()
                term += nodes.literal(text=_flags(parser, action))
                body = nodes.definition()
                text = _expanded_help(parser, action)
                if action.choices and not isinstance(action.choices, dict) and not text:
                    text = "One of: " + ", ".join(map(str, action.choices)) + "."
                body += nodes.paragraph(text=text)
                items += nodes.definition_list_item("", term, body)
            section += items
        if sub is not None:
            helps = _help_of(sub)
            for name, child in sub.choices.items():
                section += self._section(f"{title} {name}", child, helps.get(name, ""))
        if parser.epilog:
            section += nodes.paragraph(text=parser.epilog)
        return section


def setup(app: Sphinx) -> dict[str, object]:
    app.add_directive("osca-cli", OscaCliDirective)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
