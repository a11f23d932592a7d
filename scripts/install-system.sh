#!/usr/bin/env bash
# Installs the Debian packages DocDesk needs, only those missing. Used by `make install` and the Dockerfile.
#   scripts/install-system.sh          runtime: Tesseract with orientation data and the language data
#                                      DOCDESK_OCR_LANGUAGE names (environment or .env; English by default),
#                                      Poppler, a font
#   scripts/install-system.sh --test   also what the tests need beyond that: Debian's Chromium for the browser
#                                      tests; a Redis server and PostgreSQL, which the tests start on their own
#                                      (tests/servers.py) to run everything on PostgreSQL + Redis as well
#   scripts/install-system.sh --list   print the runtime packages, install nothing
set -euo pipefail

# 'eng+msa' -> tesseract-ocr-eng tesseract-ocr-msa ('chi_sim' -> tesseract-ocr-chi-sim), as the settings read it
language="${DOCDESK_OCR_LANGUAGE:-}"
if [[ -z "$language" && -f .env ]]; then
  language=$(sed -n 's/^[[:space:]]*DOCDESK_OCR_LANGUAGE[[:space:]]*=[[:space:]]*//p' .env | tail -n 1 | tr -d "\"' ")
fi
IFS=+ read -ra languages <<< "${language:-eng}"

packages=(tesseract-ocr tesseract-ocr-osd poppler-utils fonts-dejavu-core)
for lang in "${languages[@]}"; do
  lang="${lang,,}"
  packages+=("tesseract-ocr-${lang//_/-}")
done
if [[ "${1:-}" == "--test" ]]; then
  packages+=(chromium redis-server postgresql)
fi
if [[ "${1:-}" == "--list" ]]; then
  printf '%s\n' "${packages[@]}"
  exit 0
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
