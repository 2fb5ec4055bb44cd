"""Labelling an archive: `python -m emotion label`, EmotionRecognizer.label, and the Ray path.

Fast tier: how sources expand, what a second run skips (resume keys), that a
batch is written whole or not at all, and that the library call answers as
predict() does. Slow tier, on RAVDESS clips and the real model: the
bad-input matrix inside an archive, a run killed (SIGINT, SIGKILL) and run
again against an uninterrupted one row for row, and a local Ray instance
against the single-machine path.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT
from emotion import EMOTIONS, AudioError
from emotion.__main__ import main
from emotion.__main__ import default_workers, model_threads
from emotion.archive import SourceError, expand_sources, read_manifest
from emotion.archive.results import ResultsError, open_results, rows_of, uninterrupted
from emotion.batching import Timings, label_batches
from emotion.policy import Clip, load_clip

FORMATS = (".csv", ".jsonl", ".parquet")


def touch(path: Path, data: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def read(results: Path) -> pd.DataFrame:
    """A results file as pandas reads it (not through emotion.archive.results)."""
    if results.suffix == ".csv":
        return pd.read_csv(results)
    if results.suffix == ".jsonl":
        return pd.read_json(results, lines=True, dtype=False)
    return pd.read_parquet(results)


def label_cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "emotion", "label", *args, "--device", "cpu"]


# --- Sources ------------------------------------------------------------------


def test_a_folder_gives_its_audio_files_recursively_in_a_stable_order(tmp_path):
    for name in ["b.wav", "A.FLAC", ".hidden.wav", ".git/x.wav", "sub/c.mp3", "sub/deeper/d.ogg", "notes.txt", "cover.png"]:
        touch(tmp_path / "study" / name)
    found = expand_sources([tmp_path / "study"])
    assert [Path(p).relative_to(tmp_path / "study").as_posix() for p in found] == [
        "A.FLAC", "b.wav", "sub/c.mp3", "sub/deeper/d.ogg"]


def test_globs_manifests_and_files_each_file_once(tmp_path):
    for name in ["a/1.wav", "a/2.wav", "a/b/3.wav", "a/b/4.mp3"]:
        touch(tmp_path / name)
    (tmp_path / "list.txt").write_text("# my clips\na/1.wav\n\n  a/b/4.mp3  \n" + str(tmp_path / "a/2.wav") + "\n")
    (tmp_path / "meta.csv").write_text("id,path,emotion\n7,a/b/3.wav,sad\n8,a/1.wav,calm\n")
    (tmp_path / "plain.csv").write_text("a/2.wav,x\na/b/4.mp3,y\n")
    (tmp_path / "meta.tsv").write_text("file\tspeaker\na/b/3.wav\tS1\n")
    assert read_manifest(str(tmp_path / "list.txt")) == [str(tmp_path / p) for p in ["a/1.wav", "a/b/4.mp3", "a/2.wav"]]
    assert read_manifest(str(tmp_path / "meta.csv")) == [str(tmp_path / p) for p in ["a/b/3.wav", "a/1.wav"]]
    assert read_manifest(str(tmp_path / "plain.csv")) == [str(tmp_path / p) for p in ["a/2.wav", "a/b/4.mp3"]]
    assert read_manifest(str(tmp_path / "meta.tsv")) == [str(tmp_path / "a/b/3.wav")]
    found = expand_sources([f"{tmp_path}/a/**/*.wav", tmp_path / "list.txt", tmp_path / "a/b/4.mp3", tmp_path / "meta.csv"])
    assert found == [str(tmp_path / p) for p in ["a/1.wav", "a/2.wav", "a/b/3.wav", "a/b/4.mp3"]]


def test_a_source_that_names_nothing_stops_the_command(tmp_path, capsys):
    with pytest.raises(SourceError, match="no such file or folder"):
        expand_sources([tmp_path / "missing"])
    with pytest.raises(SourceError, match="matches no file"):
        expand_sources([f"{tmp_path}/*.wav"])
    assert main(["label", str(tmp_path / "missing"), "--out", str(tmp_path / "r.csv")]) == 2
    assert "no such file or folder" in capsys.readouterr().err and not (tmp_path / "r.csv").exists()


# --- The library call -----------------------------------------------------------


def test_label_answers_each_file_as_predict_does_and_refuses_in_its_words(recognizer, example_clips, tmp_path):
    empty, text = touch(tmp_path / "empty.wav", b""), touch(tmp_path / "notes.wav", b"not audio\n" * 40)
    paths = [example_clips[0], empty, *example_clips[1:4], tmp_path / "missing.wav", text]
    done = list(recognizer.label(paths, timeline=True))
    assert [d.path for d in done] == [str(p) for p in paths]
    for d, path in zip(done, paths):
        try:
            expected = recognizer.predict(path, timeline=True)
        except AudioError as e:
            assert d.prediction is None and d.error == str(e) and d.reason
            continue
        assert d.error is None and d.label == expected.label
        assert d.probabilities == pytest.approx(expected.probabilities, abs=1e-6)
        assert [(s.start, s.end) for s in d.prediction.timeline] == [(s.start, s.end) for s in expected.timeline]
        for mine, theirs in zip(d.prediction.timeline, expected.timeline):
            assert mine.probabilities == pytest.approx(theirs.probabilities, abs=1e-6)
    assert [d.reason for d in done if d.error] == ["empty_file", "not_found", "unreadable"]


@pytest.mark.parametrize("workers", [1, 2])
def test_workers_that_answer_their_own_batches_give_what_one_process_gives(recognizer, example_clips, tmp_path, workers):
    """On a CPU each worker decodes and answers its batches with its own copy of the model: the
    same answers, in the order of the paths, refusals included, as everything in this process."""
    paths = [*example_clips[:5], tmp_path / "missing.wav", *example_clips[5:]]
    here, there = Timings(), Timings()
    alone = [d for batch in label_batches(recognizer, paths, workers=0, batch_size=3, timings=here) for d in batch]
    spread = [d for batch in label_batches(recognizer, paths, workers=workers, batch_size=3, timings=there) for d in batch]
    assert not here.in_workers and there.in_workers  # the model ran in the workers, not here
    assert there.model > 0 and there.decode > 0
    assert [d.path for d in spread] == [d.path for d in alone] == [str(p) for p in paths]
    assert [d.reason for d in spread] == [d.reason for d in alone] == [None] * 5 + ["not_found"] + [None] * (len(paths) - 6)
    for a, b in zip(alone, spread):
        assert a.label == b.label
        if a.prediction:
            assert b.probabilities == pytest.approx(a.probabilities, abs=1e-6)
            assert b.prediction.duration == a.prediction.duration and b.prediction.notes == a.prediction.notes


@pytest.mark.parametrize("cores, device, workers, threads", [
    (2, "cpu", 2, 1),  # two workers answering side by side; this process only writes
    (16, "cpu", 16, 1),
    (1, "cpu", 0, 1),  # one core: everything here, no process added
    (2, "cuda", 1, 1),  # the GPU answers; every core but one decodes
    (16, "cuda", 15, 1),
])
def test_label_picks_its_workers_and_threads_from_the_cores(cores, device, workers, threads):
    assert default_workers(cores, device) == workers
    assert model_threads(cores, device, workers) == threads
    assert model_threads(cores, "cpu", 0) == cores  # --workers 0: the model here takes every core


def test_a_clips_answer_does_not_depend_on_the_clips_it_is_batched_with(recognizer, example_clips):
    """What lets workers and Ray give the numbers one process gives. To the last bit on the AMD hosts
    this was written on; on an Intel Xeon (AVX512-BF16, 2026-12-05) oneDNN's kernels differ with the
    batch's size in the 7th digit, so the answer is the same label and probabilities within 1e-6."""
    clips = [load_clip(p) for p in example_clips]
    short = Clip(clips[2].audio[: int(2.5 * recognizer.sample_rate)])  # one window: the model computes a batch of one apart
    batch = [short, *clips]
    alone = [recognizer.predictions([c])[0].probabilities for c in batch]
    together = [p.probabilities for p in recognizer.predictions(batch)]
    backwards = [p.probabilities for p in recognizer.predictions(batch[::-1])][::-1]
    for a, t, w in zip(alone, together, backwards):
        assert max(a, key=a.get) == max(t, key=t.get) == max(w, key=w.get)
        assert t == pytest.approx(a, abs=1e-6) and w == pytest.approx(a, abs=1e-6)


