"""AWS's limits on what we synthesize (models.limits): each check fires on a document that crosses
its limit and stays quiet below it; main.py writes nothing over a limit; and every configuration
the tests synthesize passes them all (conftest's synthesize_to goes through main.synthesize,
which refuses an output over a limit)."""

from __future__ import annotations

import copy
import json
from collections import Counter
from pathlib import Path

import pytest

import main
from config import parse_config
from models import limits
from tests.conftest import TEST_CONTEXT

PROVIDER = {"aws": [{"alias": "eu-south-1", "region": "eu-south-1"}]}


def _rule(pattern: dict, **fields: object) -> dict:
    return {
        "name": "api-alerts-x",
        "description": "x",
        "event_bus_name": "default",
        "event_pattern": json.dumps(pattern),
        "provider": "aws.eu-south-1",
        **fields,
    }


def _document(rules: dict, **resources: dict) -> dict:
    return {"provider": PROVIDER, "resource": {"aws_cloudwatch_event_rule": rules, **resources}}


WILDCARD = {"detail": {"userAgent": [{"wildcard": "*Terraform/*"}]}}
PREFIX = {"detail": {"userAgent": [{"prefix": "Terraform/"}]}}


def test_a_document_within_every_limit_passes():
    assert limits.violations({"s": _document({"r": _rule(WILDCARD)})}) == []


def test_rules_containing_wildcards_per_bus():
    thirty = {f"r{i}": _rule(WILDCARD, name=f"r{i}") for i in range(30)}
    assert limits.violations({"s": _document(thirty)}) == []
    (problem,) = limits.violations({"s": _document({**thirty, "r30": _rule(WILDCARD)})})
    assert "rules containing wildcards on one event bus would be 31; AWS takes 30" in problem
    assert "not adjustable" in problem and limits.EVENTBRIDGE_QUOTAS in problem
    # prefix and suffix are not wildcards (Event Ruler's MachineComplexityEvaluator counts only
    # WILDCARD and ANYTHING_BUT_WILDCARD).
    prefixes = {f"r{i}": _rule(PREFIX, name=f"r{i}") for i in range(31)}
    assert limits.violations({"s": _document(prefixes)}) == []


def test_rules_per_bus_is_100_in_two_regions():
    rules = {f"r{i}": _rule(PREFIX, name=f"r{i}") for i in range(101)}
    (problem,) = limits.violations({"s": _document(rules)})
    assert "rules on one event bus in eu-south-1 would be 101; AWS takes 100" in problem


def test_pattern_size_counts_the_key_reference_at_its_length():
    pattern = {"detail": {"requestParameters": {"keyId": ["${aws_kms_key.k.arn}"]}}}
    filler = "x" * (limits.EVENT_PATTERN.value - len(json.dumps(pattern)) - 11)
    pattern["detail"]["userAgent"] = [filler]
    (problem,) = limits.violations({"s": _document({"r": _rule(pattern)})})
    assert "characters in an event pattern would be" in problem


def test_complexity_per_pattern_and_targets_per_rule():
    many = {"detail": {"a": [{"wildcard": f"*{i}*"} for i in range(4)]}}
    targets = {
        f"t{i}": {"rule": "${aws_cloudwatch_event_rule.r.name}", "target_id": f"t{i}"}
        for i in range(6)
    }
    problems = limits.violations(
        {"s": _document({"r": _rule(many)}, aws_cloudwatch_event_target=targets)}
    )
    assert any(
        "complexity of one event pattern" in p and "would be 12; AWS takes 9" in p for p in problems
    )
    assert any("targets of one rule would be 6; AWS takes 5" in p for p in problems)


def test_descriptions_are_measured_as_aws_receives_them():
    # $${ is one character fewer once Terraform reads it.
    at_limit = "$${" + "x" * (limits.RULE_DESCRIPTION.value - 2)
    assert limits.violations({"s": _document({"r": _rule(PREFIX, description=at_limit)})}) == []
    over = at_limit + "x"
    assert limits.violations({"s": _document({"r": _rule(PREFIX, description=over)})})


def test_tags_count_with_the_provider_defaults():
    tags = {f"T{i}": "x" for i in range(51)}
    document = {"provider": {"aws": [{"region": "eu-west-1", "default_tags": [{"tags": tags}]}]}}
    (problem,) = limits.violations({"s": document})
    assert "tags on one resource would be 51; AWS takes 50" in problem


