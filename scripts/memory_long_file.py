"""Peak memory for a one-hour upload: is it bounded by the 60 s analysis limit?

    python scripts/memory_long_file.py [--minutes 60]

Writes an hour of 48 kHz 16-bit mono WAV (a test-actor clip repeated, 330 MB),
then, in a fresh process each, measures peak RSS (VmHWM) after importing the app
and loading the model, and after the app's handler has analysed the file.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import sys, time
sys.path.insert(0, {root!r})
def hwm():
    return [int(l.split()[1]) // 1024 for l in open('/proc/self/status') if l.startswith('VmHWM')][0]
import app, emotion
handlers = app.EmotionDemo(emotion.EmotionRecognizer.load())
print(f"after import + model load: peak RSS {{hwm()}} MB")
if {analyse}:
    t = time.perf_counter()
    labels, fig, truth, status = handlers.predict({path!r}, True, 30.0)
    print(f"after analysing the file: peak RSS {{hwm()}} MB, {{time.perf_counter() - t:.1f}} s; " + status.splitlines()[0])
"""


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=60)
    args = parser.parse_args()
    clip, sr = sf.read(ROOT / "examples" / "03-01-05-02-01-01-21.flac", dtype="int16")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "one_hour.wav"
        n = int(args.minutes * 60 * sr)
        with sf.SoundFile(path, "w", sr, 1, subtype="PCM_16") as f:
            for start in range(0, n, len(clip)):
                f.write(clip[: min(len(clip), n - start)])
        print(f"{path.name}: {args.minutes:g} min, {path.stat().st_size / 2**20:.0f} MB")
        for analyse in (False, True):
            out = subprocess.run([sys.executable, "-c", PROBE.format(root=str(ROOT), path=str(path), analyse=analyse)],
                                 capture_output=True, text=True, cwd=ROOT)
            print(out.stdout.strip().splitlines()[-1] if out.stdout.strip() else out.stderr[-2000:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
