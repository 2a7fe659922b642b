"""Typed job parameters, declared once: the run contract of every job.

A :class:`Param` says what a job accepts (name, type, default, allowed
values, help) and which Glue workflow run property may supply it. From the
job's list of params come, without repeating anything:

* ONE argparse parser per job (:func:`build_parser`), used by
  ``cbbd-etl run JOB ...`` and by ``glue_entry.run_glue_job`` alike: an unknown
  or malformed argument is one line naming it, exit code 2;
* the resolution of typed values (:func:`resolve`): explicit argument >
  workflow run property > declared default;
* Terraform's ``default_arguments`` (:func:`default_arguments`).

Glue's own arguments (``--JOB_ID``, ``--TempDir``, ``--enable-*`` ...) are
split off first (:func:`split_glue_args`) and never reach a job.

This is a declaration module: standard library only, no I/O.
"""
from __future__ import annotations

import argparse
import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from .datasets import GAME_DATASETS
from .errors import UserError
from .seasons import parse_date, parse_season, parse_seasons, season_of

if TYPE_CHECKING:  # pragma: no cover
    from .registry import JobSpec

PARAM_TYPES = ("int", "season", "seasons", "date", "bool", "str", "choice", "list")
MODES = ("backfill", "incremental")
_TRUE, _FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")
_SAME = "="   # run_property marker: the run property has the param's own name


@dataclass(frozen=True)
class Param:
    """One job parameter. ``default`` is a typed value (``None``: unset).

    ``run_property`` names the Glue workflow run property that may supply the
    value (``"="``: the param's own name; ``None``: never from a run property).
    ``core`` params become typed fields of ``JobContext`` (season, seasons,
    date) or configure the run (profile, warehouse ...); the others are the
    job's ``ctx.options``.
    """

    name: str
    type: str
    default: Any = None
    choices: tuple[str, ...] = ()
    help: str = ""
    run_property: str | None = _SAME
    minimum: int | None = None
    core: bool = False

    def __post_init__(self) -> None:
        if self.type not in PARAM_TYPES:
            raise ValueError(f"param {self.name}: type {self.type!r} is not one of {', '.join(PARAM_TYPES)}")
        if self.type == "choice" and not self.choices:
            raise ValueError(f"param {self.name}: a choice needs choices")

    @property
    def flag(self) -> str:
        return f"--{self.name}"

    @property
    def flags(self) -> list[str]:
        """``--window_days`` (Glue's spelling) and ``--window-days`` (the CLI's)."""
        dashed = f"--{self.name.replace('_', '-')}"
        return [self.flag] + ([dashed] if dashed != self.flag else [])

    @property
    def property_name(self) -> str | None:
        return self.name if self.run_property == _SAME else self.run_property

    def convert(self, value: Any, bounds: tuple[int, int] = (2010, 2027), source: str | None = None) -> Any:
        """Text (or an already typed value) -> the typed value; a bad one is a UserError naming the param."""
        where = source or self.flag
        if value is None:
            return None
        if self.type == "season":
            return parse_season(value, *bounds)
        if self.type == "seasons":
            if isinstance(value, (list, tuple)):
                return sorted({parse_season(v, *bounds) for v in value})
            return parse_seasons(str(value), *bounds)
        if self.type == "date":
            return value if isinstance(value, dt.date) else parse_date(str(value))
        if self.type == "bool":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in _TRUE or text in _FALSE:
                return text in _TRUE
            raise UserError(f"{where}: {value!r} is not a boolean (true or false)")
        if self.type == "int":
            try:
                number = int(value)
            except (TypeError, ValueError):
                raise UserError(f"{where}: {value!r} is not an integer") from None
            if self.minimum is not None and number < self.minimum:
                raise UserError(f"{where}: must be >= {self.minimum}, got {number}")
            return number
        if self.type == "choice":
            if str(value) not in self.choices:
                raise UserError(f"{where}: {value!r} is not one of {', '.join(self.choices)}")
            return str(value)
        if self.type == "list":
            items = list(value) if isinstance(value, (list, tuple)) else \
                [v.strip() for v in str(value).split(",") if v.strip()]
            bad = [v for v in items if self.choices and v not in self.choices]
            if bad:
                raise UserError(f"{where}: {bad[0]!r} is not one of {', '.join(self.choices)}")
            return items or None
        return str(value)

    def to_text(self, value: Any) -> str:
        """A typed value as Glue passes it (``--key value``)."""
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (list, tuple)):
            return ",".join(str(v) for v in value)
        return str(value)


