"""How fast is a request? Times the app's handler on a 4 s clip, stage by stage, and on a 60 s one.

    python scripts/benchmark_app.py [--runs 50] [--long-runs 5] [--weights DIR [--weights DIR2 ...]] [--device cpu|cuda]

Prints p50/p95 of the whole request (the handler plus the PNG encoding that
Gradio's Plot does after it) and of each stage -- decode, resample, voice
activity (silero-vad), trim, model (with the timeline), plot -- for a 4 s
clip, the same for a 60 s clip (the longest the app analyses: the test
actors' clips end to end), and the cold start (interpreter + `import app`: torch, gradio,
model load, UI) measured in fresh subprocesses. The clip is a test actor's,
cut to 4 s and written as a 48 kHz 16-bit WAV, like a browser upload. Other
processes on the machine (a training run) slow every number: the script says
when it sees one. With several --weights (an ensemble and the member distilled
from it) each is measured in turn in this one process, and the model stage and
the request are compared at the end.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CLIP = ROOT / "examples" / "03-01-05-02-01-01-21.flac"  # angry, actor 21 (test actor)
CLIP_SECONDS = 4.0


def percentiles(times: list[float]) -> str:
    ms = np.asarray(times) * 1000
    return f"p50 {np.percentile(ms, 50):7.1f} ms   p95 {np.percentile(ms, 95):7.1f} ms"


def cold_start(code: str, repeats: int = 3) -> list[float]:
    """Wall seconds of fresh `python -c code` runs (interpreter start included)."""
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1"}
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return times


def busy_processes() -> list[str]:
    out = subprocess.run(["ps", "-eo", "pid,stat,pcpu,args"], capture_output=True, text=True).stdout.splitlines()[1:]
    me = str(os.getpid())
    # A training run: `python -m train ...` (or crossval, tta, ...), not any command line that says "train";
    # one stopped for the benchmark (kill -STOP, state T) takes no CPU and is not listed.
    return [line.strip() for line in out if "-m train" in line and "ps -eo" not in line and not line.strip().startswith(me)
            and not line.split()[1].startswith("T")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--long-runs", type=int, default=5, help="runs of the 60 s clip")
    parser.add_argument("--weights", action="append", default=None,
                        help="weights folder (default: $EMOTION_WEIGHTS or weights/); give it again to compare weights in one run")
    parser.add_argument("--cold-repeats", type=int, default=3)
    parser.add_argument("--device", default=None, help="cpu, cuda (default: cuda when available, as app.py serves)")
    args = parser.parse_args()
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    sys.path.insert(0, str(ROOT))
    weights = args.weights or [os.environ.get("EMOTION_WEIGHTS", str(ROOT / "weights"))]
    busy = busy_processes()
    figures = {folder: measure(folder, args) for folder in weights}
    if len(weights) > 1:
        first = figures[weights[0]]
        print("\nthe weights side by side (p50, one process, one host):")
        for folder, f in figures.items():
            print(f"  {folder:<28} model {f['model'] * 1000:7.1f} ms ({f['model'] / first['model']:.2f}x the first)   "
                  f"request {f['request'] * 1000:7.1f} ms ({f['request'] / first['request']:.2f}x)   {f['about']}")
    if busy:
        print("\nnote: other processes were running and share the CPU:")
        for line in busy:
            print("   ", line[:150])


def measure(folder: str, args) -> dict:
    """Every figure above for one weights folder, printed; returns the p50 seconds of the
    request and of the model stage, and what the model is."""
    os.environ["EMOTION_WEIGHTS"] = folder  # the cold starts' subprocesses load these
    print(f"\n== weights {folder}", flush=True)
    print("cold start (fresh python: import app = torch + gradio, then model load + UI) ...", flush=True)
    cold_app = cold_start(
        "import os, app, emotion; app.create_demo(emotion.EmotionRecognizer.load(os.environ.get('EMOTION_WEIGHTS', 'weights')))",
        args.cold_repeats,
    )
    cold_lib = cold_start(
        "import os, emotion; emotion.EmotionRecognizer.load(os.environ.get('EMOTION_WEIGHTS', 'weights'))",
        args.cold_repeats,
    )

    import soundfile as sf
    import torch
    from gradio.processing_utils import encode_plot_to_base64

    import app
    from emotion import EmotionRecognizer, to_mono_float32, trim_silence
    from emotion.display import trim_figure
    from emotion.inference import clip_windows
    from emotion.speech import speech_spans

    torch.set_num_threads(max(1, (os.cpu_count() or 1) // app.CONCURRENCY))  # as app.main() serves
    handlers = app.EmotionDemo(EmotionRecognizer.load(folder, device=args.device))
    recognizer, sample_rate = handlers.recognizer, handlers.recognizer.sample_rate
    audio, sr = sf.read(CLIP, dtype="int16")
    audio = np.pad(audio, (0, max(0, int(CLIP_SECONDS * sr) - len(audio))))[: int(CLIP_SECONDS * sr)]
    with tempfile.TemporaryDirectory() as tmp:
        clip = Path(tmp) / CLIP.with_suffix(".wav").name  # a RAVDESS name: the ground truth is built too
        sf.write(clip, audio, sr, subtype="PCM_16")

        first = time.perf_counter()
        handlers.predict(str(clip))
        first = time.perf_counter() - first

        stages: dict[str, list[float]] = {k: [] for k in ("request", "decode", "resample", "vad", "trim", "model", "plot")}
        for _ in range(args.runs):
            start = time.perf_counter()
            _, figure, _, _, _ = handlers.predict(str(clip))
            encode_plot_to_base64(figure, "png")  # what gr.Plot does with the figure after the handler
            stages["request"].append(time.perf_counter() - start)

            t = time.perf_counter()
            with sf.SoundFile(clip) as f:
                raw = f.read(dtype="float32", always_2d=True)
                rate = f.samplerate
            stages["decode"].append(time.perf_counter() - t)
            t = time.perf_counter()
            x = to_mono_float32(raw, rate, sample_rate)
            stages["resample"].append(time.perf_counter() - t)
            t = time.perf_counter()
            speech = speech_spans(x, sample_rate)
            stages["vad"].append(time.perf_counter() - t)
            t = time.perf_counter()
            span = trim_silence(x, top_db=handlers.default_top_db)[1]
            stages["trim"].append(time.perf_counter() - t)
            t = time.perf_counter()
            [(_, timeline)] = recognizer.analyse_batch([x])
            stages["model"].append(time.perf_counter() - t)
            t = time.perf_counter()
            encode_plot_to_base64(trim_figure(x, sample_rate, span, timeline, speech), "png")
            stages["plot"].append(time.perf_counter() - t)

        # The longest clip the app analyses: a minute of test actors' speech, as a 48 kHz upload.
        from emotion import load_audio

        pieces = [load_audio(p, sr) for p in sorted((ROOT / "examples").glob("*.flac"))]
        minute = np.tile(np.concatenate(pieces), 3)[: 60 * sr]
        long_clip = Path(tmp) / "one_minute.wav"
        sf.write(long_clip, minute, sr, subtype="PCM_16")
        long_times, long_segments = [], 0
        for _ in range(args.long_runs):
            start = time.perf_counter()
            _, figure, _, _, timeline = handlers.predict(str(long_clip))
            encode_plot_to_base64(figure, "png")
            long_times.append(time.perf_counter() - start)
            long_segments = len(timeline["segments"])

    # Throughput for many files at once (the CLI's and evaluate's batches): 64 four-second clips per call.
    many = [to_mono_float32(audio[:, None].astype(np.float32) / 32768, sr, sample_rate)] * 64
    recognizer.analyse_batch(many)
    batch_times = []
    for _ in range(max(1, args.long_runs)):
        start = time.perf_counter()
        recognizer.analyse_batch(many)
        batch_times.append(time.perf_counter() - start)

    n_windows = len(clip_windows(np.zeros(int(CLIP_SECONDS * sample_rate), np.float32),
                                 recognizer.window, recognizer.hop))
    print(f"\n{CLIP_SECONDS:g} s clip ({sr} Hz WAV), {args.runs} runs, device {recognizer.device}, "
          f"torch threads {torch.get_num_threads()}, CPUs {os.cpu_count()}, "
          f"model input {n_windows} windows of {recognizer.window / sample_rate:g} s x {recognizer.config.get('ensemble_size', 1)} M5s")
    print(f"  request   {percentiles(stages['request'])}   (handler + PNG encoding, as served)")
    for name in ("decode", "resample", "vad", "trim", "model", "plot"):
        print(f"    {name:<9}{percentiles(stages[name])}")
    print(f"  60 s clip  {percentiles(long_times)}   ({args.long_runs} runs; timeline of {long_segments} windows)")
    print(f"  batch of {len(many)} 4 s clips in one call: {len(many) / np.median(batch_times):.0f} clips/s "
          f"(median of {len(batch_times)}; model only)")
    print(f"  first request after import: {first * 1000:.0f} ms (librosa import, torch first call; app.py warms up before serving)")
    print(f"  cold start, python + import app + page:   median {np.median(cold_app):.2f} s of {len(cold_app)}")
    print(f"  cold start, python + emotion + model load: median {np.median(cold_lib):.2f} s of {len(cold_lib)}")
    members = recognizer.config.get("ensemble_size", 1)
    return {"model": float(np.median(stages["model"])), "request": float(np.median(stages["request"])),
            "about": f"{members} M5 of {recognizer.config['model'].get('n_channel')} channels"}


if __name__ == "__main__":
    main()
