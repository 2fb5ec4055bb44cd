"""Emotion over time: the windows the clip's answer is pooled from, with their times."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import numpy as np
import pytest

from emotion import load_audio, parse_ravdess_name
from tests.conftest import EXAMPLES, ROOT

ANGRY = EXAMPLES / "03-01-05-02-01-01-21.flac"  # actor 21, strong intensity; the model says angry alone
SAD = EXAMPLES / "03-01-04-02-01-01-24.flac"  # actor 24; the model says sad alone


def test_the_timeline_covers_the_clip_window_by_window(recognizer):
    audio = load_audio(ANGRY)
    seconds = audio.shape[0] / recognizer.sample_rate
    timeline = recognizer.timeline(audio)
    window = recognizer.preprocessing["window_seconds"]
    hop = recognizer.preprocessing["hop_seconds"]
    assert timeline[0].start == 0 and timeline[-1].end == pytest.approx(seconds)
    assert all(s.end - s.start == pytest.approx(window) for s in timeline)
    assert [s.start for s in timeline[:-1]] == pytest.approx([i * hop for i in range(len(timeline) - 1)])
    for s in timeline:
        assert list(s.probabilities) == list(recognizer.labels)
        assert sum(s.probabilities.values()) == pytest.approx(1.0, abs=1e-5)


def test_a_clip_of_one_window_has_one_segment(recognizer):
    audio = load_audio(ANGRY)[: int(recognizer.sample_rate * 2.0)]
    [segment] = recognizer.timeline(audio)
    assert (segment.start, segment.end) == (0, pytest.approx(2.0))


def test_asking_for_the_timeline_leaves_the_clip_answer_as_it_was(recognizer, example_clips):
    for path in example_clips[:3]:
        plain = recognizer.predict(path)
        with_timeline = recognizer.predict(path, timeline=True)
        assert plain.timeline is None and with_timeline.timeline
        assert with_timeline.probabilities == pytest.approx(plain.probabilities, abs=1e-6)


def test_the_leading_emotion_changes_where_two_clips_are_joined(recognizer):
    """Angry (actor 21) then sad (actor 24), both test actors the model gets right
    alone: the timeline starts angry, ends sad, and changes near the join."""
    first, second = load_audio(ANGRY), load_audio(SAD)
    assert recognizer.predict(first).label == parse_ravdess_name(ANGRY).emotion == "angry"
    assert recognizer.predict(second).label == parse_ravdess_name(SAD).emotion == "sad"
    join = first.shape[0] / recognizer.sample_rate
    timeline = recognizer.timeline(np.concatenate([first, second]))
    labels = [s.label for s in timeline]
    assert labels[0] == "angry" and "sad" in labels
    last_angry = max(i for i, label in enumerate(labels) if label == "angry")
    first_sad = labels.index("sad")
    assert last_angry < first_sad  # angry, then (perhaps a mixed window or two), then sad
    centre = lambda s: (s.start + s.end) / 2  # noqa: E731
    change = (centre(timeline[last_angry]) + centre(timeline[first_sad])) / 2
    assert abs(change - join) <= 1.0, (change, join, labels)
    # Windows entirely within one clip lead with that clip's emotion.
    assert all(s.label == "angry" for s in timeline if s.end <= join - 0.5)


@pytest.mark.slow  # two subprocesses (the CLI)
def test_the_command_line_prints_the_timeline_as_csv_and_json():
    cmd = [sys.executable, "-m", "emotion", "predict", str(ANGRY), "--timeline", "--device", "cpu"]
    rows = list(csv.DictReader(io.StringIO(subprocess.run(cmd + ["--csv"], cwd=ROOT, capture_output=True, text=True, check=True).stdout)))
    assert len(rows) >= 2 and {r["label"] for r in rows} == {"angry"}
    assert float(rows[0]["start"]) == 0 and float(rows[1]["start"]) == pytest.approx(0.5)
    [result] = json.loads(subprocess.run(cmd + ["--json"], cwd=ROOT, capture_output=True, text=True, check=True).stdout)
    assert result["label"] == "angry" and len(result["timeline"]) == len(rows)
    assert result["timeline"][-1]["end"] == pytest.approx(float(rows[-1]["end"]))
