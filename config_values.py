"""The configuration's declarative layer: config.py declares every key once with it.

A ``Kind`` says what a value may be: ``parse`` turns what cdktf.json's context or an ALERTS_
variable holds into what the app uses, or raises one ``ConfigError`` naming the key path and the
value; ``schema`` states the same for editors. A ``Key`` adds the context name, the shell
variable, the default and the meaning, from which come cdktf.schema.json and the configuration
reference's table. Plain Python: `import config` stays on `python main.py`'s critical path, and
an existing library would cost more to import than all of this takes to run, and write other
error lines.
"""

from __future__ import annotations

import difflib
import json
import re
from collections import ChainMap
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

MAX_SHOWN = 200  # an error line quotes at most this much of the value
# Configured text may hold no control character: none belongs in any value here, and
# models.terraform's placeholders are made of them.
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class ConfigError(ValueError):
    """A configuration value is missing, malformed or inconsistent."""

    def __init__(self, key: str, value: Any, problem: str) -> None:
        shown = json.dumps(value)
        if len(shown) > MAX_SHOWN:
            shown = f"{shown[:MAX_SHOWN]}... ({len(shown):,} characters)"
        super().__init__(f"{key} = {shown}: {problem}")
        self.key = key


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.75)
    return f"; did you mean {close[0]!r}?" if close else ""


# What a check sees besides the value: the keys parsed so far, by MonitorConfig's field names;
# inside an object, first its own fields as parsed, the object as written ("given") and where it
# is ("at").
Got = Mapping[str, Any]
Check = Callable[[str, Any, Got], Any]  # (where, value, got) -> the value, or ConfigError


def ecma(pattern: re.Pattern[str]) -> str:
    """A whole-string pattern as JSON Schema writes it (ECMA-262 names no group the Python way)."""
    return "^(?:" + re.sub(r"\(\?P<\w+>", "(", pattern.pattern) + ")$"


def rule(holds: Callable[[Any], Any], problem: str) -> Check:
    """A check refusing, with ``problem``, a value for which ``holds`` is false."""

    def check(where: str, value: Any, got: Got) -> Any:
        if not holds(value):
            raise ConfigError(where, value, problem)
        return value

    return check


class Kind:
    """Any value, refused or converted by the ``then`` checks in order. ``schema`` (a mapping, or
    a function making one when the schema is written) adds to the kind's own; ``null`` lets null
    through as None."""

    shell = "json"  # how an ALERTS_ variable spells the value (FORMS)

    def __init__(self, *then: Check, schema: Any = None, null: bool = False) -> None:
        self.then, self.extra, self.null = then, schema or {}, null

    def parse(self, where: str, value: Any, got: Got) -> Any:
        if value is None and self.null:
            return None
        return self.finish(where, self.shape(where, value), got)

    def shape(self, where: str, value: Any) -> Any:
        """What a list checks of each of its items before anything else of any of them."""
        return value

    def finish(self, where: str, value: Any, got: Got) -> Any:
        value = self.own(where, value, got)
        for check in self.then:
            value = check(where, value, got)
        return value

    def own(self, where: str, value: Any, got: Got) -> Any:
        return value

    def described(self) -> dict[str, Any]:
        return {}

    def schema(self) -> dict[str, Any]:
        found = {**self.described(), **(self.extra() if callable(self.extra) else self.extra)}
        return {"oneOf": [{"type": "null"}, found]} if self.null else found


