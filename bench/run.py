"""Benchmarks turbosio side by side with python-socketio and Node's socket.io, and writes bench/RESULTS.md.

Usage::

    python bench/run.py            # build everything, every scenario against every server (~6 minutes)
    python bench/run.py --quick    # the same with short runs (~1.5 minutes)
    python bench/run.py --smoke    # correctness only: turbosio (native) with the interpreter running this
                                   # script, every scenario with --check; exits non-zero on a failure
    python bench/run.py --reliability  # churn (turbosio) and a 10,000-client reconnect storm (turbosio,
                                   # python-socketio, Node); with --quick or --smoke (turbosio only, checked)
    python bench/run.py --client   # the client benchmark instead (bench/harness/clients.py): acked emits/s
                                   # from turbosio's and python-socketio's AsyncClient against Node's server;
                                   # with --quick, --smoke (both clients, a few hundred checked calls each),
                                   # --python (an interpreter that has turbosio, python-socketio and aiohttp)
    python bench/run.py --pythons 3.11,3.13
                                   # the Python-version column (bench/harness/pythons.py): echo and broadcast,
                                   # turbosio (native) and python-socketio (uvicorn), the server under each of
                                   # these CPythons (~3 minutes; --quick, --no-build: reuse the venvs as they are)

What it does:

1. builds the load generator (``bench/loadgen``, release) into ``$BENCH_TARGET_DIR`` (default ``target-bench``);
2. unless ``--smoke`` or ``--no-build``: makes ``.venv-bench`` (system site-packages), installs
   ``bench/requirements.txt``, builds a release wheel of turbosio from the committed tree (``git archive REV``,
   default ``HEAD``; ``--rev WORKTREE`` takes the working tree as it is) and installs it there, and runs
   ``npm ci`` in ``bench/node``;
3. for every server and scenario: starts a fresh server pinned to CPU 0, runs ``loadgen`` pinned to CPU 1,
   stops the server; every run is bounded in time and count and talks to 127.0.0.1 only. The exception is
   ``turbosio (N workers)`` (``--workers N``, default 2): its workers may run on both CPUs, so on a
   2-core machine they compete with ``loadgen`` for CPU 1;
4. writes ``bench/results.jsonl`` (one line per run), ``bench/RESULTS.md`` and ``bench/results.png``; the
   client benchmark writes ``bench/results-client.jsonl`` and its own section of ``RESULTS.md``, which the
   server report keeps.

This file is the command line; each step lives in a module of ``bench/harness/`` (see its ``__init__``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from harness.build import build_loadgen, build_node, build_python_env, build_wheel, describe_commit, venv_python
from harness.clients import IMPLS, run_clients, splice_section, write_client_results
from harness.log import log
from harness.paths import BENCH, LOADGEN, VENV
from harness.pythons import prepare_interpreter, run_pythons, splice_pythons, versions_info, write_python_results
from harness.reliability import reliability_plan, splice_reliability, write_reliability_results
from harness.report import machine_info, report, report_from, version_of, write_results
from harness.runner import Budget, Outcome, describe, run_quietly
from harness.scenarios import METRICS_AB, Server, scenarios, servers


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    profile = parser.add_mutually_exclusive_group()
    profile.add_argument('--quick', action='store_true', help='short runs, about a minute and a half in all')
    profile.add_argument('--smoke', action='store_true', help='turbosio (native) only, --check, no report')
    parser.add_argument('--rev', default='HEAD', help='turbosio revision to build, or WORKTREE (default HEAD)')
    parser.add_argument('--no-build', action='store_true', help='use the loadgen, venv and node_modules as they are')
    parser.add_argument('--servers', help='comma-separated server names (default: all)')
    parser.add_argument(
        '--workers',
        type=int,
        default=2,
        help='worker processes of the "turbosio (N workers)" server, which may use both cores (default 2)',
    )
    parser.add_argument('--scenarios', help='comma-separated scenario names (default: all)')
    parser.add_argument(
        '--budget', type=float, default=540.0, help='seconds of running after which noisy runs are not repeated'
    )
    parser.add_argument('--client', action='store_true', help="the client benchmark instead of the servers'")
    parser.add_argument('--reliability', action='store_true', help='churn and the reconnect storm instead')
    parser.add_argument('--python', help='--client: the interpreter running the clients (default: the bench venv)')
    parser.add_argument('--pythons', help='echo and broadcast with the server under each of these CPythons (3.11,3.13)')
    parser.add_argument('--report-from', type=Path, help='only rewrite RESULTS.md and results.png from this jsonl')
    parser.add_argument('--commit', help=argparse.SUPPRESS)  # passed on when run.py re-executes itself
    parser.add_argument('--out', type=Path, default=BENCH, help='where RESULTS.md, results.png, results.jsonl go')
    return parser.parse_args(argv)


def prepare(args: argparse.Namespace, argv: list[str] | None) -> tuple[str, str]:
    """Builds what the run needs; returns the servers' interpreter and the turbosio commit being measured."""
    if not args.no_build or not LOADGEN.exists():
        build_loadgen()
    if args.smoke:
        return sys.executable, describe_commit('WORKTREE')
    python = venv_python()
    commit = args.commit or describe_commit(args.rev)
    if not args.no_build:
        commit = build_python_env(args.rev)
        build_node()
    if Path(sys.prefix).resolve() != VENV.resolve() and Path(python).exists():
        # Report with the bench venv's interpreter, which has matplotlib; everything is built by now.
        rest = [a for a in (argv if argv is not None else sys.argv[1:]) if a != '--no-build']
        os.execv(python, [python, __file__, *rest, '--no-build', '--commit', commit])
    return python, commit


