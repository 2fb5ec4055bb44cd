"""Publish a weights folder as a Hugging Face model repository.

    python scripts/publish_weights.py [USER/REPO] [--weights DIR] [--dry-run] [--private] [--branch B] [--tag T]

USER/REPO defaults to emotion.hub.HUB_REPO, where this project publishes its
shipped weights. Uploaded: model.safetensors, config.json, the training run's
record (run/), and a model card: the card the weights folder already holds
(written by `python -m train.model_card` from config.json), its usage snippet
pointed at USER/REPO, and its metadata rebuilt with huggingface_hub's
ModelCardData by train.reports.card.card_metadata (license, languages, data sets,
pipeline_tag, a model-index with the test results read from config.json).

Before anything is uploaded -- and with --dry-run, instead of uploading -- the
weights are loaded and their SHA-256 checked against config.json, and the card
is validated: its front matter parses back to the same metadata, the
model-index results are config.json's, and the snippet loads USER/REPO. The
Hub's own card validation (ModelCard.validate) needs the network: it runs
unless HF_HUB_OFFLINE=1, and the output says which checks ran.

PyTorchModelHubMixin is not used: its from_pretrained reads its own config.json
(the model's init arguments) and skips this project's checksum and
preprocessing record; EmotionRecognizer.load("USER/REPO") reads these files.
Log in first (`hf auth login` or HF_TOKEN) to upload.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout: the emotion library and train/ beside this script

from emotion.checkpoint import CheckpointError, load_checkpoint, sha256_file  # noqa: E402
from emotion.hub import HUB_REPO, parse_repo_id  # noqa: E402
from train.reports.card import card_metadata, usage  # noqa: E402

CARD = "README.md"


def weight_files(folder: Path) -> list[str]:
    """The folder's files to upload (relative paths): everything but the card, which is rebuilt."""
    files = [p.relative_to(folder).as_posix() for p in sorted(folder.rglob("*")) if p.is_file()]
    return [f for f in files if f != CARD and not any(part.startswith(".") for part in f.split("/"))]


def build_card(folder: Path, config: dict, repo_id: str):
    """The model card for `repo_id`: the folder's card body, fresh metadata from config.json."""
    from huggingface_hub import ModelCard

    path = folder / CARD
    if not path.exists():
        raise CheckpointError(f"No model card {path}: write it with `python -m train.model_card --weights {folder}`.")
    body = ModelCard.load(path).text.replace(usage(HUB_REPO), usage(repo_id))
    return ModelCard(f"---\n{card_metadata(config).to_yaml()}\n---\n{body}")


def validate_card(card, config: dict, repo_id: str) -> list[str]:
    """Check the card offline; returns what was checked. Raises ValueError on the first failure."""
    from huggingface_hub import ModelCard
    from huggingface_hub.repocard_data import model_index_to_eval_results

    expected = card_metadata(config).to_dict()
    reparsed = ModelCard(str(card)).data.to_dict()
    if reparsed != expected:
        raise ValueError(f"the card's front matter does not parse back to its metadata: {reparsed} != {expected}")
    for field in ("license", "language", "datasets", "pipeline_tag", "tags", "model-index"):
        if not reparsed.get(field):
            raise ValueError(f"the card's metadata has no {field}")
    if reparsed["pipeline_tag"] != "audio-classification":
        raise ValueError(f"pipeline_tag is {reparsed['pipeline_tag']!r}, not audio-classification")
    _, results = model_index_to_eval_results(reparsed["model-index"])
    test = config["metrics"]["test"]
    recorded = {r.metric_type: r.metric_value for r in results if r.dataset_name.startswith("RAVDESS")}
    if recorded != {"accuracy": round(test["accuracy"], 4), "recall": round(test["uar"], 4)}:
        raise ValueError(f"model-index results {recorded} are not config.json's test metrics")
    if f'EmotionRecognizer.load("{repo_id}")' not in card.text:
        raise ValueError(f"the card's usage snippet does not load {repo_id}: regenerate the card "
                         "(python -m train.model_card --weights DIR)")
    return [
        "ok: front matter parses back to ModelCardData (license, language, datasets, pipeline_tag, tags, model-index)",
        f"ok: model-index: accuracy {recorded['accuracy']}, UAR {recorded['recall']} = config.json's metrics.test",
        f"ok: usage snippet loads {repo_id}",
    ]


