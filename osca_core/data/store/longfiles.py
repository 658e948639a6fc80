"""Long files (per-sample or aggregated rows in CSV, Parquet or JSON lines) for the store.

Part of the store package (the only code that speaks SQL). Files are read by DuckDB's own readers into a private
in-memory database, validated there row by row in SQL (errors name the file and the row), and aggregated to
(n, c) per question x configuration with GROUP BY, so the store file itself is locked only for the final write.

Column roles (:mod:`osca_core.data.store.roles` has the names). Beside the layout columns, a column named like a sample
index, a cost or a token count takes that role; a time column (duration, latency, ``*_ms``, ``*_ns``, ``*_s``) is
per-sample data. Any other column is a question attribute when it is constant within every question, else a
configuration attribute when constant within every configuration, else per-sample data kept with the samples.
Overrides force a role; a column that cannot take it is refused by name. A (question, configuration) pair with no
row is a missing cell (n = 0), never invented.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import numpy as np

from osca_core.data.store.roles import (
    COST_NAMES,
    SAMPLE_INDEX_NAMES,
    TOKEN_NAMES,
    ColumnRoles,
    Overrides,
    is_time_name,
    label,
)
from osca_core.data.store.staging import (
    AGGREGATE_COLUMNS,
    INTS,
    NULLS,
    RULES,
    SAMPLE_COLUMNS,
    SHIFT,
    Segment,
    Staging,
    ident,
    is_num,
    jsonable,
    norm_sql,
    special_file,
    text_sql,
)
from osca_core.errors import InputError
from osca_core.model.outcomes import ConfigInfo, OutcomeMatrix, parse_config_name

if TYPE_CHECKING:
    import pyarrow as pa


__all__ = ["AGGREGATE_COLUMNS", "SAMPLE_COLUMNS", "jsonable", "read_long", "special_file"]


def read_long(files: Sequence[tuple[str | Path | pa.Table, str, str]], *, name: str, source: str, checksum: str,
              timings: dict[str, float] | None = None, question_attr: Sequence[str] | str | None = None,
              config_attr: Sequence[str] | str | None = None, sample_column: str | None = None,
              cost_column: str | None = None) -> tuple[OutcomeMatrix, pa.Table | None]:
    """Read long files into an outcome matrix, aggregating per-sample rows to (n, c) with GROUP BY in DuckDB.

    ``files``: (path or Arrow table, reader kind "csv" | "parquet" | "json" | "arrow", name shown in messages).
    Per-sample rows carry ``question_id, config, correct``; aggregated rows ``question_id, config, n_samples,
    n_correct``; every other column gets a role (module docstring; ``question_attr``, ``config_attr``,
    ``sample_column`` and ``cost_column`` force one). Question and configuration order is the order of first
    appearance; a pair with no row is a missing cell (n = 0). The matrix records the roles (``column_roles``,
    ``cost_column``). Returns the matrix and, for per-sample rows, the rows as an Arrow table (q, s, sample_idx,
    correct[, tokens][, cost], then ``x:<column>`` per per-sample column) indexing the matrix. Every refusal
    names the file and the row or the column.
    """
    t = timings if timings is not None else {}
    ov = Overrides.of(question_attr, config_attr, sample_column, cost_column)
    st = Staging(files)
    try:
        t0 = time.perf_counter()
        for i in range(len(files)):
            st.load(i)
        t["read_seconds"] = time.perf_counter() - t0
        out = _build(st, ov, name=name, source=source, checksum=checksum, t=t)
        t["total_seconds"] = time.perf_counter() - t0
        return out
    except (duckdb.OutOfMemoryException, MemoryError) as e:  # an address-space limit below DuckDB's own
        raise out_of_memory(", ".join(dict.fromkeys(st.wheres)), e) from None
    finally:
        st.close()


def out_of_memory(where: str, e: BaseException) -> InputError:
    """The one line for memory running out while files are read (nothing was stored)."""
    detail = next((x.strip() for x in str(e).splitlines() if x.strip()), type(e).__name__)
    return InputError(f"{where}: out of memory while reading ({detail[:160]}); nothing was stored. Import fewer "
                      f"or smaller files at a time, or give the process more memory")


def _build(st: Staging, ov: Overrides, *, name: str, source: str, checksum: str, t: dict[str, float]):
    t0 = time.perf_counter()
    lay = _check_files(st, ov)
    _norm_view(st, lay)
    _check_consistency(st, lay)
    roles = _classify(st, lay, ov)
    t["validate_seconds"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    qids, cfgs, n, c = _cells(st, lay, roles)
    samples = None
    if lay.per_sample:
        extra = "".join(f", {k}" for k in ("tokens", "cost") if lay.alias[k])
        extra += "".join(f", a{k} AS {ident('x:' + h)}" for k, h in enumerate(lay.extras) if roles[h] == "per_sample")
        rel = st.con.sql(f"SELECT q, s, sample_idx, correct{extra} FROM smp")
        samples = rel.to_arrow_table() if hasattr(rel, "to_arrow_table") else rel.fetch_arrow_table()
    t["aggregate_seconds"] = time.perf_counter() - t0
    configs, cost_col = _config_infos(st, lay, roles, cfgs)
    heads = list(lay.extras)
    qa = [k for k, h in enumerate(heads) if roles[h] == "question_attr"]
    rows = st.con.execute(f"SELECT any_value(split){''.join(f', any_value(a{k})' for k in qa)} FROM "
                          f"norm JOIN qidx qi USING (question_id) GROUP BY qi.i ORDER BY qi.i").fetchall()
    split = [r[0] for r in rows]
    report = dict(lay.fixed_roles)
    report.update({h: roles[h] for h in lay.extras})
    return OutcomeMatrix(
        name=name, question_ids=tuple(qids), configs=configs, n=n, c=c,
        train=np.array([x in (None, "train", "both", "train+test") for x in split]),
        test=np.array([x in (None, "test", "both", "train+test") for x in split]), source=source, checksum=checksum,
        question_attrs={heads[k]: tuple(jsonable(r[j + 1]) for r in rows) for j, k in enumerate(qa)},
        column_roles=ColumnRoles(report, cost_col).roles, cost_column=cost_col,
        where=", ".join(dict.fromkeys(st.wheres))), samples


class _Layout:
    """What the columns of the files are: layout, the header standing for each canonical column per file
    (``alias``: sample_idx / tokens / cost), the extra columns (header -> types seen) and forced roles."""

    def __init__(self, per_sample: bool) -> None:
        self.per_sample = per_sample
        self.alias: dict[str, list[str | None]] = {}  # canonical -> per file lower-case name or None
        self.extras: dict[str, set[str]] = {}
        self.fixed_roles: dict[str, str] = {}

    def canonical(self) -> tuple[str, ...]:
        base = ("question_id", "config", "model", "temperature", "variant", "split")
        return base + (("correct", "sample_idx", "tokens", "cost") if self.per_sample else
                       ("n_samples", "n_correct", "cost"))


_FIXED_ROLE = {"question_id": "question_id", "config": "config", "correct": "correct", "n_samples": "n_samples",
               "n_correct": "n_correct", "split": "split", "model": "config_attr", "temperature": "config_attr",
               "variant": "config_attr", "sample_idx": "sample_index", "tokens": "tokens", "cost": "cost"}


def _check_files(st: Staging, ov: Overrides) -> _Layout:
    """Columns and row values of each file: the layout, which column takes each canonical role, the extras."""
    per_sample = None
    for i, cols in enumerate(st.cols):
        where, found = st.wheres[i], ", ".join(h for h, _ in cols.values())
        agg = {"n_samples", "n_correct"} & set(cols)
        if "correct" in cols and agg:
            raise InputError(f"{where}: has both 'correct' (per-sample rows) and 'n_samples'/'n_correct' "
                             f"(aggregated rows); use one layout")
        if "correct" not in cols and not agg:
            raise InputError(f"{where}: missing column 'correct' (per-sample rows) or 'n_samples' and 'n_correct' "
                             f"(aggregated rows); found: {found}")
        layout = "correct" in cols
        if per_sample is not None and layout != per_sample:
            raise InputError(f"{where}: {'per-sample' if layout else 'aggregated'} rows cannot be mixed with the "
                             f"{'per-sample' if per_sample else 'aggregated'} rows of {st.wheres[0]}")
        per_sample = layout
        for need in ("question_id", "config") + (() if layout else ("n_samples", "n_correct")):
            if need not in cols:
                raise InputError(f"{where}: missing column {need!r} (found: {found})")
        if not st.file_rows[i]:
            raise InputError(f"{where}: no questions (the file has no data rows)")
    lay = _Layout(bool(per_sample))
    forced = ov.forced()
    for low in forced:
        if not any(low in cols for cols in st.cols):
            raise InputError(f"{', '.join(dict.fromkeys(st.wheres))}: no column {low!r} for the role "
                             f"{label(forced[low])} (found: {', '.join(h for h, _ in st.cols[0].values())})")
    _pick_aliases(st, lay, ov, forced)
    taken = {x for v in lay.alias.values() for x in v if x}
    suspects = _suspect_files(st, lay, taken)
    for i, cols in enumerate(st.cols):
        for col, (head, typ) in cols.items():
            if col in taken:
                if i in suspects:
                    _check_values(st, i, lay, col, head, typ)
            else:
                lay.extras.setdefault(next((h for h in lay.extras if h.lower() == col), head), set()).add(typ)
    for canon, per_file in lay.alias.items():
        head = next((st.cols[i][x][0] for i, x in enumerate(per_file) if x), None)
        if head is not None:
            lay.fixed_roles[head] = _FIXED_ROLE[canon]
    for low, role in forced.items():
        if role in ("question_attr", "config_attr") and not any(h.lower() == low for h in lay.extras):
            head = next(cols[low][0] for cols in st.cols if low in cols)
            raise InputError(f"column {head!r} is the {label(lay.fixed_roles.get(head, 'layout'))} "
                             f"column; it cannot be a {label(role)}")
    return lay


def _pick_aliases(st: Staging, lay: _Layout, ov: Overrides, forced: dict[str, str]) -> None:
    """Per canonical column, the file column that stands for it (by name, or as forced)."""
    nfiles = len(st.cols)
    for canon in lay.canonical():
        lay.alias[canon] = [canon if canon in cols else None for cols in st.cols]
    if lay.per_sample:
        _pick(st, lay, "sample_idx", ov.sample_column, SAMPLE_INDEX_NAMES, forced)
        _pick(st, lay, "tokens", None, TOKEN_NAMES, forced)
    _pick(st, lay, "cost", ov.cost_column, COST_NAMES, forced)
    if lay.per_sample and 0 < sum(x is not None for x in lay.alias["sample_idx"]) < nfiles:
        raise InputError(f"{', '.join(st.wheres)}: give sample_idx in every file or in none")


def _pick(st: Staging, lay: _Layout, canon: str, override: str | None, names: Sequence[str],
          forced: dict[str, str]) -> None:
    if override is not None:
        low = override.lower()
        lay.alias[canon] = [low if low in cols else None for cols in st.cols]
        return
    if canon == "sample_idx":
        if any(x for x in lay.alias[canon]):
            return
        for low in names[1:]:  # a guessed sample index: an integer >= 0, unique within each cell, in every file
            if low in forced or not all(low in cols for cols in st.cols):
                continue
            if all(_usable_index(st, i, cols[low]) for i, cols in enumerate(st.cols)):
                lay.alias[canon] = [low] * len(st.cols)
                return
        return
    lay.alias[canon] = [next((x for x in names if x in cols and x not in forced), None) for cols in st.cols]


def _usable_index(st: Staging, i: int, col: tuple[str, str]) -> bool:
    head, typ = col
    kind, bad, _ = RULES["sample_idx"]
    if st.first_bad(i, head, typ, kind, bad) is not None:
        return False
    v = norm_sql(kind, ident(head), typ)
    return st.con.execute(f"SELECT count(*) FROM (SELECT 1 FROM raw_{i} GROUP BY {ident(st.cols[i]['question_id'][0])},"
                          f" {ident(st.cols[i]['config'][0])}, {v} HAVING count(*) > 1)").fetchone()[0] == 0


def _range_condition(c: str, t: str) -> str:
    """SQL: an integer too large for 64 bits (named as out of range rather than 'not an integer')."""
    if t in INTS:
        return f"{c} IS NOT NULL AND TRY_CAST({c} AS BIGINT) IS NULL"
    if is_num(t):
        return f"isfinite({c}) AND {c} = floor({c}) AND TRY_CAST({c} AS BIGINT) IS NULL"
    x = f"trim({text_sql(c, t)})"
    return f"regexp_full_match({x}, '[+-]?[0-9]+') AND TRY_CAST({x} AS BIGINT) IS NULL"


def _suspect_files(st: Staging, lay: _Layout, taken: set[str]) -> set[int]:
    """The files that may hold a bad value in a layout column: one query per segment and column (rather than
    per file and column) finds the files with one; a file alone in its segment is always checked by name."""
    out: set[int] = set()
    for seg in st.segments:
        if len(seg.files) == 1:
            out.add(seg.files[0])
            continue
        i = seg.files[0]
        for col, (head, typ) in st.cols[i].items():
            canon = next((k for k, v in lay.alias.items() if v[i] == col), None) if col in taken else None
            if canon is None:
                continue
            if any(lay.alias[canon][f] != col for f in seg.files):
                out.update(seg.files)
                continue
            kind, bad, _ = RULES[canon]
            c = ident(head)
            cond = f"({bad})" + (f" OR ({_range_condition(c, typ)})" if kind == "int" and typ != "BOOLEAN" else "")
            out.update(r[0] for r in st.con.execute(
                f"SELECT DISTINCT f FROM (SELECT {seg.file} AS f, {c}, {text_sql(c, typ)} AS x, "
                f"{norm_sql(kind, c, typ)} AS v FROM {seg.table}) WHERE {cond}").fetchall())
    return out


def _check_values(st: Staging, i: int, lay: _Layout, col: str, head: str, typ: str) -> None:
    canon = next(k for k, v in lay.alias.items() if v[i] == col)
    kind, bad, msg = RULES[canon]
    where = st.wheres[i]
    hit = st.first_bad(i, head, typ, kind, bad)
    if kind == "int" and typ != "BOOLEAN":  # the first bad row either way: a range error on it is the more precise
        r = st.row(i)
        big = st.con.execute(f"SELECT {r}, {text_sql(ident(head), typ)} FROM raw_{i} WHERE "
                             f"{_range_condition(ident(head), typ)} ORDER BY {r} LIMIT 1").fetchone()
        if big and (hit is None or big[0] <= hit[0]):
            raise InputError(f"{where}: row {big[0] + 1}: {head} {big[1]} is out of range (at most 2^63 - 1)")
    if hit:
        text = msg.format(x="nothing" if hit[1] is None else repr(hit[1]))
        if head.lower() != canon:
            text = f"column {head!r} ({canon}): " + text
        raise InputError(f"{where}: row {hit[0] + 1}: {text}")


def _norm_view(st: Staging, lay: _Layout) -> None:
    """View ``norm``: every file's rows with normalized columns, a position ``pos`` and extras a0, a1, ..."""
    selects = []
    for seg in st.segments:
        i = seg.files[0]
        same = all(lay.alias[k][f] == lay.alias[k][i] for k in lay.canonical() for f in seg.files)
        for f in seg.files if not same else [i]:
            selects.append(_norm_select(st, lay, f, seg if same else None))
    st.con.execute("CREATE TEMP VIEW norm AS " + " UNION ALL ".join(selects))