def choose_servers(args: argparse.Namespace, available: dict[str, Server]) -> list[str]:
    if args.smoke:
        return ['turbosio (native)']
    if args.servers:
        return [name.strip() for name in args.servers.split(',')]
    return [
        name
        for name, s in available.items()
        if (s.impl != 'node' or shutil.which('node')) and name != METRICS_AB  # the metrics A/B is asked for by name
    ]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.report_from:
        code = report_from(args.report_from, args.out)
        splice_section(args.out / 'RESULTS.md', args.out / 'results-client.jsonl')
        splice_reliability(args.out / 'RESULTS.md', args.out / 'results-reliability.jsonl')
        splice_pythons(args.out / 'RESULTS.md', args.out / 'results-pythons.jsonl')
        return code
    profile = 'smoke' if args.smoke else 'quick' if args.quick else 'full'
    if args.client:
        return client_main(args, profile)
    if args.pythons:
        return pythons_main(args, profile)
    python, commit = prepare(args, argv)
    available = servers(python, args.workers)
    if args.reliability:
        return reliability_main(args, profile, python, commit, available)
    chosen = choose_servers(args, available)
    unknown = [name for name in chosen if name not in available]
    if unknown:
        log(f'unknown servers {unknown}; known: {list(available)}')
        return 2
    plan = scenarios(profile)
    if args.scenarios:
        wanted = {name.strip() for name in args.scenarios.split(',')}
        plan = [s for s in plan if s.name in wanted]
    retries = {'full': 2, 'quick': 0, 'smoke': 0}[profile]
    runs = sum(1 for name in chosen for s in plan if s.only is None or name in s.only)
    budget = Budget(seconds=args.budget, runs_left=runs)
    outcomes: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix='turbosio-bench-run-') as tmp:
        for name in chosen:
            for scenario in plan:
                if scenario.only is not None and name not in scenario.only:
                    continue
                outcome = run_quietly(available[name], scenario, Path(tmp), args.smoke, retries, budget)
                outcomes.append(outcome)
                log(describe(outcome))
    if args.smoke:
        failed = any(o.exit_code != 0 or not o.result.get('ok', False) for o in outcomes)
        log('smoke: ' + ('FAILED' if failed else 'all checks passed'))
        return 1 if failed else 0
    args.out.mkdir(parents=True, exist_ok=True)
    info = machine_info(python, commit)
    write_results(args.out / 'results.jsonl', outcomes, info, profile)
    report(args.out, outcomes, plan, info, profile)
    splice_section(args.out / 'RESULTS.md', args.out / 'results-client.jsonl')
    splice_reliability(args.out / 'RESULTS.md', args.out / 'results-reliability.jsonl')
    splice_pythons(args.out / 'RESULTS.md', args.out / 'results-pythons.jsonl')
    return 0


