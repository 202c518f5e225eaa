"""The Python-version column: echo and broadcast with the server under each of several CPython versions.

For every version, ``.venv-bench-pyX.Y`` (made with that interpreter, found by ``scripts/find_python.sh``) holds
the one abi3 wheel of turbosio and python-socketio with uvicorn at the versions ``bench/requirements.txt`` pins,
so both implementations are measured on the same interpreter. The runs are the ordinary ones (``runner``): a fresh
server per run pinned to one core, the load generator on the other. Results go to ``results-pythons.jsonl`` and
to the Python section of ``RESULTS.md``, which ``splice_pythons`` puts back whenever the server report rewrites it.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .build import run
from .figures import fmt_rate, fmt_us, ratio
from .log import log
from .paths import BENCH, ROOT
from .pinning import NOISE_PCT
from .runner import Budget, Outcome, describe, is_noisy, run_quietly
from .scenarios import BASELINE, Scenario, Server, scenarios

SCENARIOS = ('echo', 'broadcast')
# The servers measured on every version: label, bench/app.py arguments, implementation.
IMPLS = (
    ('turbosio (native)', ('--impl', 'turbosio', '--mode', 'native'), 'turbosio'),
    (BASELINE, ('--impl', 'socketio', '--mode', 'uvicorn'), 'python-socketio'),
)
# What a venv needs besides the wheel: python-socketio and uvicorn's stack, at the bench's pinned versions.
PACKAGES = ('python-socketio', 'python-engineio', 'uvicorn', 'uvloop', 'httptools', 'websockets')
BEGIN, END = '<!-- pythons section: written by bench/run.py --pythons -->', '<!-- end of pythons section -->'


@dataclass(frozen=True)
class Interpreter:
    version: str  # 'X.Y', as asked for
    python: str  # the venv's interpreter
    full_version: str  # e.g. 3.13.0


def venv_dir(version: str) -> Path:
    return ROOT / f'.venv-bench-py{version}'


def pinned_requirements() -> list[str]:
    """The lines of bench/requirements.txt that pin PACKAGES."""
    wanted = []
    for line in (BENCH / 'requirements.txt').read_text().splitlines():
        spec = line.split('#', 1)[0].strip()
        if spec and spec.split('==', 1)[0].strip() in PACKAGES:
            wanted.append(spec)
    return wanted


def prepare_interpreter(version: str, wheel: Path | None) -> Interpreter:
    """The venv for ``version``, made and filled when missing; ``wheel`` (re)installs turbosio from that wheel."""
    venv = venv_dir(version)
    python = venv / 'bin' / 'python'
    if not python.exists():
        found = subprocess.run(
            ['bash', str(ROOT / 'scripts' / 'find_python.sh'), version], capture_output=True, text=True
        )
        if found.returncode != 0:
            raise RuntimeError(found.stderr.strip() or f'no Python {version} found')
        run([found.stdout.strip(), '-m', 'venv', str(venv)])
        run([str(python), '-m', 'pip', 'install', '--quiet', *pinned_requirements()])
    if wheel is not None:
        run([str(python), '-m', 'pip', 'install', '--quiet', '--force-reinstall', '--no-deps', str(wheel)])
    elif not (venv / 'lib' / f'python{version}' / 'site-packages' / 'turbosio').is_dir():
        raise RuntimeError(f'{venv} has no turbosio; run without --no-build to install the wheel')
    full = subprocess.run(
        [str(python), '-c', 'import platform; print(platform.python_version())'],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return Interpreter(version, str(python), full)


def servers_for(interpreter: Interpreter) -> list[Server]:
    app = str(BENCH / 'app.py')
    return [
        Server(f'{label}, Python {interpreter.version}', (interpreter.python, app, *argv), impl)
        for label, argv, impl in IMPLS
    ]


def plan_for(profile: str) -> list[Scenario]:
    return [s for s in scenarios(profile) if s.name in SCENARIOS]


def run_pythons(
    interpreters: list[Interpreter], profile: str, workdir: Path, budget_seconds: float
) -> list[dict[str, Any]]:
    """Every scenario on every server and version; versions alternate within a scenario, so a drift in the
    machine's speed over the run does not land on one version only."""
    plan = plan_for(profile)
    retries = {'full': 2, 'quick': 0}[profile]
    budget = Budget(seconds=budget_seconds, runs_left=len(plan) * len(IMPLS) * len(interpreters))
    runs = []
    for scenario in plan:
        for index in range(len(IMPLS)):
            for interpreter in interpreters:
                server = servers_for(interpreter)[index]
                outcome = run_quietly(server, scenario, workdir, False, retries, budget)
                log(describe(outcome))
                runs.append(as_row(outcome, interpreter, IMPLS[index][0]))
    return runs


def as_row(outcome: Outcome, interpreter: Interpreter, label: str) -> dict[str, Any]:
    return {
        **outcome.result,
        'server': label,
        'scenario': outcome.scenario,
        'python': interpreter.version,
        'python_full': interpreter.full_version,
        'noise': outcome.noise,
        'exit_code': outcome.exit_code,
    }


def write_python_results(path: Path, runs: list[dict[str, Any]], info: dict[str, Any], profile: str) -> None:
    with open(path, 'w') as raw:
        raw.write(json.dumps({'machine': info, 'profile': profile}) + '\n')
        for row in runs:
            raw.write(json.dumps(row) + '\n')


