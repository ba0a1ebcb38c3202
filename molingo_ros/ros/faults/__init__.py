"""Fault injection and soak of molingo_node.

Run: ``python -m molingo_ros.ros.faults --out DIR [--minutes M] [--quick] [--only NAME,...]``
(``make soak`` runs the full suite into ``out/soak``).

Modules, one job each:

- :mod:`.launch`: start/stop node processes (own domain, parameters), RSS from /proc;
- :mod:`.probe`: the client node (own rclpy Context) that records the node's outputs with
  their publishers and sends commands and goals;
- :mod:`.checks`: pure computations (plan timeline, freezes, limits, statistics);
- :mod:`.analysis`: figures from a probe's records;
- :mod:`.bags`: reading the node's bags back (AnyReader, raw mcap);
- :mod:`.harness`: bounds, shared node, criteria;
- :mod:`.scenarios`, :mod:`.load_scenarios`, :mod:`.process_scenarios`: one function per
  scenario (fuzz, malformed, bursts, soak, signals, duplicates, corrupt);
- :mod:`.report`: report.json and report.md; :mod:`.suite`: the registry and the run.
"""