class Text(Kind):
    """A string: not empty, without outer spaces or control characters; at most ``most``
    characters, matching ``pattern`` (else ``problem``), one of ``choices`` (an unknown one
    named ``noun`` in the error, with a "did you mean")."""

    shell = "text"

    def __init__(
        self,
        *then: Check,
        most: int = 0,
        pattern: str | re.Pattern[str] | None = None,
        problem: str = "",
        choices: Iterable[str] = (),
        noun: str | None = None,
        schema: Any = None,
    ) -> None:
        super().__init__(*then, schema=schema)
        self.most, self.problem, self.choices, self.noun = most, problem, list(choices), noun
        self.pattern = re.compile(pattern) if isinstance(pattern, str) else pattern

    def shape(self, where: str, value: Any) -> str:
        if not isinstance(value, str):
            raise ConfigError(where, value, "must be a string")
        if not value.strip():
            raise ConfigError(where, value, "must not be empty")
        if value != value.strip():
            raise ConfigError(where, value, "must not start or end with spaces")
        if CONTROL.search(value):
            raise ConfigError(where, value, "must not hold control characters (line breaks, tabs)")
        return value

    def own(self, where: str, value: str, got: Got) -> str:
        if self.most and len(value) > self.most:
            raise ConfigError(where, value, f"at most {self.most} characters")
        if self.pattern and not self.pattern.fullmatch(value):
            raise ConfigError(where, value, self.problem)
        if self.choices and value not in self.choices:
            if self.noun is None:
                raise ConfigError(where, value, f"expected one of {self.choices}")
            unknown, hint = f"unknown {self.noun}".rstrip(), did_you_mean(value, self.choices)
            raise ConfigError(where, value, f"{unknown}{hint}; expected one of {self.choices}")
        return value

    def described(self) -> dict[str, Any]:
        if self.choices:
            return {"enum": self.choices}
        found: dict[str, Any] = {"type": "string", "minLength": 1}
        if self.most:
            found["maxLength"] = self.most
        if self.pattern:
            found["pattern"] = ecma(self.pattern)
        return found


class Flag(Kind):
    shell = "switch"

    def own(self, where: str, value: Any, got: Got) -> bool:
        if not isinstance(value, bool):
            raise ConfigError(where, value, "must be true or false")
        return value

    def described(self) -> dict[str, Any]:
        return {"type": "boolean"}


class Whole(Kind):
    """A whole number of ``unit`` from ``low`` to ``high``."""

    shell = "number"

    def __init__(self, low: int, high: int, unit: str = "days") -> None:
        super().__init__()
        self.low, self.high, self.unit = low, high, unit

    def own(self, where: str, value: Any, got: Got) -> int:
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not self.low <= value <= self.high
        ):
            problem = f"must be a whole number of {self.unit} from {self.low} to {self.high}"
            raise ConfigError(where, value, problem)
        return value

    def described(self) -> dict[str, Any]:
        return {"type": "integer", "minimum": self.low, "maximum": self.high}


class OneOf(Kind):
    """One of these JSON values (true and false are never one of them)."""

    def __init__(self, values: Iterable[Any], problem: str = "", shell: str = "json") -> None:
        super().__init__()
        self.values, self.problem, self.shell = list(values), problem, shell

    def own(self, where: str, value: Any, got: Got) -> Any:
        if isinstance(value, bool) or value not in self.values:
            raise ConfigError(where, value, self.problem or f"expected one of {self.values}")
        return value

    def described(self) -> dict[str, Any]:
        return {"const": self.values[0]} if len(self.values) == 1 else {"enum": self.values}


class Many(Kind):
    """A list of ``item``, as a tuple. ``least``: the problem of an empty one; ``distinct``: the
    problem of an item equal, by ``same``, to one before it."""

    def __init__(
        self,
        item: Kind,
        *then: Check,
        problem: str = "must be a list of strings",
        least: str = "",
        distinct: str = "",
        same: Callable[[Any], Any] = lambda item: item,
        schema: Any = None,
        null: bool = False,
    ) -> None:
        super().__init__(*then, schema=schema, null=null)
        self.item, self.problem, self.least = item, problem, least
        self.distinct, self.same = distinct, same
        self.shell = {"text": "list", "text or json": "list or json"}.get(item.shell, "json")

    def own(self, where: str, value: Any, got: Got) -> tuple[Any, ...]:
        if not isinstance(value, list):
            raise ConfigError(where, value, self.problem)
        shaped = [self.item.shape(f"{where}[{i}]", item) for i, item in enumerate(value)]
        if self.least and not shaped:
            raise ConfigError(where, value, self.least)
        found, seen = [], []
        for i, (item, raw) in enumerate(zip(shaped, value, strict=True)):
            item = self.item.finish(f"{where}[{i}]", item, got)
            if self.distinct and self.same(item) in seen:
                raise ConfigError(f"{where}[{i}]", raw, self.distinct)
            seen.append(self.same(item))
            found.append(item)
        return tuple(found)

    def described(self) -> dict[str, Any]:
        found = {"type": "array", "items": self.item.schema()}
        if self.least:
            found["minItems"] = 1
        if self.distinct:
            found["uniqueItems"] = True
        return found


