"""Every AWS limit our synthesized output must respect, each with the page that states it, and
the check of a synthesized configuration against all of them.

The constructs and the configuration read their numbers from here; ``violations`` reads the
Terraform JSON the way Terraform will (models.terraform) and names each limit a configuration
would cross. `make synth` refuses to write such an output, and the tests check every
configuration they synthesize.
"""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache, partial
from typing import Any

from models import terraform


@dataclass(frozen=True)
class Limit:
    """One documented limit: what it bounds, the bound, and where AWS states it."""

    what: str
    value: int
    source: str
    adjustable: bool | None = False  # None: the page read does not say

    def exceeded(self, actual: int, where: str) -> str:
        adjustable = {True: "adjustable", False: "not adjustable", None: "a default"}[
            self.adjustable
        ]
        return (
            f"{where}: {self.what} would be {actual:,}; AWS takes {self.value:,} "
            f"({adjustable}: {self.source})"
        )


EVENTBRIDGE_QUOTAS = "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html"
PUT_RULE = "https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutRule.html"
PUT_TARGETS = "https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutTargets.html"
INPUT_TRANSFORMER = (
    "https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_InputTransformer.html"
)
WILDCARD_COMPLEXITY = (
    "https://docs.aws.amazon.com/eventbridge/latest/userguide/"
    "eb-create-pattern-operators.html#eb-filtering-wildcard-matching-complexity"
)
TAGGING = "https://docs.aws.amazon.com/tag-editor/latest/userguide/best-practices-and-strats.html"
LOGS_QUOTAS = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch_limits_cwl.html"
METRIC_FILTER = (
    "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_MetricFilter.html"
)
PUT_METRIC_ALARM = (
    "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html"
)
CLOUDFORMATION_QUOTAS = (
    "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html"
)
ORGANIZATIONS_QUOTAS = (
    "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html"
)
SNS_CREATE_TOPIC = "https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html"
SQS_CREATE_QUEUE = (
    "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html"
)
IAM_QUOTAS = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html"
GLUE_COLUMN = "https://docs.aws.amazon.com/glue/latest/webapi/API_Column.html"
ATHENA_NAMES = "https://docs.aws.amazon.com/athena/latest/ug/tables-databases-columns-names.html"

# ---- EventBridge ----
# Whether it can be raised, the copies of the quotas page read do not show.
RULES_PER_BUS = Limit("rules on one event bus", 300, EVENTBRIDGE_QUOTAS, adjustable=None)
# The quotas page gives two regions a lower default.
RULES_PER_BUS_IN = {"af-south-1": 100, "eu-south-1": 100}
WILDCARD_RULES_PER_BUS = Limit(
    "rules containing wildcards on one event bus", 30, EVENTBRIDGE_QUOTAS
)
EVENT_PATTERN = Limit("characters in an event pattern", 2048, EVENTBRIDGE_QUOTAS, adjustable=True)
TARGETS_PER_RULE = Limit("targets of one rule", 5, PUT_TARGETS)
RULE_DESCRIPTION = Limit("characters in a rule description", 512, PUT_RULE)
RULE_NAME = Limit("characters in a rule name", 64, PUT_RULE)
RULE_NAME_PATTERN = re.compile(r"[\.\-_A-Za-z0-9]+")  # PutRule, Name
TARGET_ID = Limit("characters in a target id", 64, PUT_TARGETS)
TARGET_ID_PATTERN = re.compile(r"[\.\-_A-Za-z0-9]+")  # Target, Id
INPUT_TEMPLATE = Limit("characters in an input template", 8192, INPUT_TRANSFORMER)
INPUT_PATHS = Limit("input paths of one input transformer", 100, INPUT_TRANSFORMER)
# InputPathsMap: "Key Length Constraints: Maximum length of 256", "Value Length Constraints:
# Maximum length of 256" (the same page; botocore's events model: InputTransformerPathKey and
# TargetInputPath, max 256).
INPUT_PATH = Limit("characters in an input path", 256, INPUT_TRANSFORMER)
INPUT_PATH_KEY = Limit("characters in an input path's variable", 256, INPUT_TRANSFORMER)
# "If a rule is too complex, EventBridge returns an InvalidEventPatternException" (the page gives
# no number). EventBridge matches with AWS's Event Ruler, whose MachineComplexityEvaluator scores a
# rule ("the maximum possible number of wildcard rule prefixes that could match a theoretical
# input value"); ``complexity`` bounds that score from above. A rule of another project scoring 9
# was accepted and one scoring 12 refused (vals-ai/Valkyrie#278, scored with Ruler), so we hold
# every rule to 9, the most known to be accepted.
COMPLEXITY = Limit(
    "complexity of one event pattern, as Event Ruler scores wildcards (our bound: the highest "
    "known accepted)",
    9,
    WILDCARD_COMPLEXITY,
)

