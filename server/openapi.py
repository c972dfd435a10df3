"""The OpenAPI 3.1 description of the service. Tests validate real responses against it."""

from __future__ import annotations

from functools import cache

from . import __version__
from .engine.findings import CATEGORIES, SEVERITIES
from .engine.matchers import KINDS
from .engine.platforms import PLATFORMS
from .engine.matchers import KINDS

_PROBLEM = {"$ref": "#/components/schemas/Problem"}


def _problem_response(description: str) -> dict:
    return {"description": description, "content": {"application/problem+json": {"schema": _PROBLEM}}}


@cache
def openapi_document() -> dict:
    schemas = {
        "CheckRequest": {
            "type": "object",
            "required": ["text"],
            "properties": {
                "text": {"type": "string", "description": "The whole draft. Well-formed UTF-16 (no lone surrogates)."},
                "platform": {"type": "string", "enum": list(PLATFORMS), "default": "generic"},
                "context": {
                    "type": "object",
                    "properties": {"election_period": {"type": "boolean", "default": False}},
                },
            },
        },
        "Guidance": {
            "type": "object",
            "required": ["source", "clause"],
            "properties": {"source": {"type": "string"}, "clause": {"type": "string"}, "url": {"type": "string"}},
        },
        "Finding": {
            "type": "object",
            "required": ["rule_id", "category", "severity", "start", "end", "match", "message", "guidance", "suggestions"],
            "properties": {
                "rule_id": {"type": "string"},
                "category": {"type": "string", "enum": list(CATEGORIES)},
                "severity": {"type": "string", "enum": list(SEVERITIES)},
                "start": {"type": "integer", "minimum": 0, "description": "UTF-16 code units from the start of text."},
                "end": {"type": "integer", "minimum": 0, "description": "Exclusive, UTF-16 code units: text.slice(start, end) === match in JavaScript."},
                "match": {"type": "string"},
                "message": {"type": "string"},
                "guidance": {"$ref": "#/components/schemas/Guidance"},
                "suggestions": {"type": "array", "items": {"type": "string"}},
                "replacements": {"type": "array", "items": {"type": "string"},
                                 "description": "Text that can replace exactly this span (one-click fix); may be empty."},
                "scope": {"type": "string", "enum": ["span", "post"],
                          "description": "post: the finding is about the whole post (reading age, length) rather than these words."},
            },
        },
        "CheckResponse": {
            "type": "object",
            "required": ["verdict", "findings", "metrics", "rulebook"],
            "properties": {
                "verdict": {"type": "string", "enum": ["pass", "warn", "block"]},
                "findings": {"type": "array", "items": {"$ref": "#/components/schemas/Finding"}},
                "metrics": {
                    "type": "object",
                    "required": ["length", "readability"],
                    "properties": {
                        "length": {
                            "type": "object",
                            "required": ["count", "limit", "platform"],
                            "properties": {
                                "count": {"type": "integer", "minimum": 0},
                                "limit": {"type": ["integer", "null"]},
                                "platform": {"type": "string", "enum": list(PLATFORMS)},
                            },
                        },
                        "readability": {
                            "type": "object",
                            "required": ["reading_age", "flesch_reading_ease"],
                            "properties": {
                                "reading_age": {"type": ["integer", "null"]},
                                "flesch_reading_ease": {"type": ["number", "null"]},
                                "grade": {"type": ["number", "null"]},
                                "words": {"type": "integer"},
                            },
                        },
                    },
                },
                "rulebook": {
                    "type": "object",
                    "required": ["version", "rules"],
                    "properties": {"version": {"type": "string"}, "rules": {"type": "integer"}, "digest": {"type": "string"}},
                },
                "incomplete": {"type": "array", "items": {"type": "string"},
                               "description": "Rules skipped because their pattern timed out on this text."},
            },
        },
        "Rule": {
            "type": "object",
            "required": ["id", "category", "severity", "message", "guidance", "suggestions", "kind"],
            "properties": {
                "id": {"type": "string"},
                "category": {"type": "string", "enum": list(CATEGORIES)},
                "severity": {"type": "string", "enum": list(SEVERITIES)},
                "message": {"type": "string"},
                "guidance": {"$ref": "#/components/schemas/Guidance"},
                "suggestions": {"type": "array", "items": {"type": "string"}},
                "kind": {"type": "string", "enum": list(KINDS)},
                "platforms": {"type": "array", "items": {"type": "string"}},
                "election_period": {"type": "boolean"},
                "active": {"type": "object"},
                "enabled": {"const": False, "description": "Present when a layer (or the rule itself) switched it off."},
            },
        },
        "Refused": {
            "type": "object",
            "required": ["source", "problems"],
            "properties": {"source": {"type": "string", "description": "The file's name (not its path)."},
                           "problems": {"type": "array", "items": {"type": "string"}},
                           "since": {"type": "string"},
                           "layers": {"type": "array", "description": "Per layer file refused alone (the others serve).",
                                      "items": {"type": "object", "required": ["source", "problems"]}}},
        },
        "Layer": {
            "type": "object",
            "required": ["name", "role", "version", "digest"],
            "description": "One file the rulebook was composed from: the core, then each layer in order.",
            "properties": {"name": {"type": "string"}, "role": {"enum": ["core", "layer"]},
                           "version": {"type": "string"}, "digest": {"type": "string"},
                           "rules_added": {"type": "array", "items": {"type": "string"}},
                           "lists_extended": {"type": "object"},
                           "disabled": {"type": "array", "items": {"type": "object", "required": ["id", "reason"]}}},
        },
        "RulesResponse": {
            "type": "object",
            "required": ["version", "digest", "loaded_at", "rules"],
            "properties": {
                "version": {"type": "string"},
                "digest": {"type": "string"},
                "description": {"type": "string"},
                "loaded_at": {"type": "string"},
                "rules": {"type": "array", "items": {"$ref": "#/components/schemas/Rule"}},
                "layers": {"type": "array", "items": {"$ref": "#/components/schemas/Layer"}},
                "refused": {"$ref": "#/components/schemas/Refused"},
            },
        },
        "FeedbackRequest": {
            "type": "object",
            "required": ["rule_id"],
            "properties": {
                "rule_id": {"type": "string"},
                "kind": {"type": "string", "enum": ["false_positive", "missed", "helpful"], "default": "false_positive"},
                "platform": {"type": "string", "enum": list(PLATFORMS)},
            },
        },
        "FeedbackResponse": {
            "type": "object",
            "required": ["status", "rule_id", "kind", "platform", "rulebook", "at"],
            "properties": {
                "status": {"const": "recorded"}, "rule_id": {"type": "string"}, "kind": {"type": "string"},
                "platform": {"type": "string"}, "rulebook": {"type": "string"}, "at": {"type": "string"},
            },
        },
        "Ready": {
            "type": "object",
            "required": ["status"],
            "properties": {
                "status": {"type": "string", "enum": ["ready", "not ready"]},
                "rulebook": {"type": "object"},
                "refused": {
                    "type": "object",
                    "required": ["problems"],
                    "description": "The newest rulebook file was refused: how many problems (the reasons are on "
                                   "/v1/rules, behind the key).",
                    "properties": {"problems": {"type": "integer", "minimum": 1}, "since": {"type": "string"},
                                   "details": {"type": "string"}},
                    "additionalProperties": False,
                },
            },
        },
        "Health": {"type": "object", "required": ["status"], "properties": {"status": {"const": "ok"}}},
        "Problem": {
            "type": "object",
            "required": ["type", "title", "status", "detail"],
            "properties": {
                "type": {"type": "string"}, "title": {"type": "string"},
                "status": {"type": "integer"}, "detail": {"type": "string"},
            },
        },
    }
    auth = [{"bearer": []}, {}]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Impartial check service",
            "version": __version__,
            "description": "Checks drafts of official social media posts for breaches of political impartiality. "
                           "Offsets are UTF-16 code units, as counted by JavaScript.",
        },
        "paths": {
            "/v1/check": {"post": {
                "summary": "Check a draft post",
                "security": auth,
                "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CheckRequest"}}}},
                "responses": {
                    "200": {"description": "Findings", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CheckResponse"}}}},
                    "400": _problem_response("Malformed request (details in `detail`), including JSON nested "
                                             "more than 16 deep or a number of more than 20 digits"),
                    "401": _problem_response("Missing or wrong API key"),
                    "413": _problem_response("Text over the configured limit"),
                    "415": _problem_response("Body is not application/json"),
                    "503": _problem_response("No valid rulebook loaded"),
                },
            }},
            "/v1/rules": {"get": {
                "summary": "The rulebook as served",
                "security": auth,
                "responses": {
                    "200": {"description": "Rules", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RulesResponse"}}}},
                    "401": _problem_response("Missing or wrong API key"),
                    "503": _problem_response("No valid rulebook loaded"),
                },
            }},
            "/v1/feedback": {"post": {
                "summary": "Report a false flag (never includes the post's text)",
                "security": auth,
                "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/FeedbackRequest"}}}},
                "responses": {
                    "202": {"description": "Recorded", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/FeedbackResponse"}}}},
                    "400": _problem_response("Malformed request"),
                    "401": _problem_response("Missing or wrong API key"),
                    "413": _problem_response("Body over its limit"),
                    "415": _problem_response("Body is not application/json"),
                },
            }},
            "/v1/stats": {"get": {
                "summary": "Per-rule finding and feedback counts for this worker",
                "security": auth,
                "responses": {"200": {"description": "Counts", "content": {"application/json": {"schema": {"type": "object"}}}},
                              "401": _problem_response("Missing or wrong API key")},
            }},
            "/healthz": {"get": {"summary": "Liveness", "responses": {
                "200": {"description": "Alive", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}}}}}},
            "/readyz": {"get": {"summary": "Readiness: a valid rulebook is loaded", "responses": {
                "200": {"description": "Ready", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Ready"}}}},
                "503": {"description": "Not ready", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Ready"}}}}}}},
            "/openapi.json": {"get": {"summary": "This document", "responses": {"200": {"description": "OpenAPI 3.1"}}}},
        },
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "Needed only when the admin sets IMPARTIAL_API_KEYS."}},
        },
    }
