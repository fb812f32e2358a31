"""Helpers for the template tests: load the SAM template, transform it as CloudFormation's
SAM transform does, and evaluate the intrinsic functions the template uses for one set of
parameter values (Conditions, Fn::If, Ref, Fn::GetAtt, Fn::Sub), so a test reads the IAM
policy that a stack with those parameters really gets.

The evaluator knows only the intrinsics the template uses and raises on any other, so a
new intrinsic in the template fails loudly here instead of being misread.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import boto3
from cfnlint.decode import decode  # type: ignore[import-untyped]
from samtranslator.parser.parser import Parser  # type: ignore[import-untyped]
from samtranslator.translator.translator import Translator  # type: ignore[import-untyped]

from tests.conftest import ROOT

TEMPLATE = ROOT / "template.yaml"
PARTITION = "aws"
REGION = "us-east-1"
ACCOUNT = "123456789012"
PSEUDO = {
    "AWS::Partition": PARTITION,
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT,
    "AWS::StackName": "ir-vpc-guard",
    "AWS::URLSuffix": "amazonaws.com",
}
NO_VALUE = object()  # Ref AWS::NoValue: the property or list item disappears
Template = dict[str, Any]


@cache
def _load(path: Path) -> str:
    data, matches = decode(str(path))
    if matches or data is None:
        raise ValueError(f"{path} does not parse: {matches}")
    # cfn-lint's nodes (dict_node, str_node) carry line marks; plain JSON types are easier.
    return json.dumps(data)


def load(path: Path = TEMPLATE) -> Template:
    """The template as plain dicts; the short tags (!Ref, !If, ...) become Fn:: forms."""
    template: Template = json.loads(_load(path))
    return template


def packaged(template: Template) -> Template:
    """What `sam package` uploads: local code paths become S3 URIs (the transform wants them)."""
    out = copy.deepcopy(template)
    for name, resource in out["Resources"].items():
        props = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            if isinstance(props.get(key), str):
                props[key] = f"s3://artifacts-bucket/{name}.zip"
    return out


@cache
def _transformed() -> str:
    # No managed policy map: the transform then keeps managed policy ARNs as given, and
    # needs no IAM call to look names up. The session only tells it the partition.
    session = boto3.session.Session(region_name=REGION)
    translator = Translator(managed_policy_map={}, sam_parser=Parser(), boto_session=session)
    output = translator.translate(
        sam_template=packaged(load()), parameter_values={}, passthrough_metadata=True
    )
    return json.dumps(output)


def transformed() -> Template:
    """The template after the SAM transform (AWS::Serverless-2016-10-31)."""
    template: Template = json.loads(_transformed())
    return template


def defaults(template: Template) -> dict[str, str]:
    """Each parameter's default, as CloudFormation passes it: a string."""
    return {
        name: str(spec["Default"])
        for name, spec in template.get("Parameters", {}).items()
        if "Default" in spec
    }


