"""JSON text exactly as cdktf writes a stack's cdk.tf.json: its ``json-stable-stringify`` with
``{space: 2}`` (cdktf's lib/synthesize/synthesizer.js), byte for byte.

That is: keys sorted as JavaScript sorts strings (by UTF-16 code unit), two spaces of indent, an
empty object or array still broken over two lines (``{\\n  }``), strings and numbers as
``JSON.stringify`` writes them (no escape beyond ``"``, ``\\`` and control characters; a lone
surrogate as ``\\udXXX``; an integral number without ``.0``), no newline at the end.

Used to write the stacks our constructs build as Terraform JSON (constructs_lib.foundation.resources);
tests/test_stable_json.py checks it against the serializer cdktf ships, on our stacks and on edge
cases.
"""

from __future__ import annotations

import math
import re
from typing import Any

try:  # CPython's C encoder of a JSON string, without ASCII escaping
    from _json import encode_basestring as _encode_string
except ImportError:  # pragma: no cover - other Pythons
    from json.encoder import py_encode_basestring as _encode_string

_SURROGATE = re.compile("[\ud800-\udfff]")


def dumps(value: Any) -> str:
    """``value`` (dicts, lists, strings, numbers, booleans, None) as cdktf writes it."""
    out: list[str] = []
    _write(value, "\n", out)
    return "".join(out)


def _write(value: Any, indent: str, out: list[str]) -> None:
    # Strings, the most common values, are written where they are met, without a call.
    append = out.append
    if isinstance(value, dict):
        inner = indent + "  "
        keys = sorted(value) if all(k.isascii() for k in value) else sorted(value, key=_utf16)
        separator = "{" + inner
        for key in keys:
            item = value[key]
            if type(item) is str:
                append(separator + _string(key) + ": " + _string(item))
            else:
                append(separator + _string(key) + ": ")
                _write(item, inner, out)
            separator = "," + inner
        append(indent + "}" if keys else "{" + indent + "}")
    elif isinstance(value, list | tuple):
        inner = indent + "  "
        separator = "[" + inner
        for item in value:
            if type(item) is str:
                append(separator + _string(item))
            else:
                append(separator)
                _write(item, inner, out)
            separator = "," + inner
        append(indent + "]" if value else "[" + indent + "]")
    elif isinstance(value, str):
        append(_string(value))
    elif value is True:
        append("true")
    elif value is False:
        append("false")
    elif value is None:
        append("null")
    elif isinstance(value, int):
        append(str(value))
    elif isinstance(value, float):
        append(number(value))
    else:
        raise TypeError(f"{type(value).__name__} is not JSON: {value!r}")


def _string(text: str) -> str:
    encoded = _encode_string(text)
    if _SURROGATE.search(encoded):  # JSON.stringify escapes a lone surrogate
        encoded = _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", encoded)
    return encoded


def _utf16(key: str) -> bytes:
    return key.encode("utf-16-be", "surrogatepass")


def number(value: float) -> str:
    """A float as JavaScript's Number.prototype.toString writes it (ECMA-262 Number::toString):
    the shortest digits that round-trip (Python's repr finds the same ones), in positional
    notation from 1e-7 up to 1e21, otherwise as d.ddde±x."""
    if math.isnan(value) or math.isinf(value):
        return "null"  # JSON.stringify
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    digits, n = _shortest(abs(value))  # the decimal point sits after n digits
    k = len(digits)
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * -n + digits
    e = n - 1
    tail = f"e{'+' if e >= 0 else '-'}{abs(e)}"
    return sign + digits[0] + ("." + digits[1:] if k > 1 else "") + tail


def _shortest(value: float) -> tuple[str, int]:
    """The shortest round-tripping digits of a positive float, and where its point goes."""
    text = repr(value)
    mantissa, _, exponent = text.partition("e")
    whole, _, fraction = mantissa.partition(".")
    if fraction == "0":
        fraction = ""
    digits = (whole + fraction).lstrip("0")
    leading = len(whole + fraction) - len((whole + fraction).lstrip("0"))
    point = len(whole) - leading + (int(exponent) if exponent else 0)
    return digits.rstrip("0") or "0", point
