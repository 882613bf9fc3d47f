"""Comparing two runs' metrics: which way each metric should move and how much change is noise."""

from __future__ import annotations

from dataclasses import dataclass

Metrics = dict[str, float]


@dataclass(frozen=True)
class MetricSpec:
    """How to read a metric: which way is better and how much change is noise."""

    higher_is_better: bool
    tolerance: float


# A missed emergency or a number shown without its source is never noise. Answer metrics come from
# few model answers in the quick slice (one answer moves a rate by 1/6), so they get a wide band.
TOLERANCES = {
    "safety.emergency.recall": 0.0,
    "answers.medquad.no_unverified_numbers": 0.0,
    "answers.unanswerable.no_unverified_numbers": 0.0,
    "answers.dosing.no_unverified_numbers": 0.0,
}
PREFIX_TOLERANCES = {"answers.": 0.34, "readability.": 0.34}


def metric_spec(name: str) -> MetricSpec:
    lower_better = any(key in name for key in ("false_refusal", "false_alarm", "flagged", "ms_per", "grade"))
    default = 5.0 if "ms_per" in name else 1.5 if "grade" in name else 0.02
    prefixed = next((t for p, t in PREFIX_TOLERANCES.items() if name.startswith(p)), default)
    tolerance = TOLERANCES.get(name, default if "grade" in name else prefixed)
    return MetricSpec(higher_is_better=not lower_better, tolerance=tolerance)


@dataclass(frozen=True)
class Difference:
    metric: str
    before: float | None
    after: float | None
    regression: bool

    @property
    def delta(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return self.after - self.before


def compare_metrics(
    before: Metrics, after: Metrics, tolerances: dict[str, float] | None = None
) -> list[Difference]:
    """Metric-by-metric differences; a regression is a change the wrong way beyond the tolerance."""
    differences = []
    for metric in sorted(set(before) | set(after)):
        old, new = before.get(metric), after.get(metric)
        regression = False
        if old is not None and new is not None:
            spec = metric_spec(metric)
            tolerance = (tolerances or {}).get(metric, spec.tolerance)
            change = new - old if spec.higher_is_better else old - new
            regression = change < -tolerance
        differences.append(Difference(metric, old, new, regression))
    return differences
