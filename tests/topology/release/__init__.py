"""A release's additive migration, for the rolling upgrade test (test_rolling_upgrade.py).

Installed only by ``tests.topology.release.settings``: the next release's code, which knows a
new table of message reactions with a foreign key to the busy message table. The migration
is what the rolling upgrade applies while the old code still serves.
"""
