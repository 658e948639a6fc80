"""Data: the datasets in the store and each configuration's coverage; import one or several files by upload (any
format of ``osca_core.data.formats``, guessed or chosen, with the reader options of ``osca import``; under an existing
name only with "replace" ticked), fetch the OSCA release, generate the synthetic demo, remove a dataset. A bad file
gets the importer's one-line message and leaves the store as it was. On a damaged store file the page offers to
move it aside (renamed, never deleted) and start a new store.

Only a session that may write to the shared store (``_access.access``: the local user on loopback, a signed-in
editor beyond it) sees the write controls. Others (viewer mode, visitors not signed in) see the listing, the
coverage and an upload into their own temporary store (``pages._visitors``: bounded, gone when the session
ends), with a sign-in button when sign-in is configured."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from osca_core import serving
from osca_core.data.formats import PARTIAL_CHOICES, VERIFIERS, ReadOptions
from osca_core.data.importers import FORMATS as READERS
from osca_core.errors import InputError
from pages import _access as data
from pages import _render as ui
from pages import _shell
from pages import _visitors as visitors

FORMATS = ("auto", *READERS)
UPLOAD_TYPES = ["json", "jsonl", "ndjson", "csv", "tsv", "parquet", "eval"]


UPLOAD_ROUND = "_osca_upload_round"  # how many imports this session made: the uploader's key (a fresh one each time)


def _flash(kind: str, msg: str) -> None:
    st.session_state["_osca_flash"] = (kind, msg)


def _show_flash() -> None:
    kind, msg = st.session_state.pop("_osca_flash", (None, None))
    if kind == "success":
        st.success(ui.text(msg), icon=":material/check_circle:")
    elif kind == "error":
        ui.error(msg)


def _listing(rows) -> None:
    if rows:
        df = pd.DataFrame([r.__dict__ for r in rows])
        df["checksum"] = df["checksum"].str[:12]
        st.dataframe(df, hide_index=True, width="stretch",
                     column_config={"synthetic": st.column_config.CheckboxColumn()})
    else:
        st.info("No datasets yet.")


def _price(text: str) -> dict[str, float] | None:
    """``MODEL=USD_PER_MTOK, ...`` (the ``--price`` flag, comma-separated) as a mapping; InputError naming the item."""
    out = {}
    for item in filter(None, (t.strip() for t in text.split(","))):
        model, eq, usd = item.rpartition("=")
        try:
            out[model.strip()] = float(usd)
        except ValueError:
            eq = ""
        if not eq or not model.strip():
            raise InputError(f"price: use MODEL=USD_PER_MTOK, comma-separated (got {item!r})")
    return out or None


def _options() -> ReadOptions:
    """The reader options of ``osca import`` (each format uses the ones it knows; the importer refuses others)."""
    with st.expander("Reader options (Inspect, lm-evaluation-harness, EvalPlus, SWE-bench, LiveCodeBench)"):
        o1, o2 = st.columns(2)
        config = o1.text_input("Configuration names (--config)", key="import_config",
                               placeholder="from the files", help="Comma-separated, one per file.")
        scorer = o2.text_input("Inspect scorer (--scorer)", key="import_scorer", placeholder="the only one")
        partial = o1.selectbox("Partial credit (--partial)", ["refuse", *PARTIAL_CHOICES], key="import_partial")
        price = o2.text_input("Prices (--price MODEL=USD_PER_MTOK, ...)", key="import_price")
        metric = o1.text_input("lm-eval metric (--metric)", key="import_metric", placeholder="first 0/1 metric")
        filt = o2.text_input("lm-eval filter (--filter)", key="import_filter")
        verifier = o1.selectbox("EvalPlus verifier (--verifier)", ["default", *VERIFIERS], key="import_verifier")
    return ReadOptions(config=config.strip() or None, scorer=scorer.strip() or None,
                       partial=None if partial == "refuse" else partial, price=_price(price),
                       metric=metric.strip() or None, filter=filt.strip() or None,
                       verifier=None if verifier == "default" else verifier)


def _upload(own: bool = False) -> None:
    limit = visitors.MAX_MB if own else data.UPLOAD_LIMIT_MB
    st.subheader("Try your own logs" if own else "Import files", anchor=False)
    if own:
        st.caption(f"Your uploads stay in this browser session: nobody else sees them, and they are deleted when "
                   f"you leave (at most {visitors.MAX_DATASETS} datasets and {visitors.MAX_MB} MB).")
    st.caption(f"Several files make one dataset: the OSCA release layout, per-sample or aggregated rows (CSV, "
               f"Parquet, JSON lines), Inspect logs (.eval, .json), lm-evaluation-harness samples (with their "
               f"results_*.json), EvalPlus / BigCodeBench eval_results.json, SWE-bench reports, LiveCodeBench eval "
               f"files. Up to {limit} MB per file.")
    # a new key after each import: the next upload starts empty (the old files would mix with the new ones)
    ups = st.file_uploader("Log files", type=UPLOAD_TYPES, key=f"upload_{st.session_state.get(UPLOAD_ROUND, 0)}",
                           accept_multiple_files=True, max_upload_size=limit) or []
    c1, c2 = st.columns(2)
    name = c1.text_input("Dataset name", key="import_name", placeholder="from the first file's name")
    fmt = c2.selectbox("Format", FORMATS, key="import_format")
    replace = st.checkbox("Replace " + ("one of your datasets" if own else "an existing dataset")
                          + " of the same name", key="import_replace",
                          help="Without it, an upload under a name already stored is refused.")
    try:
        options = _options()
    except InputError as e:
        ui.error(e)
        return
    if st.button("Import", type="primary", disabled=not ups, key="import_btn"):
        try:
            to = data.import_own if own else data.import_uploads
            res = to([(u.name, u.getvalue()) for u in ups], format=None if fmt == "auto" else fmt,
                     name=name.strip() or None, replace=replace, options=options)
        except InputError as e:
            ui.error(e)
        else:
            data.bump()
            st.session_state.pop("import_replace", None)
            info = res.info
            _flash("success", f"Imported {info.name} ({res.format}, {len(res.files)} file"
                              f"{'s' if len(res.files) != 1 else ''}): {info.questions} questions, {info.configs} "
                              f"configurations ({info.split}), {info.missing_cells} missing cells.")
            st.session_state["_osca_import"] = {"notes": list(res.notes), "roles": info.role_lines(),
                                                "missing_samples": res.missing_samples, "name": info.name}
            st.session_state[UPLOAD_ROUND] = st.session_state.get(UPLOAD_ROUND, 0) + 1
            st.rerun()


def _import_report() -> None:
    """The last import's notes, column roles and samples without a score (shown once, after its rerun)."""
    rep = st.session_state.pop("_osca_import", None)
    if not rep:
        return
    with st.container(border=True):
        st.page_link("pages/curves.py", label=f"Open {rep['name']} in Curves", icon=":material/show_chart:",
                     query_params={"dataset": rep["name"]})
        if rep["missing_samples"]:
            st.caption(f"{rep['missing_samples']} samples announced by the logs hold no score (left out as missing).")
        for note in rep["notes"]:
            st.caption(ui.text(note))
        if rep["roles"]:
            st.markdown("**Column roles**")
            st.code("\n".join(rep["roles"]), language=None)


