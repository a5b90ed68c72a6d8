"""What kind of thing a pointer name points at, guessed from the name as mltrace users expect."""
from __future__ import annotations

import functools
import re

_MODEL_SUFFIXES = frozenset(
    "pkl pickle joblib pt pth ckpt h5 hdf5 keras onnx pb tflite mlmodel model sav safetensors bst xgb lgb cbm".split())
_DATA_SUFFIXES = frozenset(
    "csv tsv parquet pq json jsonl ndjson feather arrow ipc avro orc txt npy npz xlsx xls db sqlite "
    "sqlite3 gz zip tfrecord delta".split())
_ENDPOINT = re.compile(r"^(?:https?|grpcs?|tcp|wss?)://|endpoint")
_DATA = re.compile(r"^(?:s3|gs|abfs|hdfs|file)://|data|features|table")


@functools.lru_cache(maxsize=4096)  # the inputs runs read are the same few names again and again
def pointer_type(name: str) -> str:
    """'model', 'data', 'endpoint' or 'other', from the name's scheme, extension and words."""
    lowered = name.lower()
    base = lowered.rpartition("/")[2]
    suffix = base.rpartition(".")[2] if "." in base else ""
    if suffix in _MODEL_SUFFIXES:
        return "model"
    if suffix in _DATA_SUFFIXES:
        return "data"
    if _ENDPOINT.search(lowered):
        return "endpoint"
    if "model" in lowered:
        return "model"
    if _DATA.search(lowered):
        return "data"
    return "other"
