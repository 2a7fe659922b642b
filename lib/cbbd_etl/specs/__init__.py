"""Declaration modules added after the first silver build-out: gold tables, data-quality rules.

Each module here is pure (no Spark, no I/O) and imports only ``cbbd_etl.table_spec``
and other declaration modules; ``cbbd_etl.tables.all_tables()`` collects the tables.
"""