# EventBridge documents no bound on $or; a detection's suppressions multiply out into a $or of
# one branch per combination of their conditions, each repeating the negated fields, so we bound
# the product (our bound: past it, write fewer suppressions with more values each).
OR_BRANCHES = Limit(
    "$or branches that suppressions may multiply out to (our bound: EventBridge documents none)",
    16,
    "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html",
)

# ---- tags ----
TAGS_PER_RESOURCE = Limit("tags on one resource", 50, TAGGING)
TAG_KEY = Limit("characters in a tag key", 128, TAGGING)
TAG_VALUE = Limit("characters in a tag value", 256, TAGGING)

# ---- CloudWatch and CloudWatch Logs ----
FILTER_PATTERN = Limit("characters in a metric filter pattern", 1024, METRIC_FILTER)
FILTERS_PER_LOG_GROUP = Limit("metric filters on one log group", 100, LOGS_QUOTAS)
ALARM_DESCRIPTION = Limit("characters in an alarm description", 1024, PUT_METRIC_ALARM)
ALARM_NAME = Limit("characters in an alarm name", 255, PUT_METRIC_ALARM)
ALARM_ACTIONS = Limit("actions of one alarm state", 5, PUT_METRIC_ALARM)
METRICS_PER_ALARM = Limit("metrics one alarm's math reads", 10, PUT_METRIC_ALARM)

# ---- CloudFormation and Organizations ----
TEMPLATE_BODY = Limit("bytes in a template body", 51_200, CLOUDFORMATION_QUOTAS)
CONDITIONS_PER_OR = Limit(
    "conditions in one Fn::Or",
    10,
    "https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-conditions.html",
)
SCP_SIZE = Limit("characters in a service control policy", 5120, ORGANIZATIONS_QUOTAS)
SCPS_PER_TARGET = Limit(
    "service control policies attached to one root, OU or account", 5, ORGANIZATIONS_QUOTAS
)

# ---- names ----
TOPIC_NAME = Limit("characters in a topic name", 256, SNS_CREATE_TOPIC)
QUEUE_NAME = Limit("characters in a queue name", 80, SQS_CREATE_QUEUE)
ROLE_NAME = Limit("characters in a role name", 64, IAM_QUOTAS)
# Terraform's bucket_prefix: a bucket name's 63 characters, less the 26 it appends
# (terraform-provider-aws, internal/service/s3/bucket.go, validation.StringLenBetween).
BUCKET_PREFIX = Limit(
    "characters in a bucket name prefix",
    37,
    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html",
)
# "IAM does not count white space when calculating the size of a policy" (IAM quotas).
MANAGED_POLICY = Limit("characters in a managed policy, whitespace aside", 6144, IAM_QUOTAS)
INLINE_ROLE_POLICIES = Limit(
    "characters in a role's inline policies together, whitespace aside", 10_240, IAM_QUOTAS
)
# "Trails per Region: 5 ... cannot be increased" (CloudTrail quotas): our trail, and in
# organization mode the organization trail too, count against the account's five.
TRAILS_PER_REGION = Limit(
    "trails in one region of an account",
    5,
    "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/WhatIsCloudTrail-Limits.html",
)

# ---- Glue Data Catalog (the trail's Athena table, athenaTable) ----
# "The string must not be less than 1 or more than 255 bytes long" (Athena, names of databases,
# tables and columns; Glue's TableInput and DatabaseInput Name: 1 to 255).
GLUE_NAME = Limit("characters in a Glue database or table name", 255, ATHENA_NAMES)
# Column Type "Maximum length of 131072"; a parameter value "Maximum length of 512000" (Glue API,
# Column; the table's Parameters take the same).
GLUE_COLUMN_TYPE = Limit("characters in a Glue column type", 131_072, GLUE_COLUMN)
GLUE_PARAMETER = Limit("characters in a Glue table parameter value", 512_000, GLUE_COLUMN)

