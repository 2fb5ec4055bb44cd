#!/usr/bin/env bash
# System packages the tests use: Chromium for the browser tests (driven by
# Playwright, which must not download a browser of its own) and ffmpeg for
# formats libsndfile cannot read (WebM from browsers, M4A from phones).
# Installs with apt-get when run as root (or with sudo); otherwise says what is missing.
set -u
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium chromium-driver)
command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; else sudo="none"; fi
if [ "$sudo" = "none" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "warning: please install ${missing[*]} (browser and ffmpeg tests will be skipped)" >&2
  exit 0
fi
echo "installing ${missing[*]} with apt-get"
$sudo apt-get update -q && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
