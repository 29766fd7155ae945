"""Sigma rule files -> the plain data each detection is made of, compiled by the backend, cached.

The catalog is ``rules/<name>.yml`` beside this file, each with its test events in
``<name>.events.json``; users add their own with ``sigmaRules`` (config.py). A rule file is a
Sigma rule over CloudTrail records (``logsource: {product: aws, service: cloudtrail}``; the
self-test's is over the events put on the bus, ``service: eventbridge``). Sigma's own fields
carry what Sigma has a field for; the rest is in the one custom attribute ``api_alerts``
(docs/sigma.md: its schema). This module reads the files and returns, per rule, a
``spec``: plain JSON whose keys are ``catalog.Detection``'s fields.

Compiling needs pySigma, whose import alone costs ~0.4 s: the specs of a set of files are cached
in the user cache (as provider_import caches its tarball), keyed by the files' names and bytes,
the sources that decide the compiled form (the backend, this module, the limits and the
CloudTrail delivery data they read) and pySigma's version. A synthesis with an unchanged catalog
reads one JSON file and imports no pySigma.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import tempfile
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CATALOG_RULES = HERE / "rules"
RULE_SUFFIX = ".yml"
EVENTS_SUFFIX = ".events.json"  # the rule's test events: {"fires": [...], "silent": [...]}
ATTRIBUTE = "api_alerts"  # the one custom attribute (sigma_backend.ATTRIBUTE)
# What the rules' %placeholders% (|expand) are filled with at compile time: the stand-ins that
# catalog.Detection fills per deployment (the name prefix, the region's KMS key, the account,
# trustedAccounts), so that the compiled pattern does not depend on the configuration.
STAND_INS: Mapping[str, str] = {
    "namePrefix": "{namePrefix}",
    "keyId": "{keyId}",
    "keyArn": "{keyArn}",
    "accountId": "{accountId}",
    "trustedAccounts": "{trustedAccounts}",
}
PLACEHOLDER = re.compile(r"%(\w+)%")
# A rule's id: stable, from its name (the catalog's rules were given uuid5 of this namespace).
ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/api-call-alerts/detections")
# The sources whose change changes a compiled rule (or a user's rule's alerts, checked when it
# is loaded), besides the rule files.
SOURCES = (
    HERE / "sigma_backend.py",
    Path(__file__).resolve(),
    HERE / "catalog.py",
    HERE / "outcomes.py",
    HERE.parent / "eventbridge" / "alert_message.py",
    HERE.parent / "chat" / "chat_message.py",
    HERE.parent.parent / "models" / "limits.py",
    HERE.parent.parent / "models" / "cloudtrail_records.py",
)
NAME = re.compile(r"[a-z][a-z0-9_]*")
# Sigma's levels -> our severities (Sigma has "informational" below low).
LEVELS = {
    "critical": "critical",
    "high": "high",
    "medium": "medium",
    "low": "low",
    "informational": "low",
}
DELIVERIES = {
    "global": "GLOBAL",
    "regional": "REGIONAL",
    "regional-and-global": "REGIONAL_AND_GLOBAL",
    "sign-in": "SIGN_IN",
    "home": "HOME",
    "every-stack": "EVERY_STACK",
}
ENGINES = ("eventbridge", "metric-filters")
# The attribute's keys (docs/sigma.md).
KEYS = frozenset(
    {
        "delivery",
        "alert_fields",
        "to_health_topic",
        "requires_kms_key",
        "engine",
        "note",
        "log_filter",
        "no_log_filter",
        "threshold",
        "read_only",
        "field_types",
        "order",
    }
)
GROUP_TAG = "api_alerts.group."
CIS_TAG = "cis.cloudwatch."
STRATUS_TAG = "stratus."
ATTACK_TAG = "attack."
TECHNIQUE_TAG = re.compile(r"attack\.(t\d{4}(?:\.\d{3})?)")
# The EventBridge event's source for a service's CloudTrail records, and back.
SERVICE_SUFFIX = ".amazonaws.com"
# The alert's static text arrives as written only without characters JSON escapes or EventBridge
# reads as a placeholder (alert_message.py): a user's title and description are made so.
UNDELIVERABLE = str.maketrans({'"': "'", "\\": "/", "<": "(", ">": ")"})


class RuleFileError(ValueError):
    """A rule file that cannot become a detection: one line naming the file and the construct."""


def rule_paths(folder: Path) -> list[Path]:
    return sorted(folder.glob(f"*{RULE_SUFFIX}"))


def events_path(rule: Path) -> Path:
    return rule.with_name(rule.name.removesuffix(RULE_SUFFIX) + EVENTS_SUFFIX)


def rule_events(detection_id: str, folder: Path = CATALOG_RULES) -> dict[str, list[dict[str, Any]]]:
    """The hand-written records beside a rule: {"fires": [...], "silent": [...]}."""
    path = events_path(folder / f"{detection_id}{RULE_SUFFIX}")
    return json.loads(path.read_text(encoding="utf-8"))


def rules_with_events(folder: Path = CATALOG_RULES) -> list[str]:
    """The rules with test events in ``folder``, by name."""
    return sorted(p.name.removesuffix(EVENTS_SUFFIX) for p in folder.glob(f"*{EVENTS_SUFFIX}"))


def rule_id(name: str) -> str:
    """The stable Sigma id of a catalog rule: uuid5 of its name."""
    return str(uuid.uuid5(ID_NAMESPACE, name))


def catalog_specs() -> tuple[dict[str, Any], ...]:
    """The catalog's rule files as specs, in the catalog's order (each rule's ``order``)."""
    specs = load(rule_paths(CATALOG_RULES), catalog=True)
    for spec in specs:
        if "error" in spec:
            raise RuleFileError(f"{spec['file']}: {spec['error']}")
    return tuple(sorted(specs, key=lambda spec: spec["order"]))


def load(files: Iterable[Path], catalog: bool = False) -> tuple[dict[str, Any], ...]:
    """Specs for these rule files, in their order, cached by content. A spec's ``refused`` names
    the engines that cannot run the rule exactly, each with its one line; a file that is no rule
    we can use is ``{"file", "error"}``, the line saying why. The caller decides: an error, or
    skipped."""
    texts = [(path, path.read_bytes()) for path in files]
    key = _cache_key(texts, catalog)
    cached = _read_cache(key)
    if cached is not None:
        return tuple(cached)
    specs = _compile_all(texts, catalog)
    _write_cache(key, list(specs))
    return specs


# ---- a user's own rules (sigmaRules) ----


class UserRuleError(ValueError):
    """A user's rule that cannot be used: its entry's ``tag`` (the caller's name for it), the
    file, and the one line saying why."""

    def __init__(self, tag: str, value: str, problem: str) -> None:
        super().__init__(problem)
        self.tag, self.value, self.problem = tag, value, problem


ENGINE_LABELS = {"eventbridge": "EventBridge", "metric-filters": "CloudWatch Logs"}
# The alert's static text arrives as written only without characters JSON escapes or EventBridge
# reads as a placeholder (alert_message.py): a user's title and description are made so.
UNDELIVERABLE = str.maketrans({'"': "'", "\\": "/", "<": "(", ">": ")"})


def files_at(path: Path) -> list[Path]:
    """A rule file, or a folder's; ValueError saying why there is none."""
    if path.is_dir():
        found = rule_paths(path)
        if not found:
            raise ValueError(f"no Sigma rules (*{RULE_SUFFIX}) there")
        return found
    if path.is_file():
        return [path]
    raise ValueError(f"no such file or folder ({path})")


def user_rules(
    entries: Iterable[tuple[str, list[Path], bool]], engines: tuple[str, ...]
) -> tuple[tuple[Any, ...], tuple[str, ...]]:
    """Detections from a user's rule files: ``entries`` are (tag, files, skip). A rule an engine
    cannot run exactly raises UserRuleError, or, with skip, is left out of that engine; returns
    the detections and one line per rule, or rule and engine, skipped."""
    from constructs_lib.detections.attack import STRATUS, TACTICS, TECHNIQUES
    from constructs_lib.detections.catalog import CATALOG, SIGMA_GROUP, from_spec

    files = [(file, skip, tag) for tag, found, skip in entries for file in found]
    if not files:
        return (), ()
    specs = load(file for file, _, _ in files)
    taken = {d.id for d in CATALOG}
    rules, skipped = [], []
    for spec, (file, skip, tag) in zip(specs, files, strict=True):
        if "error" in spec:
            if not skip:
                raise UserRuleError(tag, str(file), spec["error"])
            skipped.append(f"{file}: skipped: {spec['error']}")
            continue
        if spec["id"] in taken:
            raise UserRuleError(
                tag,
                str(file),
                f"the rule's name {spec['id']!r} is taken (by the catalog or another rule): "
                "set another name",
            )
        taken.add(spec["id"])
        running = [e for e in engines if spec["engine"] in (None, e)]
        for engine in list(running):
            line = spec["refused"].get(engine)
            if line is None:
                continue
            if not skip:
                raise UserRuleError(tag, str(file), line)
            skipped.append(f"{file}: skipped for {ENGINE_LABELS[engine]}: {line}")
            running.remove(engine)
        if not running:
            continue
        engine = running[0] if len(running) < len(engines) else spec["engine"]
        # Their tags are theirs: the group is sigmaRules', ATT&CK pairs only those attack.py
        # names (the catalog's tables list them), Stratus techniques likewise.
        spec = {
            **spec,
            "title": " ".join(spec["title"].translate(UNDELIVERABLE).split()),
            "rationale": " ".join(spec["rationale"].translate(UNDELIVERABLE).split()),
            "engine": engine,
            "groups": [SIGMA_GROUP],
            "attack": [
                p
                for p in spec["attack"]
                if p.partition(":")[0] in TACTICS and p.partition(":")[2] in TECHNIQUES
            ],
            "stratus": [t for t in spec["stratus"] if t in STRATUS],
        }
        try:
            rules.append(from_spec(spec))
        except ValueError as error:
            raise UserRuleError(tag, str(file), str(error)) from None
    return tuple(rules), tuple(skipped)


# ---- the cache ----


def _cache_dir() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "api-call-alerts"


def _pysigma_version() -> str:
    """pySigma's installed version, from its dist-info folder's name (importlib.metadata would
    cost more than the rest of a cached load)."""
    spec = importlib.util.find_spec("sigma")
    if spec is None or not spec.submodule_search_locations:
        return "none"
    where = Path(next(iter(spec.submodule_search_locations))).parent
    return ",".join(sorted(p.name for p in where.glob("pysigma-*.dist-info"))) or str(where)


def _cache_key(texts: list[tuple[Path, bytes]], catalog: bool) -> str:
    digest = hashlib.sha256(f"{_pysigma_version()}\0{catalog}\0".encode())
    for source in SOURCES:
        digest.update(source.read_bytes() + b"\0")
    for path, text in texts:
        digest.update(f"{path}\0".encode() + text + b"\0")
    return digest.hexdigest()


def _read_cache(key: str) -> list[dict[str, Any]] | None:
    try:
        return json.loads((_cache_dir() / f"sigma-{key[:32]}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write_cache(key: str, value: list[dict[str, Any]]) -> None:
    folder = _cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, partial = tempfile.mkstemp(dir=folder, suffix=".partial")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(value, out)
        os.replace(partial, folder / f"sigma-{key[:32]}.json")
    except OSError:
        return  # no writable cache: the next synthesis compiles again


# ---- compiling ----


def _compile_all(texts: list[tuple[Path, bytes]], catalog: bool) -> tuple[dict[str, Any], ...]:
    from constructs_lib.detections import sigma_backend

    backend = sigma_backend.CloudTrailBackend(sigma_backend.placeholder_values(STAND_INS))
    specs = []
    for path, text in texts:
        try:
            specs.append(_spec(path, text.decode("utf-8"), backend, catalog))
        except (RuleFileError, UnicodeDecodeError) as error:
            specs.append({"file": path.name if catalog else str(path), "error": str(error)})
    return tuple(specs)


def _spec(path: Path, text: str, backend: Any, catalog: bool) -> dict[str, Any]:
    import yaml
    from sigma.collection import SigmaCollection
    from sigma.exceptions import SigmaError
    from sigma.rule import SigmaRule

    from constructs_lib.detections import sigma_backend

    where = path.name if catalog else str(path)
    try:
        rules = SigmaCollection.from_yaml(text).rules
    except SigmaError as error:
        raise RuleFileError(f"not a Sigma rule: {error}") from None
    except yaml.YAMLError as error:  # PyYAML's message spans lines: its problem and where
        mark = getattr(error, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or type(error).__name__
        raise RuleFileError(f"not YAML: {problem}{at}") from None
    if len(rules) != 1 or not isinstance(rules[0], SigmaRule):
        raise RuleFileError("one Sigma rule a file (no correlation, no collection)")
    rule = rules[0]
    if rule.errors:
        raise RuleFileError(str(rule.errors[0]))
    attribute = rule.custom_attributes.get(ATTRIBUTE) or {}
    if not isinstance(attribute, dict) or set(attribute) - KEYS:
        unknown = sorted(set(attribute) - KEYS) if isinstance(attribute, dict) else attribute
        raise RuleFileError(f"{ATTRIBUTE}: unknown keys {unknown} (docs/sigma.md)")
    name = rule.name or (path.name.removesuffix(RULE_SUFFIX).replace("-", "_").lower())
    if not NAME.fullmatch(name):
        raise RuleFileError(
            f"name {name!r}: lower-case letters, digits and _, starting with a letter "
            "(it names the EventBridge rule and the Terraform resource)"
        )
    compiled = sigma_backend.compile_rule(rule, backend)
    engines = _engines(attribute)
    refused = {
        engine: compiled.refusals[label]
        for engine, label in (
            ("eventbridge", sigma_backend.EVENTBRIDGE),
            ("metric-filters", sigma_backend.METRIC_FILTER),
        )
        if label in compiled.refusals
    }
    own_filter = bool(attribute.get("log_filter") or attribute.get("no_log_filter"))
    tags = [str(tag) for tag in rule.tags]
    standards = [
        "CIS CloudWatch." + tag.removeprefix(CIS_TAG) for tag in tags if tag.startswith(CIS_TAG)
    ]
    if own_filter or standards:
        refused.pop("metric-filters", None)  # the filter is the attribute's, or the control's
    refused = {engine: line for engine, line in refused.items() if engine in engines}
    pattern = compiled.event_pattern or {}
    logsource = (rule.logsource.product, rule.logsource.service)
    prefix = "$.detail." if logsource == sigma_backend.CLOUDTRAIL else "$."
    alert_fields = _alert_fields(attribute, rule.fields)
    title, rationale = str(rule.title), rule.description or str(rule.title)
    spec = {
        "id": name,
        "title": title if catalog else deliverable(title),
        "rationale": " ".join(rationale.split()) if catalog else deliverable(rationale),
        "delivery": _delivery(attribute, pattern, logsource),
        "severity": LEVELS[rule.level.name.lower()] if rule.level else "medium",
        "pattern": pattern,
        "groups": [tag.removeprefix(GROUP_TAG) for tag in tags if tag.startswith(GROUP_TAG)]
        or ([] if catalog else ["sigma"]),
        "standards": standards,
        "note": attribute.get("note", ""),
        "alert_fields": {
            label: prefix + paths if isinstance(paths, str) else [prefix + p for p in paths]
            for label, paths in alert_fields.items()
        },
        "to_health_topic": bool(attribute.get("to_health_topic", False)),
        "requires_kms_key": bool(attribute.get("requires_kms_key", False)),
        "log_filter": _stand_ins(attribute.get("log_filter", ""))
        or ("" if standards else compiled.log_filter or ""),
        "no_log_filter": attribute.get("no_log_filter", ""),
        "engine": attribute.get("engine"),
        "attack": _attack(tags),
        "stratus": [tag.removeprefix(STRATUS_TAG) for tag in tags if tag.startswith(STRATUS_TAG)],
        "read_only": bool(attribute.get("read_only", False)),
        "threshold": attribute.get("threshold"),
        "order": attribute.get("order", 0),
        "file": where,
        "refused": refused,
    }
    if not (spec["log_filter"] or spec["no_log_filter"] or standards):
        spec["no_log_filter"] = refused.get("metric-filters", "")
    if not catalog and "eventbridge" in engines and "eventbridge" not in refused:
        refusal = _alert_refusal(spec)
        if refusal:
            line = sigma_backend.refusal_line(compiled.name, sigma_backend.EVENTBRIDGE, refusal)
            spec["refused"] = {"eventbridge": line, **refused}
    return spec


def deliverable(text: str) -> str:
    """A user's text as an alert delivers it as written (UNDELIVERABLE), on one line."""
    return " ".join(text.translate(UNDELIVERABLE).split())


def _alert_fields(attribute: Mapping[str, Any], fields: list[str]) -> dict[str, Any]:
    """The alert's extra lines, label -> field or list of fields: the attribute's, else Sigma's
    ``fields``, each labeled with its own name."""
    alert_fields = attribute.get("alert_fields")
    if alert_fields is None:
        return {field: field for field in fields}
    if not isinstance(alert_fields, dict) or not all(
        isinstance(label, str)
        and (isinstance(paths, str) or (paths and all(isinstance(p, str) for p in paths)))
        for label, paths in alert_fields.items()
    ):
        raise RuleFileError(f"{ATTRIBUTE}.alert_fields: a mapping of labels to a field or fields")
    return alert_fields


def _alert_refusal(spec: Mapping[str, Any]) -> Any:
    """Why EventBridge cannot deliver a user's rule's alerts as written (a field's path outside
    the input transformer's syntax, too many fields, a label it would not deliver as written, a
    message over its template size), as the backend's Refusal; or None. Each outcome's e-mail and
    chat message is built as organization mode writes it, the longer, so that a rule file that
    loads works in every mode."""
    from constructs_lib.chat.chat_message import chat_message
    from constructs_lib.detections.catalog import SIGMA_GROUP, from_spec
    from constructs_lib.detections.outcomes import rule_variants
    from constructs_lib.detections.sigma_backend import Refusal
    from constructs_lib.eventbridge.alert_message import alert_message, input_path_problem

    for label, paths in spec["alert_fields"].items():
        for path in [paths] if isinstance(paths, str) else paths:
            problem = input_path_problem(path)
            if problem:
                return Refusal(f"the alert's field {label!r}", problem)
    # The messages read the rule's name, title, rationale, severity, outcomes and fields alone.
    stand_in = {
        **spec,
        **{"groups": [SIGMA_GROUP], "standards": [], "attack": [], "stratus": []},
        **{"engine": None, "threshold": None, "log_filter": "", "no_log_filter": "-"},
    }
    try:
        for variant in rule_variants(from_spec(stand_in)):
            alert_message(variant, other_accounts=True)
            chat_message(variant, other_accounts=True)
    except ValueError as error:
        return Refusal("the alert message", str(error))
    return None


def _engines(attribute: Mapping[str, Any]) -> tuple[str, ...]:
    engine = attribute.get("engine")
    if engine is None:
        return ENGINES
    if engine not in ENGINES:
        raise RuleFileError(f"{ATTRIBUTE}.engine: one of {list(ENGINES)}")
    return (engine,)


def _stand_ins(text: str) -> str:
    """An attribute's text with %placeholders% as the compiled patterns hold them."""
    return PLACEHOLDER.sub(lambda m: STAND_INS.get(m[1], m[0]), text)


def _attack(tags: list[str]) -> list[str]:
    """ATT&CK "tactic:technique" pairs from the tags: each run of tactic tags applies to the run
    of technique tags that follows it (attack.persistence, attack.privilege-escalation,
    attack.t1098.003: both tactics, that technique)."""
    from constructs_lib.detections.attack import TACTICS

    by_name = {name.lower().replace(" ", "-"): tactic for tactic, name in TACTICS.items()}
    pairs, tactics, techniques = [], [], []
    for tag in [*tags, "attack.end"]:
        technique = TECHNIQUE_TAG.fullmatch(tag)
        if technique:
            techniques.append(technique[1].upper())
            continue
        if not tag.startswith(ATTACK_TAG):
            continue
        if techniques:
            pairs += [f"{t}:{x}" for t in tactics for x in techniques]
            tactics, techniques = [], []
        tactic = by_name.get(tag.removeprefix(ATTACK_TAG))
        if tactic:
            tactics.append(tactic)
    return pairs


def _delivery(attribute: Mapping[str, Any], pattern: Mapping[str, Any], logsource: tuple) -> str:
    """Where EventBridge receives the rule's events: the attribute's, else from the services it
    names (models.cloudtrail_records.GLOBAL_DELIVERIES): IAM and Organizations in the global region
    only; STS there and where a regional endpoint served the call; sign-ins in the sign-in
    regions and every monitored region, a root sign-in in the global region; any other service
    in its region; a rule naming no service, everywhere."""
    named = attribute.get("delivery")
    if named is not None:
        if named not in DELIVERIES:
            raise RuleFileError(f"{ATTRIBUTE}.delivery: one of {list(DELIVERIES)}")
        return DELIVERIES[named]
    if logsource != ("aws", "cloudtrail"):
        return "EVERY_STACK"
    sources = pattern.get("source") or []
    services = {
        (s if isinstance(s, str) else s.get("equals-ignore-case", "")).lower() for s in sources
    }
    if not services or not all(isinstance(s, str | dict) for s in sources):
        return "REGIONAL_AND_GLOBAL"
    if "aws.signin" in services:
        root = pattern.get("detail", {}).get("userIdentity", {}).get("type")
        return "GLOBAL" if services == {"aws.signin"} and root == ["Root"] else "SIGN_IN"
    if services <= {"aws.iam", "aws.organizations"}:
        return "GLOBAL"
    if services & {"aws.iam", "aws.organizations", "aws.sts"}:
        return "REGIONAL_AND_GLOBAL"
    return "REGIONAL"
