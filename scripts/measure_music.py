"""Music and tones are refused, every voice is answered: the clip policy measured.

    python scripts/measure_music.py [--ravdess ../shared/ravdess] [--nemo ../shared/nemo]
                                    [--cache .cache] [--seeds 10] [--no-channels]

Everything goes through emotion.policy.check_clip, the check the app, the CLI
(`python -m emotion predict` and `label`) and EmotionRecognizer.predict run.
Prints, at one torch thread:
  * false refusals (must be 0): RAVDESS's 1440 clips, the nEMO clips, the 8
    examples, and the test actors (21-24) through the benchmark's channels;
  * refusals of generated music and tones (music_cases: held chords, pads,
    tremolo, plucked chords with bass and hi-hat, melodies with vibrato, a sung
    vowel, beeps), `--seeds` draws of 4 s each, and the words each gets;
  * the words measure_vad's non-speech sounds get ("music_no_speech" for tones,
    hum and music, "no_speech" for silence, noise, clicks and coughs);
  * the 8 examples with music under and over them, at speech-to-music ratios
    from +20 dB (a voice over quiet music) to -20 dB (music 20 dB louder);
  * the margins of emotion.speech's music check: the share of steady frames in
    the speech that silero is unsure of, against the music it hears;
  * milliseconds per 4 s clip for check_clip's detector (emotion.speech.listen).

The figures are in docs/reliability.md ("Music and tones"); music_cases and
speech_over_music are what tests/test_music.py refuses and answers.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure_vad import _level, _melody, _music, non_speech_cases, timed  # noqa: E402

SR = 16000
ANSWERED = "answered"


# --- music and tones with no voice in them --------------------------------------------


def _note(freq: np.ndarray, rolloff: float = 1.0, harmonics: int = 10) -> np.ndarray:
    """A harmonic note following the frequency track `freq` (n,) Hz: harmonics at 1/k^rolloff, below 7.5 kHz."""
    phase = 2 * np.pi * np.cumsum(freq) / SR
    return sum(np.where(k * freq < 7500, np.sin(k * phase + k), 0) / k**rolloff for k in range(1, harmonics + 1))


def _fade(n: int, attack: float, release: float) -> np.ndarray:
    e = np.ones(n)
    a, r = min(int(attack * SR), n), min(int(release * SR), n)
    e[:a] = np.linspace(0, 1, a)
    e[n - r :] *= np.linspace(1, 0, r)
    return e


CHORDS = [(0, 4, 7), (5, 9, 12), (7, 11, 14), (9, 12, 16), (2, 5, 9), (0, 4, 7, 12)]  # semitones: I IV V vi ii I+8va


def held_chords(seconds: float, rng: np.random.Generator, hold=(0.8, 2.0), low=110.0, high=300.0,
                vibrato: float = 0.0, tremolo: float = 0.0, rolloff: float = 1.0) -> np.ndarray:
    """Sustained chords (organ, pad): each held `hold` seconds, a root drawn in [low, high] Hz;
    `vibrato` (relative depth, 4.5-6.5 Hz) on every voice, `tremolo` (depth, 3-7 Hz) on the whole."""
    n = int(seconds * SR)
    out = np.zeros(n)
    root, i, pos = rng.uniform(low, high), int(rng.integers(0, len(CHORDS))), 0
    while pos < n:
        length = min(int(rng.uniform(*hold) * SR), n - pos)
        t = np.arange(length) / SR
        for semitones in CHORDS[i % len(CHORDS)]:
            f = np.full(length, root * 2 ** (semitones / 12))
            if vibrato:
                f *= 1 + vibrato * np.sin(2 * np.pi * rng.uniform(4.5, 6.5) * t + rng.uniform(0, 2 * np.pi))
            out[pos : pos + length] += _note(f, rolloff) * _fade(length, 0.03, 0.03)
        if tremolo:
            out[pos : pos + length] *= 1 - tremolo * (0.5 + 0.5 * np.sin(2 * np.pi * rng.uniform(3, 7) * t))
        pos += length
        i += int(rng.integers(1, 4))
    return out


def melody(seconds: float, rng: np.random.Generator, low=110.0, high=440.0, rolloff=1.5, vibrato=0.01,
           note=(0.25, 0.6), legato=True, sung=False) -> np.ndarray:
    """One voice playing a major scale's notes, `note` seconds each, with 4.5-6.5 Hz vibrato;
    `sung`: the harmonics through the formants of a sung "ah" (a vowel with no words)."""
    n = int(seconds * SR)
    base = rng.uniform(low, high / 2)
    freq, envelope, pos = np.empty(n), np.ones(n), 0
    while pos < n:
        length = min(int(rng.uniform(*note) * SR), n - pos)
        freq[pos : pos + length] = base * 2 ** (rng.choice([0, 2, 4, 5, 7, 9, 11, 12]) / 12)
        if not legato:
            envelope[pos : pos + length] = _fade(length, 0.02, 0.08)
        pos += length
    t = np.arange(n) / SR
    x = _note(freq * (1 + vibrato * np.sin(2 * np.pi * rng.uniform(4.5, 6.5) * t)), rolloff, 30) * envelope
    if sung:
        from scipy.signal import lfilter

        for fc, bw in ((rng.uniform(650, 850), 90), (rng.uniform(1100, 1300), 110), (2600, 160)):
            r, theta = np.exp(-np.pi * bw / SR), 2 * np.pi * fc / SR
            x = lfilter([1 - r], [1, -2 * r * np.cos(theta), r * r], x)
    return x


def music_cases(rng: np.random.Generator, seconds: float = 4.0) -> dict[str, np.ndarray]:
    """name -> (seconds * 16000,) float32 at 16 kHz, peak -6 dBFS: music and tones with
    no voice in them. Keys, tempi, timing and vibrato rates are drawn from rng."""
    n = int(seconds * SR)
    t = np.arange(n) / SR
    cases = {
        "held chords (organ)": held_chords(seconds, rng),
        "held chords, quick changes": held_chords(seconds, rng, hold=(0.4, 0.8)),
        "low held chords": held_chords(seconds, rng, low=65, high=130),
        "string pad with vibrato": held_chords(seconds, rng, vibrato=0.006, rolloff=1.3),
        "chords with tremolo": held_chords(seconds, rng, tremolo=0.7),
        "plucked chords, bass, hi-hat": _music(seconds, rng),
        "melody with vibrato (flute)": _melody(seconds, rng),
        "melody with vibrato, voice range": melody(seconds, rng),
        "detached melody": melody(seconds, rng, low=220, high=660, note=(0.15, 0.35), legato=False),
        "sung 'ah' melody (no words)": melody(seconds, rng, rolloff=1.0, sung=True),
        "beeps": np.sin(2 * np.pi * rng.uniform(400, 1200) * t) * (np.sin(2 * np.pi * rng.uniform(2, 6) * t) > 0),
    }
    return {name: _level(x, -6, "peak") for name, x in cases.items()}


def speech_over_music(voice: np.ndarray, music: np.ndarray, ratio_db: float) -> np.ndarray:
    """`voice` with `music` (looped or cut to its length) under it, the music's RMS `ratio_db`
    below the voice's RMS where silero hears speech: +20 a voice over quiet background
    music, 0 as loud as each other, -10 music 10 dB louder. Peak at most 0.9."""
    from emotion.speech import speech_spans

    speaking = np.zeros(len(voice), bool)
    for start, end in speech_spans(voice):
        speaking[int(start * SR) : int(end * SR)] = True
    level = np.sqrt(np.mean(np.square(voice[speaking] if speaking.any() else voice, dtype=np.float64)))
    music = np.resize(music, len(voice)).astype(np.float64)
    music *= level / max(np.sqrt(np.mean(np.square(music))), 1e-12) * 10 ** (-ratio_db / 20)
    mixed = voice + music
    return (mixed * min(1.0, 0.9 / np.abs(mixed).max())).astype(np.float32)


# --- measuring ---------------------------------------------------------------------------


def outcome(audio: np.ndarray) -> str:
    """check_clip's verdict: ANSWERED, or the refusal's key."""
    from emotion.policy import ClipRefused, check_clip

    try:
        check_clip(audio)
    except ClipRefused as e:
        return e.key
    return ANSWERED


def refusals(name: str, clips: list[np.ndarray]) -> int:
    verdicts = Counter(outcome(a) for a in clips)
    refused = len(clips) - verdicts[ANSWERED]
    detail = ", ".join(f"{k} {n}" for k, n in sorted(verdicts.items()) if k != ANSWERED)
    print(f"  {name:<44} {len(clips):5d} clips, refused {refused}{f' ({detail})' if detail else ''}")
    return refused


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ravdess", default=str(ROOT.parent / "shared" / "ravdess"), help="RAVDESS folder")
    parser.add_argument("--nemo", default=str(ROOT.parent / "shared" / "nemo"), help="nEMO folder ('' skips it)")
    parser.add_argument("--cache", default=str(ROOT / ".cache"), help="decoded-audio cache folder ('' disables)")
    parser.add_argument("--seeds", type=int, default=10, help="random draws of each music case")
    parser.add_argument("--no-channels", action="store_true", help="skip the test actors' clips through the channels")
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(1)
    sys.path.insert(0, str(ROOT))
    from emotion import speech
    from emotion.audio import load_audio
    from train.corpora import nemo, ravdess
    from train.data import decode_clips

    torch.set_num_threads(1)  # whatever importing silero_vad did
    cache = args.cache or None
    speech_clips = {"RAVDESS, all clips": decode_clips(ravdess.find_clips(args.ravdess), SR, cache)}
    if args.nemo:
        speech_clips["nEMO, all clips"] = decode_clips(nemo.find_clips(args.nemo), SR, cache)
    examples = [load_audio(p) for p in sorted((ROOT / "examples").glob("*.flac"))]
    speech_clips["the 8 examples"] = examples

    print("False refusals: speech that must be answered")
    false = sum(refusals(name, clips) for name, clips in speech_clips.items())
    channels: list[np.ndarray] = []
    if not args.no_channels:
        from train.channels import benchmark_channels
        from train.generalisation import apply_channel

        test = ravdess.find_clips(args.ravdess, ravdess.TEST_ACTORS)
        audio = decode_clips(test, SR, cache)
        names = [Path(c.path).stem for c in test]
        for name, channel in benchmark_channels(None).items():
            through = apply_channel(channel, names, audio, cache)
            false += refusals(f"actors 21-24 through {name}", through)
            channels += through
    print(f"  false refusals in all: {false}")

    print(f"\nMusic and tones: refusals of {args.seeds} draws of 4 s each (must be all)")
    draws = [music_cases(np.random.default_rng(seed)) for seed in range(args.seeds)]
    refused = total = 0
    for case in draws[0]:
        clips = [d[case] for d in draws]
        total += len(clips)
        refused += refusals(case, clips)
    print(f"  all music cases: {refused} of {total} refused")

    print("\nThe words for measure_vad's sounds without speech (one draw of 4 s)")
    for case, audio in non_speech_cases(np.random.default_rng(0)).items():
        print(f"  {case:<44} {outcome(audio)}")

    print("\nThe 8 examples with music under them (speech-to-music ratio over the voice): answered of 8")
    mixes = music_cases(np.random.default_rng(100), seconds=5.0)
    ratios = (20, 10, 5, 0, -5, -10, -20)
    print(f"  {'music':<44} " + "  ".join(f"{r:+4d} dB" for r in ratios))
    for case in ("held chords (organ)", "string pad with vibrato", "plucked chords, bass, hi-hat",
                 "melody with vibrato (flute)", "sung 'ah' melody (no words)"):
        answered = [sum(outcome(speech_over_music(v, mixes[case], r)) == ANSWERED for v in examples) for r in ratios]
        print(f"  {case:<44} " + "  ".join(f"{a:7d}" for a in answered))

    print(f"\nMargins where silero is unsure (< {speech.SURE_SECONDS:g} s at {speech.SURE:g}): the share of heard frames "
          f"whose envelope changes by <= {speech.STEADY_DB:g} dB in 50 ms (music from {speech.STEADY_SHARE:g}) and the "
          f"tonal share (music from {speech.TONAL_SHARE:g})")
    heard = [a for d in draws for a in d.values() if speech.speech_seconds(a) >= speech.MIN_SPEECH_SECONDS]
    sets = {**speech_clips, **({"actors 21-24 through all channels": channels} if channels else {}),
            "music that silero hears (>= 0.25 s)": heard}
    for name, clips in sets.items():
        hearings = [speech.listen(a) for a in clips]
        unsure = [(h.steady_share, speech.tonal_share(a)) for h, a in zip(hearings, clips) if h.steady_share is not None]
        bound, word = (min, "least") if name.startswith("music") else (max, "most")
        shares = (f"at {word}: steady share {bound(u[0] for u in unsure):.2f}, tonal share {bound(u[1] for u in unsure):.2f}"
                  if unsure else "")
        print(f"  {name:<44} {len(unsure):4d} clips unsure (least sure {min(h.sure_seconds for h in hearings):.2f} s); {shares}")
    print(f"  most sure speech in the music silero hears: {max((speech.listen(a).sure_seconds for a in heard), default=0):.2f} s "
          f"(a voice from {speech.SURE_SECONDS:g} s)")

    print("\nCost per 4 s clip at one thread (median of 30), ms")
    voice = np.resize(np.concatenate(examples), 4 * SR)
    music = draws[0]["held chords (organ)"]
    for name, audio in (("speech", voice), ("music", music)):
        speech.listen(audio)  # warm
        listen = timed(lambda: speech.listen(audio), 30)
        spans = timed(lambda: speech.speech_spans(audio), 30)
        print(f"  {name}: emotion.speech.listen {listen:6.1f} (silero alone {spans:5.1f}, the music check {listen - spans:5.1f})")
    return 1 if false else 0


if __name__ == "__main__":
    raise SystemExit(main())