# ---- Athena: not synthesized output; `make replay ARGS=--athena` checks its query (ops.athena) ----
# Service Quotas, "Query string length": "The maximum allowed query string length is 262144
# bytes, where the strings are encoded in UTF-8. This is not an adjustable quota"
# (StartQueryExecution refuses longer: "'queryString' failed to satisfy constraint", AWS
# Knowledge Center, athena-query-string-length, which advises splitting the query).
ATHENA_QUOTAS = "https://docs.aws.amazon.com/athena/latest/ug/service-limits.html"
QUERY_STRING = Limit("bytes in an Athena query string (UTF-8)", 262_144, ATHENA_QUOTAS)
# The same page, "Databases, tables, and partitions": "Although Athena supports querying AWS
# Glue tables that have 10 million partitions, Athena cannot read more than 1 million
# partitions in a single scan" (no quota to raise: "cannot").
PARTITIONS_PER_SCAN = Limit("partitions one Athena scan reads", 1_000_000, ATHENA_QUOTAS)


def rules_per_bus(region: str) -> Limit:
    value = RULES_PER_BUS_IN.get(region, RULES_PER_BUS.value)
    return Limit(f"rules on one event bus in {region}", value, EVENTBRIDGE_QUOTAS, adjustable=None)


# ---- event patterns ----


def wildcards(pattern: Any) -> int:
    """How many wildcard values an event pattern holds, ``anything-but`` ones included."""
    if isinstance(pattern, Mapping):
        count = 0
        for key, value in pattern.items():
            if key == "wildcard":
                count += len(value) if isinstance(value, list | tuple) else 1
            else:
                count += wildcards(value)
        return count
    if isinstance(pattern, list | tuple):
        return sum(wildcards(item) for item in pattern)
    return 0


def complexity(pattern: Any) -> int:
    """An upper bound of Event Ruler's complexity score of an event pattern (MachineComplexity
    Evaluator, github.com/aws/event-ruler): the maximum over fields of the summed cost of the
    field's wildcard values (``wildcard`` and ``anything-but`` ``wildcard`` only: prefix, suffix,
    exact and ``exists`` cost nothing), counting a field once per ``$or`` sub-rule that reaches its
    own copy of it. Measured against Ruler 2.0.1 on 1,472 patterns, ours among them: never below
    it, at most 1.5 times it on ours."""
    if isinstance(pattern, str):
        pattern = json.loads(pattern)
    rules = _subrules(_plain(pattern))
    best = 0
    for field in {f for rule in rules for f in rule}:
        holders = [rule for rule in rules if field in rule]
        # Ruler adds a rule's fields in sorted order: two sub-rules share this field's machine only
        # if every field sorting before it is the same in both, with a common value.
        before = [
            {k: {json.dumps(m, sort_keys=True) for m in v} for k, v in r.items() if k < field}
            for r in holders
        ]
        group = list(range(len(holders)))

        def root(i: int, group: list[int] = group) -> int:
            while group[i] != i:
                group[i] = group[group[i]]
                i = group[i]
            return i

        for a, b in itertools.combinations(range(len(holders)), 2):
            if before[a].keys() == before[b].keys() and all(
                before[a][k] & before[b][k] for k in before[a]
            ):
                group[root(a)] = root(b)
        totals: Counter[int] = Counter()
        for i, rule in enumerate(holders):
            totals[root(i)] += sum(wildcard_cost(v) for v in _wildcard_values(rule[field]))
        best = max([best, *totals.values()])
    return best


def _plain(node: Any) -> Any:
    """A pattern of mappings and tuples (a catalog entry's) as dicts and lists."""
    if isinstance(node, Mapping):
        return {key: _plain(value) for key, value in node.items()}
    if isinstance(node, list | tuple):
        return [_plain(item) for item in node]
    return node


