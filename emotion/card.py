"""Words about the weights, rendered from their config.json: the model card and the app's About panel.

    model_card(config, sections="")   # weights/README.md (Hugging Face format)
    card_metadata(config)             # its front matter, as huggingface_hub's ModelCardData
    about(config)                     # the app's "About the model" panel

One renderer for both, so the page and the card cannot tell different
stories. Every number, split, augmentation and data description comes from
the config that training wrote (or from facts defined once in this library,
such as the corpus descriptions below); nothing here is a typed copy of a
result. Sections about experiments on other runs (cross-validation, ...) are
rendered by train.model_card and passed in as `sections`.
"""

from __future__ import annotations

from .hub import HUB_REPO, SOURCE_REPOSITORY
from .labels import EMOTIONS_ES, N_ACTORS, STATEMENT, format_actors

# What each training corpus is; config["training"]["corpora"] names them (RAVDESS when absent).
CORPORA = {
    "ravdess": {
        "name": "RAVDESS",
        "summary": (
            f"studio recordings of {N_ACTORS} professional actors (12 female, 12 male) saying "
            f"{len(STATEMENT)} sentences ({', '.join(f'“{s}”' for s in STATEMENT.values())}) in eight emotions"
        ),
        "language": "North-American English",
        "language_code": "en",
        "citation": (
            "Livingstone SR, Russo FA (2018). The Ryerson Audio-Visual Database of Emotional Speech and Song "
            "(RAVDESS). PLoS ONE 13(5): e0196391. https://doi.org/10.1371/journal.pone.0196391"
        ),
        "hf_id": "narad/ravdess",  # the Hub's RAVDESS (a loader for the original Zenodo files)
    },
    "nemo": {
        "name": "nEMO",
        "summary": (
            "studio recordings of 9 actors (4 female, 5 male) saying 90 phonetically varied sentences in six "
            "emotions (no calm, no disgust)"
        ),
        "language": "Polish",
        "language_code": "pl",
        "citation": (
            "Christop I (2024). nEMO: Dataset of Emotional Speech in Polish. Proceedings of LREC-COLING 2024. "
            "https://aclanthology.org/2024.lrec-main.1059/"
        ),
        "hf_id": "amu-cai/nEMO",
    },
}
M5_CITATION = (
    "Dai W, Dai C, Qu S, Li J, Das S (2017). Very deep convolutional neural networks for raw waveforms. "
    "ICASSP 2017. https://arxiv.org/abs/1610.00087"
)
LICENSE_URL = "https://creativecommons.org/licenses/by-nc-sa/4.0/"
CHANCE = 1 / len(EMOTIONS_ES)

# Published actor-independent results on RAVDESS speech, 8 classes (issue #4), for scale.
PUBLISHED = [
    ("wav2vec2-base, frozen features + small head (EmoBox, 6 folds by actor)", "55.4 %"),
    ("WavLM-base (EmoBox)", "62.1 %"),
    ("HuBERT-base (EmoBox)", "66.2 %"),
    ("WavLM-large (EmoBox)", "72.2 %"),
    ("best from-scratch CNN ensemble we know of", "64 %"),
    ("human listeners, audio-only speech", "about 62 %"),
]


def corpora(config: dict) -> list[dict]:
    return [CORPORA[name] for name in config.get("training", {}).get("corpora", ["ravdess"])]


def what_it_is(config: dict) -> str:
    """'an ensemble of 3 M5s (seeds 1337–1339, logits averaged)' or 'one M5'."""
    n = config.get("ensemble_size", 1)
    seed = config.get("training", {}).get("config", {}).get("seed")
    if n == 1:
        return "one M5"
    seeds = f"seeds {seed}\u2013{seed + n - 1}, " if seed is not None else ""
    return f"an ensemble of {n} M5s ({seeds}logits averaged)"


def split_sentence(config: dict) -> str:
    """Which speakers trained, chose and tested the model, as they are (gaps included)."""
    split = config["training"]["split"]
    nemo = split.get("nemo")
    text = (
        f"{'RAVDESS ' if nemo else ''}actors {format_actors(split['train'])} train, {format_actors(split['val'])} validation "
        f"(epoch selection by {config['training'].get('selected_by', 'validation')}, calibration), "
        f"{format_actors(split['test'])} test, evaluated once"
    )
    if nemo:
        text += (f"; nEMO speakers {', '.join(nemo['train'])} train, {', '.join(nemo['val'])} validation, "
                 f"{', '.join(nemo['test'])} test")
    return text


