"""The model card (weights/README.md, Hugging Face format), from config.json and the experiment records.

    write_model_card("weights")       # python -m train.model_card is its command line

The card's body is model_card below: every number and every fact about a
corpus comes from the weights' own config.json, and each fact the card shares
with the app's About panel (what the network is, its windows, the corpora, the
split, the score and recall, the benchmark, the limits, the terms) is worded by
emotion.card's one function for it; only what the card alone says is here.
Results measured by *other* runs (a cross-validation, the trimming experiment)
live in experiments/ -- the manifest experiments/model_card.json and the
summaries it names -- never in config.json, so retraining the weights cannot
erase them. A cross-validation is shown only when its recipe is the recipe of
the weights (the ensemble size and per-fold fields aside): a card never
claims another recipe's figures. `python -m train` writes the card at the end
of every run.
"""

from __future__ import annotations

import json
from pathlib import Path

from emotion.card import (CC_LICENCE, augmentation_steps, corpora, corpora_section, corpus_names, dereverb_sentence,
                          generalisation_table, heldout_rows, heldout_section, limits, recalls, score_figures,
                          split_sentence, terms_sentence, what_it_is, windows)
from emotion.checkpoint import read_config, update_config
from emotion.hub import HUB_REPO, SOURCE_REPOSITORY
from emotion.labels import format_actors, parse_actors

from ..config import TrainConfig, recipe_differences
from ..corpora import CORPORA, facts_of
from ..fit import describe_training

ROOT = Path(__file__).resolve().parent.parent.parent
RECORDS = ROOT / "experiments" / "model_card.json"  # which experiment records the card shows


# The card's own words: what the About panel does not say (emotion.card holds what both say).
M5_CITATION = (
    "Dai W, Dai C, Qu S, Li J, Das S (2017). Very deep convolutional neural networks for raw waveforms. "
    "ICASSP 2017. https://arxiv.org/abs/1610.00087"
)
LICENSE_URL = "https://creativecommons.org/licenses/by-nc-sa/4.0/"

# Published actor-independent results on RAVDESS speech, 8 classes (issue #4), for scale.
PUBLISHED = [
    ("wav2vec2-base, frozen features + small head (EmoBox, 6 folds by actor)", "55.4 %"),
    ("WavLM-base (EmoBox)", "62.1 %"),
    ("HuBERT-base (EmoBox)", "66.2 %"),
    ("WavLM-large (EmoBox)", "72.2 %"),
    ("best from-scratch CNN ensemble we know of", "64 %"),
    ("human listeners, audio-only speech", "about 62 %"),
]


def with_corpus_facts(config: dict) -> dict:
    """`config`, with the facts (train.corpora) of every corpus it was trained or tested on that
    it does not record (written before training recorded them): the card then reads every
    corpus fact from config["corpora"]."""
    recorded = config.get("corpora") or {}
    keys = list(config.get("training", {}).get("corpora", ["ravdess"]))
    keys += [k[: -len("_test")] for k in config.get("metrics", {}) if k.endswith("_test") and k[: -len("_test")] in CORPORA]
    missing = {c: facts_of(c) for c in keys if c not in recorded}
    return {**config, "corpora": {**recorded, **missing}} if missing else config


def corpus_facts(config: dict, name: str) -> dict:
    """One corpus's facts as config.json records them; train.corpora's for a corpus the weights
    were evaluated on but not trained on (nEMO's test speakers for RAVDESS-only weights)."""
    return config.get("corpora", {}).get(name) or facts_of(name)


def training_sentence(config: dict) -> str:
    """Augmentation and optimisation, from what the training run recorded about itself."""
    training = config["training"]
    steps = augmentation_steps(config)
    parts = []
    if steps:
        parts.append("Augmentation: " + ", ".join(steps) + ".")
    if training.get("optimisation"):
        parts.append(training["optimisation"][0].upper() + training["optimisation"][1:] + ".")
    minutes = training.get("train_seconds", 0) / 60
    parts.append(f"{minutes:.0f} min on {training.get('device', '?')} ({training.get('threads', '?')} threads).")
    return " ".join(parts)


