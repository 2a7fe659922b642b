"""Silver: typed, deduplicated Iceberg tables built from bronze API responses."""
