"""Performance harness for modelfirst.

``python -m benchmarks [--quick]`` measures the model against the bare
batched pymdp kernel, against a naive one-pymdp-agent-per-Mesa-agent design,
across network sizes and in parameter sweeps, and writes the results to
``docs/benchmarks.md`` with a log-log plot next to it. Every figure is a
ratio or a median taken within one run, so that load on the machine affects
both sides of a comparison alike.
"""
