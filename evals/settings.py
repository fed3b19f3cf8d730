"""The project settings plus the eval-only knobs (same ``UCA_`` environment prefix)."""

from __future__ import annotations

from pathlib import Path

from ingest.settings import Settings


class EvalSettings(Settings):
    """:class:`ingest.settings.Settings` with where BEIR indexes are cached (``UCA_BEIR_CACHE_DIR``)."""

    beir_cache_dir: Path = Path("~/.cache/uca/beir")

    def resolved_beir_cache_dir(self) -> Path:
        return self.beir_cache_dir.expanduser().resolve()