def _norm_select(st: Staging, lay: _Layout, i: int, seg: Segment | None) -> str:
    """The rows of file ``i`` (or, with ``seg``, of every file of that segment: they share columns and aliases)
    with normalized columns."""
    cols = st.cols[i]
    pos = (f"CAST({seg.file} AS BIGINT) * {SHIFT} + {seg.row}" if seg is not None
           else f"CAST({i} AS BIGINT) * {SHIFT} + {st.row(i)}")
    items = [f"{pos} AS pos"]
    for canon in lay.canonical():
        kind = RULES[canon][0]
        low = lay.alias[canon][i]
        items.append(f"{norm_sql(kind, ident(cols[low][0]), cols[low][1])} AS {canon}" if low
                     else f"CAST(NULL AS {NULLS[kind]}) AS {canon}")
    for k, (head, types) in enumerate(lay.extras.items()):
        h, typ = cols.get(head.lower(), (None, None))
        same = len(types) == 1 and typ != "JSON"
        items.append("NULL" if h is None else ident(h) if same else text_sql(ident(h), typ))
        items[-1] += f" AS a{k}"
    return f"SELECT {', '.join(items)} FROM {seg.table if seg is not None else f'raw_{i}'}"


def _check_consistency(st: Staging, lay: _Layout) -> None:
    """Counts within 0..n; one model/temperature/variant (and cost for aggregated rows) per configuration; one
    split per question."""
    if not lay.per_sample:
        hit = st.con.execute("SELECT pos, n_correct, n_samples FROM norm WHERE n_correct < 0 OR "
                             "n_correct > n_samples ORDER BY pos LIMIT 1").fetchone()
        if hit:
            raise InputError(f"{st.loc(hit[0])}: n_correct {hit[1]} outside 0..{hit[2]}")
    for col in ("model", "temperature", "variant") + (() if lay.per_sample else ("cost",)):
        if any(lay.alias[col]):
            st.conflict("config", col, "configuration", col)
    if any(lay.alias["split"]):
        st.conflict("question_id", "split", "question", "split")


