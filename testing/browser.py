"""Debian's chromium for the browser tests, driven by Playwright for Python: installed with ``apt-get`` when
missing (as the CI image does not carry it), launched headless, sandbox off (containers), no background
traffic (the only requests of a test go to the app on 127.0.0.1)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
APT_TIMEOUT = 900  # seconds an apt-get step may take
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-gpu"]


def ensure_chromium() -> Path:
    """Debian's chromium, installed with apt-get when missing."""
    if not CHROMIUM.exists():
        install = ["apt-get", "install", "-y", "-q", "chromium"]
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        if subprocess.run(install, env=env, capture_output=True, timeout=APT_TIMEOUT).returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, timeout=APT_TIMEOUT)
            proc = subprocess.run(install, env=env, capture_output=True, text=True, timeout=APT_TIMEOUT)
            assert proc.returncode == 0, f"apt-get install chromium failed:\n{proc.stdout[-2000:]}{proc.stderr}"
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing after apt-get install chromium"
    return CHROMIUM


def launch(playwright, **kwargs):
    """A headless chromium browser of ``playwright`` (``sync_playwright()``'s object)."""
    return playwright.chromium.launch(executable_path=str(ensure_chromium()), headless=True, args=ARGS, **kwargs)