class Fields(Kind):
    """A JSON object of these fields, parsed in their order into a dict of those present or in
    ``defaults``; its checks get it, and see the object as written as ``got["given"]``, where it
    is as ``got["at"]``.

    ``problem``: that of a value that is no object or, ``exact``, has a field missing or unknown;
    else an unknown field is ``unknown`` and a missing one of ``required`` "is required" (at the
    field, or ``at_object``). ``retired``: fields no longer read, each with what replaces it.
    """

    def __init__(
        self,
        fields: Mapping[str, Kind],
        *then: Check,
        problem: str,
        required: Iterable[str] = (),
        defaults: Mapping[str, Any] | None = None,
        exact: bool = False,
        unknown: str = "unknown key{hint} (expected one of {names})",
        at_object: bool = False,
        retired: Mapping[str, str] | None = None,
        null: bool = False,
        schema: Any = None,
    ) -> None:
        super().__init__(*then, schema=schema, null=null)
        self.fields, self.problem, self.required = fields, problem, tuple(required)
        self.defaults, self.exact, self.unknown = defaults or {}, exact, unknown
        self.at_object, self.retired = at_object, retired or {}

    def finish(self, where: str, value: Any, got: Got) -> Any:
        for name, problem in self.retired.items():
            if isinstance(value, dict) and name in value:
                raise ConfigError(f"{where}.{name}", value[name], problem)
        if not isinstance(value, dict):
            raise ConfigError(where, value, self.problem)
        missing = [name for name in self.required if name not in value]
        unknown = [name for name in value if name not in self.fields]
        if self.exact and (missing or unknown):
            raise ConfigError(where, value, self.problem)
        for name in unknown:
            hint, names = did_you_mean(name, self.fields), sorted(self.fields)
            problem = self.unknown.format(hint=hint, names=names)
            raise ConfigError(f"{where}.{name}", value[name], problem)
        for name in missing:
            if self.at_object:
                raise ConfigError(where, value, f"{name!r} is required")
            raise ConfigError(f"{where}.{name}", None, "is required")
        parsed: dict[str, Any] = {}
        scope = ChainMap(parsed, {"given": value, "at": where}, got)
        for name, kind in self.fields.items():
            if name in value or name in self.defaults:
                item = value[name] if name in value else self.defaults[name]
                parsed[name] = kind.parse(f"{where}.{name}", item, scope)
        for check in self.then:
            parsed = check(where, parsed, scope)
        return parsed

    def described(self) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {name: kind.schema() for name, kind in self.fields.items()},
            "required": list(self.required),
            "additionalProperties": False,
        }


class Either(Kind):
    """One of ``options``, the one ``choose`` names for the value; ``problem`` if none."""

    def __init__(
        self,
        options: Mapping[Any, Kind],
        choose: Callable[[Any], Any],
        *then: Check,
        problem: str = "",
    ) -> None:
        super().__init__(*then)
        self.options, self.choose, self.problem = options, choose, problem
        text = any(kind.shell == "text" for kind in options.values())
        self.shell = "text or json" if text else "json"

    def own(self, where: str, value: Any, got: Got) -> Any:
        kind = self.options.get(self.choose(value))
        if kind is None:
            raise ConfigError(where, value, self.problem)
        return kind.parse(where, value, got)

    def described(self) -> dict[str, Any]:
        return {"oneOf": [kind.schema() for kind in self.options.values()]}


