"""The chart: results.png, one panel per scenario."""

from __future__ import annotations

from pathlib import Path

from .figures import fmt_rate, latency_label
from .log import log
from .runner import Outcome
from .scenarios import BASELINE, NODE, Scenario, workers_name


def write_chart(path: Path, outcomes: list[Outcome], plan: list[Scenario]) -> bool:
    try:
        import matplotlib
        import matplotlib.ticker

        matplotlib.use('Agg')
        import matplotlib.pyplot as plt
    except ImportError:
        log('matplotlib is not installed: no chart')
        return False
    names = list(dict.fromkeys(o.server for o in outcomes))
    palette = {
        'turbosio (native)': '#d62728',
        workers_name(2): '#9467bd',
        'turbosio (uvicorn)': '#ff7f0e',
        BASELINE: '#1f77b4',
        'python-socketio (granian)': '#17becf',
        NODE: '#2ca02c',
    }
    colors = {name: palette.get(name, '#7f7f7f') for name in names}
    by_key = {(o.scenario, o.server): o for o in outcomes}
    columns = 3
    rows = (len(plan) + columns - 1) // columns
    fig, axes = plt.subplots(rows, columns, figsize=(6 * columns, 3.2 * rows), squeeze=False)
    for ax, scenario in zip(axes.flat, plan, strict=False):
        found = [by_key.get((scenario.name, n)) for n in names]
        values = [(o.result.get(scenario.key) or 0) if o else 0 for o in found]
        labels = [fmt_rate(v) for v in values]
        if scenario.key.endswith('_us'):
            labels = [latency_label(o.result) if o else '-' for o in found]
            values = [v / 1000 for v in values]
        y = range(len(names))
        ax.barh(list(y), values, color=[colors[n] for n in names])
        ax.set_yticks(list(y), names, fontsize=8)
        ax.invert_yaxis()
        better = 'higher' if scenario.higher_is_better else 'lower'
        what = 'p50 latency, ms' if scenario.key.endswith('_us') else scenario.metric
        ax.set_title(f'{scenario.name} ({what}, {better} is better)', fontsize=10)
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda x, _: f'{x:,.0f}'))
        ax.tick_params(axis='x', labelsize=8)
        top = max(values) if values else 0
        for i, (value, label) in enumerate(zip(values, labels, strict=True)):
            ax.text(value + top * 0.01, i, label, va='center', fontsize=8)
        ax.set_xlim(0, top * (2.0 if scenario.key.endswith('_us') else 1.25) or 1)
    for ax in list(axes.flat)[len(plan) :]:
        ax.axis('off')
    fig.suptitle('turbosio vs python-socketio vs socket.io (Node): one server core, one load-generator core')
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True
