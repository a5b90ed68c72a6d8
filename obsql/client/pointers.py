"""What kind of thing a pointer name points at, guessed from the name as mltrace users expect."""
from __future__ import annotations

POINTER_TYPES = ("data", "model", "endpoint", "other")

_MODEL_SUFFIXES = frozenset(
    "pkl pickle joblib pt pth ckpt h5 hdf5 keras onnx pb tflite mlmodel model sav safetensors bst xgb lgb cbm".split())
_DATA_SUFFIXES = frozenset(
    "csv tsv parquet pq json jsonl ndjson feather arrow ipc avro orc txt npy npz xlsx xls db sqlite "
    "sqlite3 gz zip tfrecord delta".split())
_STORAGE_PREFIXES = ("s3://", "gs://", "abfs://", "hdfs://", "file://")
_DATA_WORDS = ("data", "features", "table", "dataset")
_ENDPOINT_PREFIXES = ("http://", "https://", "grpc://", "grpcs://", "tcp://", "ws://", "wss://")


def pointer_type(name: str) -> str:
    """'model', 'data', 'endpoint' or 'other', from the name's scheme, extension and words."""
    lowered = name.lower()
    suffix = lowered.rpartition(".")[2] if "." in lowered.rpartition("/")[2] else ""
    if suffix in _MODEL_SUFFIXES:
        return "model"
    if suffix in _DATA_SUFFIXES:
        return "data"
    if lowered.startswith(_ENDPOINT_PREFIXES) or "endpoint" in lowered:
        return "endpoint"
    if "model" in lowered:
        return "model"
    if lowered.startswith(_STORAGE_PREFIXES) or any(word in lowered for word in _DATA_WORDS):
        return "data"
    return "other"
