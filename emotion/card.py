"""Words about the weights, rendered from their config.json: the app's About panel, and
every fact it shares with the model card.

    about(config)                     # the app's "About the model" panel
    about_es(config)                  # the same, in Spanish

The model card (weights/README.md) is the training package's
(train.reports.card). Each fact about the weights that both tell -- what the
network is and how a clip is windowed, the corpora, their languages and terms,
the split, the test score and recall, what training simulated, the channel
benchmark, the limits -- has one function here that reads it from config.json
and words it (`spanish=True` for the Spanish panel, in fewer words where its
docstring says so). The panel and the card call that function and may add
sentences around it, never a copy of their own, so they cannot tell different
stories; the installed library carries none of the card's own prose.
Every number, split, augmentation and corpus description comes from the
config that training wrote (the corpora's facts too: training copies them
from train.corpora into config.json); nothing here is a typed copy of a
result or of a fact about a corpus.
"""

from __future__ import annotations

from .labels import EMOTIONS_ES, format_actors


def chance(config: dict) -> float:
    """Chance accuracy (and UAR) over the weights' own labels: 1/8 for RAVDESS's eight emotions."""
    return 1 / len(config.get("labels") or EMOTIONS_ES)


def percent(x: float, spanish: bool = False, digits: int = 1) -> str:
    """'61.3%', or '61,3 %' with the decimal comma and space Spanish readers expect."""
    return f"{100 * x:.{digits}f} %".replace(".", ",") if spanish else f"{x:.{digits}%}"


def points(delta: float, spanish: bool = False) -> str:
    """A difference of two accuracies, in points: '-9.2' (Spanish: '\u22129,2', with a true minus)."""
    text = f"{100 * delta:+.1f}"
    return text.replace(".", ",").replace("-", "\u2212") if spanish else text


def listed(names: list[str], conjunction: str = "and") -> str:
    """'RAVDESS', 'RAVDESS and nEMO', 'RAVDESS, nEMO and ASED'."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" {conjunction} " + names[-1]


# --- What the network is, and how it hears a clip -------------------------------------------------


def what_it_is(config: dict, spanish: bool = False) -> str:
    """'an ensemble of 3 M5s (seeds 1337–1339, logits averaged)' or 'one M5'; M11, the deeper
    member of the family, says so, and so does one M5 distilled from an ensemble (train --teacher). Spanish: 'un conjunto de 3 M5 (se promedian sus logits)', no seeds."""
    n = config.get("ensemble_size", 1)
    seed = config.get("training", {}).get("config", {}).get("seed")
    arch = config.get("model", {}).get("arch", "m5").upper()
    # emotion.model: M5 has 4 convolutional layers, M11 (Dai et al.'s deeper member) 10
    deeper = ([] if arch != "M11" else
              ["el hermano más profundo de M5: diez capas convolucionales"] if spanish else
              ["the deeper sibling of M5: ten convolutional layers"])
    if n == 1:
        teacher = config.get("training", {}).get("teacher")
        taught = [] if not teacher else (
            [f"destilado de un conjunto de {teacher['ensemble_size']}: aprendió sus probabilidades junto a las etiquetas"]
            if spanish else
            [f"distilled from an ensemble of {teacher['ensemble_size']}: it learnt their probabilities beside the labels"])
        notes = [*deeper, *taught]
        return (f"un {arch}" if spanish else f"one {arch}") + (f" ({'; '.join(notes)})" if notes else "")
    if spanish:
        return f"un conjunto de {n} {arch} ({'; '.join([*deeper, 'se promedian sus logits'])})"
    seeds = f"seeds {seed}\u2013{seed + n - 1}, " if seed is not None else ""
    return f"an ensemble of {n} {arch}s ({'; '.join([*deeper, f'{seeds}logits averaged'])})"


def windows(pre: dict, spanish: bool = False) -> str:
    """How a clip becomes one answer (config["preprocessing"], emotion.inference.pool_windows):
    '3 s windows every 0.5 s, their logits averaged (RMS-weighted)'."""
    if spanish:
        return (f"ventanas de {pre['window_seconds']:g} s cada {pre['hop_seconds']:g} s".replace(".", ",")
                + ", cuyos logits se promedian (ponderados por su nivel RMS)")
    return f"{pre['window_seconds']:g} s windows every {pre['hop_seconds']:g} s, their logits averaged (RMS-weighted)"


def dereverb_sentence(pre: dict, spanish: bool = False) -> str:
    """What the front end does before the windows, for weights that declare WPE (none shipped so far)."""
    if pre.get("dereverb") != "wpe":
        return ""
    return ("Antes se quita la reverberación tardía de la sala (WPE). " if spanish else
            "The room's late reverberation is taken off first (WPE, nara_wpe). ")


# --- The corpora -----------------------------------------------------------------------------------


def corpora(config: dict) -> list[dict]:
    """The facts of the corpora the weights trained on (name, summary, language, citation, ...),
    in training order, as training recorded them in config.json ("corpora"). Weights from
    before that record get each corpus's key as its name and no more: fewer words, never wrong ones."""
    recorded = config.get("corpora") or {}
    return [{"name": name, **recorded.get(name, {})} for name in config.get("training", {}).get("corpora", ["ravdess"])]


