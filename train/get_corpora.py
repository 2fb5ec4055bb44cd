"""Fetch the public corpora training hears beside RAVDESS, each at the commit the project pins.

    python -m train.get_corpora                       # every corpus of train/corpora/ into ../data/NAME
    python -m train.get_corpora --dest DIR ased emovo # some of them, elsewhere

Each corpus module's SOURCE says where it lives (a public git repository), at
which commit, and which of the repository's paths are the corpus; this fetches
exactly that commit (shallow, and only those paths), so every user trains on the
files the published figures were measured on. A folder already holding that
commit is left alone; one holding anything else is never overwritten. RAVDESS
comes from Zenodo as a zip (the README says where), so it is not fetched here.
Keep the corpora outside the repository: their licences (the model card lists
them) are not the code's.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from .corpora import CORPORA

FETCHABLE = [name for name, module in CORPORA.items() if hasattr(module, "SOURCE")]


def git(*args: str, cwd: Path | None = None) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"git {' '.join(args)} failed: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout.strip()


def checked_out(dest: Path) -> str | None:
    """The commit a folder fetched here holds, or None for a folder git does not know."""
    if not (dest / ".git").is_dir():
        return None
    try:
        return git("rev-parse", "HEAD", cwd=dest)
    except RuntimeError:  # initialised, nothing fetched yet (an interrupted fetch)
        return None


def fetch(url: str, commit: str, dest: Path, paths: tuple[str, ...] = ()) -> bool:
    """`url` at `commit` into `dest`, only `paths` of it if given (sparse). True if it fetched,
    False if `dest` already held that commit; RuntimeError for a folder holding anything else."""
    dest = Path(dest)
    held = checked_out(dest)
    if held == commit:
        return False
    if held is not None or (dest.exists() and any(p.name != ".git" for p in dest.iterdir())):
        raise RuntimeError(f"{dest} already holds something else ({'commit ' + held[:7] if held else 'files'}); "
                           "move it away or choose another --dest.")
    dest.mkdir(parents=True, exist_ok=True)
    git("init", "-q", cwd=dest)
    if not (dest / ".git" / "config").read_text().count('remote "origin"'):
        git("remote", "add", "origin", url, cwd=dest)
    if paths:  # only the corpus's part of a repository that holds more (EMOVO inside a course repository)
        git("config", "core.sparseCheckout", "true", cwd=dest)
        (dest / ".git" / "info").mkdir(exist_ok=True)
        (dest / ".git" / "info" / "sparse-checkout").write_text("".join(f"/{p.strip('/')}\n" for p in paths))
    # GitHub serves a commit by its id; --depth 1 skips the history, which the corpus does not need.
    # With paths, --filter=blob:none leaves every file out of the fetch and the sparse checkout then
    # asks for just the corpus's: Emotion TTS's repository also holds a G2P model (about 300 MB of its
    # 380) and EMOVO's a course. A server that cannot filter says so and sends the whole tree.
    git("fetch", "-q", "--depth", "1", *(["--filter=blob:none"] if paths else []), "origin", commit, cwd=dest)
    git("checkout", "-q", "--detach", "FETCH_HEAD", cwd=dest)
    if (got := git("rev-parse", "HEAD", cwd=dest)) != commit:
        raise RuntimeError(f"{url} gave commit {got}, not the pinned {commit}.")
    return True


def flags(dest: Path, names: list[str]) -> str:
    """The training flags that read the fetched corpora."""
    out = [f"--nemo {dest / 'nemo'}"] if "nemo" in names else []
    others = [f"{n}={dest / n}" for n in names if n != "nemo"]
    return " ".join(out + ([f"--corpora {','.join(others)}"] if others else []))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m train.get_corpora", description=__doc__.split("\n\n")[0])
    parser.add_argument("corpora", nargs="*", metavar="CORPUS", help=f"which corpora (default: all of {', '.join(FETCHABLE)})")
    parser.add_argument("--dest", type=Path, default=Path("../data"), help="parent folder; each corpus goes to DEST/NAME")
    args = parser.parse_args(argv)
    names = args.corpora or FETCHABLE
    if unknown := [n for n in names if n not in FETCHABLE]:
        parser.error(f"no public source for {', '.join(unknown)}: choose from {', '.join(FETCHABLE)} "
                     "(RAVDESS comes from Zenodo: see the README).")
    for name in names:
        source, dest = CORPORA[name].SOURCE, args.dest / name
        print(f"{CORPORA[name].FACTS['name']}: {source['git']} @ {source['commit'][:7]} -> {dest}", flush=True)
        try:
            fetched = fetch(source["git"], source["commit"], dest, tuple(source.get("paths", ())))
        except RuntimeError as e:
            print(f"  {e}", file=sys.stderr)
            return 1
        clips = CORPORA[name].find_clips(dest)
        print(f"  {'fetched' if fetched else 'already there'}: {len(clips)} clips, "
              f"{len({c.speaker for c in clips})} speakers ({CORPORA[name].FACTS['license']})", flush=True)
    print(f"\nTrain with them: {flags(args.dest, names)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
