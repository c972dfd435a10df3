"""The OpenAPI 3.1 description of the service. Tests validate real responses against it."""

from __future__ import annotations

from functools import cache

from . import __version__
from .engine.findings import CATEGORIES, SEVERITIES
from .engine.matchers import KINDS
from .engine.platforms import PLATFORMS
from .events import validate as ev

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
        "Event": {
            "type": "object",
            "description": "One thing an officer did with the findings (docs/events.md).",
            "required": ["id", "type", "at", "platform", "rule_ids", "categories"],
            "additionalProperties": False,
            "properties": {
                "id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{8,64}$",
                       "description": "Made by the client; the idempotency key (a retried id is not counted twice)."},
                "type": {"type": "string", "enum": list(ev.TYPES)},
                "at": {"type": "string", "description": "ISO-8601 in UTC, e.g. 2026-11-30T12:34:56Z."},
                "platform": {"type": "string", "enum": list(PLATFORMS)},
                "rule_ids": {"type": "array", "maxItems": ev.MAX_RULES,
                             "items": {"type": "string", "minLength": 1, "maxLength": ev.MAX_RULE_ID}},
                "categories": {"type": "array", "maxItems": ev.MAX_CATEGORIES,
                               "items": {"type": "string", "enum": list(CATEGORIES)}},
                "decision": {"type": ["string", "null"], "enum": [*ev.DECISIONS, None],
                             "description": "Required for presend events, absent otherwise."},
                "reason": {"type": ["string", "null"], "maxLength": ev.MAX_REASON},
                "officer": {"type": ["string", "null"], "minLength": 1, "maxLength": ev.MAX_OFFICER,
                            "description": "A pseudonymous officer id."},
                "severity": {"type": ["string", "null"], "enum": [*SEVERITIES, None]},
                "text": {"type": ["string", "null"], "maxLength": ev.MAX_TEXT,
                         "description": "Kept only when IMPARTIAL_STORE_TEXT_DAYS > 0, then purged."},
            },
        },
        "EventsRequest": {
            "type": "object", "required": ["events"], "additionalProperties": False,
            "properties": {"events": {"type": "array", "minItems": 1, "maxItems": ev.MAX_EVENTS,
                                      "items": {"$ref": "#/components/schemas/Event"}}},
        },
        "EventsResponse": {
            "type": "object", "required": ["accepted", "duplicates"], "additionalProperties": False,
            "properties": {"accepted": {"type": "integer", "minimum": 0},
                           "duplicates": {"type": "integer", "minimum": 0}},
        },
        "EventsSummary": {
            "type": "object",
            "required": ["since", "until", "checks_per_day", "findings_per_category", "findings_per_rule",
                         "events_per_day", "decisions", "presend_after_warning", "false_flags_per_rule"],
            "properties": {
                "since": {"type": ["string", "null"]}, "until": {"type": ["string", "null"]},
                **{name: {"type": "array", "items": {"type": "object"}} for name in (
                    "checks_per_day", "findings_per_category", "findings_per_rule", "events_per_day",
                    "decisions", "presend_after_warning", "false_flags_per_rule")},
            },
        },
        **_playground_schemas(),
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
    v1_problems = {
        "401": _problem_response("Missing or wrong API key"),
        "429": _problem_response("Over the key's rate limit; the Retry-After header says when to retry"),
    }
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
                    **v1_problems,
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
                    **v1_problems,
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
                    **v1_problems,
                    "413": _problem_response("Body over its limit"),
                    "415": _problem_response("Body is not application/json"),
                },
            }},
            "/v1/stats": {"get": {
                "summary": "Checks, and finding and feedback counts per rule, added up over every worker since the "
                           "service started",
                "security": auth,
                "responses": {"200": {"description": "Counts", "content": {"application/json": {"schema": {"type": "object"}}}},
                              **v1_problems},
            }},
            "/v1/events": {"post": {
                "summary": "Record what officers did with the findings (docs/events.md)",
                "security": auth,
                "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EventsRequest"}}}},
                "responses": {
                    "202": {"description": "Recorded (or already recorded)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EventsResponse"}}}},
                    "400": _problem_response("A bad body or event; `index` and `field` name the event and field"),
                    **v1_problems,
                    "413": _problem_response("Body over 256 KB"),
                    "415": _problem_response("Body is not application/json"),
                    "503": _problem_response("Database unavailable: retry later with the same ids"),
                },
            }},
            "/v1/events/summary": {"get": {
                "summary": "Counts for the admin page over a date range (admin key)",
                "security": [{"bearer": []}],
                "parameters": [{"name": n, "in": "query", "required": False,
                                "schema": {"type": "string", "format": "date"}} for n in ("since", "until")],
                "responses": {
                    "200": {"description": "Summary", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EventsSummary"}}}},
                    "400": _problem_response("A date that is not YYYY-MM-DD, or since after until"),
                    **v1_problems,
                    "403": _problem_response("The key is not an admin key"),
                    "503": _problem_response("Database unavailable"),
                },
            }},
            **_playground_paths(auth),
            "/healthz": {"get": {"summary": "Liveness", "responses": {
                "200": {"description": "Alive", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}}}}}},
            "/readyz": {"get": {"summary": "Readiness: a valid rulebook is loaded", "responses": {
                "200": {"description": "Ready", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Ready"}}}},
                "503": {"description": "Not ready", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Ready"}}}}}}},
            "/metrics": {"get": {"summary": "Prometheus metrics (every gunicorn worker added up): requests and latency "
                                            "by route, checks, findings by category and rule, rulebook version, "
                                            "reload failures", "responses": {
                "200": {"description": "Prometheus text exposition format 0.0.4",
                        "content": {"text/plain": {"schema": {"type": "string"}}}}}}},
            "/openapi.json": {"get": {"summary": "This document", "responses": {"200": {"description": "OpenAPI 3.1"}}}},
        },
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "Needed once any key exists (IMPARTIAL_API_KEYS, "
                                                          "or `impartial keys create`)."}},
        },
    }


