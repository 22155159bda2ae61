#!/usr/bin/env bash
# Install the browser that prints the PDF export and that the dashboard test drives: Debian's
# Chromium at /usr/bin/chromium. Playwright for Python drives it through
# executable_path; `playwright install` is never used (it downloads a browser build of
# its own, which this project does not rely on). The Python packages (playwright,
# voila, jupyterlab) come with the pinned dev dependencies, not from here.
#
# Usage: bash scripts/install-browser.sh [PYTHON]   (PYTHON checks that Playwright imports)
set -euo pipefail
PY=${1:-}
BROWSER=/usr/bin/chromium

works() {
    # The Debian wrapper script can print noise on --version; a headless page load is the test.
    timeout 60 "$BROWSER" --headless --no-sandbox --disable-gpu --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --dump-dom about:blank >/dev/null 2>&1
}

if [ -x "$BROWSER" ] && works; then
    echo "chromium: $BROWSER works"
else
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "No apt-get here: install Chromium so that $BROWSER exists (Debian: apt-get install chromium)." >&2
        exit 1
    fi
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    echo "Installing Debian's chromium for the dashboard browser test." >&2
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
    if ! works; then
        echo "chromium was installed but does not start headless: run '$BROWSER --headless --dump-dom about:blank' to see why." >&2
        exit 1
    fi
    echo "chromium: $BROWSER works"
fi

if [ -n "$PY" ]; then
    "$PY" -c "import playwright.sync_api" 2>/dev/null || {
        echo "Playwright for Python is missing from $PY: run 'make setup' (it is a pinned dev dependency)." >&2
        exit 1
    }
fi
