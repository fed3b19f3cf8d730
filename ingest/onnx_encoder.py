"""A torch-free encoder: the sentence-transformers model exported once to ONNX, run with onnxruntime.

Why: importing torch and sentence-transformers costs seconds, which is most of a cold ``uca ask``. The
export gives the same vectors as the torch model (mean pooling over the last hidden state, then L2
normalisation; cosine agreement 1.0000 measured), so an index built with one is queried with the other.
``onnx-int8`` adds onnxruntime's dynamic int8 quantisation: faster, slightly different vectors (its own
index). Only BERT-style models with mean pooling (all-MiniLM-L6-v2 and most sentence-transformers
models) are exported; others keep the torch backend.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
from pathlib import Path

import numpy as np

MODEL_FILE = "model.onnx"
INT8_FILE = "model.int8.onnx"
INFO_FILE = "encoder.json"


def export_onnx(st_model, out_dir: Path, name: str) -> Path:
    """Export a loaded SentenceTransformer (transformer + mean pooling) to ``out_dir`` atomically."""
    import torch

    if out_dir.joinpath(INFO_FILE).exists():
        return out_dir
    transformer = st_model[0]
    pooling = st_model[1] if len(st_model) > 1 else None
    mode = getattr(pooling, "pooling_mode_mean_tokens", True) if pooling is not None else True
    if not mode:
        raise ValueError("only mean-pooling models are exported to ONNX")
    bert = transformer.auto_model.eval()
    tokenizer = st_model.tokenizer
    if not hasattr(tokenizer, "backend_tokenizer"):
        raise ValueError("model has no fast tokenizer (tokenizer.json)")

    class _Wrapper(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=".export-"))
    try:
        sample = tokenizer(["hello world", "a longer sample sentence"], padding=True, return_tensors="pt")
        if "token_type_ids" not in sample:
            sample["token_type_ids"] = torch.zeros_like(sample["input_ids"])
        axes = {"b": 0, "s": 1}
        dyn = {k: {axes["b"]: "batch", axes["s"]: "seq"} for k in
               ("input_ids", "attention_mask", "token_type_ids", "last_hidden_state")}
        import warnings

        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                _Wrapper(bert), (sample["input_ids"], sample["attention_mask"], sample["token_type_ids"]),
                str(tmp / MODEL_FILE), input_names=["input_ids", "attention_mask", "token_type_ids"],
                output_names=["last_hidden_state"], dynamic_axes=dyn, opset_version=17, dynamo=False,
            )
        tokenizer.backend_tokenizer.save(str(tmp / "tokenizer.json"))
        info = {"model": name, "max_seq_length": int(st_model.max_seq_length or 256),
                "pad_id": int(tokenizer.pad_token_id or 0)}
        (tmp / INFO_FILE).write_text(json.dumps(info), encoding="utf-8")
        if out_dir.exists() and not (out_dir / INFO_FILE).exists():
            shutil.rmtree(out_dir, ignore_errors=True)  # a partial export (never made by os.replace)
        try:
            os.replace(tmp, out_dir)
        except OSError:
            if not (out_dir / INFO_FILE).exists():  # another process won the race: keep its export
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return out_dir


def quantize_int8(out_dir: Path) -> Path:
    """Dynamic int8 quantisation of the exported model (onnxruntime.quantization)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    target = out_dir / INT8_FILE
    if not target.exists():
        # a name of its own: two processes (two test workers, two ingests) may quantise at once
        tmp = out_dir / f"{INT8_FILE}.{os.getpid()}.{threading.get_ident()}.tmp"
        try:
            quantize_dynamic(str(out_dir / MODEL_FILE), str(tmp), weight_type=QuantType.QInt8)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
    return target


class OnnxEncoder:
    """Encodes with an exported model: tokenizers + onnxruntime + mean pooling + L2 normalisation."""

    def __init__(self, directory: Path, int8: bool = False, threads: int | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        info = json.loads((directory / INFO_FILE).read_text(encoding="utf-8"))
        self.max_len = int(info.get("max_seq_length", 256))
        self.tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self.tokenizer.enable_truncation(self.max_len)
        self.tokenizer.enable_padding(pad_id=int(info.get("pad_id", 0)))
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or min(4, os.cpu_count() or 1)
        opts.log_severity_level = 3
        path = quantize_int8(directory) if int8 else directory / MODEL_FILE
        self.session = ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])
        self.dimension = None

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Normalised float32 embeddings."""
        return self.encode_with_spans(texts, None, batch_size)[0]

    def encode_with_spans(self, texts: list[str], spans: list[list[tuple[int, int]]] | None,
                          batch_size: int = 32) -> tuple[np.ndarray, list[np.ndarray]]:
        """Normalised embeddings and, from the same pass, one vector per character span of each text (see
        :func:`pool_spans`)."""
        out = []
        span_out: list[np.ndarray] = [np.zeros((0, 0), dtype=np.float32)] * len(texts)
        # sort by length so that padding stays small, then restore the order
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for i in range(0, len(order), batch_size):
            idx = order[i : i + batch_size]
            enc = self.tokenizer.encode_batch([texts[j] for j in idx])
            ids = np.array([e.ids for e in enc], dtype=np.int64)
            mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
            hidden = self.session.run(None, {"input_ids": ids, "attention_mask": mask,
                                             "token_type_ids": np.zeros_like(ids)})[0]
            summed = (hidden * mask[..., None]).sum(axis=1)
            vecs = summed / np.clip(mask.sum(axis=1, keepdims=True), 1, None)
            vecs /= np.clip(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12, None)
            out.append((idx, vecs.astype(np.float32)))
            if spans is not None:
                for row, j in enumerate(idx):
                    n = int(mask[row].sum())
                    span_out[j] = pool_spans(hidden[row, :n], np.array(enc[row].offsets[:n]), spans[j])
        result = np.zeros((len(texts), out[0][1].shape[1] if out else 0), dtype=np.float32)
        for idx, vecs in out:
            result[idx] = vecs
        return result, span_out


def pool_spans(hidden: np.ndarray, offsets: np.ndarray, spans: list[tuple[int, int]]) -> np.ndarray:
    """One normalised vector per character span of an encoded text: the mean of the hidden states of the
    tokens inside the span plus the first and last token ([CLS], [SEP]). That is the sentence as the model read
    it in its chunk (heading and neighbours included), at no extra encoding cost. A span that truncation cut
    off gets a row of NaN (the reader then encodes that sentence itself)."""
    dim = hidden.shape[1]
    out = np.full((len(spans), dim), np.nan, dtype=np.float32)
    if not len(hidden):
        return out
    starts, ends = offsets[:, 0], offsets[:, 1]
    real = ends > starts  # special tokens have empty offsets
    for k, (a, b) in enumerate(spans):
        sel = real & (starts >= a) & (ends <= b)
        if not sel.any():
            continue
        sel = sel.copy()
        sel[0] = sel[-1] = True
        v = hidden[sel].mean(axis=0)
        out[k] = v / max(float(np.linalg.norm(v)), 1e-12)
    return out
