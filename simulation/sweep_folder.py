"""Protection of a sweep folder: the plan file and the lock file.

``sweep.json`` records what identifies a sweep's plan, so that ``--resume``
continues only the sweep that the folder was started with. ``sweep.lock``
is created with ``O_EXCL`` and contains the pid and host of the sweep that
writes to the folder, so a second sweep started into the same folder is
rejected instead of running every run again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulation.sweep_design import SweepPlan

logger = logging.getLogger(__name__)

PLAN_FILE = "sweep.json"
LOCK_FILE = "sweep.lock"


# -- the plan file ------------------------------------------------------------


def plan_record(plan: SweepPlan) -> dict[str, Any]:
    """Return the JSON-ready description of a plan that ``sweep.json`` stores.

    Two plans with equal records have the same runs: the record contains the
    scenario name and a SHA-256 digest of its tables after every override,
    the overrides themselves, the design, the parameters, the ranges and base
    sample size of a sampled design, every point, the replicate seeds and
    the steps of each point.
    """
    scenario = plan.scenario
    tables = json.dumps(scenario.data, sort_keys=True, default=str)
    record: dict[str, Any] = {
        "scenario": scenario.name,
        "source": str(scenario.source),
        "scenario_sha256": hashlib.sha256(tables.encode()).hexdigest(),
        "overrides": {path: value for path, value in plan.overrides},
        "design": plan.design,
        "parameters": list(plan.parameters),
    }
    if plan.problem is not None:
        record["bounds"] = dict(
            zip(plan.problem["names"], plan.problem["bounds"], strict=True)
        )
        record["samples"] = plan.n_samples
        record["seed"] = plan.seed
    record["points"] = [dict(point) for point in plan.points]
    record["seeds"] = list(plan.seeds)
    record["steps"] = list(plan.steps)
    # A round trip through JSON makes tuples lists and numpy scalars plain
    # numbers, so a fresh record compares equal to one read from the file.
    return json.loads(json.dumps(record, default=str))


def plan_differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Return one line per field in which two plan records differ."""
    lines = []
    for key in dict.fromkeys([*old, *new]):
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        if key == "points" and isinstance(before, list) and isinstance(after, list):
            lines.append(f"points: {describe_points(before, after)}")
        else:
            lines.append(
                f"{key}: {shorten(before)} in the folder, {shorten(after)} now"
            )
    return lines


def describe_points(before: list[Any], after: list[Any]) -> str:
    """Describe how two lists of points differ, without printing them all."""
    if len(before) != len(after):
        return f"{len(before)} points in the folder, {len(after)} now"
    pairs = zip(before, after, strict=True)
    first = next(i for i, (a, b) in enumerate(pairs) if a != b)
    return (
        f"point {first} is {shorten(before[first])} in the folder, "
        f"{shorten(after[first])} now"
    )


def shorten(value: Any, limit: int = 120) -> str:
    """Return ``value`` as compact JSON, cut to ``limit`` characters."""
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_plan(out: Path, plan: SweepPlan, resume: bool) -> None:
    """Compare ``plan`` with the folder's ``sweep.json``, then write it there.

    Raises
    ------
    ValueError
        When ``resume`` is true and the folder was started with another plan.
        The message lists each differing field.
    """
    path = out / PLAN_FILE
    record = plan_record(plan)
    if resume and path.is_file():
        try:
            stored = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as error:
            raise ValueError(
                f"{path}: failed to read the plan of the sweep in this folder "
                f"({error}); choose another --out"
            ) from error
        differences = plan_differences(stored, record)
        if differences:
            raise ValueError(
                f"--resume: {out} contains another sweep; its plan differs in "
                + "; ".join(differences)
                + ". Run the same command as before, or choose another --out"
            )
    elif resume:
        logger.warning(
            "%s has no %s, so the runs there cannot be matched to this plan; "
            "resuming with this plan",
            out,
            PLAN_FILE,
        )
    temporary = path.with_name(f".{PLAN_FILE}.tmp")
    temporary.write_text(json.dumps(record, indent=1) + "\n")
    os.replace(temporary, path)


# -- the lock file ------------------------------------------------------------


class SweepLockedError(ValueError):
    """A sweep folder locked by another live sweep."""


def process_alive(pid: int) -> bool:
    """Return whether a process with this id exists on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class SweepLock:
    """An exclusive lock on a sweep folder, held for the ``with`` block.

    The lock file is created with ``O_CREAT | O_EXCL`` and contains JSON with the
    pid, the host name, the start time and a random token. A lock left by a
    process that no longer runs on this host is stale: it is replaced, with a
    warning in the log. A lock of a live process, of another host or with
    unreadable contents is kept and the sweep is rejected.

    NOTE: two sweeps that find the same stale lock at the same moment can
    both replace it, because reading, removing and creating the file are
    three steps. The window is a few system calls long.
    """

    def __init__(self, out: Path) -> None:
        self.path = Path(out) / LOCK_FILE
        self.token = uuid.uuid4().hex
        self.content = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "token": self.token,
        }

    def __enter__(self) -> SweepLock:
        self.acquire()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()

    def acquire(self) -> None:
        """Create the lock file, replacing a stale one once.

        Raises
        ------
        SweepLockedError
            When another sweep has locked the folder.
        """
        for _attempt in range(2):
            try:
                handle = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                holder = self.read_holder()
                if not self.is_stale(holder):
                    raise SweepLockedError(self.locked_message(holder)) from None
                logger.warning(
                    "replacing stale lock %s of pid %s on %s, which no longer runs",
                    self.path,
                    holder["pid"],
                    holder["host"],
                )
                self.path.unlink(missing_ok=True)
                continue
            with os.fdopen(handle, "w") as file:
                json.dump(self.content, file)
            logger.debug("locked %s", self.path)
            return
        raise SweepLockedError(self.locked_message(self.read_holder()))

    def release(self) -> None:
        """Remove the lock file if it is still this lock's own."""
        holder = self.read_holder()
        if holder is not None and holder.get("token") == self.token:
            self.path.unlink(missing_ok=True)
            logger.debug("unlocked %s", self.path)

    def read_holder(self) -> dict[str, Any] | None:
        """Return the lock file's contents, or ``None`` when unreadable."""
        try:
            holder = json.loads(self.path.read_text())
        except (OSError, json.JSONDecodeError):
            return None
        return holder if isinstance(holder, dict) else None

    @staticmethod
    def is_stale(holder: dict[str, Any] | None) -> bool:
        if holder is None or not isinstance(holder.get("pid"), int):
            return False
        if holder.get("host") != socket.gethostname():
            return False
        return not process_alive(holder["pid"])

    def locked_message(self, holder: dict[str, Any] | None) -> str:
        if holder is None:
            who = "another sweep (the lock file is unreadable)"
        else:
            who = (
                f"another sweep (pid {holder.get('pid')} on host "
                f"{holder.get('host')}, started {holder.get('started')})"
            )
        return (
            f"{self.path.parent} is in use by {who}; wait for it to finish or "
            f"choose another --out. If no sweep is running there, delete "
            f"{self.path}"
        )