def _subrules(node: Mapping[str, Any], prefix: str = "") -> list[dict[str, list[Any]]]:
    """``$or`` expanded as Ruler's JsonRuleCompiler does: one {field path: values} per branch
    combination."""
    parts = []
    for key, value in node.items():
        if key == "$or":
            parts.append([sub for branch in value for sub in _subrules(branch, prefix)])
        elif isinstance(value, Mapping):
            parts.append(_subrules(value, f"{prefix}{key}."))
        else:
            parts.append([{prefix + key: list(value)}])
    rules = []
    for combination in itertools.product(*parts):
        rule: dict[str, list[Any]] = {}
        for part in combination:
            for field, values in part.items():
                rule.setdefault(field, []).extend(values)
        rules.append(rule)
    return rules


def _wildcard_values(values: list[Any]) -> Iterator[str]:
    for match in values:
        if isinstance(match, Mapping):
            for holder in (match, match.get("anything-but")):
                if isinstance(holder, Mapping) and "wildcard" in holder:
                    found = holder["wildcard"]
                    yield from [found] if isinstance(found, str) else found


@cache
def wildcard_cost(value: str) -> int:
    """Ruler's complexity of one wildcard value alone (exact on the 533 values measured).

    The value as an automaton over its UTF-8 bytes (state j: j literal bytes matched; a ``*``
    loops on the state it follows; ``\\*`` is a literal star): the most edges one input byte can
    take from any reachable set of active states (active loops, forward edges on that byte), plus
    the loops of star states newly entered (the evaluator's "transitions for all bytes"); one
    more for a value matching the empty string.
    """
    literals: list[int] = []
    loops: set[int] = set()
    i = 0
    while i < len(value):
        character = value[i]
        if character == "\\" and i + 1 < len(value):
            literals.extend(value[i + 1].encode())
            i += 2
            continue
        if character == "*":
            loops.add(len(literals))
        else:
            literals.extend(character.encode())
        i += 1
    alphabet = [*sorted(set(literals)), -1]  # -1: any byte the value does not hold
    start = frozenset([0])
    seen, todo, best = {start}, [start], 0
    while todo:
        active = todo.pop()
        for byte in alphabet:
            edges, reached = set(), set()
            for j in active:
                if j in loops:
                    edges.add((j, j))
                    reached.add(j)
                if j < len(literals) and literals[j] == byte:
                    edges.add((j, j + 1))
                    reached.add(j + 1)
            entered = sum(1 for d in reached if d in loops and (d, d) not in edges)
            best = max(best, len(edges) + entered)
            following = frozenset(reached)
            if following and following not in seen:
                seen.add(following)
                todo.append(following)
    return best + (0 if literals else 1)


# What Terraform fills in for the references a pattern may hold (the region's KMS key), at
# their longest: a key id is a UUID; an ARN names the partition, region and account.
KEY_ID_LENGTH = 36


def _resolved(expression: str, partition: str, region: str) -> str:
    # The deploying account's id (the attack group's shares and grants): 12 digits
    # (Organizations API reference, Account.Id).
    if expression.startswith("data.aws_caller_identity.") and expression.endswith(".account_id"):
        return "1" * 12
    if expression.endswith(".key_id"):
        return "k" * KEY_ID_LENGTH
    if expression.startswith("aws_kms_key.") and expression.endswith(".arn"):
        return f"arn:{partition}:kms:{region}:111122223333:key/" + "k" * KEY_ID_LENGTH
    raise ValueError(f"a pattern refers to {expression}, whose length is unknown here")


# ---- the check ----


THIS_ACCOUNT = "this account"  # the deploying identity's, as opposed to an assumed role's


@dataclass(frozen=True)
class Stack:
    """One synthesized stack's Terraform JSON, read as Terraform will."""

    name: str
    document: Mapping[str, Any]

    def resources(self, kind: str) -> Mapping[str, Mapping[str, Any]]:
        return self.document.get("resource", {}).get(kind, {})

    def _provider(self, block: Mapping[str, Any]) -> Mapping[str, Any]:
        providers = {
            f"aws.{p['alias']}" if "alias" in p else "aws": p
            for p in self.document.get("provider", {}).get("aws", [])
        }
        return providers[block.get("provider", "aws")]

    def region_of(self, block: Mapping[str, Any]) -> str:
        return self._provider(block)["region"]

    def account_of(self, block: Mapping[str, Any]) -> str:
        """The account a block deploys to: the deploying one, or the role's it assumes."""
        roles = [r.get("role_arn") for r in self._provider(block).get("assume_role") or []]
        return _text(roles[0]) if roles and roles[0] else THIS_ACCOUNT

    def templates(self) -> Iterator[tuple[dict[str, Any], str, str]]:
        """(template, region, account) for each CloudFormation template this stack deploys."""
        for stack in self.resources("aws_cloudformation_stack").values():
            if isinstance(stack.get("template_body"), str):
                body = json.loads(_text(stack["template_body"]))
                yield body, self.region_of(stack), self.account_of(stack)
        sets = self.resources("aws_cloudformation_stack_set")
        for instances in self.resources("aws_cloudformation_stack_instances").values():
            name = instances.get("stack_set_name", "")
            for set_id, stack_set in sets.items():
                body = stack_set.get("template_body")
                reference = f"${{aws_cloudformation_stack_set.{set_id}.name}}"
                if isinstance(body, str) and name in (stack_set.get("name"), reference):
                    for region in instances.get("regions") or []:
                        yield json.loads(_text(body)), region, "each member account"