def confusion_table(metrics: dict) -> str:
    labels = metrics["labels"]
    head = "| true \\ predicted | " + " | ".join(labels) + " |\n|" + " --- |" * (len(labels) + 1)
    rows = [f"| **{e}** | " + " | ".join(str(v) for v in row) + " |" for e, row in zip(labels, metrics["confusion"])]
    return "\n".join([head, *rows])


def usage(repo_id: str = HUB_REPO) -> str:
    """The card's usage snippet: install the library, load these weights from the Hub by id."""
    return f"""```bash
pip install "escuchando-emociones @ {SOURCE_REPOSITORY}"   # the emotion library and the `emotion` command
```

```python
from emotion import EmotionRecognizer
rec = EmotionRecognizer.load("{repo_id}")  # fetched once into the Hugging Face cache
print(rec.predict("clip.wav").probabilities)
```

The package also ships these weights, so `EmotionRecognizer.load()` and
`emotion predict clip.wav --json` work offline without the Hub."""


def card_metadata(config: dict):
    """The card's front matter as a huggingface_hub ModelCardData: license, languages,
    data sets, task, and a model-index with the test results recorded in config.json."""
    from huggingface_hub import EvalResult, ModelCardData  # deferred: 0.2 s of import that only the card's front matter needs

    config = with_corpus_facts(config)
    results = []
    for row in heldout_rows(config):  # the held-out table's rows, RAVDESS's test actors first
        main = row["key"] == "ravdess"
        whose = "" if main else f"{row['name']}'s "
        where = {"task_type": "audio-classification",
                 "task_name": f"Speech emotion recognition ({whose}{row['classes']} classes)",
                 "dataset_type": corpus_facts(config, row["key"]).get("hf_id") or row["key"], "dataset_split": "test",
                 "dataset_name": f"{row['name']} {'speech, ' if main else 'speakers '}{row['speakers']} (unseen)"}
        results += [EvalResult(**where, metric_type="accuracy", metric_value=round(row["accuracy"], 4)),
                    EvalResult(**where, metric_type="recall", metric_name="unweighted average recall",
                               metric_value=round(row["uar"], 4))]
    data = corpora(config)
    return ModelCardData(
        license="cc-by-nc-sa-4.0",
        language=sorted({c["language_code"] for c in data}),
        library_name="pytorch",
        pipeline_tag="audio-classification",
        tags=["audio-classification", "speech-emotion-recognition", "raw-waveform", "m5"],
        datasets=[c["hf_id"] for c in data if c.get("hf_id")],  # ASED and EMOVO are not on the Hub
        metrics=["accuracy", "recall"],
        model_name="escuchando-emociones-m5",
        eval_results=results,
    )