def training_sentence(config: dict) -> str:
    """Augmentation and optimisation, from what the training run recorded about itself."""
    training = config["training"]
    augmentation = training.get("augmentation") or []
    parts = []
    if augmentation:
        parts.append("Augmentation: " + ", ".join(a["description"] for a in augmentation) + ".")
    if training.get("optimisation"):
        parts.append(training["optimisation"][0].upper() + training["optimisation"][1:] + ".")
    minutes = training.get("train_seconds", 0) / 60
    parts.append(f"{minutes:.0f} min on {training.get('device', '?')} ({training.get('threads', '?')} threads).")
    return " ".join(parts)


SIMULATED = ("variants", "channels", "microphone_filter")  # augmentation kinds that imitate other voices and channels


def simulated_sentence(config: dict) -> str:
    """What the training run simulated of other voices, microphones and rooms, from its own
    record; '' for weights trained on the corpora's clean recordings alone."""
    steps = [a["description"] for a in config["training"].get("augmentation") or [] if a["kind"] in SIMULATED]
    return (" Heard in training through simulated channels, so that other microphones and rooms sound less new: "
            + "; ".join(steps) + ".") if steps else ""


def simulated_sentence_es(config: dict) -> str:
    """simulated_sentence, in Spanish and in fewer words."""
    kinds = {a["kind"] for a in config["training"].get("augmentation") or []}
    recipe = config["training"].get("config", {})
    what = ((["voces nuevas (formantes y tono movidos con Praat)"] if recipe.get("voices") else [])
            + (["códecs (Opus, MP3, ley A)"] if "variants" in kinds and recipe.get("codecs") else [])
            + (["salas, bandas limitadas y ruidos simulados"] if "channels" in kinds else [])
            + (["filtros de micrófono"] if "microphone_filter" in kinds else []))
    if not what:
        return ""
    listed = ", ".join(what[:-1]) + " y " + what[-1] if len(what) > 1 else what[0]
    return f" Al entrenar, parte de los fragmentos pasó por {listed}, para que otros micrófonos y salas suenen menos nuevos."


def weakest(per_class: dict[str, float], k: int = 3) -> list[tuple[str, float]]:
    return sorted(per_class.items(), key=lambda item: item[1])[:k]


def recall_list(per_class: dict[str, float], spanish: bool = False) -> str:
    name = (lambda e: f"{e} \u00b7 {EMOTIONS_ES[e]}") if spanish else (lambda e: e)
    return ", ".join(f"{name(e)} {r:.0%}" for e, r in per_class.items())


def test_actors_text(config: dict) -> str:
    test = config.get("metrics", {}).get("test", {})
    return format_actors(test.get("actors") or config["training"]["split"]["test"])


def score_sentence(config: dict) -> str:
    test = config.get("metrics", {}).get("test")
    if not test:
        return "These weights carry no test metrics."
    ece = f", expected calibration error {test['ece']:.1%}" if "ece" in test else ""
    return (
        f"On the **{test['n']} clips of actors {test_actors_text(config)}**, whom the model never heard in "
        f"training or model selection: accuracy **{test['accuracy']:.1%}**, unweighted average recall "
        f"**{test['uar']:.1%}** (chance: {CHANCE:.1%}){ece}."
    )


def nemo_sentence(config: dict) -> str:
    """The nEMO test speakers' result, where the weights have one ('' otherwise)."""
    m = config.get("metrics", {}).get("nemo_test")
    if not m:
        return ""
    return (
        f"On the **{m['n']} nEMO clips of speakers {', '.join(m['speakers'])}** (Polish, never heard in training), "
        f"over nEMO's six emotions: accuracy **{m['accuracy']:.1%}**, UAR {m['uar']:.1%} (chance {m['chance']:.1%}); "
        f"neutral recall {m['per_class'].get('neutral', float('nan')):.0%}."
    )


