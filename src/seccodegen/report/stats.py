"""Ratios with 95% confidence intervals, pass@k, and Fisher exact tests used by the report."""

from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.959963984540054  # two-sided 95% normal quantile


@dataclass(frozen=True)
class Ratio:
    """``k`` successes out of ``n`` with a Wilson score 95% interval (well-behaved at 0 and n)."""

    k: int
    n: int

    @property
    def value(self) -> float | None:
        return self.k / self.n if self.n else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson_interval(self.k, self.n)

    def fmt(self, digits: int = 1) -> str:
        """``"12/30 (40.0%, 95% CI 24.6–57.7)"``; ``"0/0 (n/a)"`` when n is 0."""
        if not self.n:
            return f"{self.k}/{self.n} (n/a)"
        lo, hi = self.interval  # type: ignore[misc]
        return f"{self.k}/{self.n} ({100 * self.value:.{digits}f}%, {100 * lo:.{digits}f}–{100 * hi:.{digits}f})"


def wilson_interval(k: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    if n <= 0:
        return None
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k (Chen et al. 2021): 1 - C(n-c, k) / C(n, k), for n samples with c correct."""
    if k > n:
        raise ValueError(f"pass@{k} needs at least {k} samples, got {n}")
    if n - c < k:
        return 1.0
    prod = 1.0
    for i in range(n - c + 1, n + 1):
        prod *= 1.0 - k / i
    return 1.0 - prod


def fisher_exact(a_success: int, a_total: int, b_success: int, b_total: int) -> float:
    """Two-sided Fisher exact p-value for the 2x2 table [[a_s, a_f], [b_s, b_f]]."""
    from scipy.stats import fisher_exact as _fisher

    table = [[a_success, a_total - a_success], [b_success, b_total - b_success]]
    if a_total == 0 or b_total == 0:
        return 1.0
    return float(_fisher(table, alternative="two-sided").pvalue)