def reliability_main(
    args: argparse.Namespace, profile: str, python: str, commit: str, available: dict[str, Server]
) -> int:
    """Churn and the reconnect storm; their section of RESULTS.md (the rest of it is kept)."""
    plan = reliability_plan(profile)
    budget = Budget(seconds=args.budget, runs_left=sum(len(names) for _, names in plan))
    outcomes: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix='turbosio-bench-reliability-') as tmp:
        for scenario, names in plan:
            for name in names:
                if available[name].impl == 'node' and not shutil.which('node'):
                    continue
                outcome = run_quietly(available[name], scenario, Path(tmp), args.smoke, 0, budget)
                outcomes.append(outcome)
                log(describe(outcome))
    if args.smoke:
        failed = any(o.exit_code != 0 or not o.result.get('ok', False) for o in outcomes)
        log('reliability smoke: ' + ('FAILED' if failed else 'all checks passed'))
        return 1 if failed else 0
    info = machine_info(python, commit)
    write_reliability_results(args.out / 'results-reliability.jsonl', outcomes, info, profile)
    splice_reliability(args.out / 'RESULTS.md', args.out / 'results-reliability.jsonl')
    return 0


def client_main(args: argparse.Namespace, profile: str) -> int:
    """The client benchmark: both AsyncClients against Node's server; RESULTS.md's client section."""
    if args.smoke:
        python, commit = args.python or sys.executable, describe_commit('WORKTREE')
    else:
        python = args.python or venv_python()
        commit = args.commit or describe_commit('WORKTREE' if args.python else args.rev)
        if not args.no_build and not args.python:
            commit = build_python_env(args.rev)
    if not (BENCH / 'node' / 'node_modules').exists() or not (args.no_build or args.smoke):
        build_node()
    runs = run_clients(python, profile, list(IMPLS))
    if args.smoke:
        failed = any(not result.get('ok') for _, result in runs)
        log('client smoke: ' + ('FAILED' if failed else 'all checks passed'))
        return 1 if failed else 0
    info = machine_info(python, commit)
    info.update(version_of(python, 'aiohttp'))
    args.out.mkdir(parents=True, exist_ok=True)
    write_client_results(args.out / 'results-client.jsonl', runs, info, profile)
    splice_section(args.out / 'RESULTS.md', args.out / 'results-client.jsonl')
    return 0


def pythons_main(args: argparse.Namespace, profile: str) -> int:
    """The Python-version column: one venv per version with the abi3 wheel; RESULTS.md's Python section."""
    if profile == 'smoke':
        log('--pythons has no smoke profile: use --quick')
        return 2
    versions = [v.strip() for v in args.pythons.split(',') if v.strip()]
    if not args.no_build or not LOADGEN.exists():
        build_loadgen()
    commit = args.commit or describe_commit(args.rev)
    with tempfile.TemporaryDirectory(prefix='turbosio-bench-pythons-') as tmp:
        wheel = None if args.no_build else build_wheel(args.rev, Path(tmp))
        interpreters = [prepare_interpreter(version, wheel) for version in versions]
        runs = run_pythons(interpreters, profile, Path(tmp), args.budget)
    info = {**machine_info(interpreters[0].python, commit), 'versions': versions_info(interpreters)}
    args.out.mkdir(parents=True, exist_ok=True)
    write_python_results(args.out / 'results-pythons.jsonl', runs, info, profile)
    splice_pythons(args.out / 'RESULTS.md', args.out / 'results-pythons.jsonl')
    return 0


if __name__ == '__main__':
    sys.exit(main())
