#!/usr/bin/env python3
"""docs/openapi.yaml as JSON, for the daemon to serve as GET /v1/openapi.json.

    python3 cmake/openapi_json.py docs/openapi.yaml build/http/openapi.json

Reads YAML as Redocly's linter does (YAML 1.2: only true/false are booleans, a time is a
string) and refuses a key repeated in one mapping, which PyYAML would otherwise resolve by
keeping the last one silently. Writes only when the JSON changed, so that an unchanged document
does not relink the daemon.
"""
import json
import re
import sys

import yaml


class Loader(yaml.SafeLoader):
    """SafeLoader without YAML 1.1's yes/no/on/off booleans and implicit timestamps."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers
            if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Loader.add_implicit_resolver("tag:yaml.org,2002:bool",
                             re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
Loader.add_constructor("tag:yaml.org,2002:map", Loader.construct_mapping)


def main(source, target):
    with open(source, encoding="utf-8") as f:
        document = yaml.load(f, Loader=Loader)
    if not isinstance(document, dict) or "openapi" not in document:
        sys.exit(f"{source}: not an OpenAPI document")
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n"
    try:
        with open(target, encoding="utf-8") as f:
            if f.read() == text:
                return
    except FileNotFoundError:
        pass
    with open(target, "w", encoding="utf-8") as f:
        f.write(text)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: openapi_json.py OPENAPI.yaml OUT.json")
    main(sys.argv[1], sys.argv[2])