def corpus_names(config: dict, spanish: bool = False) -> str:
    """'RAVDESS', 'RAVDESS, nEMO, ASED and EMOVO' ('... y EMOVO'): the corpora the weights trained on."""
    return listed([c["name"] for c in corpora(config)], "y" if spanish else "and")


def languages(config: dict, spanish: bool = False) -> str:
    """'Amharic, Italian, North-American English and Polish' ('amárico, inglés norteamericano,
    italiano y polaco'): the training corpora's languages; '' where none is recorded."""
    key = "language_es" if spanish else "language"
    found = sorted({c[key] for c in corpora(config) if c.get(key)})
    return listed(found, "y" if spanish else "and") if found else ""


def added_corpora(config: dict) -> list[tuple[str, dict]]:
    """(key, facts) of every corpus beside RAVDESS that the weights were trained or tested on,
    in training order; facts as recorded ({"name": key} for weights from before that record)."""
    recorded = config.get("corpora") or {}
    metrics = config.get("metrics", {})
    keys = [c for c in config.get("training", {}).get("corpora", []) if c != "ravdess"]
    keys += [k[: -len("_test")] for k in metrics if k.endswith("_test") and k[: -len("_test")] not in keys]
    return [(k, {"name": k, **recorded.get(k, {})}) for k in keys]


def corpus_sentence(corpus: dict, spanish: bool = False) -> str:
    """'**RAVDESS**: studio recordings of ...' (Spanish: '..., en polaco.'), from what is recorded."""
    summary, language = (corpus.get("summary_es"), corpus.get("language_es")) if spanish else (corpus.get("summary"), None)
    return f"**{corpus['name']}**" + (f": {summary}" if summary else "") + (f", en {language}" if language else "") + "."


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


def corpora_section(config: dict, spanish: bool = False) -> str:
    """The corpora table as a paragraph of its own ('' for weights trained on one corpus)."""
    return "\n\n" + corpora_table(config, spanish) if len(corpora(config)) > 1 else ""


def studio_only(config: dict) -> bool:
    """Whether every training corpus was recorded in a studio (ASED's speakers recorded themselves).
    Weights from before the facts said so read it off the corpus's summary."""
    return all(c.get("studio", "studio" in c.get("summary", "studio")) for c in corpora(config))


# --- The split and the training recipe -------------------------------------------------------------


