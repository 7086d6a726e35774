"""bench.per_turn counts what one customer turn costs: a help-centre answer reads and
writes the store, checkpoints the conversation, queries the help centre and encodes."""

from __future__ import annotations

from bench.per_turn import measure, table


def test_a_help_centre_turn_is_counted(app_settings, services):
    rows = measure(app_settings, services, ["help_centre"], repeat=1)

    [row] = rows["help_centre"]
    assert row["store_reads"] > 0 and row["store_writes"] > 0
    assert row["ckpt_writes"] > 0 and row["ckpt_reads"] > 0
    assert row["chroma_query"] >= 1 and row["encodes"] >= 1
    assert row["cpu_ms"] > 0
    assert table(rows).splitlines()[1].startswith("help_centre")