class Stack:
    """One evaluation of a template for given parameter values."""

    def __init__(
        self,
        template: Template,
        overrides: Mapping[str, str] | None = None,
        region: str = REGION,
        partition: str = PARTITION,
    ) -> None:
        self.template = template
        self.region = region
        self.pseudo = PSEUDO | {"AWS::Region": region, "AWS::Partition": partition}
        self.parameters = defaults(template) | dict(overrides or {})
        unknown = set(overrides or {}) - set(template.get("Parameters", {}))
        if unknown:
            raise KeyError(f"no such parameters: {sorted(unknown)}")
        self._conditions: dict[str, bool] = {}
        self.conditions = {name: self.condition(name) for name in template.get("Conditions", {})}

    # ---- conditions
    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            self._conditions[name] = self._truth(self.template["Conditions"][name])
        return self._conditions[name]

    def _truth(self, node: Any) -> bool:
        (fn, args), *rest = node.items()
        assert not rest, f"a condition has one function: {node}"
        if fn == "Fn::Equals":
            left, right = (str(self.value(arg)) for arg in args)
            return left == right
        if fn == "Fn::Not":
            return not self._truth(args[0])
        if fn == "Fn::And":
            return all(self._truth(arg) for arg in args)
        if fn == "Fn::Or":
            return any(self._truth(arg) for arg in args)
        if fn == "Condition":
            return self.condition(args)
        raise NotImplementedError(f"condition function {fn}")

    def failed_assertions(self) -> list[str]:
        """The AssertDescription of each Rules assertion these parameters fail: CloudFormation
        then refuses the stack before it creates anything."""
        failed: list[str] = []
        for rule in self.template.get("Rules", {}).values():
            if "RuleCondition" in rule and not self._truth(rule["RuleCondition"]):
                continue
            failed += [
                a["AssertDescription"] for a in rule["Assertions"] if not self._truth(a["Assert"])
            ]
        return failed

    def exists(self, logical_id: str) -> bool:
        """Whether the resource is created with these parameters."""
        condition = self.template["Resources"][logical_id].get("Condition")
        return condition is None or self.condition(condition)

    # ---- values
    def ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.template["Resources"]:
            if not self.exists(name):
                raise ValueError(f"Ref to {name}, which these parameters do not create")
            return self.physical(name)
        raise KeyError(f"Ref to unknown {name}")

    def physical(self, logical_id: str) -> str:
        """A plausible value of Ref for a resource of the template (what tests compare)."""
        kind = self.template["Resources"][logical_id]["Type"]
        if kind == "AWS::SNS::Topic":
            return f"arn:{PARTITION}:sns:{self.region}:{ACCOUNT}:ir-vpc-guard-{logical_id}-ABC123"
        if kind == "AWS::SQS::Queue":
            return f"https://sqs.{self.region}.amazonaws.com/{ACCOUNT}/ir-vpc-guard-{logical_id}"
        return f"ir-vpc-guard-{logical_id}-ABC123"

    def get_att(self, logical_id: str, attribute: str) -> str:
        if logical_id not in self.template["Resources"]:
            raise KeyError(f"GetAtt of unknown {logical_id}")
        if not self.exists(logical_id):
            raise ValueError(f"GetAtt of {logical_id}, which these parameters do not create")
        return f"<{logical_id}.{attribute}>"

    def sub(self, text: str, variables: Mapping[str, Any] | None = None) -> str:
        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            if variables and name in variables:
                return str(variables[name])
            if "." in name:
                return self.get_att(*name.split(".", 1))
            return str(self.ref(name))

        return re.sub(r"\$\{([\w:.]+)\}", one, text)

    def value(self, node: Any) -> Any:
        """Evaluate every intrinsic in node; AWS::NoValue items and keys disappear."""
        if isinstance(node, list):
            items = [self.value(item) for item in node]
            return [item for item in items if item is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            (key, args), *_ = node.items()
            if key == "Ref":
                return self.ref(args)
            if key.startswith("Fn::") or key == "Condition":
                return self._intrinsic(key, args)
        evaluated = {key: self.value(item) for key, item in node.items()}
        return {key: item for key, item in evaluated.items() if item is not NO_VALUE}

    def _intrinsic(self, key: str, args: Any) -> Any:
        if key == "Fn::If":
            name, yes, no = args
            return self.value(yes if self.condition(name) else no)
        if key == "Fn::GetAtt":
            logical_id, attribute = args if isinstance(args, list) else args.split(".", 1)
            return self.get_att(logical_id, attribute)
        if key == "Fn::Sub":
            text, variables = (args, {}) if isinstance(args, str) else args
            return self.sub(text, self.value(variables))
        if key == "Fn::Split":
            separator, text = args
            return str(self.value(text)).split(separator)
        if key == "Fn::Join":
            separator, items = args
            return separator.join(str(item) for item in self.value(items))
        raise NotImplementedError(f"intrinsic {key}")

    def resource(self, logical_id: str) -> dict[str, Any]:
        resource: dict[str, Any] = self.value(self.template["Resources"][logical_id])
        return resource

    def resources(self, kind: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """The resources of one type that these parameters create, evaluated."""
        for logical_id, resource in self.template["Resources"].items():
            if resource["Type"] == kind and self.exists(logical_id):
                yield logical_id, self.resource(logical_id)


def most_items(parameter: str) -> int:
    """The most comma-separated items a list parameter's AllowedPattern admits: the first
    item and its `{0,n}` repeat."""
    (repeat,) = re.findall(r"\{0,(\d+)\}\$$", load()["Parameters"][parameter]["AllowedPattern"])
    return int(repeat) + 1


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def statements(policy_document: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [dict(statement) for statement in as_list(policy_document["Statement"])]


def function_environment(overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """The function's environment variables as a stack with these parameters sets them."""
    stack = Stack(transformed(), overrides)
    variables = stack.resource("GuardrailFunction")["Properties"]["Environment"]["Variables"]
    return {name: str(value) for name, value in variables.items()}
