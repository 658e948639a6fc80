"""Configuration facets and groups: the models, temperatures and variants parsed from OSCA-style configuration
names (:func:`osca_core.model.outcomes.parse_config_name`), the filters the sidebar offers over them, and the groups
(configuration, model, temperature, model+temperature) the Allocation page stacks by, in a stable order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from osca_core.errors import InputError
from osca_core.model.outcomes import ConfigInfo

NONE_LABEL = "(none)"
GROUPINGS = ("configuration", "model", "temperature", "model+temperature")


def temperature_label(t: float | None) -> str:
    """Temperature as the app shows and filters it: ``0.8``; ``(none)`` when the name carries no temperature."""
    if t is None:
        return NONE_LABEL
    return f"{t:g}"


def variant_label(v: str) -> str:
    return v if v else NONE_LABEL


@dataclass(frozen=True)
class ConfigFacets:
    """The distinct models, temperature labels and variant labels of a set of configurations, sorted."""

    models: tuple[str, ...]
    temperatures: tuple[str, ...]
    variants: tuple[str, ...]


def config_facets(configs: Sequence[ConfigInfo]) -> ConfigFacets:
    temps = sorted({k.temperature for k in configs if k.temperature is not None})
    tl = [temperature_label(t) for t in temps]
    if any(k.temperature is None for k in configs):
        tl.append(NONE_LABEL)
    return ConfigFacets(
        models=tuple(sorted({k.model for k in configs})),
        temperatures=tuple(tl),
        variants=tuple(sorted({variant_label(k.variant) for k in configs})),
    )


def filter_configs(
    configs: Sequence[ConfigInfo],
    *,
    models: Sequence[str] | None = None,
    temperatures: Sequence[str] | None = None,
    variants: Sequence[str] | None = None,
) -> list[str]:
    """Names of the configurations whose model, temperature label and variant label are in the given lists
    (``None`` or an empty list means no filter on that attribute), in the matrix's order."""
    ms, ts, vs = (set(x) if x else None for x in (models, temperatures, variants))
    return [
        k.name for k in configs
        if (ms is None or k.model in ms)
        and (ts is None or temperature_label(k.temperature) in ts)
        and (vs is None or variant_label(k.variant) in vs)
    ]


def ordered_configs(configs: Sequence[ConfigInfo]) -> list[ConfigInfo]:
    """Configurations grouped by model (models in order of first appearance), then by temperature (no
    temperature last), then variant."""
    first = {m: i for i, m in reversed(list(enumerate(k.model for k in configs)))}
    return sorted(configs, key=lambda k: (first[k.model], k.temperature is None, k.temperature or 0.0, k.variant))


def group_of(config: ConfigInfo, group_by: str) -> str:
    """The group a configuration falls in: its name, model, temperature label or "model @ temperature"."""
    if group_by == "configuration":
        return config.name
    if group_by == "model":
        return config.model
    if group_by == "temperature":
        return temperature_label(config.temperature)
    if group_by == "model+temperature":
        return f"{config.model} @ {temperature_label(config.temperature)}"
    raise InputError(f"unknown grouping {group_by!r} (use {', '.join(GROUPINGS)})")
