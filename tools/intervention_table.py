"""Measure each intervention of a scenario alone, and none, over many seeds.

Prints a Markdown table: for each condition, the share of runs that reach
joint action, the median step at which they reach it, and each population's
mean final share taking the joint action.

    python tools/intervention_table.py ai-infrastructure --seeds 20
"""

from __future__ import annotations

import argparse
import statistics

from scenarios import load_scenario
from simulation import CoordinationModel


def conditions(name: str) -> dict[str, dict[str, bool]]:
    """Return overrides that enable exactly one intervention, or none."""
    declared = list(load_scenario(name).spec.interventions)
    off = {f"interventions.{n}.enabled": False for n in declared}
    result = {"none": off}
    for chosen in declared:
        result[chosen] = {**off, f"interventions.{chosen}.enabled": True}
    return result


def measure(name: str, seeds: int) -> list[dict]:
    rows = []
    for label, overrides in conditions(name).items():
        scenario = load_scenario(name, overrides)
        reached, steps, shares = 0, [], {p: [] for p in scenario.population_names}
        for seed in range(seeds):
            model = CoordinationModel(scenario, record_agents=False, rng=seed)
            model.run()
            summary = model.summary()
            if summary["joint_action_reached"]:
                reached += 1
                steps.append(summary["joint_action_step"])
            for population, values in summary["populations"].items():
                share = values["final_action_share"][summary["joint_action"]]
                shares[population].append(share)
        rows.append(
            {
                "condition": label,
                "reached": reached / seeds,
                "median_step": statistics.median(steps) if steps else None,
                "shares": {p: statistics.mean(v) for p, v in shares.items()},
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario")
    parser.add_argument("--seeds", type=int, default=20)
    args = parser.parse_args()
    rows = measure(args.scenario, args.seeds)
    populations = list(rows[0]["shares"])
    header = ["intervention", "runs reaching joint action", "median step"]
    header += [f"final share, {p}" for p in populations]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        step = "-" if row["median_step"] is None else f"{row['median_step']:g}"
        cells = [row["condition"], f"{row['reached']:.0%}", step]
        cells += [f"{row['shares'][p]:.2f}" for p in populations]
        print("| " + " | ".join(cells) + " |")
    print(f"\n{args.seeds} seeds (0..{args.seeds - 1}) per condition.")


if __name__ == "__main__":
    main()