# --- the standard parameters -------------------------------------------------------------------------------
SEASON = Param("season", "season", help="the season (2024 = 2023-24); daily mode: the season of --date", core=True)
SEASONS = Param("seasons", "seasons", help="many seasons: 2015-2024 or 2019,2021", core=True)
DATE = Param("date", "date", run_property="as_of", core=True,
             help="as-of date (ISO); the workflow run property is as_of; default today")
MODE = Param("mode", "choice", default="backfill", choices=MODES,
             help="backfill: fetch what bronze lacks; incremental: also re-fetch the last --window-days days")
WINDOW_DAYS = Param("window_days", "int", default=7, minimum=1,
                    help="incremental mode: days before the as-of date fetched again")
REPROCESS = Param("reprocess", "bool", default=False,
                  help="silver jobs: read every bronze file of the season again, not only new ones; "
                       "gold jobs: rebuild the season even when nothing they read changed")
ENDPOINTS = Param("endpoints", "list", help="comma list of endpoints (default: every default endpoint)")
BASE_URL = Param("base_url", "str", run_property=None, help="API base URL (default: configuration)")
MAX_CALLS = Param("max_calls", "int", minimum=0, help="stop after this many API calls")
DRY_RUN = Param("dry_run", "bool", default=False, run_property=None, help="plan only, call nothing")
DATASETS = Param("datasets", "list", choices=tuple(d.dataset for d in GAME_DATASETS),
                 help="comma list of game datasets (default all)")
RECHECK_DAYS = Param("recheck_days", "int", default=7, minimum=0,
                     help="ask again about a game the API answered empty after this many days")
REPORT_NAME = Param("report_name", "str", default="completeness", run_property=None,
                    help="file name (without extension) of the markdown report and heatmap")

# Every job: where it runs and under which run id. Not from run properties: a workflow never moves the lake.
COMMON: tuple[Param, ...] = (
    Param("profile", "str", run_property=None, core=True, help="configuration profile: local or aws"),
    Param("warehouse", "str", run_property=None, core=True, help="Iceberg warehouse URI (overrides the config)"),
    Param("bronze_root", "str", run_property=None, core=True, help="bronze root URI (overrides the config)"),
    Param("run_id", "str", run_property=None, core=True, help="run id (default: Glue's JOB_RUN_ID or a new one)"),
    Param("job_name", "str", run_property=None, core=True, help="the registered job (Terraform passes it)"),
)

STANDARD: dict[str, Param] = {p.name: p for p in (SEASON, SEASONS, DATE, MODE, WINDOW_DAYS, REPROCESS, ENDPOINTS,
                                                 BASE_URL, MAX_CALLS, DRY_RUN, DATASETS, RECHECK_DAYS, REPORT_NAME)}


def standard(name: str) -> Param:
    try:
        return STANDARD[name]
    except KeyError:
        raise ValueError(f"no standard param {name!r}; declare a Param or use one of {', '.join(STANDARD)}") from None


# --- Glue's own arguments ----------------------------------------------------------------------------------
# What Glue itself passes or interprets (AWS Glue "special parameters"); a job accepts and ignores them,
# except JOB_RUN_ID (the run id) and WORKFLOW_NAME / WORKFLOW_RUN_ID (where to read run properties).
GLUE_ARGUMENTS = frozenset({
    "JOB_ID", "JOB_RUN_ID", "JOB_NAME", "WORKFLOW_NAME", "WORKFLOW_RUN_ID", "SECURITY_CONFIGURATION",
    "TempDir", "RedshiftTempDir", "job-bookmark-option", "job-language", "class", "scriptLocation",
    "extra-py-files", "extra-jars", "extra-files", "user-jars-first", "use-postgres-driver",
    "additional-python-modules", "python-modules-installer-option", "conf", "datalake-formats",
    "disable-proxy-v2", "executor-cores", "write-shuffle-files-to-s3", "write-shuffle-spills-to-s3",
    "shuffle-storage-path", "spark-event-logs-path", "auto-scale-within-microbatch", "encryption-type",
    "customer-driver-env-vars", "customer-executor-env-vars", "glue-spark-ui-port", "debug",
})
GLUE_PREFIXES = ("enable-", "continuous-log-", "spark-", "customer-")


def is_glue_argument(key: str) -> bool:
    return key in GLUE_ARGUMENTS or key.startswith(GLUE_PREFIXES)


