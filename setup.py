"""Packaging for cbbd_etl.

The wheel is what AWS Glue loads through ``--extra-py-files``: it carries the
library (``lib/cbbd_etl``) and the job modules (``jobs/``, installed as
``cbbd_etl.jobs``) so a Glue script needs nothing but ``import cbbd_etl``.
Heavy engines (PySpark, the Iceberg runtime) are *not* install requirements
because Glue provides them; the ``local`` extra brings them for laptops.
"""
from setuptools import find_packages, setup

LOCAL = [
    "pyspark==3.5.6",
    "snowpark-connect-deps-iceberg==1.0.1",
    "pyiceberg[pyarrow]==0.12.*",
    "boto3>=1.34",
    "matplotlib>=3.8",
    "sqlglot>=25",          # analyst views: Trino -> Spark SQL, declared-column checks (cbbd_etl.gold.views)
    "orjson>=3.9",          # the local server's and the client's JSON (cbbd_etl.api.jsoncodec; optional there)
    "pysimdjson>=6",        # the ingest validates and counts a body without building it (jsoncodec.digest; optional)
    "isal>=1.6",            # bronze gzip ~5x faster than zlib (bronze.store.gzip_bytes; optional)
]
TEST = [
    "pytest>=8",
    "pytest-timeout>=2.3",
    "chispa>=0.10",
    "moto[s3,ssm,secretsmanager,dynamodb,glue]>=5",
    # botocore 1.44.18 speaks rest-json to Athena; moto (5.2.6, the newest) still answers only its json
    # protocol, so every Athena call under moto is "404 Not yet implemented" (tests/test_views.py). The product
    # itself is fine with either: the bound is for the tests' AWS stand-in.
    "botocore<1.44.14",
    "python-hcl2>=4.3",
    "hypothesis>=6.100",
    "pytest-cov>=5",
    "import-linter>=2.1",   # tests/test_layering.py: the declaration layer and no import cycles
    "duckdb>=1.0",          # tests/test_gold_ratings_lake.py: the bench's DuckDB build of gold.team_season
]

RESOURCE_PACKAGES = ["cbbd_etl.resources", "cbbd_etl.resources.crosswalk", "cbbd_etl.resources.java",
                     "cbbd_etl.resources.views"]

BENCH = [
    "duckdb>=1.0",          # bench/bench.py: the same bronze plays and gold.team_season beside DuckDB
]

setup(
    name="cbbd_etl",
    version="0.1.0",
    description="CollegeBasketballData lakehouse: bronze JSON, silver/gold Iceberg tables on AWS Glue",
    python_requires=">=3.10",
    package_dir={"": "lib", "cbbd_etl.jobs": "jobs"},
    # The resource folders hold data, not code; listed as packages so setuptools ships them without warning.
    packages=find_packages("lib") + ["cbbd_etl.jobs"] + RESOURCE_PACKAGES,
    package_data={"cbbd_etl": ["*.yaml"], **{p: ["*.json", "*.properties", "*.csv", "*.sql", "*.java"] for p in RESOURCE_PACKAGES}},
    include_package_data=True,
    install_requires=["PyYAML>=6", "requests>=2.31"],
    extras_require={"local": LOCAL, "test": TEST, "bench": BENCH},
    entry_points={"console_scripts": ["cbbd-etl=cbbd_etl.cli:main"]},
)