def split_sentence(config: dict, spanish: bool = False) -> str:
    """Which speakers trained, chose and tested the model, as they are (gaps included). Spanish,
    in fewer words: RAVDESS's actors alone, without how the epoch was chosen."""
    split = config["training"]["split"]
    if spanish:
        return (f"actores {format_actors(split['train'])} para entrenar, {format_actors(split['val'])} para validar, "
                f"{format_actors(split['test'])} para la prueba, evaluada una sola vez")
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


def augmentation_steps(config: dict, kinds: tuple[str, ...] | None = None) -> list[str]:
    """The training run's own description of each augmentation step (of `kinds` only, if given), in its order."""
    return [a["description"] for a in config["training"].get("augmentation") or [] if kinds is None or a["kind"] in kinds]


SIMULATED = ("variants", "channels", "room_bank", "microphone_filter")  # augmentation kinds that imitate other voices and channels


def simulated_sentence(config: dict, spanish: bool = False) -> str:
    """What the training run simulated of other voices, microphones and rooms, from its own
    record; '' for weights trained on the corpora's clean recordings alone. Spanish, in fewer
    words: what was simulated, by kind, without the run's figures."""
    if not spanish:
        steps = augmentation_steps(config, SIMULATED)
        return (" Heard in training through simulated channels, so that other microphones and rooms sound less new: "
                + "; ".join(steps) + ".") if steps else ""
    kinds = {a["kind"] for a in config["training"].get("augmentation") or []}
    recipe = config["training"].get("config", {})
    # "variants" are other versions of a clip: a Praat voice (--voices) or a codec's (--codecs)
    what = ((["voces nuevas (formantes y tono movidos con Praat)"] if "variants" in kinds and recipe.get("voices") else [])
            + (["códecs (Opus, MP3, ley A)"] if "variants" in kinds and recipe.get("codecs") else [])
            + (["salas, bandas limitadas y ruidos simulados"] if "channels" in kinds else [])
            + (["filtros de micrófono"] if "microphone_filter" in kinds else []))
    if not what:
        return ""
    return f" Al entrenar, parte de los fragmentos pasó por {listed(what, 'y')}, para que otros micrófonos y salas suenen menos nuevos."


# --- How good it is --------------------------------------------------------------------------------


def test_actors_text(config: dict) -> str:
    test = config.get("metrics", {}).get("test", {})
    return format_actors(test.get("actors") or config["training"]["split"]["test"])


def score_figures(config: dict, spanish: bool = False) -> dict[str, str]:
    """The test actors' figures, as every page prints them: "n" (clips), "actors", "accuracy",
    "uar", "chance", and, where recorded, "ece" (calibrated) and "ece_uncalibrated"; {} for
    weights that carry no test metrics."""
    test = config.get("metrics", {}).get("test")
    if not test:
        return {}
    score = {"n": str(test["n"]), "actors": test_actors_text(config), "accuracy": percent(test["accuracy"], spanish),
             "uar": percent(test["uar"], spanish), "chance": percent(chance(config), spanish)}
    return score | {key: percent(test[key], spanish) for key in ("ece", "ece_uncalibrated") if key in test}


def score_sentence(config: dict, spanish: bool = False) -> str:
    """The test score in words (Spanish, in fewer words: without the calibration error)."""
    s = score_figures(config, spanish)
    if not s:
        return "Estos pesos no traen métricas de prueba." if spanish else "These weights carry no test metrics."
    if spanish:
        return (f"En los **{s['n']} clips de los actores {s['actors']}**, a quienes el modelo nunca oyó al "
                f"entrenar ni al elegir el modelo: exactitud **{s['accuracy']}**, recall medio no ponderado "
                f"**{s['uar']}** (azar: {s['chance']}).")
    ece = f", expected calibration error {s['ece']}" if "ece" in s else ""
    return (
        f"On the **{s['n']} clips of actors {s['actors']}**, whom the model never heard in "
        f"training or model selection: accuracy **{s['accuracy']}**, unweighted average recall "
        f"**{s['uar']}** (chance: {s['chance']}){ece}."
    )


