"""Two simulated pipelines, card fraud and store demand, with injectable faults: the ground truth of a diagnosis
benchmark. This module runs them: `simulate` logs one pipeline with one fault into a new store, `main` every
pipeline with every fault, one store each.

    python benchmarks/diagnosis/simulate.py --root /tmp/diagnosis [--days 182] [--seed 0] [--jobs 2]
"""
from __future__ import annotations

import argparse
import sys
import time as wall
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta
from pathlib import Path

if not __package__:  # run as a script: the package is imported by its name, from benchmarks/
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from diagnosis.common import DEFAULT_DAYS, FAULTS, GroundTruth, Pipeline, fresh_store, plan_fault  # noqa: E402
from diagnosis.demand import DEMAND_FIRST_DAY, DemandPipeline  # noqa: E402
from diagnosis.fraud import FRAUD_FIRST_DAY, FraudPipeline  # noqa: E402


PIPELINES = {
    "fraud": Pipeline("fraud", FRAUD_FIRST_DAY, FraudPipeline, {
        "null_spike": ("ingest_device_signals", "ip_risk_score",
                       "the risk vendor delivers ip_risk_score 60% null; build_features and score_txns fill it with "
                       "the encoder's median, so risky transactions score as ordinary ones"),
        "concept_shift": ("score_txns", None,
                          "a wave of counterfeit cards used in shops, small amounts first, at night, in quick "
                          "succession: IP risk, new devices and online channels stop telling fraud apart, and no "
                          "feature's distribution moves"),
        "skew": ("score_txns", "card_txns_24h",
                 "the serving feature code counts a card's transactions over the last 24 minutes instead of 24 "
                 "hours; training still counts 24 hours"),
        "stale_refit": ("fit_encoder", None,
                        "fit_encoder's daily job does not run, so merchant fraud rates, fill values and the amount "
                        "clip stay as they were while fraud rings move on to other merchants; the model still refits "
                        "weekly, on features encoded with them"),
    }),
    "demand": Pipeline("demand", DEMAND_FIRST_DAY, DemandPipeline, {
        "null_spike": ("ingest_promotions", "discount_pct",
                       "the promotion system delivers discount_pct 60% null; build_daily_panel and score_demand read "
                       "a missing discount as no promotion, so promoted products are forecast at their usual level"),
        "concept_shift": ("score_demand", None,
                          "shoppers respond to promotions with a fifth of their former lift (a competitor matches "
                          "them); discounts, weather, calendar and lags are distributed as before"),
        "skew": ("score_demand", "temp_forecast_c",
                 "the endpoint's upgraded weather client returns the forecast in Fahrenheit, which the serving code "
                 "takes for Celsius (then clips to the scaler's bound); training reads the Celsius feed"),
        "stale_refit": ("fit_scaler", None,
                        "fit_scaler's Monday job does not run, so the weather clip bounds, fill value and series "
                        "levels stay as they were while the spring warms and the series levels wander; the "
                        "forecaster still refits weekly, on features scaled with them"),
    }),
}


def simulate(pipeline: str, fault: str, store_path: Path, days: int = DEFAULT_DAYS, seed: int = 0,
             fault_start_day: int | None = None) -> GroundTruth:
    """Log `days` daily batches of a pipeline with `fault` injected into a new store at `store_path`.
    `fault_start_day` (days after the first) forces the fault's start instead of drawing it in the second half."""
    spec = PIPELINES[pipeline]
    plan = plan_fault(pipeline, fault, spec.first_day, days, seed, fault_start_day)
    store = fresh_store(Path(store_path))
    try:
        run = spec.simulation(store, days, seed, plan)
        run.backfill()
        for offset in range(days):
            run.day(spec.first_day + timedelta(days=offset), offset == 0)
    finally:
        store.close()
    return spec.ground_truth(plan)


def timed_simulation(pipeline: str, fault: str, store_path: Path, days: int, seed: int) -> tuple[GroundTruth, float]:
    began = wall.perf_counter()
    truth = simulate(pipeline, fault, store_path, days, seed)
    return truth, wall.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, required=True, help="where the stores go, one per pipeline and fault")
    parser.add_argument("--days", type=int, default=DEFAULT_DAYS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=1, help="stores simulated at once, each in its own process")
    args = parser.parse_args()
    began = wall.perf_counter()
    runs = [(pipeline, fault) for pipeline in PIPELINES for fault in FAULTS]
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        results = pool.map(timed_simulation, *zip(*[(pipeline, fault, args.root / f"{pipeline}-{fault}", args.days,
                                                     args.seed) for pipeline, fault in runs]))
        for truth, seconds in results:
            print(f"{seconds:6.1f}s  {truth}", flush=True)
    print(f"{wall.perf_counter() - began:6.1f}s  all {len(runs)} stores under {args.root}")


if __name__ == "__main__":
    main()
