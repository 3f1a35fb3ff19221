"""Scaled stack configs for the benchmarks, grown from the shipped stack files.

A scaled stack keeps everything the shipped `prod` stack sets (state store, GitOps, security,
Kratix and any key a later layer adds) and only multiplies its teams and its worker
destinations, so new layers and profile entries are benchmarked without editing this file.
Every cluster renders to files: no cluster is contacted, under mocks or through the engine.
"""

from __future__ import annotations

import copy
import itertools
from typing import Any

from tests.harness import stack_file_config

# The grid the issue asks for.
TEAM_COUNTS = (5, 10, 50, 100)
DESTINATION_COUNTS = (1, 3, 10)
# The multi-cluster stack is the one whose size grows with teams and destinations.
BASE_STACK = "prod"


def scaled_config(teams: int, destinations: int, base_stack: str = BASE_STACK) -> dict[str, Any]:
    """`base_stack`'s config with `teams` teams and `destinations` worker clusters, one
    destination each, all rendered to files."""
    config = copy.deepcopy(stack_file_config(base_stack))
    config["teams"] = scaled_teams(config["teams"], teams)
    platform = [c for c in config["clusters"] if c.get("role") == "platform"]
    workers = [c for c in config["clusters"] if c.get("role", "worker") == "worker"]
    template_destinations = {d["cluster"]: d for d in config["destinations"]}
    new_workers, new_destinations = [], []
    for index, worker in zip(range(destinations), itertools.cycle(workers)):
        name = f"{worker['name']}-{index}"
        cluster = {**copy.deepcopy(worker), "name": name,
                   "server": f"https://{name}.k8s.example.com"}
        new_workers.append(cluster)
        destination = copy.deepcopy(template_destinations.get(worker["name"], {}))
        destination.update({"name": name, "cluster": name,
                            "path": f"{destination.get('path', worker['name'])}-{index}"})
        new_destinations.append(destination)
    config["clusters"] = platform + new_workers
    config["destinations"] = new_destinations
    for cluster in config["clusters"]:
        cluster["target"] = {"mode": "render"}
    return config


def scaled_teams(template: list[dict], count: int) -> list[dict]:
    """`count` teams cycling through the shipped ones (their sizes, owners and cost labels),
    each with a unique name."""
    teams = []
    for index, team in zip(range(count), itertools.cycle(template)):
        name = f"{team['name']}-{index}"
        teams.append({**copy.deepcopy(team), "name": name,
                      "group": f"{name}-developers", "product": name})
    return teams
