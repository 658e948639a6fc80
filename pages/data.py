"""Data: the datasets in the store; import a file by upload (under an existing name only with "replace" ticked),
fetch the OSCA release, generate the synthetic demo, remove a dataset. A bad file gets the importer's one-line
message and leaves the store as it was."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from osca_core.errors import InputError
from pages import _access as data
from pages import _render as ui
from pages import _shell

FORMATS = ("auto", "osca", "long", "lcb")


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


def _upload() -> None:
    st.subheader("Import a file", anchor=False)
    st.caption(f"The OSCA release layout (JSON), per-sample or aggregated rows (CSV, Parquet, JSON lines) or "
               f"a LiveCodeBench eval file. Up to {data.UPLOAD_LIMIT_MB} MB per file.")
    up = st.file_uploader("Log file", type=["json", "jsonl", "csv", "parquet"], key="upload",
                          max_upload_size=data.UPLOAD_LIMIT_MB)
    c1, c2 = st.columns(2)
    name = c1.text_input("Dataset name", key="import_name", placeholder="from the file name")
    fmt = c2.selectbox("Format", FORMATS, key="import_format")
    replace = st.checkbox("Replace an existing dataset of the same name", key="import_replace",
                          help="Without it, an upload under a name already stored is refused.")
    if st.button("Import", type="primary", disabled=up is None, key="import_btn"):
        try:
            info = data.import_upload(up.name, up.getvalue(), format=None if fmt == "auto" else fmt,
                                      name=name.strip() or None, replace=replace)
        except InputError as e:
            ui.error(e)
        else:
            data.bump()
            st.session_state.pop("import_replace", None)
            _flash("success", f"Imported {info.name}: {info.questions} questions, {info.configs} "
                              f"configurations ({info.split}).")
            st.rerun()


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
            data.save_demo()
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


def data_page() -> None:
    _show_flash()
    rows = data.datasets()
    _listing(rows)
    left, right = st.columns(2)
    with left.container(border=True):
        _upload()
    with right.container(border=True):
        _release()
    if rows:
        with st.container(border=True):
            _remove(rows)


_shell.serve("Data", data_page, view=False)
