"""The OpenAPI 3.1 document, generated from the route table and the body models."""

from __future__ import annotations

import re
from typing import Any

import msgspec

from chinwag import __version__
from chinwag.api.table import ENDPOINTS

_ERROR = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
            "required": ["code", "message"],
        }
    },
}


def document() -> dict[str, Any]:
    models = [e.body for e in ENDPOINTS if e.body is not None]
    schemas, components = msgspec.json.schema_components(
        models, ref_template="#/components/schemas/{name}"
    )
    by_model = dict(zip(models, schemas, strict=True))
    components["Error"] = _ERROR
    paths: dict[str, Any] = {}
    for e in ENDPOINTS:
        op: dict[str, Any] = {
            "summary": e.summary,
            "operationId": e.handler.__name__ + "_" + e.method.lower(),
            "responses": {
                str(e.status): {"description": "success"},
                "4XX": {
                    "description": "error",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                },
            },
        }
        params = re.findall(r"{(\w+)}", e.path)
        if params:
            op["parameters"] = [
                {"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
                for p in params
            ]
        if e.body is not None:
            op["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": by_model[e.body]}},
            }
        if e.auth:
            op["security"] = [{"bearer": []}]
        paths.setdefault(e.path, {})[e.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "chinwag", "version": __version__},
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
