"""Compare obsql's change detectors with river's on streams whose drift points are known.

    python benchmarks/bench_detectors.py [--segment 4000] [--drifts 5] [--max-delay 4000] [--seed 0] [--no-river]

Three streams of `drifts + 1` segments of `segment` values each, the concept switching at every segment boundary:

- sea: river's SEA generator (10% label noise), its variant cycling 0, 1, 2, 3;
- agrawal: river's Agrawal generator, its classification function cycling 6, 4, 8, 5 (pairs on which a model
  of one concept is badly wrong on the next);
- mean_shift: standard normal noise whose mean cycles 0, 1, 0, -1 (a one standard deviation shift at each drift).

On sea and agrawal each detector watches the 0/1 error stream of its own online classifier (river's GaussianNB,
predicting each example before learning it), which is replaced by a fresh one whenever that detector reports a
change, as drift detectors expect: naive Bayes counts never forget, so a drift leaves its errors up until then
(an online logistic regression follows SEA's moving threshold by itself and leaves little to detect). mean_shift
feeds the values straight in. A detection is a hit for the latest drift point at most `max-delay` values before
it (by default: any before the next drift), if no other detection took that drift; every other detection is a
false alarm, and a drift without a hit is missed. The time per update times the detector's `update` call alone,
river's and ours in the same run on the same stream. The defaults take about a minute on two slow cores; the
classifier is most of it, so --segment and --drifts scale it.

Detectors run at their defaults, except ADWIN, whose check interval is set to river's (clock=32; obsql's default
checks at every value, which suits one value per run). Our page_hinkley and cusum count in standard deviations of
the stream and by default look for shifts of about one (a per-run metric), larger than most rises of an error
rate per prediction; river's page_hinkley counts in the stream's units. The row "page_hinkley, river's parameters"
gives ours river's delta and threshold: on the unit variance mean_shift stream the two then run nearly the same
test (river's also forgets old deviations, by alpha = 0.9999). The row "adwin, direction=up" watches the error
rate rising only: both ways, ADWIN also reports the fresh model's errors falling as it learns.

river is a benchmark-only dependency (`pip install river`, or the `bench` extra): with --no-river its columns are
left empty, and without it so are they and only the mean_shift stream runs (sea and agrawal are river's generators).
"""
from __future__ import annotations

import argparse
import itertools
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing obsql
from obsql.monitor.detectors import Adwin, Cusum, Ddm, Detector, PageHinkley  # noqa: E402

try:
    import river.drift
    import river.drift.binary
    from river import naive_bayes
    from river.datasets import synth
except ImportError:
    river = None

SEA_VARIANTS = (0, 1, 2, 3)
AGRAWAL_FUNCTIONS = (6, 4, 8, 5)
SHIFT_MEANS = (0.0, 1.0, 0.0, -1.0)


@dataclass(frozen=True)
class Pair:
    """One detector row: how to make ours and, if river has it, river's."""

    label: str
    ours: Callable[[], Detector]
    theirs: Callable[[], object] | None
    streams: tuple[str, ...] = ("sea", "agrawal", "mean_shift")


def pairs(with_river: bool) -> list[Pair]:
    def theirs(make: Callable[[], object]) -> Callable[[], object] | None:
        return make if with_river else None

    return [
        Pair("page_hinkley", PageHinkley, theirs(lambda: river.drift.PageHinkley())),
        Pair("page_hinkley, river's parameters", lambda: PageHinkley(delta=0.005, threshold=50.0), None,
             ("mean_shift",)),
        Pair("adwin", lambda: Adwin(clock=32), theirs(lambda: river.drift.ADWIN())),
        Pair("adwin, direction=up", lambda: Adwin(clock=32, direction="up"), None, ("sea", "agrawal")),
        Pair("ddm", Ddm, theirs(lambda: river.drift.binary.DDM()), ("sea", "agrawal")),
        Pair("cusum", Cusum, None),
    ]


@dataclass
class Score:
    """How one detector did on one stream."""

    delays: list[int] = field(default_factory=list)
    missed: int = 0
    false_alarms: int = 0
    nanoseconds: int = 0
    updates: int = 0

    @property
    def mean_delay(self) -> float:
        return float(np.mean(self.delays)) if self.delays else math.nan

    @property
    def microseconds_per_update(self) -> float:
        return self.nanoseconds / self.updates / 1000.0


def score(detections: list[int], drifts: list[int], max_delay: int) -> Score:
    """Hits (the first detection within `max_delay` after a drift), missed drifts and false alarms."""
    result, taken = Score(), set()
    for at in detections:
        latest = max((d for d in drifts if d <= at), default=None)
        if latest is not None and at - latest <= max_delay and latest not in taken:
            taken.add(latest)
            result.delays.append(at - latest)
        else:
            result.false_alarms += 1
    result.missed = len(drifts) - len(taken)
    return result


class Timed:
    """A detector behind one call that says whether it detected a change, timing only the detector's update."""

    def __init__(self, detector: object) -> None:
        self.detector = detector
        self.nanoseconds = 0
        self.updates = 0
        self._ours = isinstance(detector, Detector)

    def update(self, x: float) -> bool:
        began = time.perf_counter_ns()
        found = self.detector.update(x)
        self.nanoseconds += time.perf_counter_ns() - began
        self.updates += 1
        return bool(found) if self._ours else bool(self.detector.drift_detected)


