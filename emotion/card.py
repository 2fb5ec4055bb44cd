"""Words about the weights, rendered from their config.json: the app's About panel, and
the sentences it shares with the model card.

    about(config)                     # the app's "About the model" panel
    about_es(config)                  # the same, in Spanish

The model card (weights/README.md) is the training package's
(train.reports.card), which builds it from the sentences here -- the split,
the score, the limits, ... -- so the page and the card cannot tell different
stories, and the installed library carries none of the card's own prose.
Every number, split, augmentation and corpus description comes from the
config that training wrote (the corpora's facts too: training copies them
from train.corpora into config.json); nothing here is a typed copy of a
result or of a fact about a corpus.
"""

from __future__ import annotations

from .labels import EMOTIONS_ES, format_actors

CHANCE = 1 / len(EMOTIONS_ES)


def corpora(config: dict) -> list[dict]:
    """The facts of the corpora the weights trained on (name, summary, language, citation, ...),
    in training order, as training recorded them in config.json ("corpora"). Weights from
    before that record get each corpus's key as its name and no more: fewer words, never wrong ones."""
    recorded = config.get("corpora") or {}
    return [{"name": name, **recorded.get(name, {})} for name in config.get("training", {}).get("corpora", ["ravdess"])]


def listed(names: list[str], conjunction: str = "and") -> str:
    """'RAVDESS', 'RAVDESS and nEMO', 'RAVDESS, nEMO and ASED'."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" {conjunction} " + names[-1]


def corpus_sentence(corpus: dict, spanish: bool = False) -> str:
    """'**RAVDESS**: studio recordings of ...' (Spanish: '..., en polaco.'), from what is recorded."""
    summary, language = (corpus.get("summary_es"), corpus.get("language_es")) if spanish else (corpus.get("summary"), None)
    return f"**{corpus['name']}**" + (f": {summary}" if summary else "") + (f", en {language}" if language else "") + "."


def what_it_is(config: dict) -> str:
    """'an ensemble of 3 M5s (seeds 1337–1339, logits averaged)' or 'one M5' (M11 for the deeper member)."""
    n = config.get("ensemble_size", 1)
    seed = config.get("training", {}).get("config", {}).get("seed")
    arch = config.get("model", {}).get("arch", "m5").upper()
    if n == 1:
        return f"one {arch}"
    seeds = f"seeds {seed}\u2013{seed + n - 1}, " if seed is not None else ""
    return f"an ensemble of {n} {arch}s ({seeds}logits averaged)"


def added_corpora(config: dict) -> list[tuple[str, dict]]:
    """(key, facts) of every corpus beside RAVDESS that the weights were trained or tested on,
    in training order; facts as recorded ({"name": key} for weights from before that record)."""
    recorded = config.get("corpora") or {}
    metrics = config.get("metrics", {})
    keys = [c for c in config.get("training", {}).get("corpora", []) if c != "ravdess"]
    keys += [k[: -len("_test")] for k in metrics if k.endswith("_test") and k[: -len("_test")] not in keys]
    return [(k, {"name": k, **recorded.get(k, {})}) for k in keys]


def split_sentence(config: dict) -> str:
    """Which speakers trained, chose and tested the model, as they are (gaps included)."""
    split = config["training"]["split"]
    others = [(key, facts, split[key]) for key, facts in added_corpora(config) if key in split]
    text = (
        f"{'RAVDESS ' if others else ''}actors {format_actors(split['train'])} train, {format_actors(split['val'])} validation "
        f"(epoch selection by {config['training'].get('selected_by', 'validation')}, calibration), "
        f"{format_actors(split['test'])} test, evaluated once"
    )
    for _, facts, part in others:
        text += (f"; {facts['name']} speakers {', '.join(part['train'])} train, {', '.join(part['val'])} validation, "
                 f"{', '.join(part['test'])} test")
    return text


SIMULATED = ("variants", "channels", "room_bank", "microphone_filter")  # augmentation kinds that imitate other voices and channels


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
    return f" Al entrenar, parte de los fragmentos pasó por {listed(what, 'y')}, para que otros micrófonos y salas suenen menos nuevos."


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


LICENSE_ES = {"research use, cited": "uso en investigación, citándolo",
              "research use, cited (no licence file)": "uso en investigación, citándolo (sin fichero de licencia)"}


def markdown_table(head: list[str], rows: list[list]) -> str:
    """A Markdown table; a '|' inside a cell (a licence's words, say) becomes '/'."""
    line = lambda cells: "| " + " | ".join(str(c).replace("|", "/") for c in cells) + " |"  # noqa: E731
    return "\n".join([line(head), "|" + " --- |" * len(head), *map(line, rows)])


def corpora_table(config: dict, spanish: bool = False) -> str:
    """Every corpus the weights trained on -- language, speakers, emotions, licence, citation --
    as a Markdown table, from the facts training recorded ('' for weights from before that record)."""
    data = [c for c in corpora(config) if c.get("language")]
    if not data:
        return ""
    if spanish:
        return markdown_table(
            ["corpus", "idioma", "hablantes", "emociones", "licencia", "cita"],
            [[c["name"], c.get("language_es", c["language"]), c.get("speakers", "?"),
              ", ".join(EMOTIONS_ES.get(e, e) for e in c.get("emotions", [])),
              LICENSE_ES.get(c.get("license", ""), c.get("license", "?")), c.get("short_citation", "")] for c in data])
    return markdown_table(
        ["corpus", "language", "speakers", "emotions", "licence", "citation"],
        [[c["name"], c["language"], c.get("speakers", "?"), ", ".join(c.get("emotions", [])), c.get("license", "?"),
          c.get("short_citation", "")] for c in data])


def heldout_rows(config: dict) -> list[dict]:
    """One row per corpus with a held-out result in config.json: RAVDESS's test actors, then each
    other corpus's declared test speakers (`<corpus>_test`), with UAR over that corpus's own classes."""
    metrics = config.get("metrics", {})
    rows = []
    if test := metrics.get("test"):
        rows.append({"name": "RAVDESS", "speakers": f"actors {test_actors_text(config)}", "n": test["n"],
                     "classes": len(config.get("labels", EMOTIONS_ES)), "uar": test["uar"],
                     "accuracy": test["accuracy"], "chance": CHANCE, "neutral": test.get("per_class", {}).get("neutral")})
    for key, facts in added_corpora(config):
        if m := metrics.get(f"{key}_test"):
            rows.append({"name": facts["name"], "speakers": ", ".join(m["speakers"]), "n": m["n"],
                         "classes": len(m.get("classes") or facts.get("emotions") or ()), "uar": m["uar"],
                         "accuracy": m["accuracy"], "chance": m["chance"], "neutral": m.get("per_class", {}).get("neutral")})
    return rows


def heldout_table(config: dict, spanish: bool = False) -> str:
    """The held-out UAR per corpus (speakers never heard in training or model selection), as Markdown;
    '' when the weights carry no test metrics."""
    rows = heldout_rows(config)
    if not rows:
        return ""
    if spanish:
        return markdown_table(
            ["corpus", "hablantes nunca oídos", "clips", "emociones", "UAR", "exactitud", "azar", "recall de neutral"],
            [[r["name"], r["speakers"].replace("actors", "actores"), r["n"], r["classes"], f"**{_pct(r['uar'])}**",
              _pct(r["accuracy"]), _pct(r["chance"]), "" if r["neutral"] is None else _pct(r["neutral"], 0)] for r in rows])
    return markdown_table(
        ["corpus", "speakers never heard", "clips", "emotions", "UAR", "accuracy", "chance", "neutral recall"],
        [[r["name"], r["speakers"], r["n"], r["classes"], f"**{r['uar']:.1%}**", f"{r['accuracy']:.1%}",
          f"{r['chance']:.1%}", "" if r["neutral"] is None else f"{r['neutral']:.0%}"] for r in rows])


def corpora_section(config: dict, spanish: bool = False) -> str:
    """The corpora table as a paragraph of its own ('' for weights trained on one corpus)."""
    return "\n\n" + corpora_table(config, spanish) if len(corpora(config)) > 1 else ""


def heldout_section(config: dict, spanish: bool = False) -> str:
    """The held-out table under its heading, as a paragraph of its own ('' for weights tested on RAVDESS alone)."""
    if len(heldout_rows(config)) < 2:
        return ""
    heading = ("Cada corpus, en hablantes que el modelo nunca oyó (recall medio no ponderado sobre las emociones del corpus):"
               if spanish else "Every corpus, on speakers the model never heard (unweighted average recall over the corpus's own emotions):")
    return f"\n\n{heading}\n\n{heldout_table(config, spanish)}"


CC_LICENCE = "CC BY-NC-SA 4.0"


def research_use(corpus: dict) -> bool:
    """Whether a corpus is shared for research use only (ASED, EMOVO) rather than under a CC licence."""
    return "research" in corpus.get("license", "")


def other_terms(corpus: dict) -> bool:
    """A corpus under neither CC BY-NC-SA 4.0 nor research use: other terms, no stated licence, or
    files of its download that disagree (BAVED, TurEV-DB). Its terms are quoted as the facts say them."""
    return corpus.get("license", CC_LICENCE) != CC_LICENCE and not research_use(corpus)


def terms_sentence(config: dict, spanish: bool = False) -> str:
    """The corpora not under CC BY-NC-SA 4.0 named with their terms: those shared for research use
    (ASED, EMOVO), then any whose download states other terms, none, or two that disagree, quoted
    as the download gives them; '' when every training corpus is CC BY-NC-SA 4.0."""
    research = [c["name"] for c in corpora(config) if research_use(c)]
    others = [c for c in corpora(config) if other_terms(c)]
    out = []
    if research and spanish:
        plural = len(research) > 1
        out.append(f"{listed(research, 'y')} se comparte{'n' if plural else ''} para uso en investigación, "
                   f"citándolo{'s' if plural else ''}.")
    elif research:
        out.append(f"{listed(research)} {'are' if len(research) > 1 else 'is'} shared for research use, cited.")
    if others:
        quoted = "; ".join(f"{c['name']}: {c['license']}" for c in others)
        out.append(f"Otras condiciones, como las da cada descarga: {quoted}." if spanish else
                   f"Other terms, as each download gives them: {quoted}.")
    return " ".join(out)


def licence_sentence(config: dict, spanish: bool = False) -> str:
    """What the training data's licences allow: these weights are CC BY-NC-SA 4.0, as the corpora
    under that licence are, and the corpora under other terms are named with them."""
    extra = terms_sentence(config, spanish)
    if not extra:
        return ("Solo para demostración e investigación: los datos de entrenamiento y estos pesos son CC BY-NC-SA 4.0 "
                "(uso no comercial).") if spanish else (
                "For demonstration and research only: the training data and these weights are CC BY-NC-SA 4.0 "
                "(non-commercial).")
    cc = listed([c["name"] for c in corpora(config) if not research_use(c) and not other_terms(c)], "y" if spanish else "and")
    return (f"Solo para demostración e investigación: estos pesos son CC BY-NC-SA 4.0 (uso no comercial), como {cc}; {extra}"
            if spanish else
            f"For demonstration and research only: these weights are CC BY-NC-SA 4.0 (non-commercial), as {cc} are; {extra}")


def studio_only(config: dict) -> bool:
    """Whether every training corpus was recorded in a studio (ASED's speakers recorded themselves).
    Weights from before the facts said so read it off the corpus's summary."""
    return all(c.get("studio", "studio" in c.get("summary", "studio")) for c in corpora(config))


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
    languages = listed(sorted({c["language"] for c in data if c.get("language")}) or ["speech"])
    names = listed([c["name"] for c in data])
    test = config.get("metrics", {}).get("test")
    weak = ""
    if test and test.get("per_class"):
        weak = " The weakest emotions on the test actors: " + ", ".join(f"{e} ({r:.0%} recall)" for e, r in weakest(test["per_class"])) + "."
    return (
        f"Trained on acted {languages} ({names}), "
        f"{'recorded with studio microphones' if studio_only(config) else 'mostly recorded with studio microphones'}. Expect lower accuracy "
        "on spontaneous speech, other languages and accents, children, and laptop or phone microphones in "
        f"real rooms.{weak} It recognises how something is *performed*, not what anyone feels."
    )


def dereverb_sentence(pre: dict, spanish: bool = False) -> str:
    """What the front end does before the windows, for weights that declare WPE (none shipped so far)."""
    if pre.get("dereverb") != "wpe":
        return ""
    return "Antes se quita la reverberación tardía de la sala (WPE). " if spanish else "The room's late reverberation is taken off first (WPE). "


def about(config: dict) -> str:
    """The app's About panel (Markdown)."""
    pre = config["preprocessing"]
    test = config.get("metrics", {}).get("test", {})
    data = " ".join(corpus_sentence(c) for c in corpora(config))
    recall = f"\n\nRecall per emotion: {recall_list(test['per_class'], spanish=True)}." if test.get("per_class") else ""
    return f"""**M5** is a small convolutional network that listens to the raw waveform (no spectrogram):
a first layer of {config['model']['first_kernel']}-sample filters at {pre['sample_rate'] // 1000} kHz, then three
narrow convolution blocks and an average over time (Dai et al. 2017, as in the torchaudio
speech-commands tutorial). {dereverb_sentence(pre)}A clip is covered by {pre['window_seconds']:g} s windows whose predictions are
averaged; these weights are {what_it_is(config)}.

**Training data.** {data} Split by speaker: {split_sentence(config)}.{simulated_sentence(config)}{corpora_section(config)}

**How good is it?** {score_sentence(config)}{recall}{heldout_section(config)}

{("**Other voices and channels** (the same test actors through simulated browsers, telephones, laptops, rooms and "
   "noise, and a corpus in another language):" + chr(10) + chr(10) + generalisation_table(config) + chr(10) + chr(10)) if config.get("generalisation") else ""}**Limits.** {limits(config)} {licence_sentence(config)}"""


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
    data = " ".join(corpus_sentence(c, spanish=True) for c in corpora(config))
    languages = listed(sorted({c["language_es"] for c in corpora(config) if c.get("language_es")}) or [""], "y")
    split = config["training"]["split"]
    n = config.get("ensemble_size", 1)
    arch = config.get("model", {}).get("arch", "m5").upper()
    what = f"un {arch}" if n == 1 else f"un conjunto de {n} {arch} (se promedian sus logits)"
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
            # nemo_test and nemo_all are one corpus: count corpora, not rows
            f"{'Otros corpus, en otros idiomas' if len({k.rsplit('_', 1)[0] for k in g['corpora']}) > 1 else 'Otro corpus, en otro idioma'}: "
            f"{corpora_text}."
        )
    return f"""**M5** es una red convolucional pequeña que escucha la onda sonora tal cual (sin espectrograma):
una primera capa de filtros de {config['model']['first_kernel']} muestras a {pre['sample_rate'] // 1000} kHz, tres bloques
de convolución y un promedio en el tiempo (Dai et al. 2017, como en el tutorial de torchaudio). {dereverb_sentence(pre, spanish=True)}Un clip se cubre
con ventanas de {pre['window_seconds']:g} s cuyas predicciones se promedian; estos pesos son {what}.

**Datos de entrenamiento.** {data} Separados por hablante: actores {format_actors(split['train'])} para entrenar,
{format_actors(split['val'])} para validar, {format_actors(split['test'])} para la prueba, evaluada una sola vez.{simulated_sentence_es(config)}{corpora_section(config, spanish=True)}

**¿Qué tan bueno es?** {score}{recall}{heldout_section(config, spanish=True)}{other}

**Límites.** Entrenado con habla actuada{' en ' + languages if languages else ''}, grabada {'' if studio_only(config) else 'sobre todo '}con micrófonos de estudio. Espere menos acierto
con habla espontánea, **otros idiomas y acentos**, niños, y **micrófonos de portátil o de teléfono** en salas reales.
Reconoce cómo se *interpreta* una frase, no lo que alguien siente. {licence_sentence(config, spanish=True)}"""