def model_card(config: dict, sections: str = "", repo_id: str = HUB_REPO) -> str:
    """weights/README.md: Hugging Face front matter, then the card. `sections`: extra
    Markdown (experiments on other runs) placed after the results; `repo_id`: the Hub
    repo the card's usage snippet loads from."""
    config = with_corpus_facts(config)
    score, val = score_figures(config), config["metrics"].get("val", {})
    training, pre, model = config["training"], config["preprocessing"], config["model"]
    cal = config.get("calibration", {})
    what = what_it_is(config)
    recall = recalls(config)
    published = "\n".join(f"| {name} | {acc} |" for name, acc in PUBLISHED)
    names = corpus_names(config)
    citations = " —\n".join(c["citation"] for c in corpora(config))
    return f"""---
{card_metadata(config).to_yaml()}
---

# Escuchando Emociones — M5 speech-emotion weights

{what[0].upper() + what[1:]}: the raw-waveform CNN of Dai et al. (2017), as in the torchaudio
speech-commands tutorial, {model['n_channel']} channels, {pre['sample_rate'] // 1000} kHz input, trained from scratch
(no pre-trained weights) on {names}. `model.safetensors` holds the weights,
`config.json` the architecture, label order, preprocessing, training command, split,
metrics and the SHA-256 of the weights (checked on every load); `run/` is the
training run's record.

## Intended use

A demonstration and a teaching baseline: which of eight *acted* emotions ({', '.join(config['labels'])})
a short utterance sounds like. Not for decisions about people: it hears how a sentence is performed,
not what anyone feels.

{usage(repo_id)}

Input: any audio file or array; the library converts it to mono {pre['sample_rate']} Hz,
{'trims silence, ' if pre['trim'] else ''}covers it with {windows(pre)},
analysing at most {pre['max_seconds']:g} s.{(' ' + dereverb_sentence(pre)).rstrip()}

## Training

`{training['command']}` — {split_sentence(config)}.
{training_sentence(config)}{corpora_section(config)}

## Results on unseen actors {score['actors']} ({score['n']} clips)

| accuracy | UAR | ECE (calibrated) | ECE (raw) |
| --- | --- | --- | --- |
| **{score['accuracy']}** | {score['uar']} | {score.get('ece', '—')} | {score.get('ece_uncalibrated', '—')} |

Validation actors: accuracy {val.get('accuracy', float('nan')):.1%}, UAR {val.get('uar', float('nan')):.1%}. Chance is {score['chance']}.{heldout_section(config)}

Recall per class ({' | '.join(e for e, _ in recall)}): {' | '.join(r for _, r in recall)}

{confusion_table(config['metrics']['test'])}

Calibration: temperature scaling, T = {cal.get('temperature', 1.0)}, fitted on the validation actors.

Published actor-independent results on RAVDESS speech (8 classes), for scale — not
the same folds, so read them as a range, not a ranking:

| system | accuracy |
| --- | --- |
{published}
| **this model** (test actors {score['actors']}) | **{score['accuracy']}** |

## Other voices, languages and channels

{generalisation_table(config) or 'Not measured for these weights (`python -m train.generalisation --record`).'}
{sections}
## Limits

{limits(config)} Random-split accuracies published for RAVDESS (80–90 %) let the same
speakers appear in training and test and are not comparable.

## License and citation

Derived from {names}, so released under [{CC_LICENCE}]({LICENSE_URL}): attribution,
non-commercial use, share-alike.{(" " + terms_sentence(config)) if terms_sentence(config) else ""}

{citations} —
{M5_CITATION}
"""


def load_records(path: Path = RECORDS) -> dict:
    return json.loads(path.read_text()) if path.exists() else {}


def crossval_section(cv: dict, recipe: str) -> str:
    rows = "\n".join(
        f"| {m['fold']} | {format_actors(parse_actors(m['test_actors']))} | {format_actors(parse_actors(m['val_actors']))} "
        f"| {m['accuracy']:.1%} | {m['uar']:.1%} | {m['ece']:.1%} |"
        for m in cv["folds"]
    )
    recall = " | ".join(f"{r:.0%}" for r in cv["pooled"]["per_class"].values())
    return f"""
## Six-fold cross-validation by actor

{recipe} Every actor is a test actor exactly once; each fold's validation
actors (early stopping, calibration) are the previous fold's test block.
`{cv['command']}`

| fold | test actors | validation actors | accuracy | UAR | ECE |
| --- | --- | --- | --- | --- | --- |
{rows}
| **mean ± sd** | | | **{cv['accuracy_mean']:.1%} ± {cv['accuracy_sd']:.1%}** | {cv['uar_mean']:.1%} ± {cv['uar_sd']:.1%} | {cv['ece_mean']:.1%} |

Recall per class over all {cv['pooled']['n']} clips ({' | '.join(cv['pooled']['per_class'])}): {recall}

{confusion_table(cv['pooled'])}
"""


def alternative(cv: dict, recipe: str) -> dict:
    """A crossval summary reduced to the card's row: per-fold accuracy and the
    mean over the folds whose test actors are not 21-24 (the ones that choose)."""
    folds = sorted(cv["folds"], key=lambda m: m["fold"])
    if [m["fold"] for m in folds] != list(range(1, 7)):
        raise SystemExit(f"error: {recipe!r} has folds {[m['fold'] for m in folds]}; the card needs all six")
    return {"recipe": recipe, "command": cv.get("command", ""), "fold_accuracy": [m["accuracy"] for m in folds],
            "choice_accuracy": sum(m["accuracy"] for m in folds[:5]) / 5, "per_class": cv["pooled"]["per_class"],
            **{k: cv[k] for k in ("accuracy_mean", "accuracy_sd", "uar_mean", "uar_sd")}}


