"""How Terraform reads a string of the JSON we write: as a template.

"When a JSON string is encountered in a location where arbitrary expressions are expected, its
value is first parsed as a string template and then it is evaluated to produce the final result"
(JSON Configuration Syntax, https://developer.hashicorp.com/terraform/language/syntax/json#expression-mapping).
A template's ``${ ... }`` is an interpolation and ``%{ ... }`` a directive; "To include these
sequences literally without beginning a template sequence, double the leading character: $${ or
%%{" (Strings and Templates,
https://developer.hashicorp.com/terraform/language/expressions/strings#escape-sequences).

So text we did not write (a suppression's reason, a user agent, an e-mail address, a tag) reaches
the JSON only through ``literal``: ``${file("...")}`` in a reason would otherwise read a file of
the deploying machine into an AWS description. ``parse`` and ``unexpected`` let the synthesis and
the tests check that nothing but our own references is ever interpolated.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any


def literal(text: str, references: Mapping[str, str] | None = None) -> str:
    """``text`` as a Terraform string that Terraform reads as exactly ``text``, but for
    ``references``: each key, a ``placeholder`` somewhere in ``text``, becomes its Terraform
    reference (a cdktf token) after escaping. A placeholder holds control characters, which
    configured text cannot (config.py refuses them), so no configured text becomes a reference.
    """
    return _with_references(_escaped(text), references, lambda found: found)


def literal_json(value: Any, references: Mapping[str, str] | None = None) -> str:
    """``value`` as a JSON document in a Terraform string, literal but for ``references``
    (``literal``'s), whose placeholders may sit in any string of ``value``."""
    return _with_references(_escaped(json.dumps(value)), references, lambda f: json.dumps(f)[1:-1])


def placeholder(name: str) -> str:
    """A stand-in for a Terraform reference, to be replaced by ``literal``."""
    return f"\x00{name}\x00"


def _escaped(text: str) -> str:
    return text.replace("${", "$${").replace("%{", "%%{")


def _with_references(
    escaped: str, references: Mapping[str, str] | None, written: Callable[[str], str]
) -> str:
    for found, reference in (references or {}).items():
        if not _CONTROL.search(found):
            raise ValueError(f"{found!r} is not a placeholder")
        escaped = escaped.replace(written(found), reference)
    return escaped


def literal_element(text: str) -> str:
    """``text`` for a list that cdktf renders into an expression (``TerraformIterator.from_list``
    writes ``${toset([...])}``): cdktf escapes the ``${`` of such elements itself, not their
    ``%{``, so only that is escaped here (the tests read the result as Terraform does)."""
    return text.replace("%{", "%%{")


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Part:
    kind: str  # "literal", "interpolation" or "directive"
    text: str  # the literal text (escapes resolved), or the sequence's inner text


def parse(template: str) -> list[Part]:
    """The template's parts, in order (Terraform's template syntax, as cited above)."""
    if "{" not in template:  # no sequence, no escape: one literal (most strings)
        return [Part("literal", template)] if template else []
    parts: list[Part] = []
    text: list[str] = []
    i = 0
    while (found := _SEQUENCE.search(template, i)) is not None:
        text.append(template[i : found.start()])
        opening = found.group()
        if len(opening) == 3:  # $${ or %%{: the sequence's characters, literally
            text.append(opening[1:])
            i = found.end()
            continue
        end = _closing_brace(template, found.end())
        if literal := "".join(text):
            parts.append(Part("literal", literal))
        text = []
        kind = "interpolation" if opening[0] == "$" else "directive"
        parts.append(Part(kind, template[found.end() : end].strip(" ~")))
        i = end + 1
    text.append(template[i:])
    if literal := "".join(text):
        parts.append(Part("literal", literal))
    return parts


# Scanned left to right as Terraform reads: at each position an escape ($${, %%{) before a
# sequence (${, %{); "$$${" is "$" then the escape.
_SEQUENCE = re.compile(r"\$\$\{|%%\{|\$\{|%\{")


def _closing_brace(template: str, start: int) -> int:
    """The index of the brace closing a sequence whose body starts at ``start``."""
    depth, i = 0, start
    while i < len(template):
        character = template[i]
        if character == '"':
            i = _end_of_string(template, i) + 1
            continue
        if character == "{":
            depth += 1
        elif character == "}":
            if depth == 0:
                return i
            depth -= 1
        i += 1
    raise ValueError(f"unterminated template sequence in {template!r}")


def _end_of_string(text: str, start: int) -> int:
    """The index of the quote closing the quoted string that opens at ``start``."""
    i = start + 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == '"':
            return i
        i += 1
    raise ValueError(f"unterminated string in {text!r}")


# A reference to a resource's or data source's attribute, or to for_each's current element:
# the only expressions our constructs interpolate (References to Named Values,
# https://developer.hashicorp.com/terraform/language/expressions/references).
REFERENCE = re.compile(
    r"(data\.)?[a-z][a-z0-9_]*\.[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_]*)+|each\.(key|value)"
)
_SET = re.compile(r"toset\((\[.*\])\)", re.DOTALL)


def set_elements(expression: str) -> list[str] | None:
    """The strings of a ``toset([...])`` of quoted templates, each evaluated; None if the
    expression is not one (the quoted strings use JSON's escapes, which HCL's include)."""
    found = _SET.fullmatch(expression.strip())
    if not found:
        return None
    try:
        items = json.loads(found.group(1))
    except json.JSONDecodeError:
        return None
    if not all(isinstance(item, str) for item in items):
        return None
    return [evaluate(item, _no_reference) for item in items]


def _no_reference(expression: str) -> str:
    raise ValueError(f"an element of a literal set interpolates {expression!r}")


def evaluate(template: str, resolve: Callable[[str], str]) -> str:
    """The string Terraform makes of ``template``, references given by ``resolve``; a directive
    raises."""
    out = []
    for part in parse(template):
        if part.kind == "literal":
            out.append(part.text)
        elif part.kind == "interpolation":
            out.append(resolve(part.text))
        else:
            raise ValueError(f"template directive %{{{part.text}}}")
    return "".join(out)


def unexpected(template: str) -> list[str]:
    """The sequences of ``template`` that are neither a reference nor a literal set: what
    configured text would look like had it escaped ``literal``."""
    found = []
    try:
        parts = parse(template)
    except ValueError as error:
        return [str(error)]
    for part in parts:
        if part.kind == "directive":
            found.append(f"%{{{part.text}}}")
        elif part.kind == "interpolation" and not REFERENCE.fullmatch(part.text):
            try:
                if set_elements(part.text) is None:
                    found.append(f"${{{part.text}}}")
            except ValueError:
                found.append(f"${{{part.text}}}")
    return found


def strings_in(node: Any, path: str = "") -> Iterable[tuple[str, str]]:
    """Every string in a synthesized document, object keys included, with where it is."""
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, Mapping):
        for key, value in node.items():
            yield f"{path}.{key}", key
            yield from strings_in(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from strings_in(value, f"{path}[{i}]")