def recalls(config: dict, spanish: bool = False) -> list[tuple[str, str]]:
    """(emotion, recall on the test actors) in label order: ('neutral', '38%') or ('neutral', '38 %');
    [] when not recorded."""
    per_class = config.get("metrics", {}).get("test", {}).get("per_class") or {}
    return [(e, percent(per_class[e], spanish, 0)) for e in config.get("labels") or per_class if e in per_class]


def weakest(per_class: dict[str, float], k: int = 3) -> list[tuple[str, float]]:
    return sorted(per_class.items(), key=lambda item: item[1])[:k]


def heldout_rows(config: dict) -> list[dict]:
    """One row per corpus with a held-out result in config.json: RAVDESS's test actors, then each
    other corpus's declared test speakers (`<corpus>_test`), with UAR over that corpus's own classes."""
    metrics = config.get("metrics", {})
    rows = []
    if test := metrics.get("test"):
        rows.append({"key": "ravdess", "name": "RAVDESS", "speakers": f"actors {test_actors_text(config)}", "n": test["n"],
                     "classes": len(config.get("labels", EMOTIONS_ES)), "uar": test["uar"],
                     "accuracy": test["accuracy"], "chance": chance(config), "neutral": test.get("per_class", {}).get("neutral")})
    for key, facts in added_corpora(config):
        if m := metrics.get(f"{key}_test"):
            rows.append({"key": key, "name": facts["name"], "speakers": ", ".join(m["speakers"]), "n": m["n"],
                         "classes": len(m.get("classes") or facts.get("emotions") or ()), "uar": m["uar"],
                         "accuracy": m["accuracy"], "chance": m["chance"], "neutral": m.get("per_class", {}).get("neutral")})
    return rows


def heldout_table(config: dict, spanish: bool = False) -> str:
    """The held-out UAR per corpus (speakers never heard in training or model selection), as Markdown;
    '' when the weights carry no test metrics."""
    rows = heldout_rows(config)
    if not rows:
        return ""
    pct = lambda x, digits=1: "" if x is None else percent(x, spanish, digits)  # noqa: E731
    head = (["corpus", "hablantes nunca oídos", "clips", "emociones", "UAR", "exactitud", "azar", "recall de neutral"] if spanish
            else ["corpus", "speakers never heard", "clips", "emotions", "UAR", "accuracy", "chance", "neutral recall"])
    return markdown_table(head, [
        [r["name"], r["speakers"].replace("actors", "actores") if spanish else r["speakers"], r["n"], r["classes"],
         f"**{pct(r['uar'])}**", pct(r["accuracy"]), pct(r["chance"]), pct(r["neutral"], 0)] for r in rows])


def heldout_section(config: dict, spanish: bool = False) -> str:
    """The held-out table under its heading, as a paragraph of its own ('' for weights tested on RAVDESS alone)."""
    if len(heldout_rows(config)) < 2:
        return ""
    heading = ("Cada corpus, en hablantes que el modelo nunca oyó (recall medio no ponderado sobre las emociones del corpus):"
               if spanish else "Every corpus, on speakers the model never heard (unweighted average recall over the corpus's own emotions):")
    return f"\n\n{heading}\n\n{heldout_table(config, spanish)}"


# --- Other voices and channels (python -m train.generalisation --record) ---------------------------


def worst_channel(config: dict) -> tuple[str, float, float] | None:
    """The benchmark's channel the weights did worst through, noise at 5 dB SNR aside (no
    microphone is meant to hear that): (name, accuracy, accuracy minus clean); None if not measured."""
    g = config.get("generalisation")
    if not g:
        return None
    name, channel = min(g["channels"].items(), key=lambda item: item[1]["accuracy"] if "5dB" not in item[0] else 1.0)
    return name, channel["accuracy"], channel["accuracy"] - g["clean"]


