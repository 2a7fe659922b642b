"""Configuration: one YAML of validated defaults, profiles, a user file, env overrides.

Why typed dataclasses instead of a dict: a typo in a key or a wrong type is
caught when the config loads, with one line naming the key, instead of as a
``KeyError`` deep inside a Spark job twenty minutes later.

Precedence (last wins): ``defaults.yaml`` → ``profiles.<profile>`` → the file
named by ``CBBD_ETL_CONFIG`` (or ``--config``) → environment variables
``CBBD_ETL__SECTION__KEY=value`` (values parsed as YAML scalars).
"""
from __future__ import annotations

import dataclasses
import os
import typing
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

import yaml

from .errors import ConfigError

ENV_PREFIX = "CBBD_ETL__"
PROFILES = ("local", "aws")


@dataclass(frozen=True)
class LakeConfig:
    warehouse: str
    catalog_type: str
    catalog_name: str
    namespaces: dict[str, str]
    format_version: int

    def validate(self) -> None:
        if self.catalog_type not in ("hadoop", "glue"):
            raise ConfigError(f"lake.catalog_type: must be 'hadoop' or 'glue', got {self.catalog_type!r}")
        missing = {"silver", "gold", "meta"} - set(self.namespaces)
        if missing:
            raise ConfigError(f"lake.namespaces: missing {', '.join(sorted(missing))}")
        if self.format_version != 2:
            raise ConfigError("lake.format_version: must be 2 (Athena reads Iceberg v2 only)")
        if self.catalog_type == "glue" and not self.warehouse.startswith("s3://"):
            raise ConfigError(f"lake.warehouse: the glue catalog needs an s3:// warehouse, got {self.warehouse!r}")


@dataclass(frozen=True)
class BronzeConfig:
    root: str


@dataclass(frozen=True)
class SparkConfig:
    master: str
    shuffle_partitions: int
    driver_memory: str
    parallel_jobs: int                 # a local workflow run: how many ready jobs share the session at once
    parallel_tables: int               # a job with several tables (silver_reference: 9) loads this many at once
    adaptive: bool                     # spark.sql.adaptive.enabled: off locally (small queries), on for Glue
    cache_compressed: bool             # compress cached tables: off locally (CPU-bound), on for Glue (memory)
    file_read_tasks: int               # spark.sql.files.minPartitionNum for bronze reads; 0: Spark's default
    codegen_cache_entries: int         # a local session's compiled-query-code cache; 0: Spark's default (100)
    jvm_options: str                   # extra JVM flags of a local session (JIT and GC tuning)
    jit_driver_code_c1: bool           # a local session compiles per-query driver code with C1 only (see defaults)
    class_data_archive: bool           # a local session maps its classes from a CDS archive when one is built
    local_fs: str                      # file:// of a local session: "nio" (no chmod process per file) or "hadoop"
    iceberg_jar: str
    iceberg_maven: str
    log_level: str

    def validate(self) -> None:
        if self.shuffle_partitions < 1:
            raise ConfigError("spark.shuffle_partitions: must be >= 1")
        if self.parallel_jobs < 1:
            raise ConfigError("spark.parallel_jobs: must be >= 1")
        if self.parallel_tables < 1:
            raise ConfigError("spark.parallel_tables: must be >= 1")
        if self.file_read_tasks < 0:
            raise ConfigError("spark.file_read_tasks: must be >= 0 (0: Spark's default)")
        if self.codegen_cache_entries < 0:
            raise ConfigError("spark.codegen_cache_entries: must be >= 0 (0: Spark's default)")
        if self.local_fs not in ("nio", "hadoop"):
            raise ConfigError(f"spark.local_fs: must be nio or hadoop, not {self.local_fs!r}")


