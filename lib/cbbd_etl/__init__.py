"""cbbd_etl: a lakehouse for the CollegeBasketballData.com API on AWS Glue and Iceberg.

Importing the package must stay cheap and dependency-free: Glue scripts,
the simulator's SDK check (which runs in a pydantic<2 environment) and the
CLI all import it before they know whether Spark is present.
"""

__version__ = "0.1.0"