def _classify(st: Staging, lay: _Layout, ov: Overrides) -> dict[str, str]:
    """Role of each extra column: forced, by name, or by where it is constant (question, configuration)."""
    if not lay.extras:
        return {}
    ks = range(len(lay.extras))
    dq = st.con.execute(f"SELECT {', '.join(f'max(d{k})' for k in ks)} FROM (SELECT "
                        f"{', '.join(f'count(DISTINCT a{k}) AS d{k}' for k in ks)} FROM norm GROUP BY question_id)"
                        ).fetchone()
    dc = st.con.execute(f"SELECT {', '.join(f'max(d{k})' for k in ks)} FROM (SELECT "
                        f"{', '.join(f'count(DISTINCT a{k}) AS d{k}' for k in ks)} FROM norm GROUP BY config)"
                        ).fetchone()
    forced = ov.forced()
    roles = {}
    for k, head in enumerate(lay.extras):
        low = head.lower()
        role = forced.get(low)
        if role in ("question_attr", "config_attr"):
            key, what = ("question_id", "question") if role == "question_attr" else ("config", "configuration")
            try:
                st.conflict(key, f"a{k}", what, head)
            except InputError as e:
                raise InputError(f"{e} (so {head!r} cannot be a {label(role)})") from None
        elif lay.per_sample and (is_time_name(low) or low in SAMPLE_INDEX_NAMES + COST_NAMES + TOKEN_NAMES):
            role = "per_sample"
        elif (dq[k] or 0) <= 1:
            role = "question_attr"
        elif (dc[k] or 0) <= 1:
            role = "config_attr"
        elif lay.per_sample:
            role = "per_sample"
        else:
            st.conflict("question_id", f"a{k}", "question", head)  # names the rows; always raises here
        roles[head] = role
    return roles