def alternatives_section(rows: list[dict], shipped: dict) -> str:
    rows = [shipped, *rows]
    table = "\n".join(
        f"| {r['recipe']} | {' / '.join(f'{a:.1%}' for a in r['fold_accuracy'])} | {r['choice_accuracy']:.1%} | "
        f"**{r['accuracy_mean']:.1%} ± {r['accuracy_sd']:.1%}** | {r['uar_mean']:.1%} | "
        f"{r['per_class']['neutral']:.0%} / {r['per_class']['calm']:.0%} |"
        for r in rows
    )
    weighted = [r for r in rows[1:] if "--class-weight" in r["command"]]
    note = ""
    if weighted:  # the reading of the class-weighting row, in its own numbers
        w = weighted[0]
        note = (
            "\nNeutral has half as many clips as each other emotion, and neutral and calm are the pair most often "
            f"confused. A class-weighted loss moves neutral recall from {shipped['per_class']['neutral']:.0%} to "
            f"{w['per_class']['neutral']:.0%} and calm from {shipped['per_class']['calm']:.0%} to "
            f"{w['per_class']['calm']:.0%}, at {100 * (w['choice_accuracy'] - shipped['choice_accuracy']):+.1f} points of accuracy on "
            "folds 1–5, so the shipped recipe does not weight classes.\n"
        )
    return f"""
## Cross-validated and not shipped

Each row is one model per fold, the same six folds as above. The "folds 1–5" column
is what these recipes were first compared on; those folds train on actors 21–24 (and
fold 1 stops early on them), so it is a comparison, not a clean choice: since then
recipes are chosen on actors 1–20 alone (`python -m train.crossval --layout development`).

| recipe | accuracy, folds 1–6 | folds 1–5 (choice) | mean ± sd | UAR | recall neutral / calm |
| --- | --- | --- | --- | --- | --- |
{table}
{note}"""


def emobox_section(cv: dict, recipe: str) -> str:
    """The recipe on EmoBox's six RAVDESS folds, beside the published figures on the same folds."""
    if cv.get("layout") != "emobox":
        raise SystemExit(f"error: {cv.get('command', 'this summary')!r} is not on EmoBox's folds (--layout emobox)")
    folds = sorted(cv["folds"], key=lambda m: m["fold"])
    if [m["fold"] for m in folds] != list(range(1, 7)):
        raise SystemExit(f"error: the EmoBox summary has folds {[m['fold'] for m in folds]}; the card needs all six")
    rows = "\n".join(
        f"| {m['fold']} | {format_actors(parse_actors(m['test_actors']))} | {m['accuracy']:.1%} | {m['uar']:.1%} |" for m in folds
    )
    published = "\n".join(f"| {name} | {acc} |" for name, acc in PUBLISHED if "EmoBox" in name)
    return f"""
## EmoBox folds: the figure that sits beside published ones

{recipe} The EmoBox benchmark's six RAVDESS folds by test actors, each fold's
validation actors taken from its own training actors. WA is accuracy, UA the
unweighted average recall. `{cv['command']}`

| fold | test actors | WA | UA |
| --- | --- | --- | --- |
{rows}
| **mean ± sd** | | **{cv['accuracy_mean']:.1%} ± {cv['accuracy_sd']:.1%}** | {cv['uar_mean']:.1%} ± {cv['uar_sd']:.1%} |

Published on the same folds (WA; self-supervised models pre-trained on thousands of
hours of speech, frozen, with a small head):

| system | WA |
| --- | --- |
{published}
| **M5 from scratch, this recipe, one model** | **{cv['accuracy_mean']:.1%}** |
"""


def choice_rows(record: dict, folder: Path) -> tuple[list[dict], list[dict]]:
    """The development-layout summaries a choice record names, checked to be comparable:
    the same folds of `--layout development` (actors 1-20 only), one per recipe."""
    summaries = [json.loads((folder / r["summary"]).read_text()) for r in record["recipes"]]
    folds = None
    for r, cv in zip(record["recipes"], summaries):
        if cv.get("layout") != "development":
            raise SystemExit(f"error: {r['summary']} is not on the development layout (--layout development)")
        these = sorted(m["fold"] for m in cv["folds"])
        if folds is not None and these != folds:
            raise SystemExit(f"error: {r['summary']} has folds {these}, the other recipe {folds}: compare the same folds")
        folds = these
    return record["recipes"], summaries


