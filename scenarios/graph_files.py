"""Read social networks from files in formats that cannot run code.

Edge lists (``.edgelist``, ``.txt``, ``.csv``, ``.tsv``), GraphML
(``.graphml``) and GML (``.gml``) are parsed as text. Pickled graphs and
other formats that deserialise code are not accepted.

An edge list has one edge per line, two node ids separated by a comma in
``.csv`` files and by whitespace otherwise. Lines starting with ``#`` are
comments, and a first line whose fields are all column names (``source,target``,
``from,to``, ``u v``, ``node1,node2``) is a header and is skipped.
"""

from __future__ import annotations

import re
from pathlib import Path

import networkx as nx

EDGE_LIST_SUFFIXES = (".edgelist", ".txt", ".csv", ".tsv")
SUFFIXES = (*EDGE_LIST_SUFFIXES, ".graphml", ".gml")

# Column names that mark an edge list's first line as a header, compared in
# lower case.
HEADER_NAMES = frozenset(
    ("source", "target", "from", "to", "u", "v", "node1", "node2", "weight")
)


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
    if path.is_dir():
        raise ValueError(
            f"graph file {str(path)!r} is a folder, not a file; give the path of an "
            "edge list, GraphML or GML file"
        )
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
            graph = read_edge_list(path, delimiter="," if suffix == ".csv" else None)
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


def read_edge_list(path: Path, delimiter: str | None) -> nx.Graph:
    """Read an edge list, skipping ``#`` comments and a header line.

    The header is the first non-comment line when every one of its fields is a
    column name in :data:`HEADER_NAMES` (case-insensitive).
    """
    lines = []
    header_checked = False
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            if not header_checked:
                header_checked = True
                fields = [f.strip() for f in re.split(delimiter or r"\s+", text)]
                if all(field.lower() in HEADER_NAMES for field in fields if field):
                    continue
            lines.append(text)
    return nx.parse_edgelist(lines, delimiter=delimiter, data=False)
