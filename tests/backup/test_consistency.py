"""The backup's check that its copy of the checkpoints and its database snapshot agree."""

from __future__ import annotations

import json

from backup.archive import _chain_moved


def checkpoint(first_seq: int, **fields) -> bytes:
    return (json.dumps({"kind": "checkpoint", "first_seq": first_seq, **fields}) + "\n").encode()


def test_the_chain_starting_where_the_newest_checkpoint_copied_says_is_consistent():
    assert not _chain_moved(checkpoint(1) + checkpoint(1), 1)
    # a purge before the copy: its own checkpoint, the newest, says where the chain starts now
    assert not _chain_moved(checkpoint(1) + checkpoint(41, kind="purge"), 41)
    # no checkpoints at all (nothing to disagree with)
    assert not _chain_moved(b"", 0)


def test_a_purge_between_the_copy_and_the_snapshot_is_noticed():
    assert _chain_moved(checkpoint(1) + checkpoint(1), 41)


def test_a_newest_checkpoint_line_that_cannot_be_read_is_not_taken_as_agreement():
    assert _chain_moved(checkpoint(1) + b'{"kind": "checkpoint"', 1)