# ---- the keys ----


def _json(env: str, raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError as error:
        raise ConfigError(env, raw, f"not valid JSON ({error.msg})") from None


def _list(env: str, raw: str) -> list[str]:
    """A comma-separated list (empty: none), refused with a hint when it looks space-separated."""
    parts = [part.strip() for part in raw.split(",")] if raw.strip() else []
    if any(" " in part for part in parts):
        raise ConfigError(env, raw, "a comma-separated list: a,b,c")
    return parts


# How a shell variable spells a kind's value: the reference's words for it, and the reading.
FORMS: dict[str, tuple[str, Callable[[str, str], Any]]] = {
    "text": ("", lambda env, raw: raw),
    # Anything but true or false is kept for the kind to refuse.
    "switch": (
        "`true`/`false`",
        lambda env, raw: {"true": True, "false": False}.get(raw.strip().lower(), raw),
    ),
    "number": ("a number", _json),
    "list": ("comma-separated", _list),
    "list or json": (
        "comma-separated, or JSON",
        lambda env, raw: _json(env, raw) if raw.lstrip()[:1] in ("[", "{") else _list(env, raw),
    ),
    "json": ("JSON", _json),
}


@dataclass(frozen=True)
class Key:
    """A cdktf.json context key: read from ``env`` for one run, else the context, else
    ``default``; ``meaning`` (markdown) and ``shown`` (the default, where JSON cannot say it)
    are its row of the reference."""

    name: str
    env: str
    kind: Kind
    default: Any
    meaning: str
    shown: str = ""
    field: str = ""  # MonitorConfig's field

    def from_env(self, raw: str) -> Any:
        return FORMS[self.kind.shell][1](self.env, raw)


def key(name: str, kind: Kind, default: Any, meaning: str, env: str = "", shown: str = "") -> Any:
    """A MonitorConfig field that a context key sets: its declaration (env: ALERTS_ and the key's
    words in capitals, unless given)."""
    env = env or "ALERTS_" + re.sub(r"(?<!^)(?=[A-Z])", "_", name).upper()
    return field(metadata={"key": Key(name, env, kind, default, meaning, shown)})


def declared(cls: type) -> tuple[Key, ...]:
    """The keys of a dataclass's fields declared with ``key``, in the fields' order."""
    found = (f for f in fields(cls) if "key" in f.metadata)
    return tuple(Key(**{**vars(f.metadata["key"]), "field": f.name}) for f in found)


def reference_rows(keys: Iterable[Key]) -> list[tuple[str, str, str, str]]:
    """Per key: the key, its shell variable and form, its default as shown, its meaning."""
    rows = []
    for k in keys:
        form = FORMS[k.kind.shell][0]
        default = k.default if k.kind.shell == "text" else json.dumps(k.default)
        rows.append(
            (
                f"`{k.name}`",
                f"`{k.env}`" + (f" ({form})" if form else ""),
                k.shown or f"`{default}`",
                k.meaning,
            )
        )
    return rows


def reference_table(keys: Iterable[Key]) -> str:
    """The configuration reference as a markdown table."""
    lines = [
        "| key | shell override for one run | default | meaning |",
        "| --- | --- | --- | --- |",
    ]
    for row in reference_rows(keys):
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
    return "\n".join(lines)


LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")  # a markdown link: an editor shows its text


def json_schema_of(keys: Iterable[Key], title: str, others: Iterable[str]) -> dict[str, Any]:
    """A JSON Schema of a cdktf.json whose context holds ``keys``, beside cdktf's ``others``."""
    context = {
        k.name: {**k.kind.schema(), "default": k.default, "description": LINK.sub(r"\1", k.meaning)}
        for k in sorted(keys, key=lambda k: k.name)
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": title,
        "type": "object",
        "properties": {
            **{name: {} for name in sorted(others)},
            "context": {"type": "object", "properties": context, "additionalProperties": False},
        },
        "required": ["context"],
    }
