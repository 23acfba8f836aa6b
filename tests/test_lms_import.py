"""Does an LMS download reach the gradebook whole: every file imported or set aside with a reason, late work
penalised, every roster student exported? (autograder.lms_import, then grading and lms_export)"""
from __future__ import annotations

import csv
import stat
import zipfile
from datetime import datetime, timezone

import nbformat
import pytest
from conftest import require_sandbox

from autograder import csv_safe, demo, lms_import, pipeline
from autograder.__main__ import main
from autograder.roster import Roster

L = "01_derivatives"
ROSTER = ("id,name,email,section,lms_id\n"
          "s1,Ada Lovelace,ada@uni.edu,A,101\n"
          "s2,Alan Turing,alan@uni.edu,A,102\n"
          "s3,Grace Hopper,grace@uni.edu,B,103\n"
          "s4,Emmy Noether,emmy@uni.edu,B,104\n")
DUE = ('[policy]\ngrace_minutes = 15\npercent_per_day = 10\nmax_percent = 50\n\n'
       f'[lessons.{L}]\ndue = 2027-01-20T12:00:00Z\n')
ON_TIME, EARLIER, LATE = (2027, 1, 20, 9, 0, 0), (2027, 1, 18, 9, 0, 0), (2027, 1, 21, 18, 0, 0)  # late: 30 h


def notebook(correct: bool) -> bytes:
    nb = demo.submission(L, demo.solution_sources(L) if correct else {})
    return nbformat.writes(nb).encode()


def put(zf: zipfile.ZipFile, name: str, data: bytes, when=ON_TIME) -> None:
    zf.writestr(zipfile.ZipInfo(name, date_time=when), data)


@pytest.fixture(scope="module")
def roster(tmp_path_factory):
    path = tmp_path_factory.mktemp("term") / "roster.csv"
    path.write_text(ROSTER)
    return path


