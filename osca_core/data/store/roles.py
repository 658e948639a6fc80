"""Column roles of long files: the recognized names (case-insensitive), the user's overrides, and the report.

| role | columns |
|---|---|
| ``question_id``, ``config`` | the cell's keys (required) |
| ``correct`` / ``n_samples``, ``n_correct`` | the outcome (per-sample / aggregated rows) |
| ``sample_index`` | the first of ``sample_idx, sample, run, run_id, epoch, seed, attempt, trial`` that is an integer >= 0 unique within each cell (else per-sample data) |
| ``cost`` | the first of ``cost, cost_usd, usd, price``: a configuration's cost per sample is its mean |
| ``tokens`` | the first of ``tokens, output_tokens, completion_tokens, total_tokens, num_tokens, generated_tokens``: the cost when there is no cost column |
| ``split`` | ``split``: train, test or both |
| ``config_attr`` | ``model, temperature, variant``, and any other column constant within every configuration |
| ``question_attr`` | any other column constant within every question |
| ``per_sample`` | the rest (time columns ``duration, latency, *_ms, *_ns, *_s`` always), kept with the samples |
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from osca_core.errors import InputError

SAMPLE_INDEX_NAMES = ("sample_idx", "sample", "run", "run_id", "epoch", "seed", "attempt", "trial")
COST_NAMES = ("cost", "cost_usd", "usd", "price")
TOKEN_NAMES = ("tokens", "output_tokens", "completion_tokens", "total_tokens", "num_tokens", "generated_tokens")
TIME_NAMES = ("duration", "latency")
TIME_SUFFIXES = ("_ms", "_ns", "_s")
ROLES = ("question_id", "config", "correct", "n_samples", "n_correct", "sample_index", "cost", "tokens", "split",
         "config_attr", "question_attr", "per_sample")

LABELS = {"question_id": "question id", "config": "configuration", "correct": "outcome (correct)",
          "n_samples": "samples drawn", "n_correct": "correct count", "sample_index": "sample index", "cost": "cost",
          "tokens": "tokens", "split": "split", "config_attr": "configuration attribute",
          "question_attr": "question attribute", "per_sample": "per-sample data"}


def label(role: str) -> str:
    return LABELS.get(role, role.replace("_", " "))


def is_time_name(name: str) -> bool:
    low = name.lower()
    return low in TIME_NAMES or any(low.endswith(x) and len(low) > len(x) for x in TIME_SUFFIXES)


@dataclass(frozen=True)
class Overrides:
    """Roles the user forces (``--question-attr``, ``--config-attr``, ``--sample-column``, ``--cost-column``)."""

    question_attr: tuple[str, ...] = ()
    config_attr: tuple[str, ...] = ()
    sample_column: str | None = None
    cost_column: str | None = None

    @classmethod
    def of(cls, question_attr: Sequence[str] | str | None = None, config_attr: Sequence[str] | str | None = None,
           sample_column: str | None = None, cost_column: str | None = None) -> Overrides:
        def names(v):
            if v is None:
                return ()
            return tuple(x.strip() for x in ([v] if isinstance(v, str) else v) if x.strip())
        return cls(names(question_attr), names(config_attr), sample_column or None, cost_column or None)

    def forced(self) -> dict[str, str]:
        """lower-case column name -> forced role."""
        out = {x.lower(): "question_attr" for x in self.question_attr}
        for x in self.config_attr:
            if x.lower() in out:
                raise InputError(f"column {x!r}: given as both a question and a configuration attribute")
            out[x.lower()] = "config_attr"
        for x, role in ((self.sample_column, "sample_index"), (self.cost_column, "cost")):
            if x is not None:
                if x.lower() in out:
                    raise InputError(f"column {x!r}: given two roles (sample column, cost column or attribute)")
                out[x.lower()] = role
        return out


@dataclass(frozen=True)
class ColumnRoles:
    """The role given to every column (header as written -> role) and where the cost per sample came from."""

    roles: Mapping[str, str] = field(default_factory=dict)
    cost_column: str = ""  # header of the cost (or tokens) column the configurations' costs are the mean of

    def as_dict(self) -> dict:
        return {"column_roles": dict(self.roles), "cost_column": self.cost_column or None}

    def lines(self) -> list[str]:
        """One line per column for ``osca import``'s report."""
        return [f"column {k!r}: {label(v)}" + (" (cost per sample)" if k == self.cost_column else "")
                for k, v in self.roles.items()]
