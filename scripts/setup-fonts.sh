#!/usr/bin/env bash
# Make sure matplotlib can draw Chinese. macOS (PingFang) and Windows (Microsoft
# YaHei) ship a CJK font; on Linux we install the openly licensed Noto Sans CJK
# (SIL OFL 1.1) from the distribution when no CJK font is present.
set -euo pipefail
PY=${1:-python3}
if "$PY" -m playbook.plots.fonts --check >/dev/null 2>&1; then
    exit 0
fi
echo "No CJK font found for figures; installing Noto Sans CJK (SIL Open Font License)." >&2
if command -v apt-get >/dev/null 2>&1; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq fonts-noto-cjk >/dev/null
elif command -v dnf >/dev/null 2>&1; then
    sudo dnf install -y google-noto-sans-cjk-fonts
elif command -v brew >/dev/null 2>&1; then
    brew install --cask font-noto-sans-cjk
fi
# matplotlib caches the font list; rebuild it so the new font is seen.
"$PY" -m playbook.plots.fonts --rebuild-cache
"$PY" -m playbook.plots.fonts --check || {
    echo "Still no CJK font: install Noto Sans CJK SC (https://github.com/notofonts/noto-cjk) and re-run 'make setup'." >&2
    exit 1
}
