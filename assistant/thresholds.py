"""The calibrated thresholds of the answer path (``assistant/calibration.json`` or ``UCA_THRESHOLDS_FILE``),
validated when loaded: a bad file is a clear error when the assistant is built, not at the first question."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ingest.settings import Settings


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


def load_thresholds(settings: Settings) -> Thresholds:
    """The thresholds of ``UCA_THRESHOLDS_FILE``, else the committed ``assistant/calibration.json``."""
    if settings.thresholds_file:
        path = Path(settings.thresholds_file).expanduser()
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ThresholdsError(f"cannot read the thresholds file {path}: {exc.strerror or exc}") from None
        where = str(path)
    else:
        text = resources.files("assistant").joinpath("calibration.json").read_text(encoding="utf-8")
        where = "assistant/calibration.json"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ThresholdsError(f"the thresholds file {where} is not valid JSON: {exc}") from None
    return validate_thresholds(data, where)
