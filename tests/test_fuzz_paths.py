"""Fuzzing folders and output paths (issue 28): hypothesis-generated folders (nested, symlinks to other files,
unreadable files and subfolders, copies of a run, empty and hidden files) imported through the CLI, and hostile
``--out`` paths (the store and its WAL, symlinks to the store or to an unrelated file, existing files, planted
``.part`` symlinks, dangling symlinks, folders, missing folders) given to ``osca export``.

The oracle: a folder imports with every configuration it holds counted exactly once (every cell n = 1, as
written), or it is refused in one line (exit 2, nothing on stdout, no traceback) naming the offending path, and
the store's files are byte-identical after every refusal. An output lands only where asked, replaces an
existing file only with ``--force`` (a symlink is replaced, never written through), never touches the store or
the file behind a symlink, and leaves no temporary file. The tests run as root, so permission errors are
injected (``os.scandir`` and ``Path.open``). Example counts stay small (``OSCA_FUZZ_SCALE`` multiplies them).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import tempfile
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from osca_core.cli import main
from osca_core.data.importers import import_paths
from osca_core.data.store import Store

SCALE = int(os.environ.get("OSCA_FUZZ_SCALE", "1"))  # as in test_fuzz_importers: a deeper campaign with 10
FUZZ = settings(deadline=None, max_examples=12 * SCALE, print_blob=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
DIRS = ("", "a", "b", "a/c")
KINDS = ("log", "log", "log", "copy", "copy-first", "link", "link", "empty", "hidden", "unreadable-file", "unreadable-dir", "not-a-log")


def _bytes_of(home: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(home.iterdir()) if p.is_file()}


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(argv)
    return rc, out.getvalue(), err.getvalue()


@pytest.fixture()
def keeper_home(osca_home, tmp_path) -> Path:
    (tmp_path / "k.csv").write_text("question_id,config,correct\nq1,k,1\nq2,k,0\n")
    import_paths(Store.open(), [tmp_path / "k.csv"], name="keeper")
    return osca_home


def _build(root: Path, entries: list[tuple[str, str]]) -> dict:
    """Write the folder: one entry per (folder, kind); returns what the oracle needs."""
    logs, links, locked_dirs, locked_files = {}, [], [], []
    for k, (folder, kind) in enumerate([("", "log"), *entries]):
        d = root / folder
        d.mkdir(parents=True, exist_ok=True)
        if kind == "log":
            cfg = f"c{k}"
            (d / f"{cfg}.csv").write_text(f"question_id,config,correct\nq1,{cfg},1\nq2,{cfg},0\n")
            logs[cfg] = d / f"{cfg}.csv"
        elif kind in ("copy", "copy-first") and logs:  # a copy of a run: same name, same bytes, in another
            src = list(logs.values())[k % len(logs)]  # folder sorted after the run's or (copy-first) before it
            dest = root / ("copies" if kind == "copy" else "0copies") / folder / src.name
            if not dest.exists() and dest != src:
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(src.read_bytes())
        elif kind == "link" and logs:
            (d / f"link{k}.csv").symlink_to(list(logs.values())[k % len(logs)])
            links.append(d / f"link{k}.csv")
        elif kind == "empty":
            (d / f"empty{k}.csv").write_text("")
        elif kind == "hidden":
            (d / ".hidden").mkdir(exist_ok=True)
            (d / ".hidden" / f"h{k}.csv").write_text("question_id,config,correct\nq1,hidden,1\n")
        elif kind == "unreadable-file":
            (d / f"locked{k}.csv").write_text("question_id,config,correct\nq1,locked,1\n")
            locked_files.append(d / f"locked{k}.csv")
        elif kind == "unreadable-dir":
            (d / f"locked{k}").mkdir()
            (d / f"locked{k}" / "s.csv").write_text("question_id,config,correct\nq1,lockeddir,1\n")
            locked_dirs.append(d / f"locked{k}")
        elif kind == "not-a-log":
            (d / f"notes{k}.txt").write_text("not a log\n")
    return {"logs": logs, "links": links, "locked_dirs": locked_dirs, "locked_files": locked_files}


@FUZZ
@example(entries=[("", "copy-first"), ("", "link")])  # found: a link to a run whose copy sorts first was counted
@example(entries=[("a", "log"), ("a", "unreadable-dir"), ("", "link"), ("b", "unreadable-file")])
@given(entries=st.lists(st.tuples(st.sampled_from(DIRS), st.sampled_from(KINDS)), max_size=8))
def test_generated_folders_import_each_configuration_once_or_are_refused_naming_the_path(keeper_home, entries):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "logs"
        built = _build(root, entries)
        locked_dirs = {str(p) for p in built["locked_dirs"]}
        locked_files = {str(p) for p in built["locked_files"]}
        real_scandir, real_open = os.scandir, Path.open

        def scandir(path="."):
            if not isinstance(path, int) and os.fspath(path) in locked_dirs:  # (rmtree lists by descriptor)
                raise PermissionError(13, "Permission denied", os.fspath(path))
            return real_scandir(path)

        def no_read(self, *a, **k):
            if str(self) in locked_files:
                raise PermissionError(13, "Permission denied", str(self))
            return real_open(self, *a, **k)

        before = _bytes_of(keeper_home)
        with mock.patch.object(os, "scandir", scandir), mock.patch.object(Path, "open", no_read):
            rc, out, err = _run(["import", str(root), "--name", "victim", "--replace", "--json"])
        if rc == 2:
            assert out == "" and err.count("\n") == 1 and "Traceback" not in err, err
            line = err.removeprefix("osca: error: ").rstrip("\n")
            assert _bytes_of(keeper_home) == before
            if locked_dirs:
                assert any(line == f"{d}: cannot read this folder (Permission denied)" for d in locked_dirs), line
            elif locked_files:
                assert any(line == f"{f}: cannot read (Permission denied)" for f in locked_files), line
            else:
                m = re.fullmatch(r"(.+): the same file as (.+) \(symlinks resolved\); give each file once", line)
                assert m and Path(m[1]).resolve() == Path(m[2]).resolve() and built["links"], line
            return
        assert rc == 0 and not locked_dirs and not locked_files, (rc, err)
        mat = Store.open(read_only=True).load_matrix("victim")
        assert sorted(mat.config_names) == sorted(built["logs"])  # nothing hidden, locked or a copy came in
        assert mat.n.tolist() == [[1] * len(built["logs"])] * 2  # every cell once: nothing counted twice
        assert mat.c.tolist() == [[1] * len(built["logs"]), [0] * len(built["logs"])]


OUT_KINDS = ("new", "existing", "store", "store-wal", "link-to-store", "link-to-victim", "dangling-link",
             "planted-part", "folder", "missing-folder")


@FUZZ
@given(kind=st.sampled_from(OUT_KINDS), force=st.booleans(), name=st.sampled_from(["exp.csv", "e x.csv", "-x.csv"]))
def test_hostile_out_paths_never_touch_the_store_or_a_file_behind_a_link(keeper_home, kind, force, name):
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        victim = t / "victim.txt"
        victim.write_text("precious\n")
        (keeper_home / "osca.duckdb.wal").write_bytes(b"")
        out = {"store": keeper_home / "osca.duckdb", "store-wal": keeper_home / "osca.duckdb.wal",
               "folder": t / "dir.csv", "missing-folder": t / "nowhere" / name}.get(kind, t / name)
        if kind == "existing":
            out.write_text("an unrelated file\n")
        elif kind == "link-to-store":
            out.symlink_to(keeper_home / "osca.duckdb")
        elif kind == "link-to-victim":
            out.symlink_to(victim)
        elif kind == "dangling-link":
            out.symlink_to(t / "gone.csv")
        elif kind == "planted-part":
            Path(f"{out}.part").symlink_to(victim)
        elif kind == "folder":
            out.mkdir()
        before, listing = _bytes_of(keeper_home), sorted(os.listdir(t))
        rc, stdout, err = _run(["export", "--dataset", "keeper", "--out", str(out)] + ["--force"] * force)
        assert _bytes_of(keeper_home) == before and victim.read_text() == "precious\n"
        assert not [p for p in os.listdir(t) if p.endswith(".tmp")]  # no temporary file left
        refused = {"store": "is the studio's store", "store-wal": "is the studio's store",
                   "link-to-store": "is the studio's store", "folder": "is a folder; give a file name",
                   "missing-folder": f"folder {t / 'nowhere'} does not exist"}
        exists = kind in ("existing", "link-to-victim", "dangling-link")
        if kind in refused or (exists and not force):
            want = refused.get(kind, "the file exists; pass --force to replace it")
            assert rc == 2 and stdout == "" and err.count("\n") == 1 and "Traceback" not in err, err
            assert err.startswith(f"osca: error: --out {out}: {want}"), err
            assert sorted(os.listdir(t)) == listing
            return
        assert rc == 0, err
        assert not out.is_symlink() and out.read_text().startswith('"question_id","config","n_samples"')