def benchmark_corpora(config: dict) -> list[str]:
    """The corpora the benchmark heard besides RAVDESS, each once (nemo_test and nemo_all are one corpus)."""
    return list(dict.fromkeys(k.rsplit("_", 1)[0] for k in (config.get("generalisation") or {}).get("corpora", {})))


def generalisation_table(config: dict) -> str:
    """The generalisation benchmark's summary, as Markdown; '' if none."""
    g = config.get("generalisation")
    if not g:
        return ""
    rows = [f"| clean: RAVDESS test actors {test_actors_text(config)} | **{percent(g['clean'])}** | |"]
    rows += [f"| {name}: {c['simulates']} | {percent(c['accuracy'])} | {points(c['accuracy'] - g['clean'])} |"
             for name, c in g["channels"].items()]
    corpora = [f"| {name}: speakers {', '.join(c['speakers'])} | {percent(c['accuracy'])} | chance {percent(c['chance'])}; "
               f"neutral recall {percent(c['neutral_recall'], digits=0)} |" for name, c in g["corpora"].items()]
    worst, _, drop = worst_channel(config)
    return (
        "| condition | accuracy | vs clean (points) |\n| --- | --- | --- |\n" + "\n".join(rows + corpora)
        + f"\n\nWorst channel (noise at 5 dB SNR aside): {worst}, {points(drop)} points. "
        f"Measured with `{g['command']}`."
    )


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


def generalisation_es(config: dict) -> str:
    """The benchmark in Spanish, in fewer words: the worst channel and each corpus; '' if not measured."""
    g = config.get("generalisation")
    if not g:
        return ""
    worst, accuracy, drop = worst_channel(config)
    text = (f"Los mismos actores de prueba a través de navegadores, teléfonos, portátiles, salas y ruido simulados: "
            f"el peor canal (sin contar ruido a 5 dB) es {channel_es(worst)}, con {percent(accuracy, True)} "
            f"({points(drop, True)} puntos frente a la grabación limpia).")
    if g["corpora"]:
        each = "; ".join(f"{channel_es(name)}: {percent(c['accuracy'], True)} (azar {percent(c['chance'], True)})"
                         for name, c in g["corpora"].items())
        text += (f" {'Otros corpus, en otros idiomas' if len(benchmark_corpora(config)) > 1 else 'Otro corpus, en otro idioma'}: "
                 f"{each}.")
    return text


# --- Limits and terms ------------------------------------------------------------------------------


def limits(config: dict, spanish: bool = False) -> str:
    """Where the weights are weaker than their score says: acted speech, their languages, studio
    microphones, and (English) the weakest emotions on the test actors."""
    if spanish:
        said = languages(config, spanish=True)
        return (f"Entrenado con habla actuada{' en ' + said if said else ''}, grabada {'' if studio_only(config) else 'sobre todo '}"
                "con micrófonos de estudio. Espere menos acierto\ncon habla espontánea, **otros idiomas y acentos**, niños, y "
                "**micrófonos de portátil o de teléfono** en salas reales.\n"
                "Reconoce cómo se *interpreta* una frase, no lo que alguien siente.")
    test = config.get("metrics", {}).get("test")
    weak = ""
    if test and test.get("per_class"):
        weak = " The weakest emotions on the test actors: " + ", ".join(
            f"{e} ({percent(r, digits=0)} recall)" for e, r in weakest(test["per_class"])) + "."
    return (
        f"Trained on acted {languages(config) or 'speech'} ({corpus_names(config)}), "
        f"{'recorded with studio microphones' if studio_only(config) else 'mostly recorded with studio microphones'}. Expect lower accuracy "
        "on spontaneous speech, other languages and accents, children, and laptop or phone microphones in "
        f"real rooms.{weak} It recognises how something is *performed*, not what anyone feels."
    )