@dataclass(frozen=True)
class ApiConfig:
    base_url: str
    key_env: str
    key_secret_name: str
    key_ssm_parameter: str
    requests_per_second: float
    max_concurrency: int
    timeout_seconds: float
    max_attempts: int
    backoff_base_seconds: float
    backoff_max_seconds: float
    monthly_call_budget: int

    def validate(self) -> None:
        if not self.base_url.startswith(("http://", "https://")):
            raise ConfigError(f"api.base_url: must start with http:// or https://, got {self.base_url!r}")
        for name in ("requests_per_second", "timeout_seconds"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"api.{name}: must be > 0")
        for name in ("max_concurrency", "max_attempts"):
            if getattr(self, name) < 1:
                raise ConfigError(f"api.{name}: must be >= 1")
        if self.monthly_call_budget < 0:
            raise ConfigError("api.monthly_call_budget: must be >= 0")


@dataclass(frozen=True)
class SimConfig:
    seed: int
    size: str
    host: str
    port: int

    def validate(self) -> None:
        if self.size not in ("tiny", "demo", "full"):
            raise ConfigError(f"sim.size: must be tiny, demo or full, got {self.size!r}")


@dataclass(frozen=True)
class SeasonsConfig:
    first: int
    last: int
    default: int

    def validate(self) -> None:
        if not self.first <= self.default <= self.last:
            raise ConfigError(f"seasons.default: {self.default} is outside {self.first}-{self.last}")


@dataclass(frozen=True)
class AwsConfig:
    region: str


@dataclass(frozen=True)
class MaintenanceConfig:
    """Table upkeep: compaction of small files and expiry of old snapshots (time travel window)."""

    compact_min_input_files: int
    target_file_size_mb: int
    snapshot_retain_last: int
    snapshot_max_age_days: int

    def validate(self) -> None:
        for name in ("compact_min_input_files", "target_file_size_mb", "snapshot_retain_last"):
            if getattr(self, name) < 1:
                raise ConfigError(f"maintenance.{name}: must be at least 1, got {getattr(self, name)}")
        if self.snapshot_max_age_days < 0:
            raise ConfigError(f"maintenance.snapshot_max_age_days: must be >= 0, got {self.snapshot_max_age_days}")


@dataclass(frozen=True)
class Config:
    profile: str
    lake: LakeConfig
    bronze: BronzeConfig
    spark: SparkConfig
    api: ApiConfig
    sim: SimConfig
    seasons: SeasonsConfig
    aws: AwsConfig
    maintenance: MaintenanceConfig

    def validate(self) -> None:
        if self.profile not in PROFILES:
            raise ConfigError(f"profile: must be one of {', '.join(PROFILES)}, got {self.profile!r}")
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if hasattr(value, "validate"):
                value.validate()

    def namespace(self, logical: str) -> str:
        """Qualified namespace for a layer (``silver`` → ``lake.silver``, ``glue_catalog.cbbd_silver`` on AWS).

        Names are always catalog-qualified so several catalogs (one per test)
        can share one SparkSession without touching the default catalog.
        """
        try:
            return f"{self.lake.catalog_name}.{self.lake.namespaces[logical]}"
        except KeyError:
            raise ConfigError(f"lake.namespaces: no namespace for {logical!r}") from None

    def table(self, logical_name: str) -> str:
        """Catalog table identifier for ``silver.games`` style names."""
        layer, _, name = logical_name.partition(".")
        if not name:
            raise ConfigError(f"table name {logical_name!r} must look like layer.table")
        return f"{self.namespace(layer)}.{name}"

    def replace(self, **overrides: Any) -> "Config":
        """A copy with dotted-key overrides, e.g. ``replace(**{"lake.warehouse": "/tmp/w"})``."""
        raw = to_dict(self)
        for dotted, value in overrides.items():
            _set_dotted(raw, dotted.split("."), value, source="override")
        return build_config(raw)


def to_dict(cfg: Any) -> dict[str, Any]:
    return dataclasses.asdict(cfg)