def violations(documents: Mapping[str, Mapping[str, Any]], partition: str = "aws") -> list[str]:
    """Every limit the synthesized stacks (name -> cdk.tf.json) would cross, one line each."""
    stacks = [Stack(name, document) for name, document in documents.items()]
    found: list[str] = []
    for stack in stacks:
        unexpected = list(_unexpected_templates(stack))
        if unexpected:
            # The rest reads strings as AWS would receive them, which these are not.
            return unexpected
        found += _rules(stack, partition)
        found += _tags(stack)
        found += _sizes(stack)
    found += _buses(stacks)
    return found


def _unexpected_templates(stack: Stack) -> Iterator[str]:
    # "Since no settings within terraform blocks accept named object references or function
    # calls, all setting values are taken literally" (JSON Configuration Syntax).
    evaluated = {key: value for key, value in stack.document.items() if key != "terraform"}
    if not any(_unexpected(text) for text in _strings(evaluated)):
        return  # the usual case: read without building every string's path
    for path, text in terraform.strings_in(evaluated):
        for sequence in _unexpected(text):
            yield (
                f"{stack.name}{path}: Terraform would evaluate {sequence[:80]!r}: configured text "
                "must reach the output through models.terraform.literal"
            )


def _strings(node: Any) -> Iterator[str]:
    """Every string of a document, object keys included (``terraform.strings_in``, pathless)."""
    stack = [node]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            yield node
        elif isinstance(node, dict):
            yield from node
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def _unexpected(text: str) -> list[str]:
    """``terraform.unexpected``, read once per distinct text: the stacks of many regions repeat
    the same patterns and messages."""
    if "${" not in text and "%{" not in text:
        return []  # no sequence (an escape, $${ or %%{, contains one of these too)
    return _unexpected_cached(text)


@cache
def _unexpected_cached(text: str) -> list[str]:
    return terraform.unexpected(text)


def _text(value: str) -> str:
    """A string as AWS receives it, for one without references (descriptions, names)."""
    return terraform.evaluate(value, lambda e: "${" + e + "}")