def choice_section(record: dict, folder: Path, config: dict) -> str:
    """How the shipped recipe was chosen: a baseline and a candidate, paired by fold on the
    development layout, and the rule written before the runs."""
    recipes, (base, cand) = choice_rows(record, folder)
    by_fold = {m["fold"]: m for m in cand["folds"]}
    with_nemo = any("nemo_test" in m for m in cand["folds"])  # a column only for a candidate that heard nEMO
    rows, diffs = [], []
    for m in sorted(base["folds"], key=lambda m: m["fold"]):
        c = by_fold[m["fold"]]
        diffs.append(100 * (c["accuracy"] - m["accuracy"]))
        nemo = (f" {c['nemo_test']['accuracy']:.1%} |" if "nemo_test" in c else " — |") if with_nemo else ""
        rows.append(f"| {m['fold']} | {format_actors(parse_actors(m['test_actors']))} | {m['accuracy']:.1%} | {c['accuracy']:.1%} "
                    f"| {diffs[-1]:+.1f} |{nemo}")
    delta = sum(diffs) / len(diffs)
    nemo_folds = [m["nemo_test"]["accuracy"] for m in cand["folds"] if "nemo_test" in m]
    nemo_mean = f" {sum(nemo_folds) / len(nemo_folds):.1%} |" if len(nemo_folds) == len(cand["folds"]) else (" |" if with_nemo else "")
    nemo_head = f" {recipes[1]['name']} on nEMO's unseen speakers |" if with_nemo else ""
    passes = delta >= record["margin"]
    channels = None
    if record.get("channel_margin") is not None:  # the rule also asks for robustness through channels
        channels = channel_comparison(base, cand)
        if channels is None:
            raise SystemExit(NO_CHANNELS)
        passes = passes and channels["delta"] >= record["channel_margin"]
    gains = {}  # the rule may also ask a gain on one channel of its own (e.g. the laptop microphone)
    for name, needed in record.get("channel_gains", {}).items():
        gains[name] = channel_gain(base, cand, name)
        passes = passes and gains[name]["delta"] >= needed
    chosen = recipes[1] if passes else recipes[0]
    shipped = [r["name"] for r, cv in zip(recipes, (base, cand)) if not recipe_differences(cv, config["training"]["config"])]
    names = f"{recipes[0]['name']} | {recipes[1]['name']}"
    channel_text = ""
    if channels:
        a, b = recipes[0]["name"], recipes[1]["name"]
        rows_ch = "\n".join(f"| {k} | {x:.1%} | {y:.1%} | {100 * (y - x):+.1f} |" for k, x, y in channels["folds"])
        channel_text = f"""
The same held-out actors through {len(channels['names'])} of the generalisation benchmark's channels
({', '.join(channels['names'])}; its rooms, seeds and noise material are not training's), mean accuracy:

| fold | {a} | {b} | {b} − {a} (points) |
| --- | --- | --- | --- |
{rows_ch}
| **mean** | **{channels['base']:.1%}** | **{channels['cand']:.1%}** | **{channels['delta']:+.1f}** |
"""
    for name, g in gains.items():
        a, b = recipes[0]["name"], recipes[1]["name"]
        rows_g = "\n".join(f"| {k} | {x:.1%} | {y:.1%} | {100 * (y - x):+.1f} |" for k, x, y in g["folds"])
        channel_text += f"""
Through {name} alone (the rule asks {record['channel_gains'][name]:+g} points of it):

| fold | {a} | {b} | {b} − {a} (points) |
| --- | --- | --- | --- |
{rows_g}
| **mean** | **{g['base']:.1%}** | **{g['cand']:.1%}** | **{g['delta']:+.1f}** |
"""
    return f"""
## How the recipe was chosen: cross-validation on actors 1–20 alone

**{recipes[0]['name']}**: {recipes[0]['recipe']} **{recipes[1]['name']}**: {recipes[1]['recipe']}
One model per fold, paired by fold, on five folds of RAVDESS actors 1–20 (each
fold tests four actors, validates on the previous four, trains on the other
twelve); the test actors 21–24 train, stop or test in none of them. The rule,
written before the runs: {record['rule']}

| fold | test actors | {names} | {recipes[1]['name']} − {recipes[0]['name']} (points) |{nemo_head}
| --- | --- | --- | --- | --- |{' --- |' if with_nemo else ''}
{chr(10).join(rows)}
| **mean** | | **{base['accuracy_mean']:.1%}** | **{cand['accuracy_mean']:.1%}** | **{delta:+.1f}** |{nemo_mean}
{channel_text}
By that rule: **{chosen['name']}**{' (these weights)' if shipped and shipped[0] == chosen['name'] else ''}.
"""


