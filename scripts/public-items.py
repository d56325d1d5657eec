#!/usr/bin/env python3
"""Counts the public items of a crate from rustdoc's JSON (nightly `--output-format json`):
every item a user of the crate can name (modules, types, traits, functions, constants, fields,
variants, methods), by kind and by top-level module. Usage: public-items.py target/doc/X.json"""
import collections
import json
import sys

doc = json.load(open(sys.argv[1]))
index = doc["index"]
root = index[str(doc["root"])]


def public(item):
    return item.get("visibility") == "public"


seen = set()
counts = collections.Counter()
by_module = collections.Counter()


def walk(item_id, top):
    if item_id in seen:
        return
    seen.add(item_id)
    item = index.get(str(item_id))
    if item is None or not public(item) and item["inner"].keys() != {"impl"}:
        return
    kind = next(iter(item["inner"]))
    inner = item["inner"][kind]
    if kind != "impl":
        counts[kind] += 1
        by_module[top] += 1
    if kind == "module":
        for child in inner["items"]:
            child_item = index.get(str(child))
            name = child_item.get("name") if child_item else None
            walk(child, top if top != "(root)" or kind != "module" or item_id != doc["root"] else name or "(root)")
    elif kind == "use":
        if inner.get("id") is not None and not inner.get("is_glob"):
            walk(inner["id"], top)
    elif kind in ("struct", "enum", "union"):
        for f in (inner.get("kind", {}).get("plain", {}) or {}).get("fields", []) if isinstance(inner.get("kind"), dict) else []:
            walk(f, top)
        for v in inner.get("variants", []):
            walk(v, top)
        for i in inner.get("impls", []):
            impl = index.get(str(i))
            if impl and impl["inner"]["impl"].get("trait") is None and not impl["inner"]["impl"].get("is_synthetic"):
                for m in impl["inner"]["impl"]["items"]:
                    walk(m, top)
    elif kind == "trait":
        for m in inner.get("items", []):
            walk(m, top)


for child in root["inner"]["module"]["items"]:
    item = index.get(str(child))
    walk(child, item.get("name") or "(root)" if item else "(root)")

print(f"{sum(counts.values())} public items")
print("by kind: " + ", ".join(f"{k} {v}" for k, v in counts.most_common()))
print("by top-level item: " + ", ".join(f"{k} {v}" for k, v in by_module.most_common()))
