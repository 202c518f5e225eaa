"""The benchmark harness behind bench/run.py, one concern per module.

- ``paths``: where the bench, the load generator and the bench venv live.
- ``scenarios``: the servers under test and the scenarios each one runs.
- ``build``: building the load generator, the bench venv with a release wheel of turbosio, and node_modules.
- ``pinning``: which core runs what, and how busy the cores were (noise).
- ``runner``: one server and one load generator per run, re-run while noisy, within a time budget.
- ``figures``: how numbers are written in the report and the chart.
- ``report``: results.jsonl, RESULTS.md and the machine description.
- ``chart``: results.png.
- ``clients``: the client benchmark (AsyncClients against Node's server) and its section of RESULTS.md.
- ``pythons``: the Python-version column (echo and broadcast with the server under each CPython, from the abi3
  wheel, python-socketio in the same venv) and its section of RESULTS.md.
- ``reliability``: churn and the reconnect storm, and their section of RESULTS.md.
"""
