"""The EventBridge template model on AWS's own examples, before it judges any alert of ours.

Each case is an input, a template and the output a source states, with the source's name
(see models/eventbridge_templates.py for the addresses).
"""

from __future__ import annotations

import json

import pytest

from models.eventbridge_templates import Refused, Rule, Undocumented, extract, fill

# [UG] "Input transform examples": the EC2 event and the input paths of the user guide.
EC2_EVENT = {
    "version": "0",
    "id": "7bf73129-1428-4cd3-a780-95db273d1602",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "123456789012",
    "time": "2015-11-11T21:29:54Z",
    "region": "us-east-1",
    "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"],
    "detail": {"instance-id": "i-0123456789", "state": "RUNNING"},
}
EC2_PATHS = {"timestamp": "$.time", "instance": "$.detail.instance-id", "state": "$.detail.state"}

# (source, description, template, output as the source prints it)
TEXT_EXAMPLES = [
    (
        "UG",
        "Simple string",
        '"instance <instance> is in <state>"',
        '"instance i-0123456789 is in RUNNING"',
    ),
    (
        "UG",
        "String with escaped quotes",
        '"instance \\"<instance>\\" is in <state>"',
        '"instance \\"i-0123456789\\" is in RUNNING"',
    ),
    (
        "UG",
        "Including reserved variables in a string",
        '"<aws.events.rule-name> triggered"',
        '"example triggered"',
    ),
]
# The user guide lays JSON outputs out over several lines, and says what is passed is minified:
# these compare as JSON values.
JSON_EXAMPLES = [
    (
        "UG",
        "Simple JSON",
        '{\n  "instance" : <instance>,\n  "state": <state>\n}',
        {"instance": "i-0123456789", "state": "RUNNING"},
    ),
    (
        "UG",
        "JSON with strings and variables",
        '{\n "instance" : <instance>,\n "state": "<state>",\n'
        ' "instanceStatus": "instance \\"<instance>\\" is in <state>"\n}',
        {
            "instance": "i-0123456789",
            "state": "RUNNING",
            "instanceStatus": 'instance "i-0123456789" is in RUNNING',
        },
    ),
    (
        "UG",
        "JSON with a mix of variables and static information",
        '{\n  "instance" : <instance>,\n  "state": [ 9, <state>, true ],\n  "Transformed" : "Yes"\n}',
        {"instance": "i-0123456789", "state": [9, "RUNNING", True], "Transformed": "Yes"},
    ),
]


@pytest.mark.parametrize(
    ("source", "case", "template", "output"), TEXT_EXAMPLES, ids=[c[1] for c in TEXT_EXAMPLES]
)
def test_documented_string_templates(source, case, template, output):
    assert fill(template, EC2_PATHS, EC2_EVENT) == output


@pytest.mark.parametrize(
    ("source", "case", "template", "output"), JSON_EXAMPLES, ids=[c[1] for c in JSON_EXAMPLES]
)
def test_documented_json_templates(source, case, template, output):
    assert json.loads(fill(template, EC2_PATHS, EC2_EVENT)) == output


def test_documented_reserved_variables_in_json():
    """[UG] "Including reserved variables in JSON"; its originalEvent is elided in the guide."""
    template = (
        '{\n  "instance" : <instance>,\n  "state": <state>,\n'
        '  "ruleArn" : <aws.events.rule-arn>,\n  "ruleName" : <aws.events.rule-name>,\n'
        '  "originalEvent" : <aws.events.event>\n}'
    )
    sent = json.loads(fill(template, EC2_PATHS, EC2_EVENT))
    assert sent["ruleArn"] == "arn:aws:events:us-east-2:123456789012:rule/example"
    assert sent["ruleName"] == "example" and sent["state"] == "RUNNING"
    # [UG] predefined variables: aws.events.event is the payload without the detail field.
    assert sent["originalEvent"] == {k: v for k, v in EC2_EVENT.items() if k != "detail"}