def generalisation_table(config: dict) -> str:
    """The generalisation benchmark's summary (python -m train.generalisation --record), as Markdown; '' if none."""
    g = config.get("generalisation")
    if not g:
        return ""
    rows = [f"| clean: RAVDESS test actors {test_actors_text(config)} | **{g['clean']:.1%}** | |"]
    rows += [f"| {name}: {c['simulates']} | {c['accuracy']:.1%} | {100 * (c['accuracy'] - g['clean']):+.1f} |"
             for name, c in g["channels"].items()]
    corpora = [f"| {name}: speakers {', '.join(c['speakers'])} | {c['accuracy']:.1%} | chance {c['chance']:.1%}; "
               f"neutral recall {c['neutral_recall']:.0%} |" for name, c in g["corpora"].items()]
    worst = min(g["channels"].items(), key=lambda item: item[1]["accuracy"] if "5dB" not in item[0] else 1.0)
    return (
        "| condition | accuracy | vs clean (points) |\n| --- | --- | --- |\n" + "\n".join(rows + corpora)
        + f"\n\nWorst channel (noise at 5 dB SNR aside): {worst[0]}, {100 * (worst[1]['accuracy'] - g['clean']):+.1f} points. "
        f"Measured with `{g['command']}`."
    )


def limits(config: dict) -> str:
    data = corpora(config)
    languages = " and ".join(sorted({c["language"] for c in data}))
    names = " and ".join(c["name"] for c in data)
    test = config.get("metrics", {}).get("test")
    weak = ""
    if test and test.get("per_class"):
        weak = " The weakest emotions on the test actors: " + ", ".join(f"{e} ({r:.0%} recall)" for e, r in weakest(test["per_class"])) + "."
    return (
        f"Trained on acted {languages} ({names}), recorded with studio microphones. Expect lower accuracy "
        "on spontaneous speech, other languages and accents, children, and laptop or phone microphones in "
        f"real rooms.{weak} It recognises how something is *performed*, not what anyone feels."
    )


def about(config: dict) -> str:
    """The app's About panel (Markdown)."""
    pre = config["preprocessing"]
    test = config.get("metrics", {}).get("test", {})
    data = " ".join(f"**{c['name']}**: {c['summary']}." for c in corpora(config))
    recall = f"\n\nRecall per emotion: {recall_list(test['per_class'], spanish=True)}." if test.get("per_class") else ""
    return f"""**M5** is a small convolutional network that listens to the raw waveform (no spectrogram):
a first layer of {config['model']['first_kernel']}-sample filters at {pre['sample_rate'] // 1000} kHz, then three
narrow convolution blocks and an average over time (Dai et al. 2017, as in the torchaudio
speech-commands tutorial). A clip is covered by {pre['window_seconds']:g} s windows whose predictions are
averaged; these weights are {what_it_is(config)}.

**Training data.** {data} Split by speaker: {split_sentence(config)}.{simulated_sentence(config)}

**How good is it?** {score_sentence(config)} {nemo_sentence(config)}{recall}

{("**Other voices and channels** (the same test actors through simulated browsers, telephones, laptops, rooms and "
   "noise, and a corpus in another language):" + chr(10) + chr(10) + generalisation_table(config) + chr(10) + chr(10)) if config.get("generalisation") else ""}**Limits.** {limits(config)} For demonstration and research only: the training data and these
weights are CC BY-NC-SA 4.0 (non-commercial)."""


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
    from huggingface_hub import EvalResult, ModelCardData  # only the card needs it, not the app

    test = config["metrics"]["test"]
    task = {"task_type": "audio-classification", "task_name": f"Speech emotion recognition ({len(config['labels'])} classes)"}
    ravdess = {"dataset_type": CORPORA["ravdess"]["hf_id"], "dataset_split": "test",
               "dataset_name": f"RAVDESS speech, actors {test_actors_text(config)} (unseen)"}
    results = [
        EvalResult(**task, **ravdess, metric_type="accuracy", metric_value=round(test["accuracy"], 4)),
        EvalResult(**task, **ravdess, metric_type="recall", metric_name="unweighted average recall",
                   metric_value=round(test["uar"], 4)),
    ]
    nemo = config["metrics"].get("nemo_test")
    if nemo:
        results.append(EvalResult(
            task_type="audio-classification", task_name="Speech emotion recognition (nEMO's 6 classes)",
            dataset_type=CORPORA["nemo"]["hf_id"], dataset_split="test",
            dataset_name=f"nEMO speakers {', '.join(nemo['speakers'])} (unseen)",
            metric_type="accuracy", metric_value=round(nemo["accuracy"], 4)))
    data = corpora(config)
    return ModelCardData(
        license="cc-by-nc-sa-4.0",
        language=sorted({c["language_code"] for c in data}),
        library_name="pytorch",
        pipeline_tag="audio-classification",
        tags=["audio-classification", "speech-emotion-recognition", "raw-waveform", "m5"],
        datasets=[c["hf_id"] for c in data],
        metrics=["accuracy", "recall"],
        model_name="escuchando-emociones-m5",
        eval_results=results,
    )

