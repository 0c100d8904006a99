"""The OpenAPI document as rows for the reference page (rendered by the server: no script)."""


def type_text(schema):
    """Return a short reading of a JSON schema: ``string``, ``array of Ticket``, ``integer | null``."""
    if not schema:
        return "any"
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    for combinator in ("anyOf", "oneOf"):
        if combinator in schema:
            return " or ".join(type_text(s) for s in schema[combinator])
    kind = schema.get("type", "object")
    kinds = kind if isinstance(kind, list) else [kind]
    words = []
    for one in kinds:
        if one == "array":
            words.append(f"array of {type_text(schema.get('items', {}))}")
        elif one == "object" and "additionalProperties" in schema and isinstance(schema["additionalProperties"], dict):
            words.append(f"map of {type_text(schema['additionalProperties'])}")
        else:
            words.append(one)
    text = " | ".join(words)
    if "enum" in schema:
        text += ": " + ", ".join(str(v) for v in schema["enum"] if v is not None)
    if "format" in schema:
        text += f" ({schema['format']})"
    return text


def _body_text(content):
    parts = []
    for media, entry in content.items():
        parts.append(f"{media}: {type_text(entry.get('schema', {}))}")
    return parts


def operations(spec):
    """Return every operation as a dict of plain texts, in the document's order."""
    rows = []
    for path, methods in spec.get("paths", {}).items():
        for method, op in methods.items():
            rows.append(
                {
                    "id": op.get("operationId", f"{method}-{path}"),
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "parameters": [
                        {
                            "name": p["name"],
                            "in": p["in"],
                            "required": p.get("required", False),
                            "type": type_text(p.get("schema", {})),
                            "description": p.get("description", ""),
                        }
                        for p in op.get("parameters", [])
                    ],
                    "body": _body_text(op.get("requestBody", {}).get("content", {})),
                    "responses": [
                        {
                            "code": code,
                            "description": answer.get("description", ""),
                            "body": _body_text(answer.get("content", {})),
                        }
                        for code, answer in op.get("responses", {}).items()
                    ],
                }
            )
    return rows


def components(spec):
    """Return every schema of the document with its fields."""
    rows = []
    for name, schema in spec.get("components", {}).get("schemas", {}).items():
        required = set(schema.get("required", ()))
        rows.append(
            {
                "name": name,
                "description": schema.get("description", ""),
                "fields": [
                    {
                        "name": field,
                        "type": type_text(definition),
                        "required": field in required,
                        "description": definition.get("description", ""),
                    }
                    for field, definition in schema.get("properties", {}).items()
                ],
            }
        )
    return rows
