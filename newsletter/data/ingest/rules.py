"""Rules as data: load and validate ``rules/*.yaml`` (categories, seniority, skills, metros,
countries, employment) into frozen models. Patterns are Rust-regex syntax (no look-around)
matched against the *normalized* title (see :func:`newsletter.data.ingest.text.norm_title`);
the employment rules say what text each of their lists reads.
"""

from __future__ import annotations

import logging
from functools import cache
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Literal

import polars as pl
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from newsletter.data.snapshots import EMPLOYMENT_TYPES
from newsletter.errors import IngestError, first_line
from newsletter.util.resources import bundled

Level = Literal["entry", "mid", "senior", "leadership"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def regex_problem(pattern: str) -> str | None:
    """Why the regex engine that runs the rules (polars', Rust syntax: no look-around, no
    backreferences) cannot compile ``pattern``, in one line; None when it can. Python's
    ``re`` would accept patterns the ingest then fails on (``(?=x)``) and refuse ones it
    runs (``\\p{L}``)."""
    try:
        pl.select(pl.lit("").str.contains(pattern))
    except pl.exceptions.PolarsError as exc:
        lines = [ln.strip() for ln in str(exc).splitlines()]
        why = next((ln for ln in lines if ln.startswith("error:")), lines[0] if lines else "")
        return why.removeprefix("error:").strip() or "invalid pattern"
    return None


def _check_regex(v: str | None) -> str | None:
    problem = None if v is None else regex_problem(v)
    if problem is not None:
        raise ValueError(f"bad regex {v!r}: {problem}")
    return v


class TitleRule(_Frozen):
    pattern: str
    guard: str | None = None  # a match here vetoes the rule
    requires_ai: bool = False  # the title must carry an AI token...
    min_ai_skills: int | None = None  # ...or the posting this many AI-engineering skills
    unless_ai: bool = False  # the title must carry no AI token

    _re = field_validator("pattern", "guard")(_check_regex)


class Category(_Frozen):
    name: str
    rules: tuple[TitleRule, ...]


class CategoryRules(_Frozen):
    version: str
    ai_token: str
    ai_skill_groups: tuple[str, ...] = ()
    default: str = "Other"
    categories: tuple[Category, ...]

    _re = field_validator("ai_token")(_check_regex)


class SeniorityRule(_Frozen):
    level: Level
    pattern: str
    guard: str | None = None

    _re = field_validator("pattern", "guard")(_check_regex)


class SeniorityRules(_Frozen):
    version: str
    default: Level = "mid"
    abbreviations: dict[str, str] = Field(default_factory=dict)
    rules: tuple[SeniorityRule, ...]
    #: Tried on a seniority field of the export before ``rules``: a level field's own words
    #: (LinkedIn's "Executive"), which in a title name another role ("Account Executive").
    field_rules: tuple[SeniorityRule, ...] = ()
    #: "N+ years of experience" in the description, used when no title rule matched.
    experience: dict[Level, tuple[int, int]] = Field(default_factory=dict)


class Skill(_Frozen):
    name: str
    group: str
    aliases: tuple[str, ...] = ()
    case_sensitive: bool = False  # aliases match only with this exact capitalisation
    #: Extra case-sensitive spellings (e.g. "RAG" while "retrieval augmented generation" is not).
    exact: tuple[str, ...] = ()
    #: Only in a list of languages (another language within 60 characters).
    needs_context: bool = False
    #: False: the bare name is too ambiguous in prose ("Spring", "Word"); only aliases match
    #: in text, the name itself only in an explicit skills list.
    match_name: bool = True
    #: Spellings accepted only in explicit skills lists (e.g. "node" for Node.js).
    listed_as: tuple[str, ...] = ()
    #: A broader skill implied by this one (SageMaker -> AWS).
    parent: str | None = None


class SkillRules(_Frozen):
    version: str
    #: Languages whose nearness makes an ambiguous token ("R", "Go") a skill.
    context_languages: tuple[str, ...] = ()
    skills: tuple[Skill, ...]

    @field_validator("skills")
    @classmethod
    def _unique(cls, v: tuple[Skill, ...]) -> tuple[Skill, ...]:
        seen: set[str] = set()
        dup = [s.name for s in v if s.name in seen or seen.add(s.name)]  # type: ignore[func-returns-value]
        if dup:
            raise ValueError(f"duplicate skill name(s): {', '.join(dup)}")
        names = {s.name for s in v}
        bad = [s.parent for s in v if s.parent and s.parent not in names]
        if bad:
            raise ValueError(f"unknown parent skill(s): {', '.join(bad)}")
        return v


class Metro(_Frozen):
    name: str
    country: str = "US"
    aliases: tuple[str, ...] = ()
    #: state/province code -> cities in that state belonging to the metro
    cities: dict[str, tuple[str, ...]] = Field(default_factory=dict)


class MetroRules(_Frozen):
    version: str
    metros: tuple[Metro, ...]


class Country(_Frozen):
    code: str
    names: tuple[str, ...]
    #: Whether the code alone names the country in a place. False where it is a US state's
    #: or Canadian province's code too and the country is rarely written so (``MT`` is
    #: Montana, not Malta; ``PA`` Pennsylvania, not Panama), or a word (``NA``, ``TO``):
    #: its names still name it.
    code_names_it: bool = True


class Region(_Frozen):
    code: str
    name: str


class CountryRules(_Frozen):
    version: str
    countries: tuple[Country, ...]
    #: country code -> its first-level regions (states, provinces)
    regions: dict[str, tuple[Region, ...]] = Field(default_factory=dict)


class EmploymentRule(_Frozen):
    employment: str  # one of EMPLOYMENT_TYPES
    pattern: str
    guard: str | None = None  # a match here vetoes the rule

    _re = field_validator("pattern", "guard")(_check_regex)

    @field_validator("employment")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in EMPLOYMENT_TYPES:
            choose = ", ".join(EMPLOYMENT_TYPES)
            raise ValueError(f"unknown employment {v!r} (choose from {choose})")
        return v


class EmploymentRules(_Frozen):
    """Ordered rules per reader (first match wins): an employment field of the export
    (``explicit``, in the word form of
    :func:`newsletter.data.ingest.employment.employment_words`), the ``title`` and the
    ``pay`` text (both in lower case, punctuation kept)."""

    version: str
    explicit: tuple[EmploymentRule, ...]
    title: tuple[EmploymentRule, ...] = ()
    pay: tuple[EmploymentRule, ...] = ()


class Rules(_Frozen):
    categories: CategoryRules
    seniority: SeniorityRules
    skills: SkillRules
    metros: MetroRules
    countries: CountryRules
    employment: EmploymentRules

    @property
    def version(self) -> str:
        parts = (
            self.categories, self.seniority, self.skills, self.metros, self.countries,
            self.employment,
        )  # fmt: skip
        return "+".join(p.version for p in parts)


_FILES: dict[str, type[BaseModel]] = {
    "categories": CategoryRules,
    "seniority": SeniorityRules,
    "skills": SkillRules,
    "metros": MetroRules,
    "countries": CountryRules,
    "employment": EmploymentRules,
}
#: Rules files a folder written for an earlier release may lack: the shipped one stands in
#: (with a warning), so an upgrade does not stop the ingest of a custom rules folder.
_ADDED_LATER = frozenset({"employment"})


log = logging.getLogger(__name__)

#: libyaml's safe loader where PyYAML was built with it (ten times faster on the rules
#: files, which are read at every ingest), else the pure-Python one; both load the same.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load(path: Traversable, model: type[BaseModel]) -> Any:
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_SafeLoader)
    except FileNotFoundError:
        raise IngestError(f"rules file {path} not found") from None
    except (OSError, yaml.YAMLError) as exc:
        raise IngestError(f"cannot read rules file {path}: {first_line(exc)}") from None
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise IngestError(
            f"rules file {path}: {where}: {err['msg']} ({exc.error_count()} problem(s))"
        ) from None


@cache
def load_rules(directory: Path | None = None) -> Rules:
    """Read and validate every rules file in ``directory`` (``[data] rules_dir``), or the
    rules shipped in the package when it is None; cached per folder."""
    shipped = bundled("rules")
    folder: Traversable = shipped if directory is None else directory
    if directory is not None and not directory.is_dir():
        raise IngestError(f"rules folder {directory} does not exist (see [data] rules_dir)")
    loaded = {}
    for name, model in _FILES.items():
        path = folder / f"{name}.yaml"
        if name in _ADDED_LATER and not path.is_file():
            log.warning("rules folder %s has no %s.yaml: the shipped one is used", directory, name)
            path = shipped / f"{name}.yaml"
        loaded[name] = _load(path, model)
    return Rules(**loaded)
