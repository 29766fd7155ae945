"""Our constructs' resources written as Terraform JSON give the bytes the provider's classes give.

constructs_lib/foundation/resources.py writes each resource of ours either through its provider class
(typed, as every cdktf app does) or as the JSON that class would synthesize (what ``main.py``
does: no kernel round trip per resource). Here both ways synthesize configurations covering every
construct that writes JSON, file for file; and the pieces the JSON way rebuilds from cdktf (its
logical ids, its JSON layout) are checked against cdktf itself.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import pytest
from cdktf import App, TerraformStack
from constructs import Construct

from config import parse_config
from constructs_lib.foundation import resources
from main import synthesize
from models import stable_json
from scripts.output_digest import CONFIGURATIONS
from tests.check_cache import Check, app_files
from tests.test_sigma_rules import UNCASED_RULES, _with_fields

# Every construct that writes JSON, with and without subscriptions, KMS tokens in patterns,
# organization mode's management stack, chat topics, suppressions, remote state and tags; the
# metric filters and their alarms (written as JSON, with depends_on and threshold numbers).
BOTH_WAYS = [
    "every_group",
    "central_kms",
    "hardened",
    "organization",
    "chat_suppressions",
    "metric_filters",
    "both_engines",
]
# A user's Sigma rules: one compiled to both engines, whose fields share a variable's name but
# for case and punctuation and one of which names two paths; one SigmaHQ writes (an uncased
# source, forwarded ignoring case), EventBridge's alone.
SIGMA_RULES = {
    "both.yml": _with_fields(
        "api_alerts:\n    alert_fields:\n        For user: requestParameters.userName\n"
        "        for-user: [responseElements.accessKey.userName, requestParameters.user_name]\n",
        "access_key_for_someone",
    ),
    "uncased.yml": UNCASED_RULES["uncased_flow_logs_deleted.yml"],
}
# The Glue table (typed constructs fed JSON references) at home with the key, and in the
# management account in organization mode; each with the user's rules.
WITH_RULES = {
    "athena_sigma": {
        **CONFIGURATIONS["both_engines"],
        "kmsKey": True,
        "delivery": "central",
        "athenaTable": True,
    },
    "athena_organization": {
        **CONFIGURATIONS["organization"],
        "athenaTable": {"database": "security_alerts"},
    },
}


def _files(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "configuration.json"
    }


@pytest.mark.parametrize("name", BOTH_WAYS + list(WITH_RULES))
def test_json_and_typed_synthesis_write_the_same_bytes(name, tmp_path, monkeypatch):
    context = CONFIGURATIONS.get(name)
    if context is None:
        for file, text in SIGMA_RULES.items():
            (tmp_path / file).write_text(text)
        rules = [{"path": str(tmp_path / file), "skipRefused": True} for file in SIGMA_RULES]
        context = {**WITH_RULES[name], "sigmaRules": rules}
    settings = parse_config(context, {})
    if name in WITH_RULES:
        assert {d.id for d in settings.sigma_rules} == {
            "access_key_for_someone",
            "uncased_flow_logs_deleted",
        }

    def both_ways():
        monkeypatch.delenv(resources.TYPED, raising=False)
        as_json = synthesize(settings, tmp_path / "json" / "cdktf.out")
        monkeypatch.setenv(resources.TYPED, "1")
        typed = synthesize(settings, tmp_path / "typed" / "cdktf.out")
        return as_json, typed, _files(tmp_path / "json"), _files(tmp_path / "typed")

    # Cached (tests/check_cache.py) by what both syntheses read: the project's files but the
    # tests and the documentation, the configuration, the rules' texts (not their temporary
    # paths) and this test's own code.
    cached = Check.of(
        f"json-and-typed-{name}",
        *app_files(),
        json.dumps(CONFIGURATIONS.get(name) or [WITH_RULES[name], SIGMA_RULES], sort_keys=True),
        inspect.getsource(test_json_and_typed_synthesis_write_the_same_bytes),
        inspect.getsource(_files),
    )
    as_json, typed, json_files, typed_files = cached.run(both_ways)
    assert as_json == typed
    # The manifest and the stacks' files: two stacks at least, but with metric filters alone.
    assert list(json_files) == list(typed_files)
    assert len(json_files) >= (2 if name == "metric_filters" else 3)
    if name in WITH_RULES:
        written = [d.get("resource", {}) for d in as_json.values()]
        assert any("aws_glue_catalog_table" in r for r in written)
    if "metric-filters" in context.get("alertEngines", ()):
        written = [d.get("resource", {}) for d in as_json.values()]
        assert any("aws_cloudwatch_log_metric_filter" in r for r in written)
        alarms = [a for r in written for a in r.get("aws_cloudwatch_metric_alarm", {}).values()]
        assert any(a.get("depends_on") for a in alarms)
    for file, content in json_files.items():
        assert content == typed_files[file], file
    cached.remember((as_json, typed, json_files, typed_files))


def test_the_json_way_makes_no_kernel_object_per_resource(tmp_path, monkeypatch):
    """What makes it fast: resources are Python dicts until the file is written."""
    from jsii._kernel.providers import process

    calls = []
    send = process._NodeProcess.send
    monkeypatch.setattr(
        process._NodeProcess, "send", lambda self, *a: calls.append(a[0]) or send(self, *a)
    )
    settings = parse_config(CONFIGURATIONS["every_group"], {})
    documents = synthesize(settings, tmp_path / "cdktf.out")
    blocks = sum(
        len(named)
        for document in documents.values()
        for kind in ("resource", "data")
        for named in document.get(kind, {}).values()
    )
    assert blocks > 600
    assert len(calls) < blocks / 2


@pytest.mark.parametrize(
    "path",
    [
        ("alert_topic", "topic"),  # a component ending the previous one is left out
        ("region_account", "account"),
        ("a-b.c d", "x/y", "Default", "Resource"),  # characters and ids cdktf drops
        ("single",),
        ("w" * 300, "z"),  # the human part cut at 240 characters
    ],
)
def test_logical_ids_are_cdktfs(path):
    from cdktf_cdktf_provider_aws.sns_topic import SnsTopic

    stack = TerraformStack(App(), "s")
    scope = stack
    for component in path[:-1]:
        scope = Construct(scope, component)
    topic = SnsTopic(scope, path[-1])
    assert resources.make_unique_id([c.replace("/", "--") for c in path]) == (
        topic.friendly_unique_id
    )


def test_the_json_layout_is_cdktfs(tmp_path):
    """What cdktf writes for values our stacks do not hold yet: floats, keys outside the BMP,
    empty blocks, escapes; re-serialized from its own file, byte for byte."""
    app = App(outdir=str(tmp_path), stack_traces=False)
    stack = TerraformStack(app, "edge")
    values = {
        "numbers": [0, -1, 1.5, 0.1, 1e-7, 2.5e-10, 1e21, 123456.789, 300.0, -0.0],
        "text": ["é", "\u2028", "\x7f", '\x00\x1f\t\n"\\/', "😀", "\ufeff", "${x} $${y}"],
        "keys": {"😀": 1, "\uffff": 2, "a": 3, "B": 4, "é": 5},
        "empty": [{}, []],
        "flags": [True, False, None],
    }
    stack.add_override("locals", values)
    app.synth()
    written = (tmp_path / "stacks" / "edge" / "cdk.tf.json").read_text(encoding="utf-8")
    assert stable_json.dumps(json.loads(written)) == written


def test_a_token_that_is_not_a_string_is_refused_in_one_line(tmp_path):
    from cdktf import Token

    stack = TerraformStack(App(outdir=str(tmp_path)), "s")
    written = resources.JsonStack(stack, "s")
    (element,) = Token.as_list("${y}")[:1]
    with pytest.raises(ValueError, match="not a string"):
        resources._resolved(written, f'["{element}"]')