def _playground_schemas() -> dict:
    """The playground's candidate rulebooks (server/playground.py)."""
    return {
        "CandidateSummary": {
            "type": "object", "required": ["digest", "version", "rules", "examples", "lint"],
            "properties": {
                "digest": {"type": "string", "pattern": "^[0-9a-f]{64}$", "description": "SHA-256 of the bytes sent."},
                "version": {"type": "string"}, "description": {"type": "string"},
                "rules": {"type": "integer", "minimum": 0},
                "examples": {"type": "object", "required": ["total", "failed", "failures"], "properties": {
                    "total": {"type": "integer"}, "failed": {"type": "integer"},
                    "failures": {"type": "array", "items": {"type": "string"},
                                 "description": "As `impartial lint` prints them (the first 50)."}}},
                "lint": {"type": "object", "required": ["errors", "advice", "summary", "problems"], "properties": {
                    "errors": {"type": "integer"}, "advice": {"type": "integer"}, "summary": {"type": "string"},
                    "problems": {"type": "array", "description": "`impartial lint --json`'s problems, errors first "
                                                                 "(the first 300)",
                                 "items": {"type": "object", "required": ["kind", "level", "where", "message", "hint"],
                                           "properties": {"kind": {"type": "string"},
                                                          "level": {"enum": ["error", "advice"]},
                                                          "where": {"type": "string"}, "message": {"type": "string"},
                                                          "hint": {"type": "string"}}}}}},
            },
        },
        "InvalidRulebook": {
            "allOf": [{"$ref": "#/components/schemas/Problem"}, {
                "type": "object", "required": ["problems", "errors"],
                "properties": {
                    "problems": {"type": "array", "items": {"type": "string"},
                                 "description": "Every problem, as `impartial lint` prints it."},
                    "errors": {"type": "array", "items": {"type": "object", "required": ["problem"], "properties": {
                        "problem": {"type": "string"}, "rule": {"type": "string"}, "index": {"type": "integer"},
                        "list": {"type": "string"}, "section": {"type": "string"}, "field": {"type": "string"},
                        "message": {"type": "string"}}}},
                }}],
        },
        "CandidateCheckRequest": {
            "allOf": [{"$ref": "#/components/schemas/CheckRequest"}, {
                "type": "object", "required": ["rulebook"],
                "properties": {"rulebook": {"type": "string", "pattern": "^[0-9a-f]{64}$"}}}],
        },
    }


def _playground_paths(auth: list) -> dict:
    key = {"401": _problem_response("Missing or wrong API key (the same keys as /v1)"),
           "429": _problem_response("Over the key's rate limit (compiles: 12 a minute; checks: the v1 allowance); "
                                    "the Retry-After header says when to retry")}
    return {
        "/playground/rulebooks": {"post": {
            "summary": "Compile a candidate rulebook for the playground (kept in this worker's memory by digest)",
            "security": auth,
            "parameters": [{"name": "as", "in": "query", "required": False,
                            "description": "rulebook: a whole rulebook; layer: a layer file laid on the live set",
                            "schema": {"enum": ["rulebook", "layer"], "default": "rulebook"}}],
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": {"type": "object", "description": "A rulebook as rules.json holds it"}}}},
            "responses": {
                "200": {"description": "Compiled", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/CandidateSummary"}}}},
                "400": _problem_response("'as' is neither rulebook nor layer"),
                **key,
                "413": _problem_response("Over 1 MB"),
                "415": _problem_response("Body is not application/json"),
                "422": {"description": "Not a valid rulebook", "content": {"application/problem+json": {
                    "schema": {"$ref": "#/components/schemas/InvalidRulebook"}}}},
                "503": _problem_response("Another candidate is compiling on this worker, or compiling took over "
                                         "30 s (Retry-After says when to try again); or, for a layer, no live "
                                         "rulebook to lay it on"),
            },
        }},
        "/playground/check": {"post": {
            "summary": "Check a draft with a compiled candidate rulebook",
            "security": auth,
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/CandidateCheckRequest"}}}},
            "responses": {
                "200": {"description": "Findings", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/CheckResponse"}}}},
                "400": _problem_response("Malformed request, as for /v1/check, or no candidate digest"),
                **key,
                "404": _problem_response("This worker does not hold the candidate: send it again"),
                "413": _problem_response("Text over the configured limit"),
                "415": _problem_response("Body is not application/json"),
            },
        }},
    }