def test_configured_text_that_terraform_would_evaluate_is_caught():
    document = {
        "resource": {"aws_sns_topic": {"t": {"name": "x", "display_name": '${file("/etc/x")}'}}},
        "terraform": {"backend": {"s3": {"key": "${literal-here}/x.tfstate"}}},
    }
    (problem,) = limits.violations({"s": document})
    assert "Terraform would evaluate" in problem and "file(" in problem
    document["resource"]["aws_sns_topic"]["t"]["display_name"] = "%{ if true }x%{ endif }"
    assert len(limits.violations({"s": document})) == 2
    document["resource"]["aws_sns_topic"]["t"]["display_name"] = "$${file(x)} %%{ if }"
    assert limits.violations({"s": document}) == []


def test_the_member_template_rules_count_on_their_region_bus():
    template = {
        "Conditions": {"InEu": {"Fn::Equals": [{"Ref": "AWS::Region"}, "eu-west-1"]}},
        "Resources": {
            f"Forward{i}": {
                "Type": "AWS::Events::Rule",
                "Condition": "InEu",
                "Properties": {"EventBusName": "default", "EventPattern": WILDCARD},
            }
            for i in range(31)
        },
    }
    stack = {"template_body": json.dumps(template), "provider": "aws.eu-west-1"}
    document = {
        "provider": {"aws": [{"alias": "eu-west-1", "region": "eu-west-1"}]},
        "resource": {"aws_cloudformation_stack": {"s": stack}},
    }
    (problem,) = limits.violations({"s": document})
    assert "eu-west-1: event bus default" in problem and "would be 31" in problem
    stack["provider"] = "aws.us-east-1"
    document["provider"]["aws"].append({"alias": "us-east-1", "region": "us-east-1"})
    assert limits.violations({"s": document}) == []  # the condition leaves us-east-1 out


def test_the_member_template_rules_are_held_to_pattern_length_and_complexity():
    """A template rule's pattern, an object or a string, is scored like a Terraform rule's: once
    per rule, though it is deployed in every region of its condition."""
    many = {"detail": {"a": [{"wildcard": f"*{i}*"} for i in range(4)]}}
    long = {"detail": {"a": ["x" * limits.EVENT_PATTERN.value]}}
    template = {
        "Resources": {
            name: {
                "Type": "AWS::Events::Rule",
                "Properties": {"Name": name, "EventBusName": "default", "EventPattern": pattern},
            }
            for name, pattern in [
                ("complex", many),
                ("long", json.dumps(long)),
                ("fine", json.dumps(WILDCARD)),
            ]
        },
    }
    stack = {"template_body": json.dumps(template), "provider": "aws.eu-west-1"}
    document = {
        "provider": {"aws": [{"alias": "eu-west-1", "region": "eu-west-1"}]},
        "resource": {"aws_cloudformation_stack": {"s": stack}},
    }
    problems = limits.violations({"s": document})
    assert len(problems) == 2, problems
    assert "template rule complex" in problems[0] and "would be 12; AWS takes 9" in problems[0]
    assert "template rule long" in problems[1] and "characters in an event pattern" in problems[1]