def voices_verdict(record: dict, folder: Path) -> tuple[list[dict], dict | None]:
    """The candidates of a voices record with their figures from its comparison
    (scripts/compare_voices.py --json), and the one the rule picks: the best voices
    score among those meeting both constraints (None when none does)."""
    comparison = json.loads((folder / record["comparison"]).read_text())
    rows = []
    for r in record["recipes"]:
        if r["name"] not in comparison:
            raise SystemExit(f"error: {record['comparison']} has no candidate {r['name']!r}")
        figures = comparison[r["name"]]
        rows.append({**r, **figures, "ok": bool(figures["channel_ok"]) and bool(figures["ravdess_ok"]),
                     "cv": json.loads((folder / r["summary"]).read_text())})
    if len({tuple(r["folds"]) for r in rows}) != 1:
        raise SystemExit("error: the candidates of a voices record must be compared on the same folds")
    passing = [r for r in rows if r["ok"]]
    return rows, max(passing, key=lambda r: r["voices"]) if passing else None


def heard_corpora(cv: dict) -> set[str]:
    """The corpora a cross-validated recipe trained on (RAVDESS always)."""
    recipe = cv.get("recipe", {})
    return {"ravdess", *(["nemo"] if recipe.get("nemo") else []),
            *(item.partition("=")[0].strip() for item in recipe.get("corpora", "").split(",") if item.strip())}


def voices_section(record: dict, folder: Path, config: dict) -> str:
    """How the recipe was chosen by issue 22's objective: each candidate's held-out UAR in
    every corpus of the union (development folds; RAVDESS's held-out actors, the others'
    validation speakers, which chose nothing), their mean -- the voices score -- and the two
    constraints; the verdict is computed here from those figures, not written down."""
    rows, chosen = voices_verdict(record, folder)
    names = [c for c in CORPORA if any(c in r["per_corpus"] for r in rows)]
    title = {c: CORPORA[c].FACTS["name"] for c in names}
    table = []
    for r in rows:
        heard = heard_corpora(r["cv"])
        cells = [f"{r['per_corpus'][c]:.1%}{'' if c in heard else ' (unheard)'}" if c in r["per_corpus"] else "—"
                 for c in names]
        gap_name, gap = r["channel_gap"]
        table.append(f"| {r['name']} | {' | '.join(cells)} | **{r['voices']:.1%}** | {gap_name} {100 * gap:+.1f} "
                     f"| {'met' if r['ok'] else 'missed'} |")
    shipped = [r["name"] for r in rows if not recipe_differences(r["cv"], config["training"]["config"])]
    recipes = " ".join(f"**{r['name']}**: {r['recipe']}" for r in rows)
    folds = ", ".join(str(k) for k in rows[0]["folds"])
    verdict = (f"**{chosen['name']}**{' (these weights)' if chosen['name'] in shipped else ''}" if chosen
               else "none of them (each missed a constraint)")
    return f"""
## How the recipe was chosen: voices it never heard, in every corpus

{recipes}
One model per fold on folds {folds} of the development layout (RAVDESS actors 1–20 alone:
each fold tests four actors, validates on the previous four, trains on the other twelve);
RAVDESS's test actors 21–24 and every corpus's declared test speakers train, stop or
test in none of them. Each column is the UAR on that corpus's held-out speakers — RAVDESS's
held-out actors, the other corpora's validation speakers, who chose nothing (only RAVDESS
picked the epoch) — averaged over the folds; a corpus a candidate never trained on is
scored all the same ("unheard"). The rule, written before the runs: {record['rule']}

| candidate | {' | '.join(title[c] for c in names)} | voices score | worst channel vs clean (points) | constraints |
| --- | {' | '.join('---' for _ in names)} | --- | --- | --- |
{chr(10).join(table)}

By that rule: {verdict}.
"""


