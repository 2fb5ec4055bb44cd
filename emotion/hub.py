"""Where weights come from: a local folder, or a model repository on the Hugging Face Hub.

    resolve_weights("weights")                               # a folder: used as it is
    resolve_weights("escuchando-emociones/m5-ravdess")        # a Hub repo id: fetched into the Hub cache
    resolve_weights("escuchando-emociones/m5-ravdess@v1")     # ... pinned to a tag, branch or commit

A repo is fetched with huggingface_hub's snapshot_download, so it lands in the
ordinary Hub cache (~/.cache/huggingface/hub, or $HF_HUB_CACHE), is shared with
every other tool that uses it, and loads with HF_HUB_OFFLINE=1 once cached.
Only the files a checkpoint needs are fetched. What comes back is a plain
folder, checked by emotion.checkpoint exactly like a local one (the SHA-256 in
config.json included), so a damaged download is refused, never used.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from .checkpoint import CONFIG_FILE, WEIGHTS_FILE, CheckpointError

# The model repository this project publishes its shipped weights to
# (scripts/publish_weights.py defaults to it; the Space's README lists it under `models:`).
HUB_REPO = "escuchando-emociones/m5-ravdess"
# Where the project's code is published, for `pip install git+...` in the model card.
SOURCE_REPOSITORY = "git+https://github.com/escuchando-emociones/escuchando-emociones"
# What a checkpoint needs from a repo: the weights, their config, the card, and the
# confusion matrix the app's About panel shows (skipped where a repo lacks it).
HUB_FILES = [WEIGHTS_FILE, CONFIG_FILE, "README.md", "run/confusion_test.png"]

# "user/repo" or "user/repo@revision"; names as the Hub allows them (letters, digits, - _ .).
_REPO_ID = re.compile(r"^(?P<repo>[\w][\w.-]*/[\w][\w.-]*)(?:@(?P<revision>[\w./-]+))?$")


def parse_repo_id(source: str) -> tuple[str, str | None] | None:
    """('user/repo', 'rev' or None) for a string shaped like a Hub repo id, else None."""
    match = _REPO_ID.match(source)
    if not match or ".." in source:
        return None
    return match["repo"], match["revision"]


def resolve_weights(
    source: str | os.PathLike, revision: str | None = None, cache_dir: str | os.PathLike | None = None
) -> Path:
    """A local folder holding model.safetensors + config.json, for `source`.

    source: an existing folder (used as it is), or a Hub repo id "user/repo",
    optionally "user/repo@revision" (or give `revision`). cache_dir: the Hub
    cache (default: huggingface_hub's, i.e. $HF_HUB_CACHE). Raises
    CheckpointError with what to do when the folder does not exist and the
    repo cannot be fetched.
    """
    path = Path(source)
    if path.is_dir():
        return path
    parsed = parse_repo_id(str(source)) if isinstance(source, str) else None
    if parsed is None:
        raise CheckpointError(
            f"No weights folder '{source}': give a folder with {WEIGHTS_FILE} and {CONFIG_FILE}, "
            "or a Hugging Face Hub repo id such as 'user/repo'."
        )
    repo_id, pinned = parsed
    if pinned and revision and pinned != revision:
        raise CheckpointError(f"'{source}' names revision '{pinned}' but revision '{revision}' was also given: give one.")
    return fetch_repo(repo_id, revision or pinned, cache_dir)


def fetch_repo(repo_id: str, revision: str | None = None, cache_dir: str | os.PathLike | None = None) -> Path:
    """The repo's checkpoint files, downloaded into (or, offline, found in) the Hub cache."""
    # Imported here: loading a local folder, the common case, should not pay for it.
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import (HfHubHTTPError, HFValidationError, LocalEntryNotFoundError,
                                        OfflineModeIsEnabled, RepositoryNotFoundError, RevisionNotFoundError)

    asked = f"'{repo_id}'" + (f" at revision '{revision}'" if revision else "")
    try:
        try:
            folder = snapshot_download(repo_id, revision=revision, cache_dir=cache_dir, allow_patterns=HUB_FILES)
        except OfflineModeIsEnabled:
            # huggingface_hub 1.x, offline, with a commit hash as the revision, asks the Hub
            # for the file list anyway (seen with 1.33; 2.x reads the cache): read it ourselves.
            folder = snapshot_download(repo_id, revision=revision, cache_dir=cache_dir, allow_patterns=HUB_FILES,
                                       local_files_only=True)
    except LocalEntryNotFoundError:
        raise CheckpointError(
            f"Weights {asked} are not in the Hugging Face cache and the Hub cannot be reached "
            "(offline, HF_HUB_OFFLINE=1, or no connection). Run once online, or fetch them with "
            f"`hf download {repo_id}{f' --revision {revision}' if revision else ''}`, or give a local weights folder."
        ) from None
    except RevisionNotFoundError:
        raise CheckpointError(f"The Hub repo '{repo_id}' has no revision '{revision}'.") from None
    except RepositoryNotFoundError:
        raise CheckpointError(
            f"No model repo '{repo_id}' on the Hugging Face Hub (or it is private or gated: log in with "
            "`hf auth login`), and no local folder of that name."
        ) from None
    except HfHubHTTPError as e:  # the Hub is down, a proxy refuses, ...
        raise CheckpointError(f"Could not fetch {asked} from the Hugging Face Hub: {e}") from None
    except HFValidationError as e:
        raise CheckpointError(f"'{repo_id}' is not a valid Hugging Face Hub repo id: {e}") from None
    return Path(folder)