def validate_on_hub(card) -> str:
    """The Hub's own YAML validation, when the Hub may be reached."""
    from huggingface_hub import constants

    if constants.HF_HUB_OFFLINE:
        return "skipped: the Hub's validation (ModelCard.validate), HF_HUB_OFFLINE=1"
    try:
        card.validate(repo_type="model")
    except ValueError:
        raise
    except Exception as e:  # no connection: say so, the local checks stand
        return f"skipped: the Hub's validation (ModelCard.validate), the Hub could not be reached ({type(e).__name__})"
    return "ok: the Hub's validation (ModelCard.validate)"


def upload(folder: Path, files: list[str], card, args) -> str:
    from huggingface_hub import CommitOperationAdd, HfApi

    api = HfApi()
    api.create_repo(args.repo, repo_type="model", private=args.private, exist_ok=True)
    if args.branch:
        api.create_branch(args.repo, branch=args.branch, exist_ok=True)
    operations = [CommitOperationAdd(path_in_repo=f, path_or_fileobj=folder / f) for f in files]
    operations.append(CommitOperationAdd(path_in_repo=CARD, path_or_fileobj=str(card).encode()))
    commit = api.create_commit(args.repo, operations=operations, commit_message=args.commit_message,
                               revision=args.branch)
    if args.tag:
        api.create_tag(args.repo, tag=args.tag, revision=commit.oid)
    return commit.commit_url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python scripts/publish_weights.py", description=__doc__.splitlines()[0])
    parser.add_argument("repo", nargs="?", default=HUB_REPO, metavar="USER/REPO", help="model repo (default: %(default)s)")
    parser.add_argument("--weights", default=str(ROOT / "weights"), help="weights folder (default: the shipped weights)")
    parser.add_argument("--dry-run", action="store_true", help="check, validate and list what would be uploaded; upload nothing")
    parser.add_argument("--private", action="store_true", help="create the repo private")
    parser.add_argument("--branch", default=None, help="commit to this branch (created if needed) instead of main")
    parser.add_argument("--tag", default=None, help="tag the new commit, for EmotionRecognizer.load('USER/REPO@TAG')")
    parser.add_argument("--commit-message", default="Publish Escuchando Emociones M5 weights")
    args = parser.parse_args(argv)

    parsed = parse_repo_id(args.repo)
    if parsed is None or parsed[1] is not None:
        print(f"error: '{args.repo}' is not a Hub repo id USER/REPO (use --branch/--tag for revisions)", file=sys.stderr)
        return 2
    folder = Path(args.weights)
    try:
        _, config = load_checkpoint(folder)  # the SHA-256 check: nothing damaged is published
        card = build_card(folder, config, args.repo)
        checks = validate_card(card, config, args.repo)
        checks.append(validate_on_hub(card))
    except (CheckpointError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    files = weight_files(folder)
    print(f"{'would upload' if args.dry_run else 'uploading'} to https://huggingface.co/{args.repo}:")
    for f in files:
        print(f"  {f:<28} {(folder / f).stat().st_size:>9} B  sha256 {sha256_file(folder / f)}")
    print(f"  {CARD:<28} {len(str(card).encode()):>9} B  (model card, built here)")
    print(f"weights: SHA-256 matches config.json ({config['weights_sha256'][:12]}...)")
    print("card:\n" + "\n".join(f"  {c}" for c in checks))
    if args.dry_run:
        return 0
    print(upload(folder, files, card, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
