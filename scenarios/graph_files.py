"""Read social networks from files in formats that cannot run code.

Edge lists (``.edgelist``, ``.txt``, ``.csv``, ``.tsv``), GraphML
(``.graphml``) and GML (``.gml``) are parsed as text. Pickled graphs and
other formats that deserialise code are not accepted.
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx

EDGE_LIST_SUFFIXES = (".edgelist", ".txt", ".csv", ".tsv")
SUFFIXES = (*EDGE_LIST_SUFFIXES, ".graphml", ".gml")


def read_graph_file(path: Path, attribute: str, populations: list[str]) -> nx.Graph:
    """Read an undirected graph, relabelled to nodes ``0..n-1``.

    Nodes keep their original id as the ``label`` attribute. GraphML and GML
    nodes must carry ``attribute`` naming one of ``populations``, copied to
    the ``population`` attribute. Edge lists carry no populations; their nodes
    are assigned to populations when the model is built.

    Raises
    ------
    ValueError
        With a message naming the file and what is wrong with it.
    """
    if not path.is_file():
        raise ValueError(f"graph file {str(path)!r} was not found; check the path")
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ValueError(
            f"unsupported graph file type {suffix!r}; use one of {', '.join(SUFFIXES)}"
        )
    try:
        if suffix == ".graphml":
            graph = nx.read_graphml(path)
        elif suffix == ".gml":
            graph = nx.read_gml(path, label="id")
        else:
            delimiter = "," if suffix == ".csv" else None
            graph = nx.read_edgelist(path, delimiter=delimiter, data=False)
    except Exception as error:
        raise ValueError(
            f"cannot parse graph file {str(path)!r}: {error}; check its format"
        ) from None
    graph = nx.Graph(graph)
    graph.remove_edges_from(list(nx.selfloop_edges(graph)))
    if graph.number_of_nodes() == 0:
        raise ValueError(f"graph file {str(path)!r} has no nodes")
    ordered = sorted(graph.nodes, key=lambda node: (str(type(node)), node))
    mapping = {node: index for index, node in enumerate(ordered)}
    relabelled = nx.relabel_nodes(graph, mapping, copy=True)
    for node, index in mapping.items():
        relabelled.nodes[index]["label"] = str(node)
    if suffix in EDGE_LIST_SUFFIXES:
        return relabelled
    for _, data in relabelled.nodes(data=True):
        value = data.get(attribute)
        if value is None:
            raise ValueError(
                f"node {data['label']!r} in {str(path)!r} has no {attribute!r} "
                "attribute; give every node the name of its population"
            )
        if str(value) not in populations:
            raise ValueError(
                f"node {data['label']!r} in {str(path)!r} belongs to unknown "
                f"population {value!r}; expected one of {populations}"
            )
        data["population"] = str(value)
    return relabelled
