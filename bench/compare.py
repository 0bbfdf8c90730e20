"""Run the three side-by-side comparisons on one warehouse: agreement first, then timing."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import drift, parity, validation
from bench.data import bench_config
from orchestration.seed_config import thresholds
from orchestration.warehouse import Warehouse

Runner = Callable[[], Any]


def interleaved_timings(runners: dict[str, Runner], *, repeat: int,
                        check: Callable[[dict[str, Any]], dict[str, Any]],
                        log: Callable[[str], None]) -> dict[str, Any]:
    """Warm-up run of every side (its output checked for agreement before any timing counts),
    then `repeat` rounds, each running every side once, the order rotated between rounds so
    load from other processes on the machine falls on both sides alike."""
    names = list(runners)
    outputs, warmup = {}, {}
    for name in names:
        started = time.perf_counter()
        outputs[name] = runners[name]()
        warmup[name] = time.perf_counter() - started
        log(f"    warm-up {name}: {warmup[name]:.1f} s")
    agreement = check(outputs)
    log(f"    agreement: {agreement}")
    runs: dict[str, list[float]] = {name: [] for name in names}
    for round_index in range(repeat):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            started = time.perf_counter()
            runners[name]()
            runs[name].append(time.perf_counter() - started)
        log(f"    round {round_index + 1}/{repeat}: "
            + ", ".join(f"{n} {runs[n][-1]:.1f} s" for n in names))
    sides = {name: {"warmup": warmup[name], "runs": runs[name],
                    "median": statistics.median(runs[name])} for name in names}
    return {"sides": sides, "agreement": agreement}


def with_ratios(result: dict[str, Any], vigie: str = "vigie") -> dict[str, Any]:
    """Add reference median / Vigie median for every reference side."""
    base = result["sides"][vigie]["median"]
    result["ratios"] = {name: side["median"] / base for name, side in result["sides"].items()
                        if name != vigie}
    return result


def compare_drift(workdir: Path, *, repeat: int, log: Callable[[str], None]) -> dict[str, Any]:
    config = bench_config(workdir)
    warehouse = Warehouse(config)
    bounds = thresholds(config.project_dir)
    features = drift.numeric_features(config.project_dir)
    reader_error = drift.asset_reader_error(warehouse)
    inputs = drift.load_drift_inputs(warehouse, features)
    runners = drift.drift_runners(warehouse, inputs, alpha=bounds["drift_alpha"],
                                  with_evidently=True, use_asset=reader_error is None)

    def check(outputs: dict[str, Any]) -> dict[str, Any]:
        return drift.check_drift_agreement(outputs["vigie"], outputs["scipy"],
                                           outputs["evidently"], alpha=bounds["drift_alpha"],
                                           effect_size=bounds["drift_effect_size"])

    result = interleaved_timings(runners, repeat=repeat, check=check, log=log)
    result["vigie_path"] = ("orchestration.assets.drift (reference_frame, day_frame, "
                            "day_tests)" if reader_error is None else
                            "Arrow reads + models_ml.drift.ks_test (the asset's reader failed: "
                            f"{reader_error})")
    result["features"] = features
    return with_ratios(result)


def compare_validation(workdir: Path, *, repeat: int,
                       log: Callable[[str], None]) -> dict[str, Any]:
    config = bench_config(workdir)
    warehouse = Warehouse(config)
    rules = validation.schema_rules(config.project_dir)
    frame = validation.load_feature_frame(warehouse, rules)
    target = str(workdir / "target_validation")

    def vigie() -> Any:
        validation.vigie_build(config, target)
        return validation.vigie_failures(warehouse)

    runners = {"vigie": vigie, "great_expectations": lambda: validation.gx_failures(frame, rules)}

    def check(outputs: dict[str, Any]) -> dict[str, Any]:
        return validation.check_validation_agreement(outputs["vigie"],
                                                     outputs["great_expectations"], rules)

    return with_ratios(interleaved_timings(runners, repeat=repeat, check=check, log=log))


def compare_parity(workdir: Path, *, repeat: int, log: Callable[[str], None]) -> dict[str, Any]:
    config = bench_config(workdir)
    warehouse = Warehouse(config)
    bounds = thresholds(config.project_dir)
    frame = parity.load_parity_frame(warehouse, config.project_dir)
    attributes = sorted(c for c in frame.columns if c not in (
        "window_date", "approved", "outcome", "repaid"))
    target = str(workdir / "target_parity")

    def vigie() -> Any:
        parity.vigie_build(config, target)
        return parity.vigie_parity(warehouse)

    runners = {"vigie": vigie, "fairlearn": lambda: parity.fairlearn_parity(
        frame, attributes, int(bounds["min_group_size"]))}

    def check(outputs: dict[str, Any]) -> dict[str, Any]:
        return parity.check_parity_agreement(outputs["vigie"], outputs["fairlearn"])

    return with_ratios(interleaved_timings(runners, repeat=repeat, check=check, log=log))