def model_card(config: dict, sections: str = "", repo_id: str = HUB_REPO) -> str:
    """weights/README.md: Hugging Face front matter, then the card. `sections`: extra
    Markdown (experiments on other runs) placed after the results; `repo_id`: the Hub
    repo the card's usage snippet loads from."""
    test, val = config["metrics"]["test"], config["metrics"].get("val", {})
    training, pre, model = config["training"], config["preprocessing"], config["model"]
    cal = config.get("calibration", {})
    what = what_it_is(config)
    data = corpora(config)
    per_class = " | ".join(f"{test['per_class'][e]:.0%}" for e in config["labels"] if e in test["per_class"])
    published = "\n".join(f"| {name} | {acc} |" for name, acc in PUBLISHED)
    names = " and ".join(c["name"] for c in data)
    citations = " —\n".join(c["citation"] for c in data)
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
{'trims silence, ' if pre['trim'] else ''}covers it with {pre['window_seconds']:g} s windows every {pre['hop_seconds']:g} s and averages their
logits (RMS-weighted), analysing at most {pre['max_seconds']:g} s.

## Training

`{training['command']}` — {split_sentence(config)}.
{training_sentence(config)}

## Results on unseen actors {test_actors_text(config)} ({test['n']} clips)

| accuracy | UAR | ECE (calibrated) | ECE (raw) |
| --- | --- | --- | --- |
| **{test['accuracy']:.1%}** | {test['uar']:.1%} | {test.get('ece', float('nan')):.1%} | {test.get('ece_uncalibrated', float('nan')):.1%} |

Validation actors: accuracy {val.get('accuracy', float('nan')):.1%}, UAR {val.get('uar', float('nan')):.1%}. Chance is {CHANCE:.1%}.
{nemo_sentence(config)}

Recall per class ({' | '.join(e for e in config['labels'] if e in test['per_class'])}): {per_class}

{confusion_table(test)}

Calibration: temperature scaling, T = {cal.get('temperature', 1.0)}, fitted on the validation actors.

Published actor-independent results on RAVDESS speech (8 classes), for scale — not
the same folds, so read them as a range, not a ranking:

| system | accuracy |
| --- | --- |
{published}
| **this model** (test actors {test_actors_text(config)}) | **{test['accuracy']:.1%}** |

## Other voices, languages and channels

{generalisation_table(config) or 'Not measured for these weights (`python -m train.generalisation --record`).'}
{sections}
## Limits

{limits(config)} Random-split accuracies published for RAVDESS (80–90 %) let the same
speakers appear in training and test and are not comparable.

## License and citation

Derived from {names}, so released under [CC BY-NC-SA 4.0]({LICENSE_URL}): attribution,
non-commercial use, share-alike.

