"""python -m train.get_corpora: the pinned commit of each public corpus, only the corpus's paths,
never over a folder holding something else. CI has no GitHub, so the source is a local git
repository laid out as the real one is (SER's data/EMOVO beside other courses' files)."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
import soundfile as sf

from train import get_corpora
from train.corpora import CORPORA


def commit(repo, message):
    subprocess.run(["git", "-c", "user.email=t@example.org", "-c", "user.name=t", "commit", "-qm", message],
                   cwd=repo, check=True)
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture()
def ser_repo(tmp_path):
    """A repository like fp1acm8/SER: EMOVO under data/EMOVO/, other material beside it, and a
    later commit that changes the corpus (the pinned commit is not the tip)."""
    repo = tmp_path / "SER"
    for speaker in ("f1", "m1"):
        (repo / "data" / "EMOVO" / speaker).mkdir(parents=True)
        for emotion in ("gio", "tri"):
            sf.write(repo / "data" / "EMOVO" / speaker / f"{emotion}-{speaker}-b1.wav", np.zeros(4800), 48000)
    (repo / "notebooks").mkdir()
    (repo / "notebooks" / "course.txt").write_text("not the corpus")
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    pinned = commit(repo, "corpus")
    (repo / "data" / "EMOVO" / "f1" / "gio-f1-b1.wav").unlink()
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    commit(repo, "later change")
    return repo, pinned


def test_every_public_corpus_names_a_pinned_commit_and_its_download_says_the_same():
    assert get_corpora.FETCHABLE == ["nemo", "ased", "emovo", "baved", "emotiontts", "turev"]  # RAVDESS comes from Zenodo
    for name in get_corpora.FETCHABLE:
        source = CORPORA[name].SOURCE
        assert source["git"].startswith("https://github.com/") and len(source["commit"]) == 40
        assert source["git"] in CORPORA[name].FACTS["download"] and source["commit"] in CORPORA[name].FACTS["download"]


def test_fetch_takes_the_pinned_commit_and_only_the_corpus(ser_repo, tmp_path):
    repo, pinned = ser_repo
    dest = tmp_path / "data" / "emovo"
    assert get_corpora.fetch(repo.as_uri(), pinned, dest, ("data/EMOVO",)) is True
    assert get_corpora.checked_out(dest) == pinned
    assert (dest / "data" / "EMOVO" / "f1" / "gio-f1-b1.wav").exists()  # the pinned commit, not the tip
    assert not (dest / "notebooks").exists()  # only the corpus's paths
    assert len(CORPORA["emovo"].find_clips(dest)) == 4
    assert get_corpora.fetch(repo.as_uri(), pinned, dest, ("data/EMOVO",)) is False  # already there: nothing to do


def test_fetch_downloads_only_the_corpus_where_the_server_can_filter(ser_repo, tmp_path):
    """GitHub filters: the files beside the corpus (Emotion TTS's 300 MB G2P model) never travel."""
    repo, pinned = ser_repo
    subprocess.run(["git", "config", "uploadpack.allowFilter", "true"], cwd=repo, check=True)
    course = subprocess.run(["git", "rev-parse", f"{pinned}:notebooks/course.txt"], cwd=repo, check=True,
                            capture_output=True, text=True).stdout.strip()
    dest = tmp_path / "data" / "emovo"
    assert get_corpora.fetch(repo.as_uri(), pinned, dest, ("data/EMOVO",)) is True
    assert len(CORPORA["emovo"].find_clips(dest)) == 4
    # Every object the clone holds, without asking the server for missing ones.
    held = subprocess.run(["git", "rev-list", "--objects", "--all", "--missing=print"], cwd=dest, check=True,
                          capture_output=True, text=True).stdout.split()
    assert f"?{course}" in held  # the course's file was never fetched


def test_fetch_never_overwrites_a_folder_holding_something_else(ser_repo, tmp_path):
    repo, pinned = ser_repo
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("a user's own files")
    with pytest.raises(RuntimeError, match="already holds something else"):
        get_corpora.fetch(repo.as_uri(), pinned, mine)
    assert (mine / "notes.txt").read_text() == "a user's own files" and not (mine / ".git").exists()
    with pytest.raises(RuntimeError, match="failed"):  # a commit the repository does not have
        get_corpora.fetch(repo.as_uri(), "0" * 40, tmp_path / "other")


def test_the_command_fetches_and_prints_the_training_flags(ser_repo, tmp_path, monkeypatch, capsys):
    repo, pinned = ser_repo
    monkeypatch.setattr(CORPORA["emovo"], "SOURCE", {"git": repo.as_uri(), "commit": pinned, "paths": ("data/EMOVO",)})
    assert get_corpora.main(["emovo", "--dest", str(tmp_path / "data")]) == 0
    out = capsys.readouterr().out
    assert "fetched: 4 clips, 2 speakers (research use, cited)" in out
    assert f"--corpora emovo={tmp_path / 'data' / 'emovo'}" in out
    assert get_corpora.main(["emovo", "--dest", str(tmp_path / "data")]) == 0
    assert "already there: 4 clips" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        get_corpora.main(["ravdess"])
    assert "RAVDESS comes from Zenodo" in capsys.readouterr().err