# --- Results files: resume keys and atomic batches ----------------------------


@pytest.fixture(scope="module")
def labelled_examples(recognizer, example_clips, tmp_path_factory):
    folder = tmp_path_factory.mktemp("clips")
    paths = [str(shutil.copy2(p, folder)) for p in example_clips[:3]]
    return list(recognizer.label(paths, timeline=True))


@pytest.fixture
def three_labelled(labelled_examples, tmp_path):
    """Three example clips labelled (with their timelines), as copies of this test's own to change."""
    copies = [str(shutil.copy2(d.path, tmp_path)) for d in labelled_examples]  # same size and mtime
    return copies, [replace(d, path=p) for d, p in zip(labelled_examples, copies)]


@pytest.mark.parametrize("ext", FORMATS)
def test_a_second_run_skips_unchanged_files_and_redoes_changed_ones(ext, three_labelled, recognizer, tmp_path):
    paths, done = three_labelled
    results = open_results(tmp_path / f"r{ext}", recognizer.labels)
    for d in done:
        results.append(rows_of(d, recognizer.labels, timeline=False))
    assert open_results(tmp_path / f"r{ext}", recognizer.labels).pending(paths) == []
    st = os.stat(paths[1])
    os.utime(paths[1], ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # touched: done again
    again = open_results(tmp_path / f"r{ext}", recognizer.labels)
    assert again.pending([*paths, "new.wav"]) == [paths[1], "new.wav"]
    assert [r["file"] for r in read(tmp_path / f"r{ext}").to_dict("records")] == [paths[0], paths[2]]  # its old row is gone
    assert [r["file"] for r in again.read()] == [paths[0], paths[2]]


def test_content_hashing_tells_a_change_that_size_and_mtime_miss(three_labelled, recognizer, tmp_path):
    paths, done = three_labelled
    clip = Path(shutil.copy(paths[0], tmp_path / "clip.flac"))
    [d] = list(recognizer.label([clip], content_hash=True))
    assert d.sha256 and len(d.sha256) == 64
    results = open_results(tmp_path / "r.csv", recognizer.labels)
    results.append(rows_of(d, recognizer.labels))
    st = os.stat(clip)
    data = bytearray(clip.read_bytes())
    data[-100] ^= 0xFF  # same size; mtime put back
    clip.write_bytes(bytes(data))
    os.utime(clip, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert open_results(tmp_path / "r.csv", recognizer.labels).pending([str(clip)]) == []
    assert open_results(tmp_path / "r.csv", recognizer.labels).pending([str(clip)], content_hash=True) == [str(clip)]


@pytest.mark.parametrize("ext", [".csv", ".jsonl"])
def test_a_write_a_kill_cut_short_leaves_whole_clips_only(ext, three_labelled, recognizer, tmp_path):
    paths, done = three_labelled
    scratch = open_results(tmp_path / f"scratch{ext}", recognizer.labels)
    scratch.append(rows_of(done[0], recognizer.labels, timeline=True))
    first = (tmp_path / f"scratch{ext}").read_bytes()
    scratch.append(rows_of(done[1], recognizer.labels, timeline=True))
    both = (tmp_path / f"scratch{ext}").read_bytes()
    cut = len(first) + (len(both) - len(first)) * 2 // 3  # some of the second clip's windows, and half a line
    cut += both[cut - 1 : cut] == b"\n"
    path = tmp_path / f"r{ext}"
    path.write_bytes(both[:cut])  # what SIGKILL in the middle of the second batch's write() leaves
    results = open_results(path, recognizer.labels)
    assert results.pending(paths[:2], timeline=True) == paths[1:2]  # its own row never made it: labelled again
    assert path.read_bytes() == first  # and its windows are gone
    results.append(rows_of(done[1], recognizer.labels, timeline=True))
    assert path.read_bytes() == both
    assert list(read(path)["file"].unique()) == paths[:2]


def test_a_parquet_part_a_killed_run_left_half_written_is_never_read(three_labelled, recognizer, tmp_path):
    paths, done = three_labelled
    folder = tmp_path / "r.parquet"
    results = open_results(folder, recognizer.labels)
    results.append(rows_of(done[0], recognizer.labels))
    part = next(folder.glob("part-*.parquet"))
    (folder / ".part-00000001.parquet.tmp").write_bytes(part.read_bytes()[:100])  # no footer: unreadable alone
    assert list(read(folder)["file"]) == paths[:1]  # readers skip hidden files
    results = open_results(folder, recognizer.labels)
    assert not list(folder.glob(".*.tmp"))
    results.append(rows_of(done[1], recognizer.labels))
    assert list(read(folder)["file"]) == paths[:2]


def test_ctrl_c_during_a_write_waits_for_the_batch_to_be_whole():
    written = []
    with pytest.raises(KeyboardInterrupt):
        with uninterrupted():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)  # Python runs signal handlers between bytecodes: here, if they were not held
            written.append("the whole batch")
    assert written == ["the whole batch"]


def test_results_written_otherwise_are_not_mixed_into(three_labelled, recognizer, tmp_path):
    paths, done = three_labelled
    other = tmp_path / "other.csv"
    other.write_text("file,emotion\nx.wav,sad\n")
    with pytest.raises(ResultsError, match="other columns"):
        open_results(other, recognizer.labels)
    with pytest.raises(ResultsError, match=r"\.parquet, \.csv or \.jsonl"):
        open_results(tmp_path / "r.xlsx", recognizer.labels)
    results = open_results(tmp_path / "r.jsonl", recognizer.labels)
    results.append(rows_of(done[0], recognizer.labels, timeline=False))
    with pytest.raises(ResultsError, match="without --timeline"):
        results.pending(paths, timeline=True)


# --- The command on real audio (slow) -------------------------------------------


@pytest.fixture(scope="module")
def ravdess_manifest(ravdess, tmp_path_factory) -> Path:
    """60 RAVDESS clips (five of each of twelve actors), in a manifest."""
    clips = []
    for actor in range(1, 13):
        clips += sorted((ravdess / f"Actor_{actor:02d}").glob("*.*"))[::12][:5]
    manifest = tmp_path_factory.mktemp("manifest") / "clips.txt"
    manifest.write_text("".join(f"{p}\n" for p in clips))
    assert len(clips) == 60
    return manifest


@pytest.mark.slow
def test_the_bad_input_matrix_ends_up_as_error_rows_and_the_run_goes_on(ravdess_manifest, tmp_path):
    from test_bad_input import CASES, FIRST_MINUTE, assert_message, refused

    folder = tmp_path / "archive"
    folder.mkdir()
    matrix = {name: (maker(folder), outcome) for name, (maker, outcome) in CASES.items()}
    clips = ravdess_manifest.read_text().split()[:10]
    manifest = tmp_path / "archive.txt"
    manifest.write_text("\n".join([clips[0], *(str(p) for p, _ in matrix.values()), *clips[1:]]))
    out = tmp_path / "labels.csv"
    proc = subprocess.run(label_cli(str(manifest), "--out", str(out), "--workers", "2", "--batch-size", "8"),
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    rows = read(out).replace({np.nan: None}).to_dict("records")
    assert [r["file"] for r in rows] == expand_sources([manifest])
    by_file = {r["file"]: r for r in rows}
    for name, (path, outcome) in matrix.items():
        row = by_file[os.path.normpath(path)]
        if refused(outcome):
            assert row["label"] is None and row["reason"], name
            assert_message(row["error"], outcome, folder)
        else:
            assert row["error"] is None and row["label"] in EMOTIONS, (name, row["error"])
            assert (FIRST_MINUTE in (row["notes"] or "")) == (outcome == FIRST_MINUTE), name
    refusals = sum(refused(o) for _, o in matrix.values())
    assert f"{len(rows) - refusals} answered, {refusals} refused" in proc.stderr
    # A second run has nothing to do, and leaves the file as it was.
    before = out.read_bytes()
    proc = subprocess.run(label_cli(str(manifest), "--out", str(out)), cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0 and f"{len(rows)} skipped" in proc.stderr and out.read_bytes() == before


def count_rows(out: Path) -> int:
    """Rows written so far, as a reader sees them mid-run."""
    if out.suffix == ".parquet":
        return len(read(out)) if out.is_dir() and any(out.glob("part-*.parquet")) else 0
    return max(0, len(out.read_bytes().splitlines()) - (out.suffix == ".csv")) if out.exists() else 0


@pytest.fixture(scope="module")
def uninterrupted_runs(ravdess_manifest, tmp_path_factory):
    """The 60 clips labelled in one go, in this process, without workers: reference per format."""
    folder = tmp_path_factory.mktemp("reference")
    runs = {}

    def run(ext: str) -> pd.DataFrame:
        if ext not in runs:
            out = folder / f"reference{ext}"
            assert main(["label", str(ravdess_manifest), "--out", str(out), "--workers", "0", "--device", "cpu"]) == 0
            runs[ext] = read(out)
        return runs[ext]

    return run


@pytest.mark.slow
@pytest.mark.parametrize("how, ext", [(signal.SIGINT, ".csv"), (signal.SIGKILL, ".parquet"), (signal.SIGKILL, ".jsonl")],
                         ids=["SIGINT-csv", "SIGKILL-parquet", "SIGKILL-jsonl"])
def test_a_killed_run_run_again_equals_an_uninterrupted_one_row_for_row(how, ext, ravdess_manifest, uninterrupted_runs, tmp_path):
    seed = int(os.environ.get("LABEL_KILL_SEED", time.time_ns() % 10_000))
    at = random.Random(seed).randrange(4, 40)  # rows written before the signal
    out = tmp_path / f"labels{ext}"
    log = tmp_path / "stderr.txt"
    with open(log, "w") as stderr:
        proc = subprocess.Popen(label_cli(str(ravdess_manifest), "--out", str(out), "--workers", "1", "--batch-size", "2"),
                                cwd=ROOT, stderr=stderr)
    deadline = time.monotonic() + 300
    while count_rows(out) < at and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(how)
    proc.wait(timeout=60)
    stderr = log.read_text()
    seen = f"(seed {seed}: {how.name} after {at} rows)"
    assert proc.returncode == (130 if how == signal.SIGINT else -signal.SIGKILL), seen + stderr
    if how == signal.SIGINT:
        assert "interrupted with" in stderr and "run the same command again" in stderr, stderr
    partial = read(out)  # readable as it was left
    assert at <= len(partial) < 60, seen
    assert main(["label", str(ravdess_manifest), "--out", str(out), "--workers", "2", "--device", "cpu"]) == 0
    pd.testing.assert_frame_equal(read(out), uninterrupted_runs(ext), check_exact=True, obj=seen)


@pytest.mark.slow
def test_ray_on_a_local_instance_labels_as_one_machine_does(ravdess_manifest, tmp_path, capsys):
    try:
        import ray
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("ray is not installed: CI installs requirements-dev.txt, which has ray[data]")
        pytest.skip('ray is not installed (pip install ".[cluster]")')
    manifest = tmp_path / "clips.txt"
    empty, text = touch(tmp_path / "empty.wav", b""), touch(tmp_path / "notes.wav", b"not audio\n" * 40)
    clips = ravdess_manifest.read_text().split()[:40]
    manifest.write_text("\n".join([*clips, str(empty), str(text)]))
    reference = tmp_path / "one_machine.parquet"
    assert main(["label", str(manifest), "--out", str(reference), "--workers", "1", "--device", "cpu", "--timeline"]) == 0
    ray.init(num_cpus=2, include_dashboard=False, runtime_env={"py_modules": [str(ROOT / "emotion")]})
    try:
        out = tmp_path / "ray.parquet"
        assert main(["label", str(manifest), "--out", str(out), "--ray", "--device", "cpu", "--timeline", "--batch-size", "8"]) == 0
        assert "40 answered, 2 refused (empty_file 1, unreadable 1)" in capsys.readouterr().err
        on_ray = read(out).sort_values(["file", "start"], na_position="first").reset_index(drop=True)
        alone = read(reference).sort_values(["file", "start"], na_position="first").reset_index(drop=True)
        pd.testing.assert_frame_equal(on_ray, alone, check_exact=True)
        assert len(on_ray) > 42  # the windows' rows too
        # What Ray wrote, a run on one machine resumes (and the other way round).
        assert main(["label", str(manifest), "--out", str(out), "--device", "cpu", "--timeline"]) == 0
        assert "0 clips" in capsys.readouterr().err and len(read(out)) == len(on_ray)
    finally:
        ray.shutdown()