def _defaults() -> dict[str, Any]:
    text = resources.files("cbbd_etl").joinpath("defaults.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def _merge(base: dict[str, Any], overlay: Mapping[str, Any], path: str = "") -> dict[str, Any]:
    out = dict(base)
    for key, value in overlay.items():
        dotted = f"{path}{key}"
        if key not in base:
            raise ConfigError(f"{dotted}: unknown configuration key")
        if isinstance(base[key], dict) and key != "namespaces":
            if not isinstance(value, Mapping):
                raise ConfigError(f"{dotted}: expected a mapping, got {type(value).__name__}")
            out[key] = _merge(base[key], value, f"{dotted}.")
        elif key == "namespaces":
            if not isinstance(value, Mapping):
                raise ConfigError(f"{dotted}: expected a mapping, got {type(value).__name__}")
            out[key] = {**base[key], **value}
        else:
            out[key] = value
    return out


def _set_dotted(raw: dict[str, Any], parts: list[str], value: Any, source: str) -> None:
    node = raw
    for i, part in enumerate(parts):
        dotted = ".".join(parts[: i + 1])
        if not isinstance(node, dict) or part not in node:
            raise ConfigError(f"{dotted}: unknown configuration key (from {source})")
        if i == len(parts) - 1:
            node[part] = value
        else:
            node = node[part]


def _coerce(value: Any, typ: Any, key: str) -> Any:
    origin = typing.get_origin(typ)
    if origin is dict:
        if not isinstance(value, Mapping):
            raise ConfigError(f"{key}: expected a mapping, got {value!r}")
        return {str(k): str(v) for k, v in value.items()}
    if typ is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{key}: expected true/false, got {value!r}")
    if typ is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key}: expected an integer, got {value!r}")
        return value
    if typ is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{key}: expected a number, got {value!r}")
        return float(value)
    if typ is str:
        if value is None:
            return ""
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise ConfigError(f"{key}: expected a string, got {value!r}")
        return str(value)
    raise ConfigError(f"{key}: unsupported type")  # pragma: no cover - guards future fields


def _build(cls: type, raw: Mapping[str, Any], prefix: str) -> Any:
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        key = f"{prefix}{f.name}"
        if f.name not in raw:
            raise ConfigError(f"{key}: missing configuration key")
        typ = hints[f.name]
        if dataclasses.is_dataclass(typ):
            if not isinstance(raw[f.name], Mapping):
                raise ConfigError(f"{key}: expected a mapping")
            kwargs[f.name] = _build(typ, raw[f.name], f"{key}.")
        else:
            kwargs[f.name] = _coerce(raw[f.name], typ, key)
    extra = set(raw) - {f.name for f in dataclasses.fields(cls)}
    if extra:
        raise ConfigError(f"{prefix}{sorted(extra)[0]}: unknown configuration key")
    return cls(**kwargs)


def build_config(raw: Mapping[str, Any]) -> Config:
    cfg = _build(Config, raw, "")
    cfg.validate()
    return cfg


def load_config(
    profile: str | None = None,
    path: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
) -> Config:
    """Load the effective configuration; every error is one :class:`ConfigError` line."""
    env = os.environ if env is None else env
    raw = _defaults()
    profiles = raw.pop("profiles")
    user: dict[str, Any] = {}
    path = path or env.get("CBBD_ETL_CONFIG") or None
    if path:
        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"config file {str(p)!r} does not exist")
        try:
            user = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"config file {str(p)!r} is not valid YAML: {str(exc).splitlines()[0]}") from None
        if not isinstance(user, dict):
            raise ConfigError(f"config file {str(p)!r} must hold a mapping")
    chosen = profile or env.get("CBBD_ETL_PROFILE") or user.get("profile") or raw["profile"]
    if chosen not in profiles:
        raise ConfigError(f"profile: must be one of {', '.join(sorted(profiles))}, got {chosen!r}")
    raw = _merge(raw, profiles[chosen] or {})
    raw = _merge(raw, {k: v for k, v in user.items() if k != "profile"})
    raw["profile"] = chosen
    for name, value in sorted(env.items()):
        if name.startswith(ENV_PREFIX):
            parts = [p.lower() for p in name[len(ENV_PREFIX):].split("__")]
            _set_dotted(raw, parts, yaml.safe_load(value) if value != "" else "", source=name)
    return build_config(raw)
