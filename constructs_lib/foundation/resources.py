"""How our constructs write their Terraform: through the AWS provider's classes, or as JSON.

A construct of ours (a ``Component``) declares each resource once, as its Terraform arguments
(``self.resource("aws_sns_topic", "topic", name=..., provider=...)``), and the stack decides how
it is written:

- **typed**, under any cdktf scope (a ``Testing`` stack, or ``build_app`` with
  ``API_ALERTS_TYPED_SYNTHESIS=1``): the construct is a cdktf ``Construct`` and each resource an
  instance of the provider's class (``SnsTopic``), nested blocks its structs, so the bindings'
  type checks and the jsii kernel see every argument, as any cdktf app does;
- **as Terraform JSON**, in the stacks ``build_app`` makes: no jsii object at all. Each
  resource is the dict the provider's class would synthesize (arguments by their Terraform
  names, unset ones left out, the construct path and logical id cdktf would give it in ``//``),
  kept per stack (``JsonStack``) and written into the stack's cdk.tf.json after cdktf has
  synthesized the rest (``write``), in cdktf's own JSON layout (models.stable_json). References
  are the strings the tokens resolve to (``${aws_sns_topic.<id>.arn}``); a token of a typed
  object used here (a KMS key's ARN) is resolved by the stack in one kernel call.

Why: a resource through jsii costs about 1.3 ms of round trips to node, and a stack of 34
regions with every detection group has 5,300 of them. The two ways give the same bytes:
tests/test_resources.py synthesizes configurations both ways and compares every file.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from models import stable_json

TYPED = "API_ALERTS_TYPED_SYNTHESIS"  # "1": build_app writes every resource through its class
PROVIDER_PACKAGE = "cdktf_cdktf_provider_aws"


def typed_synthesis(environ: Mapping[str, str] = os.environ) -> bool:
    return environ.get(TYPED) == "1"


class Reference:
    """A resource or data source written as JSON: its attributes are Terraform references."""

    def __init__(self, address: str) -> None:
        self.fqn = address  # what depends_on names: "aws_sns_topic.x", "data.aws_y.z"

    def __getattr__(self, attribute: str) -> str:
        if attribute.startswith("_"):
            raise AttributeError(attribute)
        return f"${{{self.fqn}.{attribute}}}"


class JsonStack:
    """The resources and data sources one stack writes as JSON, by kind, type and logical id."""

    def __init__(self, stack: Any, name: str) -> None:
        self.stack = stack  # the cdktf TerraformStack, which resolves tokens
        self.name = name
        self.blocks: dict[str, dict[str, dict[str, Any]]] = {}
        stack._alerts_json = self

    def add(self, kind: str, type_: str, logical_id: str, body: dict[str, Any]) -> None:
        table = self.blocks.setdefault(kind, {}).setdefault(type_, {})
        if logical_id in table:
            raise ValueError(f"{self.name}: two {kind} blocks {type_}.{logical_id}")
        table[logical_id] = body


def json_stack(scope: Any) -> JsonStack | None:
    return getattr(scope, "_alerts_json", None)


class Component:
    """A construct of ours: a node of the construct tree, typed or written as JSON (above).

    ``scope``: a cdktf construct (a stack, a ``Testing`` stack) or another component. Exposes
    ``construct`` (typed: the cdktf ``Construct`` to nest cdktf things under) or ``json`` (the
    stack's ``JsonStack``) and ``path`` (the ids below the stack).
    """

    def __init__(self, scope: Any, id: str) -> None:
        if isinstance(scope, Component):
            self.json, parent, outer = scope.json, scope.path, None
        else:
            self.json, parent, outer = json_stack(scope), (), scope
        self.path: tuple[str, ...] = (*parent, _node_id(id))
        self._outer = scope if isinstance(scope, Component) else outer
        self.construct = None
        if self.json is None:
            self.cdktf_scope()

    def cdktf_scope(self) -> Any:
        """The cdktf construct of this component, for what only cdktf makes (a provider, an
        output): made on first use when the component is written as JSON."""
        if self.construct is None:
            from constructs import Construct

            outer = self._outer
            self.construct = Construct(
                outer.cdktf_scope() if isinstance(outer, Component) else outer, self.path[-1]
            )
        return self.construct

    def resource(self, type_: str, id: str, *, logical_id: str | None = None, **args: Any) -> Any:
        """The resource ``type_`` ("aws_sns_topic") named ``id`` here, with these arguments
        (Terraform's names; nested blocks as dicts or lists of dicts; None: not set); its
        logical id cdktf's, or ``logical_id``. Returns the provider object, or a Reference."""
        return self._block("resource", type_, id, logical_id, args)

    def data(self, type_: str, id: str, **args: Any) -> Any:
        """The data source ``type_`` ("aws_iam_policy_document"), as ``resource``."""
        return self._block("data", type_, id, None, args)

    def _block(
        self, kind: str, type_: str, id: str, logical_id: str | None, args: dict[str, Any]
    ) -> Any:
        if self.json is None:
            cls = provider_class(type_, data=kind == "data")
            made = cls(self.construct, id, **typed_arguments(cls, args))
            if logical_id is not None:
                made.override_logical_id(logical_id)
            return made
        path = (*self.path, _node_id(id))
        unique = logical_id if logical_id is not None else make_unique_id(path)
        body = _json_arguments(args)
        body["//"] = {"metadata": {"path": "/".join((self.json.name, *path)), "uniqueId": unique}}
        self.json.add(kind, type_, unique, body)
        return Reference(f"{'data.' if kind == 'data' else ''}{type_}.{unique}")


# ---- typed: the provider's classes ----


def provider_class(type_: str, *, data: bool = False) -> type:
    """The binding of a Terraform type: aws_sns_topic -> sns_topic.SnsTopic, data sources
    DataAws..., and S3BucketLoggingA where the plain name is taken."""
    module_name = f"data_{type_}" if data else type_.removeprefix("aws_")
    module = importlib.import_module(f"{PROVIDER_PACKAGE}.{module_name}")
    name = "".join(part.capitalize() for part in module_name.split("_"))
    for candidate in (name, f"{name}A"):
        found = getattr(module, candidate, None)
        if isinstance(found, type) and getattr(found, "__jsii_type__", "").endswith(candidate):
            return found
    raise LookupError(f"no provider class for {type_} in {module.__name__}")


META = {"provider", "depends_on", "lifecycle", "for_each", "count"}


def typed_arguments(cls: type, args: Mapping[str, Any]) -> dict[str, Any]:
    """``args`` with each nested block made its struct (the class's name and the block's, as
    the bindings name them: CloudwatchMetricAlarm + metric_query -> CloudwatchMetricAlarmMetric
    Query); maps (tags, dimensions) stay dicts. None arguments are left out."""
    module = importlib.import_module(cls.__module__)
    return {
        key: value if key in META else _typed(module, cls.__name__, key, value)
        for key, value in args.items()
        if value is not None
    }


def _typed(module: Any, owner: str, key: str, value: Any) -> Any:
    struct = getattr(module, owner + "".join(p.capitalize() for p in key.split("_")), None)
    if not isinstance(struct, type):
        return value
    if isinstance(value, Mapping):
        return struct(**_fields(module, struct, value))
    if isinstance(value, list) and all(isinstance(item, Mapping) for item in value):
        return [struct(**_fields(module, struct, item)) for item in value]
    return value


def _fields(module: Any, struct: type, value: Mapping[str, Any]) -> dict[str, Any]:
    return {
        key: _typed(module, struct.__name__, key, item)
        for key, item in value.items()
        if item is not None
    }


# ---- as JSON ----

_PROVIDERS: dict[int, tuple[Any, str]] = {}


def name_provider(provider: Any, alias: str) -> None:
    """Record the provider's Terraform name (``aws.<alias>``) for resources written as JSON."""
    _PROVIDERS[id(provider)] = (provider, f"aws.{alias}")


def _json_arguments(args: Mapping[str, Any]) -> dict[str, Any]:
    body = {}
    for key, value in args.items():
        if value is None:
            continue
        if key == "provider":
            found = _PROVIDERS.get(id(value))
            if found is None or found[0] is not value:
                raise ValueError(
                    "a resource written as JSON needs a provider named by name_provider"
                )
            body[key] = found[1]
        elif key == "depends_on":
            body[key] = [_dependency(item) for item in value]
        else:
            body[key] = _plain(value)
    return body


def _dependency(item: Any) -> str:
    if not isinstance(item, Reference):
        raise TypeError(f"depends_on of a resource written as JSON names a cdktf object: {item}")
    return item.fqn


def _plain(value: Any) -> Any:
    kind = type(value)
    if kind is str or kind is int or kind is bool or kind is float:
        return value
    if kind is dict:
        return {key: _plain(item) for key, item in value.items() if item is not None}
    if kind is list or kind is tuple:
        return [_plain(item) for item in value]
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items() if item is not None}
    if isinstance(value, str | int | float | bool):
        return value
    fields = getattr(value, "_values", None)  # a binding's struct (a policy statement)
    if isinstance(fields, dict) and hasattr(type(value), "__jsii_type__"):
        return _plain(fields)
    raise TypeError(f"{value!r} cannot be written as Terraform JSON")


def _node_id(id: str) -> str:
    """A construct id as the construct tree keeps it: "/" escaped as "--" (constructs'
    sanitizeId)."""
    return id.replace("/", "--")


def make_unique_id(path: Iterable[str]) -> str:
    """The logical id cdktf allocates from a construct's path below its stack (its
    makeUniqueId, lib/private/unique.js): the path's ids, without one that ends the previous
    id, each stripped to [A-Za-z0-9_-], joined by "_", then "_" and the first 8 hex digits of the
    MD5 of the path joined by "/", upper case; a top-level id as it is."""
    components = [c for c in path if c != "Default"]
    if not components:
        raise ValueError("no path to name")
    if len(components) == 1:
        candidate = _DISALLOWED.sub("", components[0])
        if len(candidate) <= 255:
            return candidate
    digest = hashlib.md5("/".join(components).encode()).hexdigest()[:8].upper()
    kept: list[str] = []
    for component in components:
        if not kept or not kept[-1].endswith(component):
            kept.append(component)
    human = "_".join(_DISALLOWED.sub("", c) for c in kept if c != "Resource")[:240]
    return f"{human}_{digest}"


_DISALLOWED = re.compile(r"[^A-Za-z0-9_-]")
_TOKEN = re.compile(r"\$\{TfToken\[TOKEN\.\d+\]\}")


def write(outdir: Path, stacks: Iterable[JsonStack]) -> dict[str, dict[str, Any]]:
    """Add each stack's JSON blocks to the cdk.tf.json cdktf wrote in ``outdir``; returns the
    documents written, by stack name."""
    manifest = json.loads((outdir / "manifest.json").read_text(encoding="utf-8"))
    documents = {}
    for stack in stacks:
        path = outdir / manifest["stacks"][stack.name]["synthesizedStackPath"]
        document = json.loads(path.read_text(encoding="utf-8"))
        for kind, types in stack.blocks.items():
            section = document.setdefault(kind, {})
            for type_, blocks in types.items():
                table = section.setdefault(type_, {})
                clash = table.keys() & blocks.keys()
                if clash:
                    raise ValueError(f"{stack.name}: {type_} {sorted(clash)[0]} written twice")
                table.update(blocks)
        text = stable_json.dumps(document)
        if "TfToken[" in text:
            text = _resolved(stack, text)
            document = json.loads(text)
        path.write_text(text, encoding="utf-8")
        documents[stack.name] = document
    return documents


_RESOLVER: list[Any] = []


def resolve(scope: Any, value: Any) -> Any:
    """``value`` with its tokens resolved in ``scope``, as a stack's synthesis resolves them
    (cdktf's lib/_tokens.js: Tokenization.resolve with a DefaultTokenResolver)."""
    from cdktf import DefaultTokenResolver, StringConcat, Tokenization

    if not _RESOLVER:
        _RESOLVER.append(DefaultTokenResolver(StringConcat()))
    return Tokenization.resolve(value, scope=scope, resolver=_RESOLVER[0])


def _resolved(stack: JsonStack, text: str) -> str:
    """``text`` with each cdktf string token resolved by the stack (one kernel call)."""
    tokens = sorted(set(_TOKEN.findall(text)))
    values = resolve(stack.stack, tokens)
    for token, value in zip(tokens, values, strict=True):
        if not isinstance(value, str):
            raise TypeError(f"{stack.name}: token {token} resolves to {value!r}, not a string")
        text = text.replace(token, stable_json.dumps(value)[1:-1])
    if "TfToken[" in text:
        raise ValueError(f"{stack.name}: a token that is not a string reached the JSON")
    return text
