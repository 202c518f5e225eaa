"""The reliability benchmark: churn (clients living short lives for a long run; the server must return to its
baseline) and a reconnect storm (10,000 clients connecting at once, as after a restart), with their section of
RESULTS.md."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .figures import fmt_rate, fmt_us
from .report import splice_lines
from .runner import Outcome
from .scenarios import BASELINE, NODE, Scenario

BEGIN, END = (
    '<!-- reliability section: written by bench/run.py --reliability -->',
    '<!-- end of reliability section -->',
)
NATIVE = 'turbosio (native)'


def reliability_plan(profile: str) -> list[tuple[Scenario, list[str]]]:
    """The scenarios and the servers each runs against: churn on turbosio, the storm on all three."""
    smoke = profile == 'smoke'
    churn_seconds = {'full': '60', 'quick': '10', 'smoke': '3'}[profile]
    churn = Scenario(
        'churn',
        f'churn: {"50" if smoke else "200"} clients at a time for {churn_seconds} s, each living a short life again'
        ' and again (connect, join room `bench`, one acked echo, leave: half politely, half by dropping the TCP'
        ' connection); the server must then hold what it held before',
        ('churn', '--clients', '50' if smoke else '200', '--duration', churn_seconds, '--hold', '10'),
        'lives/s',
    )
    clients = '300' if smoke else '10000'
    storm = Scenario(
        'reconnect-storm',
        f'reconnect storm: {clients} WebSocket clients connecting at once (as after a server restart), each through'
        ' the Socket.IO CONNECT answer; connect time from the TCP connect to that answer',
        ('storm', '--clients', clients, '--concurrency', clients, '--timeout', '30'),
        'connects/s',
    )
    storm_servers = [NATIVE] if smoke else [NATIVE, BASELINE, NODE]
    return [(churn, [NATIVE]), (storm, storm_servers)]


def write_reliability_results(path: Path, outcomes: list[Outcome], info: dict[str, str], profile: str) -> None:
    with open(path, 'w') as raw:
        raw.write(json.dumps({'machine': info, 'profile': profile}) + '\n')
        for o in outcomes:
            # The run's scenario name, not the load generator's ('storm' runs as 'reconnect-storm').
            raw.write(json.dumps({**o.result, 'server': o.server, 'scenario': o.scenario, 'noise': o.noise}) + '\n')


def _mib(kib: Any) -> str:
    return '-' if kib is None else f'{kib / 1024:.1f} MiB'


def _verdict(r: dict[str, Any]) -> str:
    if r.get('ok'):
        return 'ok'
    problems = list(r.get('failures', [])) + list(r.get('error_samples', []))[:2]
    return 'FAIL: ' + '; '.join(str(p) for p in problems).replace('|', '/').replace('\n', ' ')


def reliability_section(results_jsonl: Path) -> list[str]:
    rows = [json.loads(line) for line in results_jsonl.read_text().splitlines() if line.strip()]
    head, results = rows[0], rows[1:]
    profile, info = head['profile'], head['machine']
    lines = [BEGIN, '## reliability: churn and reconnect storm', '']
    lines += [
        'Run with `python bench/run.py --reliability` (also `--quick`; `--smoke` checks both in seconds). Server',
        'on one core, the load generator on the other; both get `RLIMIT_NOFILE` raised to its hard limit.',
        f'Run: {info.get("date", "?")}, turbosio commit {info.get("turbosio commit", "?")}.',
        '',
    ]
    if profile != 'full':
        lines += [f'**{profile} profile: short runs, numbers are rough.**', '']
    plan = {s.name: s for s, _ in reliability_plan(profile)}
    churn = [r for r in results if r['scenario'] == 'churn']
    if churn:
        lines += ['### churn', '', plan['churn'].title + '.', '']
        lines += [
            '| server | lives | lives/s | p99 life | RSS before → half way → end | fds before → after'
            ' | sockets before → after | rooms before → after | checks |',
            '|---|---:|---:|---:|---|---|---|---|---|',
        ]
        for r in churn:
            lines.append(
                f'| {r["server"]} | {r.get("lives", 0):,} | {fmt_rate(r.get("rate"))} | {fmt_us(r.get("p99_us"))}'
                f' | {_mib(r.get("rss_before_kib"))} → {_mib(r.get("rss_mid_kib"))} → {_mib(r.get("rss_after_kib"))}'
                f' | {r.get("fds_before")} → {r.get("fds_after")}'
                f' | {r.get("sockets_before")} → {r.get("sockets_after")}'
                f' | {r.get("rooms_before")} → {r.get("rooms_after")} | {_verdict(r)} |'
            )
        lines += [
            '',
            "*sockets* and *rooms* come from the app's `stats` handler, asked from one fresh connection (so 1 socket",
            'is the baseline); both, and the descriptors, are checked half way and at the end. RSS half way includes',
            'what the allocator keeps for reuse; the growth over the second half is what a leak would add to.',
            '',
        ]
    storm = [r for r in results if r['scenario'] == 'reconnect-storm']
    if storm:
        lines += ['### reconnect storm', '', plan['reconnect-storm'].title + '.', '']
        lines += [
            '| server | connected | connects/s | p50 connect | p99 connect | max | server CPU | checks |',
            '|---|---:|---:|---:|---:|---:|---:|---|',
        ]
        for r in storm:
            cpu = r.get('server_cpu_pct')
            lines.append(
                f'| {r["server"]} | {r.get("connected", 0):,} | {fmt_rate(r.get("rate"))} | {fmt_us(r.get("p50_us"))}'
                f' | {fmt_us(r.get("p99_us"))} | {fmt_us(r.get("max_us"))}'
                f' | {"-" if cpu is None else f"{cpu:.0f}%"} | {_verdict(r)} |'
            )
        lines += [
            '',
            '*server CPU* is over the storm (100% = one core): an accept loop that spun on a full backlog or on',
            'EMFILE would show as CPU with no connects.',
            '',
        ]
    lines.append(END)
    return lines


def splice_reliability(results_md: Path, results_jsonl: Path) -> None:
    """Puts the reliability section into RESULTS.md (replacing an earlier one), before the Noise section."""
    if results_jsonl.exists():
        splice_lines(results_md, reliability_section(results_jsonl), BEGIN, END)
