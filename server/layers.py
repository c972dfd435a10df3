"""Rulebook layers: the shared core plus an organisation's own files.

IMPARTIAL_RULES (and every command's --rules) names the core rulebook and,
after it, layer files: paths separated by os.pathsep, and folders standing for
their *.json files in name order (`rules.json:rules.d`). The first file is the
core, a whole rulebook (rules.schema.json); each later file is a layer
(layer.schema.json) that adds rules, lists and guidance, extends lists of the
files before it and disables their rules with a reason. A layer never edits a
rule in place: ids stay stable, so feedback and audit logs keep meaning.

A broken layer is refused alone: the others still apply, and a layer whose
new content is refused keeps its last good content when the caller has it. A
broken core refuses the whole set (there is nothing to lay the others on).
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from .engine.rulebook import Rulebook, RulebookError, build_rulebook, decode_json, rulebook_schema


@dataclass(frozen=True)
class Source:
    path: str
    raw: bytes

    @property
    def name(self) -> str:
        return os.path.basename(self.path)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()


@dataclass
class Composed:
    """A rulebook built from layers, and what was left out."""

    rulebook: Rulebook
    data: dict  # the composed rulebook as JSON data (what lint reads)
    origin: dict  # rule id, or "list:name", -> the name of the layer that wrote it
    used: dict  # layer path -> the bytes it was built from (its new content, or its last good one)
    refused: list[RulebookError] = field(default_factory=list)  # one per layer whose new content was refused


def expand(spec) -> list[str]:
    """The files a rules setting names, in order: os.pathsep-separated paths (or a
    list of them); a folder stands for its *.json files in name order."""
    parts = spec.split(os.pathsep) if isinstance(spec, str) else [p for s in spec for p in str(s).split(os.pathsep)]
    out = []
    for part in filter(None, parts):
        if os.path.isdir(part):
            out += sorted(os.path.join(part, n) for n in os.listdir(part)
                          if n.endswith(".json") and not n.startswith("."))
        else:
            out.append(part)
    return out


def read_sources(spec) -> list[Source]:
    """Every file of a rules setting, read (the CLI's way; the service reads through store.py)."""
    paths = expand(spec)
    if not paths:
        raise RulebookError([f"no rulebook files in {spec!r} (a folder needs *.json files)"], str(spec))
    sources = []
    for path in paths:
        try:
            sources.append(Source(path, Path(path).read_bytes()))
        except OSError as exc:
            raise RulebookError([f"cannot read the file: {exc.strerror or exc}"], path) from None
    return sources


def load(spec) -> Composed:
    return compose(read_sources(spec))


# -- composing ------------------------------------------------------------------

def compose(sources: list[Source], last_good: dict | None = None) -> Composed:
    """The rulebook of a core and its layers. RulebookError when the core is broken;
    a broken layer is left out (or served from `last_good[path]`) and listed in `refused`."""
    core = sources[0]
    core_data = decode_json(core.raw, core.path)
    if len(sources) == 1:
        book = build_rulebook(core_data, core.path, core.sha256[:12])
        book.layers = (_info(core, core_data, "core"),)
        return Composed(book, core_data, {}, {core.path: core.raw})
    shaped = isinstance(core_data, dict) and isinstance(core_data.get("rules"), list) and \
        all(isinstance(core_data.get(k, {}), dict) for k in ("lists", "guidance"))
    if not shaped:
        build_rulebook(core_data, core.path, "")  # raises the schema's own words
    stack = _Stack(core, core_data, last_good or {})
    for layer in sources[1:]:
        stack.lay(layer)
    return stack.build()


class _Stack:
    """Layers applied one by one to a copy of the core's data."""

    def __init__(self, core: Source, core_data: dict, last_good: dict):
        self.core = core
        self.data = copy.deepcopy(core_data)
        self.data.setdefault("lists", {})
        self.data.setdefault("guidance", {})
        self.origin = {r.get("id"): core.name for r in self.data["rules"] if isinstance(r, dict)}
        self.origin.update({"list:" + n: core.name for n in self.data["lists"]})
        self.core_data, self.core_origin = self.data, dict(self.origin)
        self.last_good = last_good
        self.applied: list[tuple[Source, dict, dict]] = []  # (source, layer data, stack data before it)
        self.refused: list[RulebookError] = []

    def lay(self, source: Source) -> None:
        """Apply one layer; when its new content is refused, its last good content if any."""
        try:
            self._apply(source)
            return
        except RulebookError as exc:
            self.refused.append(exc)
        good = self.last_good.get(source.path)
        if good is not None and good != source.raw:
            try:
                self._apply(Source(source.path, good))
            except RulebookError:
                pass  # the old content no longer fits the layers below it: leave the layer out

    def _apply(self, source: Source) -> None:
        layer = decode_json(source.raw, source.path)
        problems = layer_schema_problems(layer)
        if problems:
            raise RulebookError(problems, source.path)
        before = self.data
        after, origin, problems = apply_layer(before, layer, source.name, self.origin)
        if problems:
            raise RulebookError(problems, source.path)
        self.data, self.origin = after, origin
        self.applied.append((source, layer, before))

    def build(self) -> Composed:
        try:
            book = build_rulebook(self.data, self.core.path, self._digest())
        except RulebookError:
            return self._rebuild_one_by_one()
        return self._composed(book)

    def _rebuild_one_by_one(self) -> Composed:
        """The composed set failed: find the layers to blame by building after each one."""
        applied, self.applied = self.applied, []
        self.data, self.origin = self.core_data, dict(self.core_origin)
        book = build_rulebook(self.data, self.core.path, "")  # a broken core: the whole set is refused
        for source, layer, _ in applied:
            try:
                book = self._build_with(source, layer)
            except RulebookError as exc:
                self.refused.append(exc)
                good = self.last_good.get(source.path)
                if good is not None and good != source.raw:
                    try:
                        book = self._build_with(Source(source.path, good), decode_json(good, source.path))
                    except RulebookError:
                        pass
        book.digest = self._digest()
        return self._composed(book)

    def _build_with(self, source: Source, layer: dict) -> Rulebook:
        """The rulebook of the stack plus one more layer; the stack grows only if it builds."""
        if layer_schema_problems(layer):
            raise RulebookError(layer_schema_problems(layer), source.path)
        after, origin, problems = apply_layer(self.data, layer, source.name, self.origin)
        if problems:
            raise RulebookError(problems, source.path)
        try:
            book = build_rulebook(after, self.core.path, "")
        except RulebookError as exc:
            raise RulebookError(_local(exc.problems, layer), source.path) from None
        self.applied.append((source, layer, self.data))
        self.data, self.origin = after, origin
        return book

    def _digest(self) -> str:
        shas = [self.core.sha256] + [s.sha256 for s, _, _ in self.applied]
        return hashlib.sha256("\n".join(shas).encode()).hexdigest()[:12]

    def _composed(self, book: Rulebook) -> Composed:
        layers = [(self.core, self.data)] + [(s, d) for s, d, _ in self.applied]
        book.version = "+".join(d["version"] for _, d in layers)
        book.layers = (_info(self.core, self.data, "core"),) + tuple(_info(s, d, "layer") for s, d, _ in self.applied)
        used = {s.path: s.raw for s, _ in layers}
        return Composed(book, self.data, self.origin, used, self.refused)


def apply_layer(base: dict, layer: dict, name: str, origin: dict) -> tuple[dict, dict, list[str]]:
    """The base data with one layer's additions, extensions and disables; the problems
    name the layer's own fields and what the layers before it define."""
    data = dict(base, lists=dict(base["lists"]), guidance=dict(base["guidance"]), rules=list(base["rules"]))
    origin = dict(origin)
    problems: list[str] = []
    for key, kind in (("lists", "list"), ("guidance", "guidance")):
        for item, value in layer.get(key, {}).items():
            owner = origin.get(f"{kind}:{item}") or (base[key].get(item) is not None and "the core")
            if owner:
                problems.append(f"{key} field {item!r}: {kind} {item!r} is already defined by {owner}"
                                + ("; add terms to it with 'extend_lists'" if kind == "list" else ""))
                continue
            data[key][item] = value
            origin[f"{kind}:{item}"] = name
    for item, terms in layer.get("extend_lists", {}).items():
        if item not in data["lists"]:
            problems.append(f"extend_lists field {item!r}: no list {item!r} in the layers before"
                            + _did_you_mean(item, data["lists"]))
            continue
        target = dict(data["lists"][item])
        target["terms"] = list(target.get("terms", [])) + list(terms)
        data["lists"][item] = target
    problems += _disable(data, layer.get("disable", []))
    ids = {r.get("id") for r in data["rules"] if isinstance(r, dict)}
    for i, rule in enumerate(layer.get("rules", [])):
        if rule["id"] in ids:
            problems.append(f"rule {rule['id']!r} (rules[{i}]) field 'id': already used by "
                            f"{origin.get(rule['id'], 'a layer before')}; ids are never reused: disable that "
                            "rule here and add yours under a new id")
            continue
        ids.add(rule["id"])
        data["rules"].append(rule)
        origin[rule["id"]] = name
    return data, origin, problems


def _disable(data: dict, disables: list) -> list[str]:
    problems = []
    index = {r.get("id"): i for i, r in enumerate(data["rules"]) if isinstance(r, dict)}
    for i, item in enumerate(disables):
        at = index.get(item["id"])
        if at is None:
            problems.append(f"disable[{i}] field 'id': no rule {item['id']!r} in the layers before"
                            + _did_you_mean(item["id"], index))
            continue
        data["rules"][at] = dict(data["rules"][at], enabled=False)
    return problems


def _did_you_mean(name: str, known) -> str:
    close = difflib.get_close_matches(name, [k for k in known if isinstance(k, str)], n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


_RULE_AT = re.compile(r"rule '([^']+)' \(rules\[(\d+)\]\)")


def _local(problems: list[str], layer: dict) -> list[str]:
    """Problems of a composed build with the layer's own rule indexes (rules[0] of the layer file)."""
    mine = {r["id"]: i for i, r in enumerate(layer.get("rules", []))}

    def local(mo):
        rid = mo.group(1)
        return f"rule {rid!r} (rules[{mine[rid]}])" if rid in mine else mo.group(0)
    return [_RULE_AT.sub(local, p) for p in problems]


def _info(source: Source, data: dict, role: str) -> dict:
    """What /v1/rules, /readyz and the CLI say about one layer."""
    out = {"name": source.name, "role": role, "version": data.get("version", ""),
           "digest": source.sha256[:12]}
    if role == "layer":
        out["rules_added"] = [r["id"] for r in data.get("rules", [])]
        out["lists_extended"] = {n: len(t) for n, t in data.get("extend_lists", {}).items()}
        out["disabled"] = [{"id": d["id"], "reason": d["reason"]} for d in data.get("disable", [])]
    return out


# -- the layer schema -------------------------------------------------------------

@cache
def layer_schema() -> dict:
    return json.loads(resources.files("server").joinpath("layer.schema.json").read_text("utf-8"))


@cache
def _validator():
    import jsonschema
    from referencing import Registry, Resource

    core = rulebook_schema()
    registry = Registry().with_resource(core["$id"], Resource.from_contents(core))
    return jsonschema.Draft202012Validator(layer_schema(), registry=registry)


def layer_schema_problems(layer) -> list[str]:
    """Every schema problem of a layer file, each naming the field (and the rule by id)."""
    problems = []
    for err in sorted(_validator().iter_errors(layer), key=lambda e: list(map(str, e.absolute_path))):
        path = list(err.absolute_path)
        head = "layer"
        if len(path) >= 2 and path[0] == "rules" and isinstance(path[1], int):
            rules = layer.get("rules", [])
            rid = rules[path[1]].get("id") if isinstance(rules[path[1]], dict) else None
            head = f"rule {rid!r} (rules[{path[1]}])" if isinstance(rid, str) else f"rules[{path[1]}]"
            path = path[2:]
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
        if head == "layer" and where:
            problems.append(f"field {where!r}: {err.message}")
        else:
            problems.append(f"{head}{' field ' + repr(where) if where else ''}: {err.message}")
    return problems


def combine(errors: list[RulebookError]) -> RulebookError:
    """One error for several refused layers, each problem starting with its layer's name."""
    if len(errors) == 1:
        return errors[0]
    names = [os.path.basename(e.source) for e in errors]
    return RulebookError([f"{n}: {p}" for e, n in zip(errors, names) for p in e.problems], ", ".join(names))


def public(book: Rulebook, full: bool = True) -> list[dict]:
    """The layers a served rulebook was built from (name, version, digest; what each changed when full)."""
    keep = None if full else ("name", "role", "version", "digest")
    return [{k: v for k, v in info.items() if keep is None or k in keep} for info in book.layers]


def refused_layers(refusal) -> list[dict]:
    """Per layer, why its newest content was refused (for /v1/rules)."""
    return [{"source": os.path.basename(e.source), "problems": e.problems} for e in refusal.layers]
