"""The part of JSON Schema (draft 2020-12) that project.config.schema.json uses, so the
config test needs no package beyond pytest. A keyword outside the subset is refused
(SchemaKeywordError), so the schema cannot quietly use a rule nobody checks.

validate(instance, schema) returns a list of "path: reason" strings, empty when valid.
"""
import re

ANNOTATIONS = {"$schema", "$id", "title", "description"}
KEYWORDS = ANNOTATIONS | {
    "type", "properties", "required", "additionalProperties", "minProperties", "items", "minItems",
    "enum", "const", "pattern", "minLength", "maxLength", "minimum", "maximum", "oneOf", "$ref", "$defs",
}
TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
}


class SchemaKeywordError(Exception):
    pass


def validate(instance, schema, root=None, path="$"):
    root = schema if root is None else root
    unknown = set(schema) - KEYWORDS
    if unknown:
        raise SchemaKeywordError(f"{path}: schema keywords {sorted(unknown)} are outside the checked subset")
    if "$ref" in schema:
        target = root
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return validate(instance, target, root, path)
    errors = []
    if "type" in schema and not TYPES[schema["type"]](instance):
        return [f"{path}: must be of type {schema['type']}, got {type(instance).__name__}"]
    if "enum" in schema and instance not in schema["enum"]:
        errors.append(f"{path}: must be one of {schema['enum']}, got {instance!r}")
    if "const" in schema and instance != schema["const"]:
        errors.append(f"{path}: must be {schema['const']!r}, got {instance!r}")
    if isinstance(instance, str):
        if "pattern" in schema and not re.search(schema["pattern"], instance):
            errors.append(f"{path}: must match {schema['pattern']}, got {instance!r}")
        if len(instance) < schema.get("minLength", 0):
            errors.append(f"{path}: must have at least {schema['minLength']} characters")
        if "maxLength" in schema and len(instance) > schema["maxLength"]:
            errors.append(f"{path}: must have at most {schema['maxLength']} characters")
    if TYPES["number"](instance):
        if "minimum" in schema and instance < schema["minimum"]:
            errors.append(f"{path}: must be >= {schema['minimum']}, got {instance}")
        if "maximum" in schema and instance > schema["maximum"]:
            errors.append(f"{path}: must be <= {schema['maximum']}, got {instance}")
    if isinstance(instance, list):
        if len(instance) < schema.get("minItems", 0):
            errors.append(f"{path}: must have at least {schema['minItems']} items")
        if "items" in schema:
            for i, item in enumerate(instance):
                errors += validate(item, schema["items"], root, f"{path}[{i}]")
    if isinstance(instance, dict):
        for name in schema.get("required", []):
            if name not in instance:
                errors.append(f"{path}: {name} is required")
        if len(instance) < schema.get("minProperties", 0):
            errors.append(f"{path}: must have at least {schema['minProperties']} entries")
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for name, value in instance.items():
            if name in properties:
                errors += validate(value, properties[name], root, f"{path}.{name}")
            elif extra is False:
                errors.append(f"{path}: {name} is not allowed")
            elif isinstance(extra, dict):
                errors += validate(value, extra, root, f"{path}.{name}")
    if "oneOf" in schema:
        results = [validate(instance, option, root, path) for option in schema["oneOf"]]
        passing = [r for r in results if not r]
        if len(passing) != 1:
            closest = min(results, key=len)
            detail = "; ".join(closest) if closest else f"{len(passing)} alternatives match"
            errors.append(f"{path}: must match exactly one alternative ({detail})")
    return errors