def concept_stream(make: Callable[[int], Iterator], concepts: tuple[int, ...], segments: int,
                   segment: int) -> list[tuple[dict, object]]:
    """`segment` examples of each concept in turn, `segments` times in all."""
    return [example for index in range(segments)
            for example in itertools.islice(make(concepts[index % len(concepts)], index), segment)]


def sea(segments: int, segment: int, seed: int) -> list[tuple[dict, object]]:
    return concept_stream(lambda variant, index: iter(synth.SEA(variant=variant, noise=0.1, seed=seed + index)),
                          SEA_VARIANTS, segments, segment)


def agrawal(segments: int, segment: int, seed: int) -> list[tuple[dict, object]]:
    return concept_stream(lambda function, index: iter(synth.Agrawal(classification_function=function,
                                                                     seed=seed + index)),
                          AGRAWAL_FUNCTIONS, segments, segment)


def mean_shift(segments: int, segment: int, seed: int) -> np.ndarray:
    means = np.repeat([SHIFT_MEANS[index % len(SHIFT_MEANS)] for index in range(segments)], segment)
    return np.random.default_rng(seed).standard_normal(segments * segment) + means


def new_model() -> object:
    return naive_bayes.GaussianNB()


def detect_on_errors(timed: Timed, examples: list[tuple[dict, object]]) -> list[int]:
    """Where the detector, watching its own model's errors, found a change; the model starts over at each one."""
    model, found = new_model(), []
    for at, (x, y) in enumerate(examples):
        error = 0.0 if model.predict_one(x) == y else 1.0
        model.learn_one(x, y)
        if timed.update(error):
            found.append(at)
            model = new_model()
    return found


def detect_on_values(timed: Timed, values: np.ndarray) -> list[int]:
    return [at for at, value in enumerate(values.tolist()) if timed.update(value)]


def run_one(make: Callable[[], object], stream: object, drifts: list[int], max_delay: int) -> Score:
    timed = Timed(make())
    found = detect_on_values(timed, stream) if isinstance(stream, np.ndarray) else detect_on_errors(timed, stream)
    result = score(found, drifts, max_delay)
    result.nanoseconds, result.updates = timed.nanoseconds, timed.updates
    return result


def streams(args: argparse.Namespace) -> dict[str, object]:
    segments = args.drifts + 1
    made = {"mean_shift": mean_shift(segments, args.segment, args.seed)}
    if river is not None:
        made["sea"] = sea(segments, args.segment, args.seed)
        made["agrawal"] = agrawal(segments, args.segment, args.seed)
    return made


def cell(value: float, digits: int) -> str:
    return "-" if math.isnan(value) else f"{value:.{digits}f}"


def row(stream: str, label: str, ours: Score, theirs: Score | None, drifts: int) -> list[str]:
    missing = theirs is None
    return [stream, label,
            cell(ours.mean_delay, 0), "-" if missing else cell(theirs.mean_delay, 0),
            f"{ours.missed}/{drifts}", "-" if missing else f"{theirs.missed}/{drifts}",
            str(ours.false_alarms), "-" if missing else str(theirs.false_alarms),
            cell(ours.microseconds_per_update, 2), "-" if missing else cell(theirs.microseconds_per_update, 2)]


HEADER = ["stream", "detector", "delay obsql", "delay river", "missed obsql", "missed river", "false obsql",
          "false river", "us/update obsql", "us/update river"]


def print_table(rows: list[list[str]]) -> None:
    widths = [max(len(line[i]) for line in [HEADER, *rows]) for i in range(len(HEADER))]
    for line in [HEADER, ["-" * w for w in widths], *rows]:
        print("  ".join(text.ljust(w) if i < 2 else text.rjust(w) for i, (text, w) in enumerate(zip(line, widths))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segment", type=int, default=4000, help="values between drift points")
    parser.add_argument("--drifts", type=int, default=5, help="drift points per stream")
    parser.add_argument("--max-delay", type=int, default=None,
                        help="latest detection that still counts as a hit (default: the segment)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-river", action="store_true", help="leave river's detectors out")
    args = parser.parse_args()
    max_delay = args.segment if args.max_delay is None else args.max_delay
    if river is None:
        print("river is not installed: only the mean_shift stream, without river's columns (pip install river)")

    began = time.perf_counter()
    drifts = [args.segment * index for index in range(1, args.drifts + 1)]
    rows = []
    for name, stream in streams(args).items():
        for pair in pairs(with_river=river is not None and not args.no_river):
            if name not in pair.streams:
                continue
            ours = run_one(pair.ours, stream, drifts, max_delay)
            theirs = run_one(pair.theirs, stream, drifts, max_delay) if pair.theirs else None
            rows.append(row(name, pair.label, ours, theirs, len(drifts)))
    print(f"{args.drifts} drifts per stream, every {args.segment} values; a hit within {max_delay} values")
    print_table(rows)
    print(f"({time.perf_counter() - began:.0f} s)")


if __name__ == "__main__":
    main()
