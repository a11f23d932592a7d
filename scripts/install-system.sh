#!/usr/bin/env bash
# Installs the Debian packages DocDesk needs, only those missing. Used by `make install` and the Dockerfile.
#   scripts/install-system.sh          runtime: Tesseract with English and orientation data, Poppler, a font
#   scripts/install-system.sh --test   also what the browser tests need: Debian's Chromium
set -euo pipefail

packages=(tesseract-ocr tesseract-ocr-eng tesseract-ocr-osd poppler-utils fonts-dejavu-core)
if [[ "${1:-}" == "--test" ]]; then
  packages+=(chromium)
fi

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
  sudo_cmd=""
  command -v sudo >/dev/null && sudo -n true 2>/dev/null && sudo_cmd="sudo"
  if [[ -z "$sudo_cmd" ]]; then
    echo "DocDesk needs these Debian packages: ${missing[*]}" >&2
    echo "Install them as root, then run make again:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
else
  sudo_cmd=""
fi

echo "Installing Debian packages: ${missing[*]}"
$sudo_cmd apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