def _coverage(rows) -> None:
    st.subheader("Coverage", anchor=False)
    names = [r.name for r in rows]
    pick = st.selectbox("Dataset", names, key="cov_name")
    info = next(r for r in rows if r.name == pick)
    df = data.coverage(info.name, info.checksum)
    st.caption(ui.text(f"{info.name}: {info.missing_cells} missing cells; coverage is the share of questions a "
                       f"configuration was run on (n > 0)." + (f" Cost per sample from column {info.cost_column}."
                                                               if info.cost_column else "")))
    note = data.missing_note(info.name, info.checksum)
    if note:
        st.caption(ui.text("Analyses: " + note))
    st.dataframe(df, hide_index=True, width="stretch",
                 column_config={"coverage": st.column_config.ProgressColumn("coverage", min_value=0.0,
                                                                            max_value=1.0, format="percent")})


def _release() -> None:
    st.subheader("The OSCA release", anchor=False)
    st.caption("Downloads the two released logs (SWE-bench Lite with Agentless, BigCodeBench hard), checks "
               "their sha256 and stores them as osca-swebench and osca-bigcodebench."
               + (" Mirror: $OSCA_RELEASE_MIRROR." if data.mirror() else ""))
    if st.button("Fetch the release", key="fetch_btn", icon=":material/cloud_download:"):
        bar = st.progress(0.0, text="Fetching ...")
        try:
            infos = data.fetch(bar)
        except InputError as e:
            bar.empty()
            ui.error(e)
        else:
            data.bump()
            _flash("success", "Fetched " + ", ".join(i.name for i in infos) + ".")
            st.rerun()
    if st.button("Generate the synthetic demo", key="demo_btn", icon=":material/science:"):
        try:
            # the rule of `osca demo`: an existing name only when ticked; the write checked and logged with its user
            data.save_demo(replace=bool(st.session_state.get("import_replace")))
        except (ImportError, InputError) as e:
            ui.error(e)
        else:
            data.bump()
            _flash("success", "Stored the synthetic demo dataset.")
            st.rerun()