def test_main_writes_nothing_over_a_limit(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(limits, "WILDCARD_RULES_PER_BUS", limits.Limit("x", 0, "source"))
    (tmp_path / "cdktf.json").write_text(json.dumps({"context": TEST_CONTEXT}))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CDKTF_OUTDIR", raising=False)
    assert main.main({"PATH": __import__("os").environ["PATH"]}) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("configuration error: ap-northeast-1: event bus default")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cdktf.json"]


def test_synth_says_how_many_wildcard_rules_a_bus_holds_above_half_the_quota(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setattr(limits, "WILDCARD_RULES_PER_BUS", limits.Limit("x", 3, "source"))
    (tmp_path / "cdktf.json").write_text(json.dumps({"context": TEST_CONTEXT}))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CDKTF_OUTDIR", raising=False)
    assert main.main({"PATH": __import__("os").environ["PATH"]}) == 0
    notes = [line for line in capsys.readouterr().err.splitlines() if line.startswith("note:")]
    assert notes == [
        f"note: {region} event bus default: 2 of the 3 rules with wildcards EventBridge takes per "
        f"bus (not adjustable, {limits.EVENTBRIDGE_QUOTAS})"
        for region in ("ap-northeast-1", "us-east-1")
    ]


# Event Ruler's scores, measured with Ruler 2.0.1 (MachineComplexityEvaluator): single values,
# then one field of 1 to 6 values *:stack/<name>/*, of which EventBridge accepted 3 and refused 4
# (vals-ai/Valkyrie#278).
RULER_SCORES = {
    "*": 2,
    "a*": 2,
    "*a*": 3,
    "*aa*": 4,
    "*a*a*a*": 7,
    "*Terraform/*": 3,
    "arn:aws:iam::*:role/eks-*": 3,
    "arn:*:iam::*:role/aws-service-role/*": 6,
    "arn:*:sns:*:*:api-alerts:*": 8,
    "arn:*:sns:*:*:api-alerts-chat-*:*": 10,
    "abc": 1,
    "*:api-alerts*": 3,
}


@pytest.mark.parametrize(("value", "score"), RULER_SCORES.items())
def test_a_wildcard_value_costs_what_event_ruler_scores(value, score):
    assert limits.wildcard_cost(value) == score
    assert limits.complexity({"detail": {"f": [{"anything-but": {"wildcard": value}}]}}) == score


def test_complexity_brackets_eventbridges_refusal():
    stacks = ["SharedStack", "DatabaseStack", "ApiStack", "MonitoringStack", "WorkerStack"]
    scores = [
        limits.complexity({"detail": {"x": [{"wildcard": f"*:stack/{n}/*"} for n in stacks[:k]]}})
        for k in range(1, 6)
    ]
    assert scores == [3, 6, 9, 12, 15]
    assert scores[2] <= limits.COMPLEXITY.value < scores[3]  # accepted 3, refused 4
    # Fields do not add up; prefix, suffix, exact values and exists cost nothing.
    two_fields = {"detail": {"a": [{"wildcard": "*a*"}], "b": [{"wildcard": "*a*a*"}]}}
    assert limits.complexity(two_fields) == 5
    assert limits.complexity({"detail": {"a": [{"prefix": "x"}, {"suffix": "y"}, "z"]}}) == 0
    # A $or copies a wildcard field into each sub-rule that reaches it.
    shared = {"detail": {"f": [{"wildcard": "*a*"}]}, "$or": [{"x": ["1"]}, {"y": ["2"]}]}
    assert limits.complexity(shared) >= 5


def test_every_catalog_pattern_is_within_the_complexity_known_accepted():
    """Every detection's own pattern, before any suppression; the most complex one, which
    leaves suppressions of it the least room, is the attack group's Lambda grant rule."""
    from constructs_lib.detections.catalog import CATALOG

    scores = {d.id: limits.complexity(d.pattern) for d in CATALOG}
    assert max(scores.values()) <= limits.COMPLEXITY.value
    assert [d for d, score in scores.items() if score > 3] == ["lambda_permission_granted_outside"]


def test_suppressions_without_a_star_add_no_wildcard():
    base = {
        "detections": ["security_group_changes"],
        "reason": "CI",
        "expires": "2099-01-01",
    }
    for principal, matcher in (
        (
            "arn:aws:iam::111122223333:role/ci",
            {"anything-but": "arn:aws:iam::111122223333:role/ci"},
        ),
        (
            "arn:aws:iam::111122223333:role/ci-*",
            {"anything-but": {"prefix": "arn:aws:iam::111122223333:role/ci-"}},
        ),
        ("arn:aws:iam::*:role/ci-*", {"anything-but": {"wildcard": "arn:aws:iam::*:role/ci-*"}}),
    ):
        settings = parse_config(
            {**TEST_CONTEXT, "suppressions": [{**base, "principals": [principal]}]},
            {},
            today=__import__("datetime").date(2098, 12, 1),
        )
        from constructs_lib.detections.outcomes import rule_variants

        (variant, _) = rule_variants(settings.detections[0], settings.suppressions)
        pattern = variant.event_pattern("api-alerts")
        issuer = pattern["detail"]["userIdentity"]["sessionContext"]["sessionIssuer"]["arn"]
        assert issuer == [{"exists": False}, matcher]


def test_every_limit_cites_its_page():
    found = [v for v in vars(limits).values() if isinstance(v, limits.Limit)]
    assert len(found) >= 20
    for limit in found:
        assert limit.source.startswith("https://"), limit
    assert Counter(limit.what for limit in found).most_common(1)[0][1] == 1


def test_the_test_configurations_hold_by_a_margin(configured_stacks):
    """Every bus of the most demanding tested configurations stays within the wildcard quota."""
    _, stacks = configured_stacks
    counts = limits.bus_counts({name: stack.document for name, stack in stacks.items()})
    assert counts and max(c["wildcard rules"] for c in counts.values()) <= 15
    assert max(c["rules"] for c in counts.values()) <= 150


def test_copying_a_document_does_not_change_its_verdict():
    document = _document({"r": _rule(WILDCARD)})
    assert limits.violations({"s": copy.deepcopy(document)}) == limits.violations({"s": document})


def test_check_reads_the_paths_main_writes(tmp_path):
    path = Path(main.__file__)
    assert "limits.violations" in path.read_text()