def _rules(stack: Stack, partition: str) -> Iterator[str]:
    targets: Counter[str] = Counter()
    for target_name, target in stack.resources("aws_cloudwatch_event_target").items():
        where = f"{stack.name}: target {target_name}"
        targets[target["rule"]] += 1
        target_id = target.get("target_id", "")
        if len(target_id) > TARGET_ID.value:
            yield TARGET_ID.exceeded(len(target_id), where)
        if not TARGET_ID_PATTERN.fullmatch(target_id):
            yield f"{where}: target id {target_id!r} is not [.-_A-Za-z0-9]+ ({PUT_TARGETS})"
        transformer = target.get("input_transformer") or {}
        if isinstance(transformer, list):
            transformer = transformer[0] if transformer else {}
        template = _text(transformer.get("input_template", ""))
        if len(template) > INPUT_TEMPLATE.value:
            yield INPUT_TEMPLATE.exceeded(len(template), where)
        paths = transformer.get("input_paths") or {}
        if len(paths) > INPUT_PATHS.value:
            yield INPUT_PATHS.exceeded(len(paths), where)
        for key, path in paths.items():
            if len(_text(key)) > INPUT_PATH_KEY.value:
                yield INPUT_PATH_KEY.exceeded(len(_text(key)), where)
            if len(_text(path)) > INPUT_PATH.value:
                yield INPUT_PATH.exceeded(len(_text(path)), where)
    for rule_id, rule in stack.resources("aws_cloudwatch_event_rule").items():
        where = f"{stack.name}: rule {rule.get('name', rule_id)}"
        count = targets[f"${{aws_cloudwatch_event_rule.{rule_id}.name}}"]
        if count > TARGETS_PER_RULE.value:
            yield TARGETS_PER_RULE.exceeded(count, where)
        name = _text(rule.get("name", ""))
        if len(name) > RULE_NAME.value:
            yield RULE_NAME.exceeded(len(name), where)
        if not RULE_NAME_PATTERN.fullmatch(name):
            yield f"{where}: rule name {name!r} is not [.-_A-Za-z0-9]+ ({PUT_RULE})"
        description = _text(rule.get("description", ""))
        if len(description) > RULE_DESCRIPTION.value:
            yield RULE_DESCRIPTION.exceeded(len(description), where)
        if "event_pattern" not in rule:
            continue
        resolve = partial(_resolved, partition=partition, region=stack.region_of(rule))
        text = terraform.evaluate(rule["event_pattern"], resolve)
        if len(text) > EVENT_PATTERN.value:
            yield EVENT_PATTERN.exceeded(len(text), where)
        score = _complexity_of(text)
        if score > COMPLEXITY.value:
            yield COMPLEXITY.exceeded(score, where)


@cache
def _complexity_of(text: str) -> int:
    """``complexity`` of a pattern's text, worked out once per distinct pattern: the stacks of
    many regions hold the same patterns."""
    return complexity(json.loads(text))


def bus_counts(
    documents: Mapping[str, Mapping[str, Any]],
) -> dict[tuple[str, str, str], Counter[str]]:
    """Per (account, region, bus): how many rules, and how many of them contain wildcards.

    Rules are Terraform's and those of the CloudFormation templates the stacks deploy (organization
    mode's forwarding rules): a stack's in its own region, a StackSet's in each member account and
    region it is deployed to.
    """
    counts: dict[tuple[str, str, str], Counter[str]] = defaultdict(Counter)

    def count(key: tuple[str, str, str], pattern: str) -> None:
        counts[key]["rules"] += 1
        if '"wildcard"' in pattern:
            counts[key]["wildcard rules"] += 1

    for name, document in documents.items():
        stack = Stack(name, document)
        names = {
            f"${{aws_cloudwatch_event_bus.{bus_id}.name}}": bus["name"]
            for bus_id, bus in stack.resources("aws_cloudwatch_event_bus").items()
        }
        for rule in stack.resources("aws_cloudwatch_event_rule").values():
            bus = rule.get("event_bus_name", "default")
            bus = _text(names.get(bus, bus))
            count(
                (stack.account_of(rule), stack.region_of(rule), bus), rule.get("event_pattern", "")
            )
        for template, region, account in stack.templates():
            for properties in template_rules(template, region):
                bus = properties.get("EventBusName", "default")
                count((account, region, bus), json.dumps(properties.get("EventPattern", {})))
    return counts


def template_rules(template: Mapping[str, Any], region: str) -> list[Mapping[str, Any]]:
    """The properties of the AWS::Events::Rule resources a template creates in ``region``."""
    conditions = template.get("Conditions", {})

    def holds(condition: Any) -> bool:
        if isinstance(condition, str):
            return holds(conditions[condition])
        (function, arguments), *_ = condition.items()
        if function == "Fn::Equals":
            values = [region if a == {"Ref": "AWS::Region"} else a for a in arguments]
            return values[0] == values[1]
        if function == "Fn::Or":
            return any(holds(a) for a in arguments)
        if function == "Fn::And":
            return all(holds(a) for a in arguments)
        if function == "Fn::Not":
            return not holds(arguments[0])
        if function == "Condition":
            return holds(arguments)
        raise ValueError(f"condition function {function} is not modelled")

    return [
        resource["Properties"]
        for resource in template.get("Resources", {}).values()
        if resource.get("Type") == "AWS::Events::Rule"
        and ("Condition" not in resource or holds(resource["Condition"]))
    ]


