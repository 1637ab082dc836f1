#!/usr/bin/env bash
# Checks the target graph's rules (README, "Targets"): dependencies point down the layers of
# Shared/, no tier library depends on another tier's, the gateway links no BLAS, and the scorer
# and encoder link no durability or parameter-server code. Prints each executable's tier-relevant
# dependencies; exits 1 naming any broken rule.
set -euo pipefail
cd "$(dirname "$0")/.."
swift package describe --type json 2>/dev/null | python3 -c '
import json, sys
targets = {t["name"]: t for t in json.load(sys.stdin)["targets"]}
deps = {name: set(t.get("target_dependencies", [])) for name, t in targets.items()}
layer = {}
for name, t in targets.items():
    parts = t["path"].split("/")
    layer[name] = parts[1] if parts[0] == "Shared" else parts[0]
rank = {"Interop": 0, "Transport": 1, "Learning": 1, "Runtime": 2, "Tiers": 3, "Services": 4}

def closure(name):
    seen, todo = set(), [name]
    while todo:
        for d in deps.get(todo.pop(), ()):
            if d not in seen:
                seen.add(d)
                todo.append(d)
    return seen

problems = []
for name, ds in deps.items():
    if layer[name] not in rank:
        continue
    for d in ds:
        if d in layer and layer[d] in rank and rank[layer[d]] > rank[layer[name]]:
            problems.append(f"{name} ({layer[name]}) depends up on {d} ({layer[d]})")
        # The one allowed edge inside Tiers: the embedding-server tier is two libraries, lookup
        # serving and the parameter server that updates the rows of the same shard; no other tier
        # links either of them.
        if layer[name] == "Tiers" and layer.get(d) == "Tiers" and not (name == "ParameterServer" and d == "EmbeddingServing"):
            problems.append(f"tier {name} depends on tier {d}")
forbidden = {
    "gateway": {"COpenBLAS", "CDNNL", "Model", "Training", "Durability", "ParameterServer", "EmbeddingServing"},
    "scorer": {"Durability", "ParameterServer", "Training", "EmbeddingServing"},
    "history-encoder": {"Durability", "ParameterServer", "Training", "EmbeddingServing"},
    "generator": {"Durability", "ParameterServer", "Training", "EmbeddingServing"},
}
tiers = sorted(n for n in targets if layer[n] == "Tiers")
for exe, bad in forbidden.items():
    linked = closure(exe)
    blas, durable = "COpenBLAS" in linked, "Durability" in linked
    print(f"{exe:16} links tiers {sorted(linked & set(tiers))}; BLAS: {blas}; durability: {durable}")
    for b in sorted(linked & bad):
        problems.append(f"{exe} links {b}")
for p in problems:
    print("layer rule broken:", p)
print(f"layers: {0 if problems else 1} passed, {1 if problems else 0} failed")
sys.exit(1 if problems else 0)
'
