"""What does a live visitor cost? The Live tab's handler fed as a browser feeds it.

    python scripts/benchmark_live.py [--seconds 30] [--visitors 1,4,8,12] [--uploads 1]

1. One visitor: a test actor's speech streamed in 0.5 s chunks of 48 kHz 16-bit
   PCM (what Gradio's streaming microphone delivers), through app.EmotionDemo.listen
   -- resampling, voice activity, the model on the last 3 s, the status text. Prints
   the CPU time per update and the share of one core a visitor takes at one
   update every 0.5 s.
2. Many at once: V visitors in threads (as Gradio's worker threads run them), each
   sending a chunk every 0.5 s in real time, beside U threads posting 4 s upload
   requests back to back. Prints the achieved interval between a visitor's updates
   (p50/p95; the goal is at most 0.6 s), the time an update takes, and how the
   upload requests fare, so the machine's capacity reads off the table.

torch runs one thread per request, as app.main() sets it. The network and the
browser are not in these figures (tests/test_browser.py watches real updates
arrive in Chromium).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CHUNK_SECONDS = 0.5
RATE = 48000


def stream(seconds: float) -> list[np.ndarray]:
    """`seconds` of the test actors' example clips end to end, as 0.5 s int16 chunks at 48 kHz."""
    from emotion import load_audio

    pieces = [load_audio(p, RATE) for p in sorted((ROOT / "examples").glob("*.flac"))]
    audio = np.tile(np.concatenate(pieces), int(seconds // 30) + 1)[: int(seconds * RATE)]
    pcm = (np.clip(audio, -1, 1) * 32767).astype(np.int16)
    step = int(CHUNK_SECONDS * RATE)
    return [pcm[i : i + step] for i in range(0, len(pcm), step)]


def percentiles(values, unit=1000, suffix="ms") -> str:
    v = np.asarray(values) * unit
    return f"p50 {np.percentile(v, 50):6.0f} {suffix}  p95 {np.percentile(v, 95):6.0f} {suffix}"


def one_visitor(handlers, chunks) -> None:
    state, cpu, wall = None, [], []
    for chunk in chunks:
        t, c = time.perf_counter(), time.thread_time()
        _, _, state = handlers.listen((RATE, chunk), state)
        cpu.append(time.thread_time() - c)
        wall.append(time.perf_counter() - t)
    cpu, wall = np.asarray(cpu[2:]), np.asarray(wall[2:])  # the first updates load the detector
    share = cpu.mean() / CHUNK_SECONDS
    print(f"one visitor, {len(chunks)} updates of {CHUNK_SECONDS:g} s:")
    print(f"  CPU per update {percentiles(cpu)}   wall {percentiles(wall)}")
    print(f"  share of one core per visitor: {share:.1%} (goal: at most 25 %)")
    print(f"  -> {os.cpu_count()} cores hold about {int(os.cpu_count() / share)} live visitors with nothing else running")


def crowd(handlers, chunks, visitors: int, uploads: int, upload_path: str) -> None:
    stop = threading.Event()
    intervals, update_times, upload_times = [], [], []
    lock = threading.Lock()

    def visitor(offset: float):
        time.sleep(offset)
        state, last, due = None, None, time.perf_counter()
        for chunk in chunks:
            due += CHUNK_SECONDS
            t = time.perf_counter()
            _, _, state = handlers.listen((RATE, chunk), state)
            done = time.perf_counter()
            with lock:
                update_times.append(done - t)
                if last is not None:
                    intervals.append(done - last)
            last = done
            time.sleep(max(0.0, due - time.perf_counter()))  # the browser sends the next chunk on its clock

    def uploader():
        while not stop.is_set():
            t = time.perf_counter()
            handlers.predict(upload_path)
            with lock:
                upload_times.append(time.perf_counter() - t)

    threads = [threading.Thread(target=visitor, args=(i * CHUNK_SECONDS / max(visitors, 1),)) for i in range(visitors)]
    helpers = [threading.Thread(target=uploader) for _ in range(uploads)]
    for th in threads + helpers:
        th.start()
    for th in threads:
        th.join()
    stop.set()
    for th in helpers:
        th.join()
    uploads_text = f"uploads {percentiles(upload_times)} ({len(upload_times)})" if upload_times else "no uploads"
    late = np.mean(np.asarray(intervals) > 0.6) if intervals else 0.0
    print(f"  {visitors:3d} visitors + {uploads} upload thread(s): interval {percentiles(intervals)}  "
          f"({late:.0%} over 0.6 s)  update {percentiles(update_times)}  {uploads_text}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each visitor's stream")
    parser.add_argument("--visitors", default="1,4,8,12")
    parser.add_argument("--uploads", type=int, default=1, help="threads posting 4 s upload requests meanwhile")
    args = parser.parse_args()
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    sys.path.insert(0, str(ROOT))

    import soundfile as sf
    import torch

    import app
    from emotion import EmotionRecognizer

    torch.set_num_threads(max(1, (os.cpu_count() or 1) // app.CONCURRENCY))  # as app.main() serves
    handlers = app.EmotionDemo(EmotionRecognizer.load(os.environ.get("EMOTION_WEIGHTS", ROOT / "weights")))
    chunks = stream(args.seconds)
    one_visitor(handlers, chunks)
    with tempfile.TemporaryDirectory() as tmp:
        upload = Path(tmp) / "upload.wav"
        sf.write(upload, np.concatenate(chunks)[: 4 * RATE], RATE, subtype="PCM_16")
        print(f"\nvisitors streaming {args.seconds:g} s each, in real time, on {os.cpu_count()} cores:")
        for v in (int(x) for x in args.visitors.split(",")):
            crowd(handlers, chunks, v, args.uploads, str(upload))


if __name__ == "__main__":
    main()
