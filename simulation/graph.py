"""Build the social network of a scenario, seeded, with a population per node."""

from __future__ import annotations

import logging

import networkx as nx
import numpy as np
import scipy.sparse as sp

from scenarios import Scenario

logger = logging.getLogger(__name__)


def _seed(seed: np.random.SeedSequence) -> int:
    return int(seed.generate_state(1, dtype=np.uint32)[0])


def block_probabilities(
    sizes: list[int], mean_degree: float, homophily: float
) -> np.ndarray:
    """Return stochastic-block edge probabilities for a target homophily.

    A member of block ``i`` expects ``homophily * mean_degree`` neighbours in
    its own block (``p_ii = h k / (n_i - 1)``) and the rest spread over the
    other blocks (``p_ij = (1 - h) k / (N - n_i)``, averaged over ``i`` and
    ``j`` so the matrix is symmetric). Probabilities are clipped to [0, 1].
    """
    n = len(sizes)
    total = sum(sizes)
    p = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            if i == j:
                p[i, j] = homophily * mean_degree / max(sizes[i] - 1, 1)
            else:
                out_i = (1 - homophily) * mean_degree / max(total - sizes[i], 1)
                out_j = (1 - homophily) * mean_degree / max(total - sizes[j], 1)
                p[i, j] = (out_i + out_j) / 2
    if np.any(p > 1):
        logger.warning(
            "mean degree %.3g with homophily %.3g needs edge probabilities above 1; "
            "they are capped at 1, so the graph is sparser than asked",
            mean_degree,
            homophily,
        )
    return np.clip(p, 0.0, 1.0)


def build_graph(
    scenario: Scenario, seed: np.random.SeedSequence
) -> tuple[nx.Graph, np.ndarray]:
    """Build the network and the population index of every node.

    Returns the graph, with nodes ``0..n-1``, and an array of shape ``(n,)``
    holding each node's population index. Populations occupy contiguous
    blocks of nodes for ``stochastic_block``; for the other generated kinds
    they are assigned to nodes in a seeded random order.
    """
    spec = scenario.spec.graph
    sizes = [p.size for p in scenario.populations]
    total = sum(sizes)
    graph_seed, assign_seed = seed.spawn(2)
    rng = np.random.default_rng(assign_seed)
    blocks = np.repeat(np.arange(len(sizes)), sizes)
    k = spec.mean_degree
    if spec.kind == "stochastic_block":
        homophily = spec.homophily
        if homophily is None:
            homophily = float(np.sum(np.square(sizes))) / total**2
        probabilities = block_probabilities(sizes, k, homophily)
        graph = nx.stochastic_block_model(
            sizes, probabilities.tolist(), seed=_seed(graph_seed), sparse=True
        )
        graph = nx.Graph(graph)
        for attribute in ("block",):
            for node in graph.nodes:
                graph.nodes[node].pop(attribute, None)
        populations = blocks
    elif spec.kind == "file":
        graph = scenario.graph_file.copy()
        names = scenario.population_names
        if "population" in graph.nodes[0]:
            populations = np.array(
                [names.index(graph.nodes[n]["population"]) for n in range(total)]
            )
        else:
            populations = rng.permutation(blocks)
    else:
        if spec.kind == "complete":
            graph = nx.complete_graph(total)
        elif spec.kind == "erdos_renyi":
            graph = nx.fast_gnp_random_graph(
                total, min(k / max(total - 1, 1), 1.0), seed=_seed(graph_seed)
            )
        elif spec.kind == "watts_strogatz":
            neighbours = max(2, round(k / 2) * 2)
            graph = nx.watts_strogatz_graph(
                total, min(neighbours, total - 1), spec.rewire, seed=_seed(graph_seed)
            )
        elif spec.kind == "barabasi_albert":
            m = min(max(1, round(k / 2)), total - 1)
            graph = nx.barabasi_albert_graph(total, m, seed=_seed(graph_seed))
        else:  # pragma: no cover - the schema admits no other kind
            raise ValueError(f"unknown graph kind {spec.kind!r}")
        populations = rng.permutation(blocks)
    names = scenario.population_names
    for node in range(total):
        graph.nodes[node]["population"] = names[populations[node]]
    return graph, np.asarray(populations, dtype=np.int64)


def adjacency(graph: nx.Graph) -> sp.csr_array:
    """Return the sparse adjacency matrix in node order, shape ``(n, n)``."""
    nodes = range(graph.number_of_nodes())
    return nx.to_scipy_sparse_array(
        graph, nodelist=nodes, dtype=np.float32, format="csr"
    )


def measured_homophily(graph: nx.Graph, populations: np.ndarray) -> float:
    """Return the share of edges that join two members of one population."""
    edges = np.asarray(graph.edges(), dtype=np.int64).reshape(-1, 2)
    if len(edges) == 0:
        return 0.0
    return float(np.mean(populations[edges[:, 0]] == populations[edges[:, 1]]))