def _remove(rows) -> None:
    st.subheader("Remove a dataset", anchor=False)
    c1, c2, c3 = st.columns([3, 2, 1], vertical_alignment="bottom")
    victim = c1.selectbox("Dataset to remove", [r.name for r in rows], key="remove_name")
    sure = c2.checkbox("Yes, remove it", key="remove_sure")
    if c3.button("Remove", disabled=not sure, key="remove_btn", icon=":material/delete:"):
        try:
            data.remove_dataset(victim)
        except InputError as e:
            ui.error(e)
        else:
            data.bump()
            st.session_state.pop("remove_sure", None)
            _flash("success", f"Removed {victim}.")
            st.rerun()


def _remove_own(rows) -> None:
    st.subheader("Remove one of your datasets", anchor=False)
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    victim = c1.selectbox("Your dataset", [r.name for r in rows], key="remove_own_name")
    if c2.button("Remove", key="remove_own_btn", icon=":material/delete:"):
        try:
            visitors.remove(victim)
        except InputError as e:
            ui.error(e)
        else:
            _flash("success", f"Removed {victim}.")
            st.rerun()


def _sign_in(acc) -> None:
    """Beyond loopback with sign-in configured: who is signed in, and the button to sign in or out."""
    if not acc.sign_in:
        return
    user = st.user
    if user.is_logged_in:
        st.caption(ui.text(f"Signed in as {user.get('email')}: not on the editors' list, so the shared store is "
                           "read-only for you."))
        if st.button("Sign out", key="logout_btn"):
            st.logout()
    else:
        st.caption("Editors sign in to import, replace or remove shared datasets.")
        if st.button("Sign in to edit", key="login_btn", icon=":material/login:"):
            provider = serving.auth_providers(data.secrets())[0]
            st.login(None if provider == "default" else provider)


def _damaged() -> bool:
    """On a damaged store (its one line is already shown above the page): the button that moves it aside."""
    if data.damage() is None:
        return False
    st.caption("The store file cannot be read. Moving it aside renames it (nothing is deleted), so that a new, "
               "empty store is created; then fetch the release or import your logs again.")
    if st.button("Move the damaged store aside and start a new one", type="primary", key="move_aside_btn",
                 icon=":material/drive_file_move:"):
        try:
            moved = data.move_store_aside()
        except InputError as e:
            ui.error(e)
        else:
            _flash("success", f"Moved the damaged store to {moved}." if moved else "There was no store file.")
            st.rerun()
    return True


def visitor_page(acc) -> None:
    """The Data page of a session that may not write to the shared store."""
    _show_flash()
    _sign_in(acc)
    _import_report()
    rows = data.datasets()
    _listing(rows)
    with st.container(border=True):
        _upload(own=True)
    mine = data.own_datasets()
    if rows:
        with st.container(border=True):
            _coverage(rows)
    if mine:
        with st.container(border=True):
            _remove_own(mine)


def data_page() -> None:
    acc = data.access()
    if not acc.can_write:
        visitor_page(acc)
        return
    _show_flash()
    if acc.user != "local":
        st.caption(ui.text(f"Signed in as {acc.user} (editor); every write is logged with your e-mail."))
    if _damaged():
        return
    _import_report()
    rows = data.datasets()
    _listing(rows)
    left, right = st.columns(2)
    with left.container(border=True):
        _upload()
    with right.container(border=True):
        _release()
    if rows:
        with st.container(border=True):
            _coverage(rows)
        with st.container(border=True):
            _remove(rows)


_shell.serve("Data", data_page, __name__, view=False)
