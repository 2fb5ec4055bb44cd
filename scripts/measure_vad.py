"""Does the voice-activity detector tell speech from everything else? And what does it cost?

    python scripts/measure_vad.py [--data ../shared/ravdess] [--cache .cache] [--seeds 5]

Prints, at one torch thread:
  * seconds of speech found by silero-vad (emotion.speech: spans, silero's own
    rules) and by webrtcvad (30 ms frames flagged, modes 0-3) on every RAVDESS
    clip, the 8 examples and the test actors' clips through the benchmark's
    channels (telephone, GSM, Opus, laptop, rooms, noise at 5-20 dB SNR, quiet,
    clipping) -- speech that must be heard;
  * the same on generated sounds with no speech in them (non_speech_cases: room
    tone, clicks, coughs, tones, music, white/pink/brown noise, hum), several
    random draws each -- sounds that must be refused;
  * how many clips of each kind fall below emotion.speech.MIN_SPEECH_SECONDS;
  * silero at its default threshold (0.5) beside emotion.speech's THRESHOLD;
  * the time per 4 s and per 60 s clip of emotion.speech, silero's own
    frame-by-frame get_speech_timestamps, and webrtcvad.

The figures are in docs/reliability.md ("No speech heard"). non_speech_cases is
also what tests/test_speech.py refuses.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SR = 16000


# --- sounds with no speech in them ------------------------------------------------


def _level(x: np.ndarray, dbfs: float, kind: str = "rms") -> np.ndarray:
    """`x` scaled so its RMS (or peak) sits at `dbfs`."""
    ref = np.sqrt(np.mean(np.square(x, dtype=np.float64))) if kind == "rms" else np.abs(x).max()
    return (x * (10 ** (dbfs / 20) / max(float(ref), 1e-12))).astype(np.float32)


def _colored(n: int, exponent: float, rng: np.random.Generator) -> np.ndarray:
    """Gaussian noise with a 1/f^exponent power spectrum (0 white, 1 pink, 2 brown), flat below 20 Hz."""
    f = np.fft.rfftfreq(n, 1 / SR)
    spectrum = (rng.standard_normal(len(f)) + 1j * rng.standard_normal(len(f))) / np.maximum(f, 20.0) ** (exponent / 2)
    spectrum[0] = 0
    return np.fft.irfft(spectrum, n)


def _bandpass(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    from scipy.signal import butter, sosfilt

    return sosfilt(butter(4, (lo, hi), btype="bandpass", fs=SR, output="sos"), x)


def _cough(rng: np.random.Generator) -> np.ndarray:
    """One cough-like burst (about 0.35 s): band-passed noise, sharp attack, a fast then
    a slower decay, with a little voiced rumble at a random low pitch."""
    n = int(0.35 * SR)
    t = np.arange(n) / SR
    envelope = np.minimum(t / 0.008, 1) * (0.7 * np.exp(-t / 0.04) + 0.3 * np.exp(-t / 0.12))
    noise = _bandpass(rng.standard_normal(n), 300, 4000)
    rumble = 0.3 * np.sin(2 * np.pi * rng.uniform(90, 180) * t) * np.exp(-t / 0.05)
    return envelope * (noise / np.abs(noise).max() + rumble)


def _music(seconds: float, rng: np.random.Generator) -> np.ndarray:
    """Instrumental music: a I-IV-V-I chord progression plucked in eighth notes (each note
    eight harmonics at 1/k, decaying), a bass note per bar and a hi-hat on the off-beats,
    at a tempo and key drawn from rng."""
    n = int(seconds * SR)
    out = np.zeros(n)
    bpm = rng.uniform(90, 140)
    eighth = 60 / bpm / 2
    root = 220 * 2 ** (rng.integers(0, 12) / 12)
    chords = [(0, 4, 7), (5, 9, 12), (7, 11, 14), (0, 4, 7)]  # semitones above the root
    k = np.arange(1, 9)[:, None]
    for i, start in enumerate(np.arange(0, seconds, eighth)):
        chord = chords[int(start // (8 * eighth)) % 4]
        s = int(start * SR)
        length = min(int(0.6 * SR), n - s)
        t = np.arange(length) / SR
        f = root * 2 ** (chord[i % 3] / 12)
        out[s : s + length] += (np.sin(2 * np.pi * k * f * t) / k).sum(0) * np.exp(-t / 0.25)
        if i % 8 == 0:  # bass
            fb = root / 2 * 2 ** (chord[0] / 12)
            out[s : s + length] += 1.5 * np.sin(2 * np.pi * fb * t) * np.exp(-t / 0.4)
        if i % 2 == 1:  # hi-hat
            h = min(int(0.05 * SR), n - s)
            out[s : s + h] += 0.4 * _bandpass(rng.standard_normal(h), 5000, 7900) * np.exp(-np.arange(h) / SR / 0.01)
    return out


def _melody(seconds: float, rng: np.random.Generator) -> np.ndarray:
    """A flute- or violin-like melody: one harmonic voice with 5.5 Hz vibrato, notes of a
    major scale, each 0.3-0.6 s -- the instrument nearest to a voice."""
    n = int(seconds * SR)
    scale = [0, 2, 4, 5, 7, 9, 11, 12]
    freq = np.empty(n)
    pos = 0
    while pos < n:
        length = int(rng.uniform(0.3, 0.6) * SR)
        freq[pos : pos + length] = 440 * 2 ** (rng.choice(scale) / 12)
        pos += length
    t = np.arange(n) / SR
    freq = freq * (1 + 0.01 * np.sin(2 * np.pi * 5.5 * t))
    phase = 2 * np.pi * np.cumsum(freq) / SR
    return sum(np.sin(k * phase) / k**1.5 for k in range(1, 7))


def non_speech_cases(rng: np.random.Generator, seconds: float = 4.0) -> dict[str, np.ndarray]:
    """name -> (seconds * 16000,) float32 at 16 kHz: sounds a person might upload with
    nobody speaking in them. Random parts (noise, timing, key) are drawn from rng."""
    n = int(seconds * SR)
    t = np.arange(n) / SR
    room = _level(_colored(n, 1, rng) + 0.2 * _colored(n, 2, rng), -60)  # a quiet room's noise floor
    cases = {
        "digital silence": np.zeros(n, np.float32),
        "room tone -60 dBFS": room,
        "room tone -40 dBFS": _level(room, -40),
    }
    clicks = room.copy()
    for s in rng.choice(n - 100, 3, replace=False):
        clicks[s : s + 16] += _level(rng.standard_normal(16), -3, "peak") * np.hanning(16)
    cases["clicks in silence"] = clicks
    coughs = room.copy()
    s = int(rng.uniform(0.5, seconds - 1.5) * SR)
    for offset in (0, int(rng.uniform(0.4, 0.6) * SR)):  # a double cough
        c = _cough(rng)
        coughs[s + offset : s + offset + len(c)] += _level(c, -6, "peak")
    cases["cough in silence"] = coughs
    knocks = room.copy()
    for s in (int(x * SR) for x in np.arange(0.5, seconds - 0.2, rng.uniform(0.25, 0.4))):
        h = int(0.03 * SR)
        knocks[s : s + h] += _level(_bandpass(rng.standard_normal(h), 100, 2000) * np.exp(-np.arange(h) / SR / 0.006), -6, "peak")
    cases["knocking"] = knocks
    cases["tone 440 Hz"] = _level(np.sin(2 * np.pi * 440 * t), -12, "peak")
    cases["tone 1 kHz"] = _level(np.sin(2 * np.pi * 1000 * t), -12, "peak")
    cases["sweep 100-4000 Hz"] = _level(np.sin(2 * np.pi * 100 * seconds / np.log(40) * (40 ** (t / seconds) - 1)), -12, "peak")
    cases["music (chords, bass, hi-hat)"] = _level(_music(seconds, rng), -3, "peak")
    cases["melody with vibrato"] = _level(_melody(seconds, rng), -6, "peak")
    for dbfs in (-50, -30, -10):
        cases[f"white noise {dbfs} dBFS"] = _level(rng.standard_normal(n), dbfs)
    cases["pink noise -20 dBFS"] = _level(_colored(n, 1, rng), -20)
    cases["brown noise -20 dBFS"] = _level(_colored(n, 2, rng), -20)
    mains = rng.choice([50.0, 60.0])
    hum = sum(np.sin(2 * np.pi * k * mains * t) / k for k in range(1, 9))  # a ground loop: 50/60 Hz and harmonics
    cases["mains hum -40 dBFS"] = _level(hum, -40)
    cases["mains hum -20 dBFS"] = _level(hum, -20)  # very loud; silero hears its first 0.2 s as speech (a known miss)
    return {name: np.clip(x, -1, 1).astype(np.float32) for name, x in cases.items()}


# --- the detectors ------------------------------------------------------------------


def webrtc_seconds(audio: np.ndarray, mode: int) -> float:
    """Seconds in 30 ms frames that webrtcvad (aggressiveness `mode`, 0-3) flags as speech."""
    import webrtcvad

    vad = webrtcvad.Vad(mode)
    pcm = (np.clip(audio, -1, 1) * 32767).astype(np.int16)
    step = int(0.03 * SR)
    return 0.03 * sum(vad.is_speech(pcm[i : i + step].tobytes(), SR) for i in range(0, len(pcm) - step + 1, step))


def summarise(name: str, seconds: np.ndarray, threshold: float) -> str:
    p = np.percentile(seconds, [0, 1, 5, 50])
    return (f"  {name:<34} n={len(seconds):5d}  min {p[0]:5.2f}  p1 {p[1]:5.2f}  p5 {p[2]:5.2f}  "
            f"median {p[3]:5.2f}  max {seconds.max():5.2f}  below {threshold:g} s: {int((seconds < threshold).sum())}")


def timed(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times)) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "ravdess"), help="RAVDESS folder")
    parser.add_argument("--cache", default=str(ROOT / ".cache"), help="decoded-audio cache folder ('' disables)")
    parser.add_argument("--seeds", type=int, default=5, help="random draws of each non-speech case")
    parser.add_argument("--no-channels", action="store_true", help="skip the test actors' clips through the channels")
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(1)
    sys.path.insert(0, str(ROOT))
    import silero_vad

    from emotion import speech
    from emotion.audio import load_audio
    from train.corpora.ravdess import TEST_ACTORS, find_clips
    from train.data import decode_clips

    torch.set_num_threads(1)  # whatever importing silero_vad did
    minimum = speech.MIN_SPEECH_SECONDS
    try:
        import webrtcvad  # noqa: F401  (pip install webrtcvad-wheels: only this comparison needs it)

        modes: tuple[int, ...] = (0, 1, 2, 3)
    except ImportError:
        print("webrtcvad not installed (pip install webrtcvad-wheels): its columns are left out")
        modes = ()

    def silero_default(audio: np.ndarray) -> float:
        """Seconds of speech at silero's default threshold, 0.5."""
        spans = silero_vad.get_speech_timestamps_from_probs(
            [float(p) for p in speech.speech_probabilities(audio)], threshold=0.5, audio_length_samples=len(audio))
        return sum(s["end"] - s["start"] for s in spans) / SR

    def report(title: str, clips: dict[str, list[np.ndarray]], webrtc: bool = True) -> None:
        print(title)
        for name, audio in clips.items():
            print(summarise(f"{name}: silero {speech.THRESHOLD:g}", np.array([speech.speech_seconds(a) for a in audio]), minimum))
            print(summarise(f"{name}: silero 0.5", np.array([silero_default(a) for a in audio]), minimum))
            if webrtc:
                for m in modes:
                    print(summarise(f"{name}: webrtcvad mode {m}", np.array([webrtc_seconds(a, m) for a in audio]), minimum))

    cache = args.cache or None
    ravdess = decode_clips(find_clips(args.data), SR, cache)
    examples = [load_audio(p) for p in sorted((ROOT / "examples").glob("*.flac"))]
    report("Speech: seconds heard per clip (must be >= the threshold)", {"RAVDESS, all clips": ravdess, "examples": examples})

    if not args.no_channels:
        from train.channels import benchmark_channels
        from train.generalisation import apply_channel

        clips = find_clips(args.data, TEST_ACTORS)
        audio = decode_clips(clips, SR, cache)
        names = [Path(c.path).stem for c in clips]
        through = {f"actors 21-24, {name}": apply_channel(ch, names, audio, cache) for name, ch in benchmark_channels(None).items()}
        report("Speech through the benchmark's channels (silero only)", through, webrtc=False)
        lowest = {k: min(speech.speech_seconds(a) for a in v) for k, v in through.items()}
        print(f"  lowest over all channels: {min(lowest.values()):.2f} s ({min(lowest, key=lowest.get)})")

    print(f"\nNo speech: seconds heard, the largest of {args.seeds} draws of 4 s and 2 of 30 s (must be < {minimum:g} s)")
    draws = [non_speech_cases(np.random.default_rng(seed)) for seed in range(args.seeds)]
    draws += [non_speech_cases(np.random.default_rng(1000 + seed), seconds=30.0) for seed in range(2)]
    print(f"  {'case':<30} silero (4 s)  silero (30 s)  silero 0.5  " + "  ".join(f"webrtc {m}" for m in modes))
    refused = 0
    for case in draws[0]:
        short = max(speech.speech_seconds(d[case]) for d in draws[: args.seeds])
        long = max(speech.speech_seconds(d[case]) for d in draws[args.seeds :])
        default = max(silero_default(d[case]) for d in draws)
        web = [max(webrtc_seconds(d[case], m) for d in draws[: args.seeds]) for m in modes]
        refused += short < minimum and long < minimum
        print(f"  {case:<30} {short:10.2f}  {long:12.2f}  {default:10.2f}  " + "  ".join(f"{w:8.2f}" for w in web))
    print(f"  refused by emotion.speech (threshold {speech.THRESHOLD:g}, at least {minimum:g} s): {refused} of {len(draws[0])} cases")

    print("\nCost per clip at one thread (median), ms")
    model = silero_vad.load_silero_vad()
    torch.set_num_threads(1)
    joined = np.concatenate(ravdess[:40])
    for seconds, runs in ((4, 30), (60, 5)):
        a = np.ascontiguousarray(joined[: seconds * SR])
        speech.speech_spans(a)  # warm
        ours = timed(lambda: speech.speech_spans(a), runs)
        theirs = timed(lambda: silero_vad.get_speech_timestamps(torch.from_numpy(a), model), runs)
        web = f"   webrtcvad {timed(lambda: webrtc_seconds(a, 3), runs):5.1f}" if modes else ""
        print(f"  {seconds:2d} s clip: emotion.speech.speech_spans {ours:7.1f}   silero get_speech_timestamps {theirs:7.1f}{web}")
    a = np.ascontiguousarray(joined[: 4 * SR])
    ref = silero_vad.get_speech_timestamps(torch.from_numpy(a), model, threshold=speech.THRESHOLD, return_seconds=True, time_resolution=3)
    print(f"  same spans as get_speech_timestamps on a 4 s clip: {speech.speech_spans(a)} vs {[(r['start'], r['end']) for r in ref]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