def ship_section(record: dict, folder: Path, config: dict) -> str:
    """The check an ensemble passed on the shipped split before it replaced the weights
    shipped before it (scripts/ship_check.py --json): validation speakers' UAR per corpus,
    the voices score, the worst channel on the test actors, and the script's verdict on
    each condition."""
    check = json.loads((folder / record["check"]).read_text())
    if not all(isinstance(check.get(k), dict) and {"voices", "channel", "scores"} <= set(check[k]) for k in ("baseline", "candidate")) \
            or "verdict" not in check:
        raise SystemExit(f"error: {record['check']} is not a scripts/ship_check.py --json output")
    base, cand = check["baseline"], check["candidate"]
    names = list(base["scores"])
    title = {c: CORPORA[c].FACTS["name"] for c in names}
    verdict = check["verdict"]
    ships = verdict["ships"]
    # A check states its conditions (issue 32's rule on); the ones before it ran issue 22's three.
    stated = check.get("conditions") or [{"key": key, "text": text, "met": verdict[key]} for key, text in (
        ("voices_above_baseline", "(a) voices score above the weights before"),
        ("ravdess_within_margin", "(b) RAVDESS within 3 points of theirs"),
        ("worst_channel_within_bound", "(c) worst channel within 10 points of clean"))]
    conditions = "; ".join(f"{c['text']}: {'met' if c['met'] else 'missed'}" for c in stated)
    where = "validation actors" if check.get("conditions") else "test actors"
    rows = []
    for r in (base, cand):
        these = " (these weights)" if r.get("weights_sha256") == config.get("weights_sha256") else ""
        cells = " | ".join(f"{r['scores'][c]:.1%}" for c in names)
        rows.append(f"| {r['label']}{these} | {cells} | **{r['voices']:.1%}** "
                    f"| {r['channel'][0]} {100 * r['channel'][1]:+.1f} |")
    return f"""
## How these weights replaced the ones before: the shipped split's check

{record['recipe']} Before it shipped, its ensemble was checked on the shipped split
against the weights shipped before it, by a rule written before it was trained:
{record['rule']} Validation speakers (RAVDESS {format_actors(config['training']['split']['val'])}
and each corpus's declared validation speakers) were heard by neither weights in training;
a corpus the weights never trained on is scored all the same. The channels are heard on the
{where}, a floor both must clear, never a score to rank by.

| weights | {' | '.join(f'{title[c]} (validation UAR)' for c in names)} | voices score | channel nearest its bound vs clean (points, {where}) |
| --- | {' | '.join('---' for _ in names)} | --- | --- |
{chr(10).join(rows)}

{conditions}. By that rule: **{cand['label']} {'ships' if ships else 'does not ship'}**.
"""


NO_CHANNELS = ("error: a rule with a channel margin needs both recipes' folds scored through the same channels "
               "(python -m train.crossval --channels ... --summarise)")


def channel_comparison(base: dict, cand: dict) -> dict | None:
    """Two development-layout summaries' folds through the same benchmark channels
    (crossval --channels): per fold the mean accuracy over the channels, and the
    mean difference in points; None when either recipe lacks them on some fold."""
    by_fold = {m["fold"]: m for m in cand["folds"]}
    folds = sorted(base["folds"], key=lambda m: m["fold"])
    if not all("channels" in m and "channels" in by_fold[m["fold"]] for m in folds):
        return None
    names = list(folds[0]["channels"])
    if any(list(m["channels"]) != names or list(by_fold[m["fold"]]["channels"]) != names for m in folds):
        raise SystemExit("error: the two recipes' folds were heard through different channels")
    return {"names": names, **paired(base, cand, lambda m: sum(m["channels"].values()) / len(names))}