def test_documented_sns_message_of_the_tutorial_keeps_its_quotes():
    """[TUT]: the rule's SNS target receives the string template's text, quotes included."""
    event = {**EC2_EVENT, "detail-type": "customerCreated", "detail": {}}
    sent = fill('"This event was of <detail-type> type."', {"detail-type": "$.detail-type"}, event)
    assert sent == '"This event was of customerCreated type."'


def test_documented_missing_path_leaves_nothing_inside_a_string():
    """[UG] common issues: the variable isn't created; [LS] recorded the empty text on AWS."""
    paths = {**EC2_PATHS, "command": "$.detail.notinmessage"}
    template = '"Event of <instance> type, info extracted from detail <command>"'
    assert (
        fill(template, paths, EC2_EVENT)
        == '"Event of i-0123456789 type, info extracted from detail "'
    )


def test_recorded_string_template_of_localstack_on_aws():
    """[LS] custom-variables-match-all, as recorded on AWS (the time replaced by "date")."""
    event = {
        **EC2_EVENT,
        "detail-type": "customerCreated",
        "time": "date",
        "detail": {"command": "display-message"},
    }
    paths = {"detail-type": "$.detail-type", "timestamp": "$.time", "command": "$.detail.command"}
    template = (
        '"Event of <detail-type> type, at time <timestamp>, info extracted from detail <command>"'
    )
    assert fill(template, paths, event) == (
        '"Event of customerCreated type, at time date, info extracted from detail display-message"'
    )


def test_values_are_inserted_unescaped():
    """[UG] common issues: "EventBridge doesn't escape values extracted by Input Path"."""
    event = {**EC2_EVENT, "detail": {"state": 'say "hi"\nthen \\ go'}}
    assert fill('"<state>"', {"state": "$.detail.state"}, event) == '"say "hi"\nthen \\ go"'


def test_multiline_quoted_lines_arrive_as_written():
    """aws/aws-cdk#5924: RuleTargetInput.fromMultilineText's lines each arrive in their quotes."""
    template = '"Instance <instance>"\n"is <state>"'
    assert fill(template, EC2_PATHS, EC2_EVENT) == '"Instance i-0123456789"\n"is RUNNING"'


@pytest.mark.parametrize(
    "template",
    [
        # [API]'s own examples print no output for a template that is not JSON.
        "<instance> is in state <state>",
        '<instance> is in state \\"<state>\\"',
    ],
)
def test_placeholders_outside_quotes_of_plain_text_are_undocumented(template):
    with pytest.raises(Undocumented):
        fill(template, EC2_PATHS, EC2_EVENT)


def test_json_only_variables_and_missing_json_values_are_undocumented():
    with pytest.raises(Undocumented):
        fill('"<aws.events.event>"', {}, EC2_EVENT)
    with pytest.raises(Undocumented):
        fill('{"a": <gone>}', {"gone": "$.detail.nothing"}, EC2_EVENT)


def test_refused_inputs():
    with pytest.raises(Refused, match="bracket"):
        extract(EC2_EVENT, "$.resources[0]")
    with pytest.raises(Refused, match="names no input path"):
        fill('"<notdefinedkey>"', EC2_PATHS, EC2_EVENT)  # [LS] missing-key-exception-error
    with pytest.raises(Refused, match="reserved"):
        fill('"<AWSx>"', {"AWSx": "$.id"}, EC2_EVENT)  # [API] keys cannot start with AWS
    with pytest.raises(Refused, match="escaped"):
        fill('"a > b"', {}, EC2_EVENT)  # [TUT] < and > can't be escaped


def test_rule_values_are_used():
    rule = Rule(name="api-alerts-x", arn="arn:aws:events:eu-west-1:1:rule/api-alerts-x")
    assert fill('"<aws.events.rule-arn>"', {}, EC2_EVENT, rule) == f'"{rule.arn}"'
