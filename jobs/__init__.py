"""One module per Glue job (installed as ``cbbd_etl.jobs``); each exposes ``run(ctx) -> dict``.

Jobs are thin compositions: read → transform (library) → MERGE → report.
They are declared in ``cbbd_etl.registry``; nothing else lists them.
"""
