"""Write the model card (weights/README.md, Hugging Face format) from config.json.

    python -m train.model_card --weights weights

Every number in the card is read from the weights' own config.json, so the
card cannot drift from the weights; `python -m train` writes it at the end of
each run.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from emotion.checkpoint import read_config

# Published actor-independent results on RAVDESS speech, 8 classes (issue #4).
PUBLISHED = [
    ("wav2vec2-base, frozen features + small head (EmoBox, 6 folds by actor)", "55.4 %"),
    ("WavLM-base (EmoBox)", "62.1 %"),
    ("HuBERT-base (EmoBox)", "66.2 %"),
    ("WavLM-large (EmoBox)", "72.2 %"),
    ("best from-scratch CNN ensemble we know of", "64 %"),
    ("human listeners, audio-only speech", "about 62 %"),
]


def confusion_table(metrics: dict) -> str:
    labels = metrics["labels"]
    head = "| true \\ predicted | " + " | ".join(labels) + " |\n|" + " --- |" * (len(labels) + 1)
    rows = [f"| **{e}** | " + " | ".join(str(v) for v in row) + " |" for e, row in zip(labels, metrics["confusion"])]
    return "\n".join([head, *rows])


def render(config: dict) -> str:
    test, val = config["metrics"]["test"], config["metrics"].get("val", {})
    training, pre, model = config["training"], config["preprocessing"], config["model"]
    cal = config.get("calibration", {})
    n = config.get("ensemble_size", 1)
    split = training["split"]
    what = f"an ensemble of {n} M5s (seeds {training['config']['seed']}–{training['config']['seed'] + n - 1}, logits averaged)" if n > 1 else "one M5"
    per_class = " | ".join(f"{test['per_class'][e]:.0%}" for e in config["labels"])
    published = "\n".join(f"| {name} | {acc} |" for name, acc in PUBLISHED)
    return f"""---
license: cc-by-nc-sa-4.0
library_name: pytorch
pipeline_tag: audio-classification
tags:
- speech-emotion-recognition
- raw-waveform
- m5
datasets:
- ravdess
metrics:
- accuracy
- recall
model-index:
- name: escuchando-emociones-m5
  results:
  - task:
      type: audio-classification
      name: Speech emotion recognition (8 classes)
    dataset:
      type: ravdess
      name: RAVDESS speech, actors {split['test'][0]}-{split['test'][-1]} (unseen)
    metrics:
    - type: accuracy
      value: {test['accuracy']:.4f}
    - type: recall
      name: unweighted average recall
      value: {test['uar']:.4f}
---

# Escuchando Emociones — M5 speech-emotion weights

{what[0].upper() + what[1:]}: the raw-waveform CNN of Dai et al. (2017), as in the torchaudio
speech-commands tutorial, {model['n_channel']} channels, {pre['sample_rate'] // 1000} kHz input, trained from scratch
(no pre-trained weights) on RAVDESS speech. `model.safetensors` holds the weights,
`config.json` the architecture, label order, preprocessing, training command, split,
metrics and the SHA-256 of the weights (checked on every load); `run/` is the
training run's record.

## Intended use

A demonstration and a teaching baseline: which of eight *acted* emotions (neutral,
calm, happy, sad, angry, fearful, disgust, surprised) a short English utterance
sounds like. Not for decisions about people: it hears how a sentence is performed,
not what anyone feels.

```python
from emotion import EmotionRecognizer
EmotionRecognizer.load("weights").predict("clip.wav").probabilities
```

Input: any audio file or array; the library converts it to mono {pre['sample_rate']} Hz,
{'trims silence, ' if pre['trim'] else ''}covers it with {pre['window_seconds']:g} s windows every {pre['hop_seconds']:g} s and averages their
logits (RMS-weighted), analysing at most {pre['max_seconds']:g} s.

## Training

`{training['command']}` — actors {split['train'][0]}–{split['train'][-1]} train, {split['val'][0]}–{split['val'][-1]} validation
(epoch selection by {training['selected_by']}, calibration), {split['test'][0]}–{split['test'][-1]} test, evaluated once.
Augmentation: random {pre['window_seconds']:g} s crops, speed perturbation ±{training['config'].get('speed_perturb', 0):.0%},
white noise at 15–40 dB SNR; AdamW with a one-cycle schedule, label smoothing
{training['config']['label_smoothing']}, {training['config']['epochs']} epochs; {training['train_seconds'] / 60:.0f} min on {training['device']} ({training.get('threads', '?')} threads).

## Results on unseen actors {split['test'][0]}–{split['test'][-1]} ({test['n']} clips)

| accuracy | UAR | ECE (calibrated) | ECE (raw) |
| --- | --- | --- | --- |
| **{test['accuracy']:.1%}** | {test['uar']:.1%} | {test.get('ece', float('nan')):.1%} | {test.get('ece_uncalibrated', float('nan')):.1%} |

Validation actors: accuracy {val.get('accuracy', float('nan')):.1%}, UAR {val.get('uar', float('nan')):.1%}. Chance is 12.5 %.

Recall per class ({' | '.join(config['labels'])}): {per_class}

{confusion_table(test)}

Calibration: temperature scaling, T = {cal.get('temperature', 1.0)}, fitted on the validation actors.

Published actor-independent results on RAVDESS speech (8 classes), for scale — not
the same folds, so read them as a range, not a ranking:

| system | accuracy |
| --- | --- |
{published}
| **this model** (test actors {split['test'][0]}–{split['test'][-1]}) | **{test['accuracy']:.1%}** |

Trimming silence before the model, the seed project's experiment, is measured in
the project's `experiments/README.md`.

## Limits

Acted North-American English from 24 professional actors, two sentences, a studio
microphone. Expect lower accuracy on spontaneous speech, other languages and
accents, children, and laptop or phone microphones in real rooms. Sad and happy
are the weakest classes. Random-split accuracies published for RAVDESS (80–90 %)
let the same speakers appear in training and test and are not comparable.

## License and citation

Derived from RAVDESS, so released under
[CC BY-NC-SA 4.0](https://creativecommons.org/licenses/by-nc-sa/4.0/): attribution,
non-commercial use, share-alike.

Livingstone SR, Russo FA (2018). The Ryerson Audio-Visual Database of Emotional
Speech and Song (RAVDESS). PLoS ONE 13(5): e0196391.
https://doi.org/10.1371/journal.pone.0196391 —
Dai W, Dai C, Qu S, Li J, Das S (2017). Very deep convolutional neural networks for
raw waveforms. ICASSP 2017.
"""


def write_model_card(weights) -> Path:
    path = Path(weights) / "README.md"
    path.write_text(render(read_config(weights)))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m train.model_card", description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default="weights")
    args = parser.parse_args(argv)
    print(f"wrote {write_model_card(args.weights)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
