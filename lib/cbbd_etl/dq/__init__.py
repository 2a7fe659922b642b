"""Data quality: rules declared once (:mod:`cbbd_etl.specs.dq_rules`), evaluated by Spark SQL locally and by
AWS Glue Data Quality on Glue (DQDL), results in ``meta.dq_results``.

Modules: ``spark_eval`` (rules → Spark SQL failing rows), ``dqdl`` (rules → DQDL text), ``glue_eval``
(EvaluateDataQuality where ``awsgluedq`` exists), ``report`` (results, summary text), ``terraform``
(rulesets for ``aws_glue_data_quality_ruleset``), ``job`` (the ``data_quality`` job), ``cli`` (``cbbd-etl dq``).
"""
