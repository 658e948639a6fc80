"""Output paths that cannot hurt (osca_core.outfile): no command writes onto the store, through a planted
symlink, or over an existing file without --force; every refusal is one line, exit 2, and the store's files stay
byte-identical. The refusal lines are the ones issue 28 asks for."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from storecheck import snapshot

from osca_core import outfile
from osca_core.cli import main
from osca_core.data.importers import import_paths
from osca_core.data.store import Store
from osca_core.errors import InputError


def _store_bytes(home: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(home.iterdir()) if p.is_file()}


@pytest.fixture()
def home(osca_home, tmp_path) -> Path:
    (tmp_path / "s.csv").write_text("question_id,config,correct\nq1,a,1\nq1,b,0\nq2,a,1\nq2,b,1\n")
    import_paths(Store.open(), [tmp_path / "s.csv"], name="keep")
    return osca_home


def _refused(capsys, argv: list[str]) -> str:
    rc = main(argv)
    out, err = capsys.readouterr()
    assert rc == 2 and out == "" and err.count("\n") == 1 and "Traceback" not in err, (rc, out, err)
    return err.removeprefix("osca: error: ").rstrip("\n")


@pytest.mark.parametrize("target", ["osca.duckdb", "osca.duckdb.wal", "link-to-store.csv"])
@pytest.mark.parametrize("command", [
    ["export", "--dataset", "keep", "--force", "--out"],
    ["aggregate", "{lake}", "--force", "--out"],
    ["figure", "curves", "--dataset", "keep", "--budgets", "1-2", "--bootstrap", "0", "--force", "--out"],
    ["report", "--dataset", "keep", "--budgets", "1-2", "--bootstrap", "0", "--force", "--out"],
])
def test_no_output_lands_on_the_store_even_with_force_or_through_a_symlink(home, tmp_path, capsys, command, target):
    (home / "osca.duckdb.wal").write_bytes(b"")  # as if a write were under way
    link = tmp_path / "link-to-store.csv"
    link.symlink_to(home / "osca.duckdb")
    out = str(link if target.startswith("link") else home / target)
    before, files = snapshot(home), _store_bytes(home)
    argv = [a.replace("{lake}", str(tmp_path)) for a in command] + [out]
    msg = _refused(capsys, argv)
    assert msg == f"--out {out}: is the studio's store ({home / 'osca.duckdb'}); give another file"
    assert _store_bytes(home) == files and snapshot(home) == before


def test_export_never_follows_a_planted_part_symlink_and_replaces_only_with_force(home, tmp_path, capsys):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    out = tmp_path / "exp.csv"
    (tmp_path / "exp.csv.part").symlink_to(victim)
    files = _store_bytes(home)
    assert main(["export", "--dataset", "keep", "--out", str(out)]) == 0
    capsys.readouterr()
    assert victim.read_text() == "precious\n" and out.read_text().startswith("\"question_id\",\"config\",\"n_samples\"")
    first = out.read_bytes()
    out.write_text("an unrelated file\n")
    assert _refused(capsys, ["export", "--dataset", "keep", "--out", str(out)]) == \
        f"--out {out}: the file exists; pass --force to replace it"
    assert out.read_text() == "an unrelated file\n"
    assert main(["export", "--dataset", "keep", "--out", str(out), "--force"]) == 0
    assert out.read_bytes() == first and _store_bytes(home) == files
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no temporary file left


def test_report_replaces_an_existing_file_only_with_force(home, tmp_path, capsys):
    out = tmp_path / "r.html"
    out.write_text("my notes\n")
    args = ["report", "--dataset", "keep", "--budgets", "1-2", "--bootstrap", "0", "--out", str(out)]
    assert _refused(capsys, args) == f"--out {out}: the file exists; pass --force to replace it"
    assert out.read_text() == "my notes\n"
    assert main([*args, "--force"]) == 0 and out.read_text().startswith("<!DOCTYPE html>")


def test_a_file_appearing_after_the_check_is_not_replaced(tmp_path):
    """The move is a hard link without --force: a file created between the check and the write survives."""
    dest = outfile.check(tmp_path / "x.csv")
    dest.write_text("raced\n")
    with pytest.raises(InputError, match=r"the file exists; pass --force"):
        outfile.write_bytes(dest, b"new")
    assert dest.read_text() == "raced\n" and os.listdir(tmp_path) == ["x.csv"]
    outfile.write_bytes(dest, b"new", force=True)
    assert dest.read_bytes() == b"new" and os.listdir(tmp_path) == ["x.csv"]


@pytest.mark.parametrize("target, want", [
    ("folder", "is a folder; give a file name"), ("/dev/null", "is not a regular file (a device, FIFO or socket); give a file name"),
    ("nowhere/x.csv", "folder {tmp}/nowhere does not exist")])
def test_outputs_that_are_not_files_are_refused_by_name(tmp_path, target, want):
    (tmp_path / "folder").mkdir()
    path = target if target.startswith("/") else str(tmp_path / target)
    with pytest.raises(InputError) as e:
        outfile.check(path, force=True)
    assert str(e.value) == f"--out {path}: {want.format(tmp=tmp_path)}"


def test_demo_follows_the_replace_rule_of_imports(home, capsys):
    before = snapshot(home)
    assert _refused(capsys, ["demo", "--name", "keep", "--questions", "20", "--configs", "3"]) == \
        "dataset 'keep' already exists; pass --replace to replace it (or osca remove keep first)"
    assert snapshot(home) == before
    assert main(["demo", "--name", "keep", "--questions", "20", "--configs", "3", "--replace"]) == 0
    assert Store.open().load_matrix("keep").synthetic
