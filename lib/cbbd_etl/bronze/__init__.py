"""Bronze: raw CBBD API responses (gzip JSON) with one manifest per request.

Modules: ``store`` (local folder or S3 behind one interface, the layout and
manifests), ``ingest_log`` (checkpoints and the append-only ingest log),
``planner`` (the cheapest call plan) and ``ingest`` (the run itself).
"""