def channel_gain(base: dict, cand: dict, name: str) -> dict:
    """One benchmark channel of two development-layout summaries, fold by fold: accuracies
    and the mean difference in points. Refuses when a fold of either lacks it."""
    if not all(name in m.get("channels", {}) for m in base["folds"] + cand["folds"]):
        raise SystemExit(f"error: the rule asks a gain through {name}, but not every fold of both recipes was scored "
                         f"through it (python -m train.crossval --channels ... --summarise)")
    return paired(base, cand, lambda m: m["channels"][name])


def paired(base: dict, cand: dict, score) -> dict:
    """`score` of each fold of two summaries with the same folds: rows (fold, baseline, candidate),
    both means, and the mean difference in points."""
    by_fold = {m["fold"]: m for m in cand["folds"]}
    rows = [(m["fold"], score(m), score(by_fold[m["fold"]])) for m in sorted(base["folds"], key=lambda m: m["fold"])]
    return {"folds": rows, "base": sum(r[1] for r in rows) / len(rows), "cand": sum(r[2] for r in rows) / len(rows),
            "delta": sum(100 * (y - x) for _, x, y in rows) / len(rows)}


def trimming_section(rows: list[dict], shipped_trims: bool) -> str:
    table = "\n".join(f"| {r['setting']} | {r['val_uar']:.1%} | {r['test_accuracy']:.1%} | {r['test_uar']:.1%} |" for r in rows)
    return f"""
## Silence trimming before the model

One model each, the same recipe otherwise (details in the project's `experiments/README.md`).
Validation UAR decides; the test columns are reported, never used to choose.

| setting | validation UAR | test accuracy | test UAR |
| --- | --- | --- | --- |
{table}

The shipped model hears the clip {'trimmed' if shipped_trims else 'untrimmed'}.
"""


def experiment_sections(config: dict, records: dict, folder: Path) -> str:
    """The card's sections on other runs, from the records that apply to these weights."""
    out = []
    cv_record = records.get("crossval")
    if cv_record:
        cv = json.loads((folder / cv_record["summary"]).read_text())
        if not recipe_differences(cv, config["training"]["config"]):
            out.append(crossval_section(cv, cv_record["recipe"]))
            rows = [alternative(json.loads((folder / a["summary"]).read_text()), a["recipe"]) for a in records.get("alternatives", [])]
            if rows:
                out.append(alternatives_section(rows, alternative(cv, "**this recipe, as one model** (table above)")))
    emobox = records.get("emobox")
    if emobox:
        cv = json.loads((folder / emobox["summary"]).read_text())
        if not recipe_differences(cv, config["training"]["config"]):
            out.append(emobox_section(cv, emobox["recipe"]))
    if records.get("voices"):
        out.append(voices_section(records["voices"], folder, config))
    elif records.get("choice"):  # the rule before issue 22's: RAVDESS and channels alone
        out.append(choice_section(records["choice"], folder, config))
    if records.get("ship"):
        out.append(ship_section(records["ship"], folder, config))
    if records.get("trimming"):
        out.append(trimming_section(json.loads((folder / records["trimming"]).read_text()), config["preprocessing"]["trim"]))
    return "".join(out)


def complete_training_record(weights) -> dict:
    """Weights trained before runs described their own augmentation, or recorded the
    facts of their corpora, get them now -- from the training config they recorded (the
    same function a run uses) and from train.corpora -- so their card and About panel
    are rendered like any other."""
    config = read_config(weights)
    training = config["training"]
    if "augmentation" not in training or "optimisation" not in training:
        known = {k: v for k, v in training["config"].items() if k in TrainConfig.__dataclass_fields__}
        training = {**training, **describe_training(TrainConfig(**known))}
        config = update_config(weights, training=training)
    if "corpora" not in config:
        config = update_config(weights, corpora=with_corpus_facts(config)["corpora"])
    return config


def write_model_card(weights, records: Path | None = None) -> Path:
    """weights/README.md from its config.json and the experiment records (default: the repository's)."""
    records = Path(records) if records is not None else RECORDS
    config = complete_training_record(weights)
    path = Path(weights) / "README.md"
    path.write_text(model_card(config, experiment_sections(config, load_records(records), records.parent)))
    return path