def split_glue_args(argv: Sequence[str]) -> tuple[list[str], dict[str, str]]:
    """(the job's own arguments, Glue's arguments as a dict). ``--k v``, ``--k=v`` and a bare ``--flag``."""
    own: list[str] = []
    glue: dict[str, str] = {}
    items = list(argv)
    i = 0
    while i < len(items):
        tok = items[i]
        key, eq, value = tok[2:].partition("=") if tok.startswith("--") else ("", "", "")
        if key and is_glue_argument(key):
            if not eq:
                if i + 1 < len(items) and not items[i + 1].startswith("--"):
                    value = items[i + 1]
                    i += 1
                else:
                    value = "true"
            glue[key] = value
        else:
            own.append(tok)
        i += 1
    return own, glue


# --- the parser ----------------------------------------------------------------------------------------------
class OneLineParser(argparse.ArgumentParser):
    """argparse whose errors are a :class:`UserError` (one line, exit 2), never a usage dump."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UserError(f"{self.prog}: {message}")


def job_params(job: "JobSpec") -> tuple[Param, ...]:
    return tuple(job.params) + COMMON


def build_parser(job: "JobSpec", prog: str | None = None) -> OneLineParser:
    """The one parser of ``job``'s arguments; every default is None so "not given" stays visible."""
    p = OneLineParser(prog=prog or f"cbbd-etl run {job.name}", description=job.description, allow_abbrev=False,
                      add_help=True)
    for param in job_params(job):
        shown = f" (default {param.to_text(param.default)})" if param.default is not None else ""
        kwargs: dict[str, Any] = {"dest": param.name, "default": None, "help": param.help + shown}
        if param.type == "bool":
            kwargs.update(nargs="?", const="true", metavar="true|false")
        elif param.type == "choice":
            kwargs["metavar"] = "|".join(param.choices)
        p.add_argument(*param.flags, **kwargs)
    return p


def parse_args(job: "JobSpec", argv: Sequence[str], prog: str | None = None) -> dict[str, str]:
    """The explicitly given arguments (text) of ``job``; unknown ones are a UserError naming the first."""
    parser = build_parser(job, prog)
    ns, unknown = parser.parse_known_args(list(argv))
    if unknown:
        first = unknown[0].split("=", 1)[0]
        known = ", ".join(f for param in job_params(job) for f in param.flags[:1])
        raise UserError(f"{parser.prog}: unknown argument {first} (takes {known})")
    return {k: v for k, v in vars(ns).items() if v is not None}


# --- resolution ---------------------------------------------------------------------------------------------
def resolve(job: "JobSpec", given: Mapping[str, Any], run_properties: Mapping[str, str] | None = None,
            bounds: tuple[int, int] = (2010, 2027), default_season: int | None = None,
            today: dt.date | None = None) -> dict[str, Any]:
    """Typed values of every param of ``job``: explicit > workflow run property > declared default.

    Season rule: a job taking ``season`` that gets none uses the season of the
    as-of date when the run is incremental (the job's ``mode`` or the
    workflow's ``mode`` run property) or an as-of date is given; otherwise
    ``default_season`` unless the job also takes ``seasons``.
    """
    props = dict(run_properties or {})
    out: dict[str, Any] = {}
    for param in job_params(job):
        if given.get(param.name) is not None:
            out[param.name] = param.convert(given[param.name], bounds)
        elif param.property_name and props.get(param.property_name) not in (None, ""):
            out[param.name] = param.convert(props[param.property_name], bounds,
                                            source=f"workflow run property {param.property_name}")
        else:
            out[param.name] = param.default
    names = {p.name for p in job.params}
    if "season" in names and out.get("season") is None and "seasons" not in names and props.get("seasons"):
        # Never fall back to some default season when the run asked for several: say so.
        raise UserError(f"workflow run property seasons={props['seasons']}: job {job.name} takes one season; "
                        "start one workflow run per season (run property season)")
    if "season" in names and out.get("season") is None:
        mode = out.get("mode") or props.get("mode")
        as_of = out.get("date")
        if as_of is None and props.get("as_of"):
            as_of = DATE.convert(props["as_of"], source="workflow run property as_of")
        if mode == "incremental" or as_of is not None:
            out["season"] = SEASON.convert(season_of(as_of or today or dt.date.today()), bounds)
        elif "seasons" not in names:
            out["season"] = default_season
    return out


def default_arguments(job: "JobSpec") -> dict[str, str]:
    """Terraform ``default_arguments`` from the declaration: each declared default that no run property can
    supply. A default Glue passes counts as an explicit argument, so one a workflow run property should be
    able to set (mode, window_days, ...) must stay out; those defaults apply in :func:`resolve`."""
    return {param.flag: param.to_text(param.default) for param in job.params
            if param.default is not None and param.property_name is None}