CC_LICENCE = "CC BY-NC-SA 4.0"  # the weights' licence: ShareAlike passes RAVDESS's on to them (train.run.license_of)


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
        return (f"Solo para demostración e investigación: los datos de entrenamiento y estos pesos son {CC_LICENCE} "
                "(uso no comercial).") if spanish else (
                f"For demonstration and research only: the training data and these weights are {CC_LICENCE} "
                "(non-commercial).")
    cc = listed([c["name"] for c in corpora(config) if not research_use(c) and not other_terms(c)], "y" if spanish else "and")
    return (f"Solo para demostración e investigación: estos pesos son {CC_LICENCE} (uso no comercial), como {cc}; {extra}"
            if spanish else
            f"For demonstration and research only: these weights are {CC_LICENCE} (non-commercial), as {cc} are; {extra}")


# --- The panel -------------------------------------------------------------------------------------


def about(config: dict) -> str:
    """The app's About panel (Markdown)."""
    pre = config["preprocessing"]
    data = " ".join(corpus_sentence(c) for c in corpora(config))
    recall = recalls(config)
    recall = ("\n\nRecall per emotion: " + ", ".join(f"{e} \u00b7 {EMOTIONS_ES[e]} {r}" for e, r in recall) + ".") if recall else ""
    benchmarked = len(benchmark_corpora(config))
    other_languages = "" if not benchmarked else ", and a corpus in another language" if benchmarked == 1 else ", and corpora in other languages"
    return f"""**M5** is a small convolutional network that listens to the raw waveform (no spectrogram):
a first layer of {config['model']['first_kernel']}-sample filters at {pre['sample_rate'] // 1000} kHz, then three
narrow convolution blocks and an average over time (Dai et al. 2017, as in the torchaudio
speech-commands tutorial). {dereverb_sentence(pre)}A clip is covered by {windows(pre)};
these weights are {what_it_is(config)}.

**Training data.** {data} Split by speaker: {split_sentence(config)}.{simulated_sentence(config)}{corpora_section(config)}

**How good is it?** {score_sentence(config)}{recall}{heldout_section(config)}

{("**Other voices and channels** (the same test actors through simulated browsers, telephones, laptops, rooms and "
   f"noise{other_languages}):" + chr(10) + chr(10) + generalisation_table(config) + chr(10) + chr(10)) if config.get("generalisation") else ""}**Limits.** {limits(config)} {licence_sentence(config)}"""


def about_es(config: dict) -> str:
    """The app's About panel in Spanish (Markdown): what `about` says, in fewer words."""
    pre = config["preprocessing"]
    data = " ".join(corpus_sentence(c, spanish=True) for c in corpora(config))
    recall = recalls(config, spanish=True)
    recall = ("\n\nRecall por emoción: " + ", ".join(f"{EMOTIONS_ES[e]} {r}" for e, r in recall) + ".") if recall else ""
    other = f"\n\n**Otras voces y canales.** {generalisation_es(config)}" if config.get("generalisation") else ""
    return f"""**M5** es una red convolucional pequeña que escucha la onda sonora tal cual (sin espectrograma):
una primera capa de filtros de {config['model']['first_kernel']} muestras a {pre['sample_rate'] // 1000} kHz, tres bloques
de convolución y un promedio en el tiempo (Dai et al. 2017, como en el tutorial de torchaudio). {dereverb_sentence(pre, spanish=True)}Un clip se cubre
con {windows(pre, spanish=True)}; estos pesos son {what_it_is(config, spanish=True)}.

**Datos de entrenamiento.** {data} Separados por hablante: {split_sentence(config, spanish=True)}.{simulated_sentence(config, spanish=True)}{corpora_section(config, spanish=True)}

**¿Qué tan bueno es?** {score_sentence(config, spanish=True)}{recall}{heldout_section(config, spanish=True)}{other}

**Límites.** {limits(config, spanish=True)} {licence_sentence(config, spanish=True)}"""