def canvas_zip(path, correct: bytes, blank: bytes):
    """Ada on time; Alan twice (a correct one, then a blank one that wins); Grace late; a stranger; odd files."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        put(zf, f"lovelaceada_101_5001_{L}.ipynb", correct)
        put(zf, f"turingalan_102_5002_{L}.ipynb", correct, EARLIER)
        put(zf, f"turingalan_102_5010_{L}-1.ipynb", blank)
        put(zf, f"submissions/hoppergrace_late_103_5003_{L}.ipynb", correct, LATE)  # a nested folder too
        put(zf, f"nobodyx_999_5004_{L}.ipynb", correct)
        put(zf, "lovelaceada_101_5005_notes.pdf", b"%PDF-1.4")
        put(zf, "README.txt", b"downloaded from Canvas")
    return path


@pytest.fixture(scope="module")
def graded(tmp_path_factory, roster):
    """One import and one grading run (lesson 01, three students) that every test below reads."""
    require_sandbox()
    root = tmp_path_factory.mktemp("lms")
    instructor, subs = root / "instructor", root / "submissions"
    (instructor).mkdir()
    (instructor / "term.toml").write_text(DUE)  # found by default, as the roster is given
    archive = canvas_zip(root / "canvas.zip", notebook(True), notebook(False))
    status = main(["import", str(archive), "--roster", str(roster), "--into", str(subs),
                   "--instructor", str(instructor)])
    run = pipeline.grade(subs, instructor, cell_timeout=10, workers=1, progress=False, roster=roster)
    print("grading time:", run.timings)
    return status, run, instructor, subs


def read(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return [[csv_safe.restore(c) for c in row] for row in csv.reader(fh)]


MAX = sum(demo.graded_tasks(L).values())


@pytest.mark.slow
def test_every_file_of_the_download_is_imported_or_set_aside_with_a_reason(graded):
    status, _, instructor, subs = graded
    log = {r[1].split(":", 1)[1]: r for r in read(instructor / "import" / "log.csv")[1:]}
    assert status == 1  # some files were set aside
    assert sorted(p.parent.parent.name for p in subs.glob(f"*/{L}/{L}.ipynb")) == ["s1", "s2", "s3"]
    assert log[f"turingalan_102_5002_{L}.ipynb"][4] == "superseded"
    assert f"turingalan_102_5010_{L}-1.ipynb" in log[f"turingalan_102_5002_{L}.ipynb"][6]
    assert "no roster entry" in log[f"nobodyx_999_5004_{L}.ipynb"][6]
    assert "not a notebook" in log["lovelaceada_101_5005_notes.pdf"][6]
    assert "fits neither" in log["README.txt"][6]
    assert "marked late by Canvas" in log[f"submissions/hoppergrace_late_103_5003_{L}.ipynb"][6]
    kept = {p.name.split("-", 1)[1] for p in (instructor / "import" / "set_aside").iterdir()}
    assert kept == {f"nobodyx_999_5004_{L}.ipynb", "lovelaceada_101_5005_notes.pdf", "README.txt"}  # nothing lost
    assert len(list((instructor / "import" / "superseded" / "s2" / L).iterdir())) == 1


@pytest.mark.slow
def test_the_submission_time_travels_from_the_zip_to_the_lateness_report(graded):
    _, _, instructor, subs = graded
    assert (subs / "s3" / L / "timestamp.txt").read_text() == "2027-01-21 18:00:00.000000 UTC"
    row = next(r for r in read(instructor / "report" / "lateness.csv") if r[0] == "s3")
    assert row[4:9] == ["30.00", "2", "20", f"{MAX:g}", f"{MAX * 0.8:g}"]


@pytest.mark.slow
def test_the_newest_version_is_graded_and_its_zero_is_a_real_zero(graded):
    _, run, instructor, _ = graded
    assert run.failures == [] and run.rejected == []
    rows = {r[0]: r for r in read(instructor / "grades_roster.csv")[1:]}
    header = read(instructor / "grades_roster.csv")[0]
    at = header.index(f"{L} status")
    assert rows["s2"][at - 2:at + 1] == ["0", "0", "graded, on time"]
    assert rows["s4"][at - 2:at + 1] == ["", "", "not submitted"]
    assert rows["s3"][at - 2:at + 1] == [f"{MAX * 0.8:g}", f"{MAX:g}", f"graded, 2 days late (-20%): {MAX:g} -> "
                                                                       f"{MAX * 0.8:g}"]


@pytest.mark.slow
def test_canvas_and_the_lms_csv_get_the_penalised_total_with_the_raw_one_beside(graded):
    _, _, instructor, _ = graded
    canvas = read(instructor / "grades_canvas.csv")
    assert canvas[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", L]
    assert {r[2]: r[5] for r in canvas[2:]} == {"s1": f"{MAX:g}", "s2": "0", "s3": f"{MAX * 0.8:g}", "s4": ""}
    lms = {r[0]: r for r in read(instructor / "grades_lms.csv")}
    assert lms["student"][-2:] == ["total", "total before late penalty"]
    assert lms["s3"][-2:] == [f"{MAX * 0.8:g}", f"{MAX:g}"]


# -- the import alone, no grading ---------------------------------------------------------------------------

def test_zip_tricks_are_refused_and_nothing_is_written_outside(tmp_path, roster):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        put(zf, f"/tmp/lovelaceada_101_1_{L}.ipynb", b"{}")
        put(zf, f"../lovelaceada_101_2_{L}.ipynb", b"{}")
        link = zipfile.ZipInfo(f"lovelaceada_101_3_{L}.ipynb", date_time=ON_TIME)
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "/etc/passwd")
        put(zf, f"lovelaceada_101_4_{L}.ipynb", b"\0" * (60 * 2**20))  # 60 MB of zeros: about 60 kB zipped
    into, instructor = tmp_path / "subs", tmp_path / "instructor"
    report = lms_import.import_sources([archive], Roster.load(roster), into, instructor)
    reasons = [o.reason for o in report.outcomes]
    assert [o.status for o in report.outcomes] == ["set aside"] * 4
    assert "absolute path" in reasons[0] and "leaving the folder" in reasons[1]
    assert "symbolic link" in reasons[2] and "larger than 50 MB" in reasons[3]
    assert not into.exists() and not (tmp_path / f"lovelaceada_101_2_{L}.ipynb").exists()


def test_a_download_larger_than_the_archive_cap_stops_being_read_at_the_cap(tmp_path, roster, monkeypatch):
    monkeypatch.setattr(lms_import, "MAX_TOTAL_BYTES", 6000)
    with zipfile.ZipFile(tmp_path / "big.zip", "w") as zf:
        put(zf, f"lovelaceada_101_1_{L}.ipynb", b"x" * 5000)
        put(zf, f"turingalan_102_2_{L}.ipynb", b"y" * 5000)
    report = lms_import.import_sources([tmp_path / "big.zip"], Roster.load(roster), tmp_path / "s", tmp_path / "i")
    assert [(o.student, o.status) for o in report.outcomes] == [("", "set aside"), ("s1", "imported")]
    assert "archive's cap" in report.outcomes[0].reason


def test_moodle_folders_and_prefixes_and_a_second_import(tmp_path, roster):
    archive = tmp_path / "moodle.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        put(zf, f"Ada Lovelace_77_assignsubmission_file_/{L}.ipynb", notebook(False))
        put(zf, f"Grace Hopper_78_assignsubmission_file_{L}.ipynb", notebook(False), LATE)
        put(zf, f"Someone Else_79_assignsubmission_file_{L}.ipynb", notebook(False))
    into, instructor = tmp_path / "subs", tmp_path / "instructor"
    first = lms_import.import_sources([archive], Roster.load(roster), into, instructor)
    assert [(o.student, o.status) for o in first.outcomes] == [("", "set aside"), ("s1", "imported"),
                                                               ("s3", "imported")]
    again = lms_import.import_sources([archive], Roster.load(roster), into, instructor)
    assert [o.status for o in again.outcomes if o.student] == ["unchanged", "unchanged"]


def test_nbgrader_s_exchange_keeps_its_timestamp(tmp_path, roster):
    inbound = tmp_path / "exchange" / "course" / "inbound"
    (inbound / f"s1+{L}+2027-01-20 11:00:00.000000 UTC+abc").mkdir(parents=True)
    (inbound / f"s1+{L}+2027-01-20 11:00:00.000000 UTC+abc" / f"{L}.ipynb").write_bytes(notebook(False))
    (inbound / f"s2+{L}+2027-01-19 11:00:00.000000 UTC+def").mkdir()
    (inbound / f"s2+{L}+2027-01-19 11:00:00.000000 UTC+def" / "mine.ipynb").write_bytes(notebook(False))
    submitted = tmp_path / "submitted" / "s3" / L
    submitted.mkdir(parents=True)
    (submitted / f"{L}.ipynb").write_bytes(notebook(False))
    (submitted / "timestamp.txt").write_text("2027-01-22 08:00:00.000000 UTC")
    into = tmp_path / "subs"
    report = lms_import.import_sources([tmp_path / "exchange" / "course", tmp_path / "submitted"],
                                       Roster.load(roster), into, tmp_path / "instructor")
    got = {o.student: (o.status, o.submitted) for o in report.outcomes}
    assert got["s1"] == ("imported", datetime(2027, 1, 20, 11, tzinfo=timezone.utc))
    assert got["s3"] == ("imported", datetime(2027, 1, 22, 8, tzinfo=timezone.utc))
    assert got["s2"][0] == "set aside" and "mine.ipynb" in next(o.reason for o in report.outcomes
                                                                if o.student == "s2")
    assert (into / "s3" / L / "timestamp.txt").read_text() == "2027-01-22 08:00:00.000000 UTC"


def test_a_later_download_replaces_an_earlier_import_and_an_older_one_does_not(tmp_path, roster):
    def download(name, data, when):
        with zipfile.ZipFile(tmp_path / name, "w") as zf:
            put(zf, f"lovelaceada_101_{len(name)}_{L}.ipynb", data, when)
        return tmp_path / name

    first, second = notebook(False), notebook(True)
    into, instructor = tmp_path / "subs", tmp_path / "instructor"
    r = Roster.load(roster)
    lms_import.import_sources([download("monday.zip", first, EARLIER)], r, into, instructor)
    report = lms_import.import_sources([download("tuesday.zip", second, ON_TIME)], r, into, instructor)
    assert [o.status for o in report.outcomes] == ["superseded", "imported"]
    assert "replaced by tuesday.zip" in report.outcomes[0].reason
    report = lms_import.import_sources([download("monday-again.zip", first, EARLIER)], r, into, instructor)
    assert [o.status for o in report.outcomes] == ["superseded"]
    assert "older than the version already in" in report.outcomes[0].reason
    assert (into / "s1" / L / f"{L}.ipynb").read_bytes() == second
    assert len(list((instructor / "import" / "superseded" / "s1" / L).iterdir())) == 1  # the same file, kept once