def versions_info(interpreters: list[Interpreter]) -> dict[str, dict[str, str]]:
    """Per version: the interpreter's full version and the packages the servers ran on."""
    from .report import version_of  # report imports the chart (matplotlib): only when writing

    out = {}
    for interpreter in interpreters:
        versions = version_of(interpreter.python, 'turbosio', *PACKAGES)
        out[interpreter.version] = {'python': interpreter.full_version, **versions}
    return out


def pythons_section(results_jsonl: Path) -> list[str]:
    """The Python section of RESULTS.md, from results-pythons.jsonl."""
    rows = [json.loads(line) for line in results_jsonl.read_text().splitlines() if line.strip()]
    head, results = rows[0], rows[1:]
    profile, info = head['profile'], head['machine']
    versions = list(dict.fromkeys(r['python'] for r in results))
    lines = [BEGIN, '## Python versions: echo and broadcast per interpreter', '']
    lines += [
        'The same servers and load generator as above, with the server under each CPython version: turbosio from',
        'its one abi3 wheel and python-socketio 5.18 under uvicorn (uvloop, httptools, websockets), both installed',
        'in one virtualenv per version (`.venv-bench-pyX.Y`), so each column compares them on the same',
        'interpreter. On 3.12+ turbosio starts `async def` handlers as eager tasks. Rates are the closed-loop',
        f'scenarios above; ⚠ marks more than {NOISE_PCT:.0f}% foreign CPU on the server core. Run with',
        '`python bench/run.py --pythons 3.11,3.13` (also `--quick`).',
        '',
    ]
    if profile != 'full':
        lines += [f'**{profile} profile: short runs, numbers are rough.**', '']
    lines += ['Run: ' + f'date {info.get("date")}; turbosio commit {info.get("turbosio commit")}.', '']
    per_version = info.get('versions', {})
    for version in versions:
        v = per_version.get(version, {})
        stack = ', '.join(f'{p} {v[p]}' for p in ('turbosio', *PACKAGES) if p in v)
        lines.append(f'- Python {v.get("python", version)}: {stack}')
    lines.append('')
    by_key = {(r['scenario'], r['server'], r['python']): r for r in results}
    for scenario in plan_for(profile):
        if not any(r['scenario'] == scenario.name for r in results):
            continue
        lines += [f'### {scenario.name} by Python version', '', scenario.title + '.', '']
        lines.append('| server | ' + ' | '.join(f'Python {v}' for v in versions) + ' |')
        lines.append('|---|' + '---:|' * len(versions))
        for label, _, _ in IMPLS:
            cells = [cell(by_key.get((scenario.name, label, v)), scenario.metric) for v in versions]
            lines.append(f'| {label} | ' + ' | '.join(cells) + ' |')
        factors = [
            ratio(
                (by_key.get((scenario.name, IMPLS[0][0], v)) or {}).get('rate'),
                (by_key.get((scenario.name, BASELINE, v)) or {}).get('rate'),
                True,
            )
            for v in versions
        ]
        lines.append('| turbosio ÷ python-socketio | ' + ' | '.join(factors) + ' |')
        lines.append('')
        lines += noise_notes(scenario.name, by_key, versions)
    lines.append(END)
    return lines


def noise_notes(scenario: str, by_key: dict[tuple[str, str, str], dict[str, Any]], versions: list[str]) -> list[str]:
    """Other processes' share of the server's core during each run, when any run went past the noise mark."""
    shares = []
    for label, _, _ in IMPLS:
        for version in versions:
            row = by_key.get((scenario, label, version))
            foreign = ((row or {}).get('noise') or {}).get('server_core_foreign_pct')
            if foreign is not None:
                shares.append((f'{label}, {version}', foreign))
    if not any(foreign > NOISE_PCT for _, foreign in shares):
        return []
    listed = '; '.join(f'{name} {foreign:.0f}%' for name, foreign in shares)
    return [f'Foreign CPU on the server core (the quietest of the attempts was kept): {listed}.', '']


def cell(row: dict[str, Any] | None, metric: str) -> str:
    if row is None:
        return '-'
    if not row.get('ok'):
        return 'FAIL: ' + '; '.join(row.get('failures', [])).replace('|', '/').replace('\n', ' ')[:200]
    noisy = is_noisy(Outcome(row['server'], row['scenario'], row, 0, row.get('noise') or {}))
    return f'{fmt_rate(row.get("rate"))} {metric}{" ⚠" if noisy else ""} (p50 {fmt_us(row.get("p50_us"))})'


def splice_pythons(results_md: Path, results_jsonl: Path) -> None:
    """Puts the Python section into RESULTS.md (replacing an earlier one), before the Noise section."""
    if not results_jsonl.exists():
        return
    section = pythons_section(results_jsonl)
    lines = (results_md.read_text() if results_md.exists() else '# turbosio benchmarks\n').splitlines()
    if BEGIN in lines and END in lines:
        lines[lines.index(BEGIN) : lines.index(END) + 1] = section
    else:
        at = lines.index('## Noise') if '## Noise' in lines else len(lines)
        lines[at:at] = [*section, '']
    results_md.write_text('\n'.join(lines).rstrip('\n') + '\n')
    log(f'wrote the Python section of {results_md}')
