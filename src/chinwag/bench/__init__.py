"""`chinwag bench`: a lean load generator for any chinwag server.

It creates its own users, friendships and channels over HTTP, then drives WebSockets with
picows callbacks on uvloop (no task per message), across one or several processes and
loopback source addresses. Every delivery is checked for loss, duplication and order; a
run ends with a printed summary, an optional JSON result and an optional latency plot.

Layout: `config` (what to run), `setup` (HTTP), `plans` and `specs` (who does what),
`frames` and `device` (one socket), `connect` (many sockets), `checks` and `tally` (what a
process saw), `shard` (one process's part), `links` and `fleet` (the processes and their
conversation), `run` (the sequence), `monitor`, `progress`, `report` and `plot`
(measuring and telling), `cli` (the `chinwag bench` command).
"""
