"""Data: the datasets in the store; import a file by upload, fetch the OSCA release, generate the synthetic demo,
remove a dataset. A bad file gets the importer's one-line message and leaves the store as it was."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from osca_core import store
from osca_core.errors import InputError
from pages import _common as ui

FORMATS = ("auto", "osca", "long", "lcb")


def _flash(kind: str, msg: str) -> None:
    st.session_state["_osca_flash"] = (kind, msg)


def _show_flash() -> None:
    kind, msg = st.session_state.pop("_osca_flash", (None, None))
    if kind == "success":
        st.success(ui.text(msg), icon=":material/check_circle:")
    elif kind == "error":
        ui.error(msg)


def data_page() -> None:
    st.title("Data")
    ui.view("data")
    _show_flash()
    rows = ui.datasets()
    if rows:
        df = pd.DataFrame([r.__dict__ for r in rows])
        df["checksum"] = df["checksum"].str[:12]
        st.dataframe(df, hide_index=True, width="stretch",
                     column_config={"synthetic": st.column_config.CheckboxColumn()})
    else:
        st.info("No datasets yet.")

    left, right = st.columns(2)
    with left.container(border=True):
        st.subheader("Import a file", anchor=False)
        st.caption(f"The OSCA release layout (JSON), per-sample or aggregated rows (CSV, Parquet, JSON lines) or "
                   f"a LiveCodeBench eval file. Up to {ui.UPLOAD_LIMIT_MB} MB per file.")
        up = st.file_uploader("Log file", type=["json", "jsonl", "csv", "parquet"], key="upload",
                              max_upload_size=ui.UPLOAD_LIMIT_MB)
        c1, c2 = st.columns(2)
        name = c1.text_input("Dataset name", key="import_name", placeholder="from the file name")
        fmt = c2.selectbox("Format", FORMATS, key="import_format")
        if st.button("Import", type="primary", disabled=up is None, key="import_btn"):
            try:
                from osca_core.importers import import_bytes

                with store.Store.open() as s:
                    info = import_bytes(s, up.name, up.getvalue(), format=None if fmt == "auto" else fmt,
                                        name=name.strip() or None)
            except InputError as e:
                ui.error(e)
            else:
                ui.bump()
                _flash("success", f"Imported {info.name}: {info.questions} questions, {info.configs} "
                                  f"configurations ({info.split}).")
                st.rerun()
    with right.container(border=True):
        st.subheader("The OSCA release", anchor=False)
        st.caption("Downloads the two released logs (SWE-bench Lite with Agentless, BigCodeBench hard), checks "
                   "their sha256 and stores them as osca-swebench and osca-bigcodebench."
                   + (" Mirror: $OSCA_RELEASE_MIRROR." if ui.mirror() else ""))
        if st.button("Fetch the release", key="fetch_btn", icon=":material/cloud_download:"):
            bar = st.progress(0.0, text="Fetching ...")
            try:
                infos = ui.fetch(bar)
            except InputError as e:
                bar.empty()
                ui.error(e)
            else:
                ui.bump()
                _flash("success", "Fetched " + ", ".join(i.name for i in infos) + ".")
                st.rerun()
        if st.button("Generate the synthetic demo", key="demo_btn", icon=":material/science:"):
            try:
                with store.Store.open() as s:
                    ui.save_demo(s)
            except (ImportError, InputError) as e:
                ui.error(e)
            else:
                ui.bump()
                _flash("success", "Stored the synthetic demo dataset.")
                st.rerun()
    if rows:
        with st.container(border=True):
            st.subheader("Remove a dataset", anchor=False)
            c1, c2, c3 = st.columns([3, 2, 1], vertical_alignment="bottom")
            victim = c1.selectbox("Dataset to remove", [r.name for r in rows], key="remove_name")
            sure = c2.checkbox("Yes, remove it", key="remove_sure")
            if c3.button("Remove", disabled=not sure, key="remove_btn", icon=":material/delete:"):
                try:
                    with store.Store.open() as s:
                        s.remove(victim)
                except InputError as e:
                    ui.error(e)
                else:
                    ui.bump()
                    st.session_state.pop("remove_sure", None)
                    _flash("success", f"Removed {victim}.")
                    st.rerun()


data_page()