def _cells(st: Staging, lay: _Layout, roles: dict[str, str]) -> tuple[list[str], list[str], np.ndarray, np.ndarray]:
    """Question and configuration order (first appearance) and the (n, c) matrices, aggregated by GROUP BY; a
    pair with no row stays n = 0 (a missing cell)."""
    con = st.con
    for key, idx in (("question_id", "qidx"), ("config", "cidx")):
        con.execute(f"CREATE TEMP TABLE {idx} AS SELECT {key}, CAST(row_number() OVER (ORDER BY first) - 1 AS "
                    f"INTEGER) AS i FROM (SELECT {key}, min(pos) AS first FROM norm GROUP BY {key})")
    qids = [r[0] for r in con.execute("SELECT question_id FROM qidx ORDER BY i").fetchall()]
    cfgs = [r[0] for r in con.execute("SELECT config FROM cidx ORDER BY i").fetchall()]
    if lay.per_sample:
        given = any(lay.alias["sample_idx"])
        sidx = "n.sample_idx" if given else "row_number() OVER (PARTITION BY qi.i, ci.i ORDER BY n.pos) - 1"
        per = "".join(f", n.a{k}" for k, h in enumerate(lay.extras) if roles[h] == "per_sample")
        con.execute(f"CREATE TEMP TABLE smp AS SELECT qi.i AS q, ci.i AS s, n.pos, CAST({sidx} AS BIGINT) AS "
                    f"sample_idx, n.correct, n.tokens, n.cost{per} FROM norm n JOIN qidx qi USING (question_id) "
                    f"JOIN cidx ci USING (config)")
        cells = con.execute(f"SELECT q, s, count(*) AS n, sum(CAST(correct AS BIGINT)) AS c, "
                            f"{'count(DISTINCT sample_idx)' if given else 'count(*)'} AS d FROM smp GROUP BY q, s"
                            ).fetchnumpy()
        if (cells["d"] < cells["n"]).any():
            r = con.execute("SELECT q, s, sample_idx, min(pos), max(pos) FROM smp GROUP BY q, s, sample_idx "
                            "HAVING count(*) > 1 ORDER BY max(pos) LIMIT 1").fetchone()
            raise InputError(f"{st.loc(r[4])}: duplicate sample_idx {r[2]} for question {qids[r[0]]!r} and "
                             f"configuration {cfgs[r[1]]!r} (also at row {r[3] % SHIFT + 1})")
    else:
        cells = con.execute("SELECT qi.i AS q, ci.i AS s, any_value(n.n_samples) AS n, any_value(n.n_correct) AS c, "
                            "count(*) AS k, min(n.pos) AS p1, max(n.pos) AS p2 FROM norm n JOIN qidx qi "
                            "USING (question_id) JOIN cidx ci USING (config) GROUP BY qi.i, ci.i").fetchnumpy()
        dup = np.flatnonzero(cells["k"] > 1)
        if dup.size:
            j = dup[np.argmin(cells["p2"][dup])]
            raise InputError(f"{st.loc(int(cells['p2'][j]))}: duplicate row for question {qids[cells['q'][j]]!r} "
                             f"and configuration {cfgs[cells['s'][j]]!r} (first at row {cells['p1'][j] % SHIFT + 1})")
    n, c = np.zeros((len(qids), len(cfgs)), dtype=np.int64), np.zeros((len(qids), len(cfgs)), dtype=np.int64)
    n[cells["q"], cells["s"]] = cells["n"]
    c[cells["q"], cells["s"]] = cells["c"]
    return qids, cfgs, n, c