def _buses(stacks: Iterable[Stack]) -> Iterator[str]:
    documents = {stack.name: stack.document for stack in stacks}
    for (account, region, bus), count in sorted(bus_counts(documents).items()):
        where = f"{region}: event bus {bus} ({account})"
        limit = rules_per_bus(region)
        if count["rules"] > limit.value:
            yield limit.exceeded(count["rules"], where)
        if count["wildcard rules"] > WILDCARD_RULES_PER_BUS.value:
            yield WILDCARD_RULES_PER_BUS.exceeded(count["wildcard rules"], where)


def _tags(stack: Stack) -> Iterator[str]:
    for provider in stack.document.get("provider", {}).get("aws", []):
        default = {}
        for block in provider.get("default_tags", []):
            default.update(block.get("tags", {}))
        # The provider merges default_tags into each resource's own tags (tags_all).
        most = max(
            (
                len(set(default) | set(resource.get("tags") or {}))
                for resources in stack.document.get("resource", {}).values()
                for resource in resources.values()
            ),
            default=len(default),
        )
        if most > TAGS_PER_RESOURCE.value:
            yield TAGS_PER_RESOURCE.exceeded(
                most, f"{stack.name}: provider {provider.get('alias')}"
            )


def _sizes(stack: Stack) -> Iterator[str]:
    checks = (
        ("aws_cloudwatch_log_metric_filter", "pattern", FILTER_PATTERN),
        ("aws_cloudwatch_metric_alarm", "alarm_name", ALARM_NAME),
        ("aws_cloudwatch_metric_alarm", "alarm_description", ALARM_DESCRIPTION),
        ("aws_sns_topic", "name", TOPIC_NAME),
        ("aws_sqs_queue", "name", QUEUE_NAME),
        ("aws_iam_role", "name", ROLE_NAME),
        ("aws_organizations_policy", "content", SCP_SIZE),
        ("aws_glue_catalog_database", "name", GLUE_NAME),
        ("aws_glue_catalog_table", "name", GLUE_NAME),
    )
    for kind, field, limit in checks:
        for name, resource in stack.resources(kind).items():
            value = resource.get(field)
            if isinstance(value, str) and "${" not in value.replace("$${", ""):
                size = len(_text(value))
                if size > limit.value:
                    yield limit.exceeded(size, f"{stack.name}: {kind}.{name}")
    for kind in ("aws_cloudformation_stack_set", "aws_cloudformation_stack"):
        for name, resource in stack.resources(kind).items():
            body = resource.get("template_body")
            if isinstance(body, str):
                size = len(_text(body).encode())
                if size > TEMPLATE_BODY.value:
                    yield TEMPLATE_BODY.exceeded(size, f"{stack.name}: {kind}.{name}")
    for name, alarm in stack.resources("aws_cloudwatch_metric_alarm").items():
        for field in ("alarm_actions", "ok_actions", "insufficient_data_actions"):
            actions = alarm.get(field) or []
            if len(actions) > ALARM_ACTIONS.value:
                yield ALARM_ACTIONS.exceeded(len(actions), f"{stack.name}: alarm {name} {field}")
        queries = alarm.get("metric_query") or []
        metrics = sum(1 for q in queries if q.get("metric"))
        if metrics > METRICS_PER_ALARM.value:
            yield METRICS_PER_ALARM.exceeded(metrics, f"{stack.name}: alarm {name}")
    for name, table in stack.resources("aws_glue_catalog_table").items():
        where = f"{stack.name}: aws_glue_catalog_table.{name}"
        for column in (table.get("storage_descriptor") or {}).get("columns") or []:
            if len(column.get("type", "")) > GLUE_COLUMN_TYPE.value:
                yield GLUE_COLUMN_TYPE.exceeded(len(column["type"]), f"{where} {column['name']}")
        for key, value in (table.get("parameters") or {}).items():
            if "${" not in value.replace("$${", "") and len(_text(value)) > GLUE_PARAMETER.value:
                yield GLUE_PARAMETER.exceeded(len(_text(value)), f"{where} {key}")
    filters: Counter[str] = Counter(
        f["log_group_name"] for f in stack.resources("aws_cloudwatch_log_metric_filter").values()
    )
    for group, count in filters.items():
        if count > FILTERS_PER_LOG_GROUP.value:
            yield FILTERS_PER_LOG_GROUP.exceeded(count, f"{stack.name}: log group {group}")