{citations} —
{M5_CITATION}
"""


# The About panel in Spanish: the same facts from the same config, for the page's Spanish visitors.
CORPORA_ES = {
    "ravdess": {
        "summary": (
            f"grabaciones de estudio de {N_ACTORS} actores profesionales (12 mujeres, 12 hombres) que dicen "
            f"{len(STATEMENT)} frases en ocho emociones"
        ),
        "language": "inglés norteamericano",
    },
    "nemo": {
        "summary": (
            "grabaciones de estudio de 9 actores (4 mujeres, 5 hombres) que dicen 90 frases variadas en seis "
            "emociones (sin calma ni disgusto)"
        ),
        "language": "polaco",
    },
}


# The benchmark's channels (train.channels) and corpora, named for a Spanish reader.
CHANNELS_ES = {
    "browser": "grabación del navegador (Opus)", "telephone": "línea telefónica", "mobile": "teléfono móvil (GSM)",
    "laptop": "micrófono de portátil", "room": "sala con eco", "babble": "conversaciones de fondo", "pink": "ruido rosa",
    "brown": "ruido marrón", "hum": "zumbido de la red eléctrica", "quiet": "grabación muy baja", "clipping": "saturación",
    "nemo_test": "nEMO, hablantes de prueba", "nemo_all": "nEMO completo",
}


def channel_es(name: str) -> str:
    """'babble_10dB' -> 'conversaciones de fondo (10 dB)'."""
    if name in CHANNELS_ES:
        return CHANNELS_ES[name]
    kind, _, detail = name.partition("_")
    words = CHANNELS_ES.get(kind, name)
    return f"{words} ({detail.replace('dB', ' dB')})" if detail.endswith("dB") else words


def _pct(x: float, digits: int = 1) -> str:
    """61.3 %, with the decimal comma Spanish readers expect."""
    return f"{100 * x:.{digits}f} %".replace(".", ",")


def about_es(config: dict) -> str:
    """The app's About panel in Spanish (Markdown): what `about` says, in fewer words."""
    pre = config["preprocessing"]
    names = [name for name in config.get("training", {}).get("corpora", ["ravdess"])]
    data = " ".join(f"**{CORPORA[n]['name']}**: {CORPORA_ES[n]['summary']}, en {CORPORA_ES[n]['language']}." for n in names)
    languages = " y ".join(sorted({CORPORA_ES[n]["language"] for n in names}))
    split = config["training"]["split"]
    n = config.get("ensemble_size", 1)
    what = "un M5" if n == 1 else f"un conjunto de {n} M5 (se promedian sus logits)"
    test = config.get("metrics", {}).get("test")
    score = (
        f"En los **{test['n']} clips de los actores {test_actors_text(config)}**, a quienes el modelo nunca oyó al "
        f"entrenar ni al elegir el modelo: exactitud **{_pct(test['accuracy'])}**, recall medio no ponderado "
        f"**{_pct(test['uar'])}** (azar: {_pct(CHANCE)})."
        if test else "Estos pesos no traen métricas de prueba."
    )
    recall = (
        "\n\nRecall por emoción: " + ", ".join(f"{EMOTIONS_ES[e]} {_pct(r, 0)}" for e, r in test["per_class"].items()) + "."
        if test and test.get("per_class") else ""
    )
    nemo = config.get("metrics", {}).get("nemo_test")
    nemo_text = (
        f" En {nemo['n']} clips en polaco de los hablantes de nEMO {', '.join(nemo['speakers'])}, nunca oídos: "
        f"exactitud **{_pct(nemo['accuracy'])}** sobre seis emociones (azar {_pct(nemo['chance'])})."
        if nemo else ""
    )
    g = config.get("generalisation")
    other = ""
    if g:
        worst = min(g["channels"].items(), key=lambda item: item[1]["accuracy"] if "5dB" not in item[0] else 1.0)
        drop = f"{100 * (worst[1]['accuracy'] - g['clean']):+.1f}".replace(".", ",").replace("-", "\u2212")
        corpora_text = "; ".join(f"{channel_es(name)}: {_pct(c['accuracy'])} (azar {_pct(c['chance'])})" for name, c in g["corpora"].items())
        other = (
            f"\n\n**Otras voces y canales.** Los mismos actores de prueba a través de navegadores, teléfonos, portátiles, "
            f"salas y ruido simulados: el peor canal (sin contar ruido a 5 dB) es {channel_es(worst[0])}, con "
            f"{_pct(worst[1]['accuracy'])} ({drop} puntos frente a la grabación limpia). "
            f"Otro corpus, en otro idioma: {corpora_text}."
        )
    return f"""**M5** es una red convolucional pequeña que escucha la onda sonora tal cual (sin espectrograma):
una primera capa de filtros de {config['model']['first_kernel']} muestras a {pre['sample_rate'] // 1000} kHz, tres bloques
de convolución y un promedio en el tiempo (Dai et al. 2017, como en el tutorial de torchaudio). Un clip se cubre
con ventanas de {pre['window_seconds']:g} s cuyas predicciones se promedian; estos pesos son {what}.

**Datos de entrenamiento.** {data} Separados por hablante: actores {format_actors(split['train'])} para entrenar,
{format_actors(split['val'])} para validar, {format_actors(split['test'])} para la prueba, evaluada una sola vez.{simulated_sentence_es(config)}

**¿Qué tan bueno es?** {score}{nemo_text}{recall}{other}

**Límites.** Entrenado con habla actuada en {languages}, grabada con micrófonos de estudio. Espere menos acierto
con habla espontánea, **otros idiomas y acentos**, niños, y **micrófonos de portátil o de teléfono** en salas reales.
Reconoce cómo se *interpreta* una frase, no lo que alguien siente. Solo para demostración e investigación: los datos
de entrenamiento y estos pesos son CC BY-NC-SA 4.0 (uso no comercial)."""
