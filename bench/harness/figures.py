"""How numbers are written in the report and the chart."""

from __future__ import annotations

from typing import Any


def ratio(value: float | None, base: float | None, higher_is_better: bool) -> str:
    if not value or not base:
        return '-'
    factor = value / base if higher_is_better else base / value
    return f'{factor:.2f}×'


def fmt_rate(value: Any) -> str:
    if value is None:
        return '-'
    return f'{value:,.0f}' if value >= 100 else f'{value:,.1f}'


def fmt_us(value: Any) -> str:
    if value is None:
        return '-'
    return f'{value / 1000:.2f} ms'


def fmt_pct(value: Any) -> str:
    return '-' if value is None else f'{value:.0f}%'


def latency_label(result: dict[str, Any]) -> str:
    return f'p50 {fmt_us(result.get("p50_us"))}, p99 {fmt_us(result.get("p99_us"))}'