def _config_infos(st: Staging, lay: _Layout, roles: dict[str, str], cfgs: list[str]
                  ) -> tuple[tuple[ConfigInfo, ...], str]:
    """Attributes given in the file, else parsed from the name; cost: mean cost per sample (else mean tokens when
    every configuration has them, else 1). Returns the infos and the header the cost came from ('' if none)."""
    ca = [(k, h) for k, h in enumerate(lay.extras) if roles[h] == "config_attr"]
    cost = "CASE WHEN min(cost) = max(cost) THEN min(cost) ELSE avg(cost) END" if lay.per_sample else "min(cost)"
    tokens = "avg(tokens)" if lay.per_sample else "NULL"
    rows = st.con.execute(f"SELECT any_value(model), any_value(temperature), any_value(variant), {cost}, {tokens}"
                          f"{''.join(f', any_value(a{k})' for k, _ in ca)} FROM norm "
                          f"JOIN cidx ci USING (config) GROUP BY ci.i ORDER BY ci.i").fetchall()
    def header(canon):
        return next((st.cols[i][x][0] for i, x in enumerate(lay.alias.get(canon, [])) if x), "")
    cost_col, by_tokens = header("cost"), False
    if not cost_col and lay.per_sample and header("tokens"):
        by_tokens = all(r[4] is not None and r[4] > 0 for r in rows)
        cost_col = header("tokens") if by_tokens else ""
    out = []
    for nm, r in zip(cfgs, rows, strict=True):
        model, temp, variant, cst, tok = r[:5]
        base = parse_config_name(nm)
        cst = tok if by_tokens else cst
        out.append(ConfigInfo(nm, base.model if model is None else model,
                              base.temperature if temp is None else float(temp),
                              base.variant if variant is None else variant, 1.0 if cst is None else float(cst),
                              {h: jsonable(v) for (_, h), v in zip(ca, r[5:], strict=True)}))
    return tuple(out), cost_col
