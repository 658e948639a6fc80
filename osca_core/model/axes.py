"""Configuration axes: what a sampling configuration is a tuple of (model, temperature, prompt, ...), so that a view
of hundreds of configurations is chosen by axis values instead of by name.

Each configuration gets one text value per axis, from three sources (a later one wins for the same axis):

1. **the name**, by this rule (``parse_axes``), applied in order:

   - ``family/rest``: a prefix up to the first ``/`` is the axis ``family`` (``llama3/eval_senior_...``);
   - ``model|p1[|p2...]``: the parts after ``|`` are the axis ``prompt`` (joined by ``|``: ``GPT-4|cot``);
   - a temperature, the first of ``_temp<T>``, ``-temp<T>``, ``_t<T>``, ``@<T>``, or the OSCA form
     ``<model>_<T>[_<variant>]`` (``gpt4o_0.8_2-3``), with T a decimal number from 0 to 5 (a larger number, such
     as a timestamp, is not a temperature); after the OSCA form the rest is the axis ``variant``;
   - what remains is the ``model``.

   Temperatures are shown as ``f"{T:g}"`` and ``(none)`` where a name has none (as the Allocation page's
   groups, :mod:`osca_core.present.views.facets`).
2. **the configuration's attributes** (``ConfigInfo.attrs``: a log's configuration columns, and what the framework
   readers record per configuration, e.g. Inspect's ``model``, ``prompt``, ``top_p``, ``task_<arg>``): each scalar
   attribute is an axis of that name; ``temperature`` / ``model`` / ``variant`` given by a reader replace the
   parsed ones. Long text (``prompt_text``, over 80 characters) is not an axis.
3. **an override**: a regular expression with named groups (``(?P<model>[^_]+)_(?P<size>\\d+b)``), matched
   against each name with ``re.search``; each group that matched is that axis's value.

Only axes on which the configurations differ are kept (``model`` always); ``ConfigAxes.values[axis][s]`` is the
value of configuration s.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from osca_core.errors import InputError
from osca_core.model.outcomes import ConfigInfo

NONE = "(none)"
MAX_TEMPERATURE = 5.0
MAX_ATTR_TEXT = 80
ORDER = ("family", "model", "temperature", "prompt", "variant")  # known axes first, then the others by name

_TEMP = re.compile(r"(?:_temp|-temp|_t|@)(?P<t>\d+(?:\.\d+)?)(?=$|[_\-|@])")
_OSCA = re.compile(r"^(?P<model>.+?)_(?P<t>\d+(?:\.\d+)?)(?:_(?P<variant>.+))?$")


def temperature_label(t: float | None) -> str:
    return NONE if t is None else f"{t:g}"


def _temp_ok(text: str) -> float | None:
    t = float(text)
    return t if 0.0 <= t <= MAX_TEMPERATURE else None


def parse_axes(name: str) -> dict[str, str]:
    """The axis values a configuration name carries by the module docstring's rule (1)."""
    out: dict[str, str] = {}
    rest = name
    if "/" in rest.strip("/"):
        fam, rest = rest.split("/", 1)
        out["family"] = fam
    if "|" in rest:
        rest, prompt = rest.split("|", 1)
        out["prompt"] = prompt
    m = _TEMP.search(rest)
    if m and _temp_ok(m["t"]) is not None:
        out["temperature"] = temperature_label(_temp_ok(m["t"]))
        rest = (rest[: m.start()] + rest[m.end():]).strip("_-@")
    else:
        m = _OSCA.match(rest)
        if m and _temp_ok(m["t"]) is not None:
            out["temperature"] = temperature_label(_temp_ok(m["t"]))
            if m["variant"]:
                out["variant"] = m["variant"]
            rest = m["model"]
    out["model"] = rest or name
    return out


def _attr_text(v: object) -> str | None:
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, (int, str)):
        text = str(v)
        return text if len(text) <= MAX_ATTR_TEXT else None
    return None  # lists, dicts, None: not an axis


def compile_override(pattern: str | None) -> re.Pattern | None:
    """The override of rule (3), checked: a regular expression with at least one named group."""
    if not pattern:
        return None
    try:
        rx = re.compile(pattern)
    except re.error as e:
        raise InputError(f"axis pattern {pattern!r}: not a regular expression ({e})") from None
    if not rx.groupindex:
        raise InputError(f"axis pattern {pattern!r}: needs a named group such as (?P<model>...)")
    return rx


@dataclass(frozen=True)
class ConfigAxes:
    """Axis names (those the configurations differ in; ``model`` always) and each configuration's value per axis,
    in the matrix's order: ``values[axis][s]``."""

    names: tuple[str, ...]
    configs: tuple[str, ...]
    values: Mapping[str, tuple[str, ...]]

    def options(self, axis: str) -> tuple[str, ...]:
        """The distinct values of ``axis``, sorted (numbers by value, ``(none)`` last)."""
        vals = set(self.values[axis])

        def key(x: str):
            try:
                return (0, float(x), "")
            except ValueError:
                return (1 if x != NONE else 2, 0.0, x)
        return tuple(sorted(vals, key=key))

    def of(self, config: str) -> dict[str, str]:
        i = self.configs.index(config)
        return {a: self.values[a][i] for a in self.names}


def config_axes(configs: Sequence[ConfigInfo], override: str | None = None) -> ConfigAxes:
    """The axes of ``configs`` (module docstring: name rule, attributes, override)."""
    rx = compile_override(override)
    rows = []
    for k in configs:
        row = parse_axes(k.name)
        for key, v in k.attrs.items():
            text = _attr_text(v)
            if text is not None:
                row[str(key)] = text
        if rx is not None:
            m = rx.search(k.name)
            if m:
                row |= {g: v for g, v in m.groupdict().items() if v is not None}
        rows.append(row)
    keys = list(dict.fromkeys(a for r in rows for a in r))
    fill = {a: (NONE if a != "model" else "") for a in keys}
    values = {a: tuple(r.get(a, fill[a]) or (k.name if a == "model" else NONE) for r, k in zip(rows, configs,
                                                                                              strict=True))
              for a in keys}
    kept = [a for a in keys if a == "model" or len(set(values[a])) > 1]
    kept.sort(key=lambda a: (ORDER.index(a) if a in ORDER else len(ORDER), a))
    return ConfigAxes(tuple(kept), tuple(k.name for k in configs), {a: values[a] for a in kept})
