#!/usr/bin/env python3
"""Writes crates/apimodel/models.json: the part of botocore's service models that awslab
needs (protocol, API version, signing name, each operation's HTTP binding, input and
output shapes with their types, required members, enums and wire locations, error
codes) for the services a `verify` may call.

Usage: scripts/gen-api-models.py [--check]   (--check compares instead of writing)
The test crates/apimodel/tests/botocore.rs runs it with --check when botocore is there.
"""
import json
import os
import sys

SERVICES = ["iam", "sts", "s3", "cloudformation"]
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "crates", "apimodel", "models.json")

MEMBER_KEYS = ["location", "locationName", "xmlNamespace", "xmlAttribute", "flattened", "streaming", "timestampFormat"]
SHAPE_KEYS = ["type", "required", "enum", "payload", "flattened", "locationName", "streaming", "timestampFormat", "xmlNamespace"]


def member_ref(ref):
    out = {"shape": ref["shape"]}
    for key in MEMBER_KEYS:
        if key in ref:
            out[key] = ref[key]
    if isinstance(out.get("xmlNamespace"), dict):
        out["xmlNamespace"] = out["xmlNamespace"].get("uri", "")
    return out


def compact(service, model):
    shapes = model["shapes"]
    keep = {}

    def visit(name):
        if name in keep:
            return
        shape = shapes[name]
        out = {key: shape[key] for key in SHAPE_KEYS if key in shape}
        if isinstance(out.get("xmlNamespace"), dict):
            out["xmlNamespace"] = out["xmlNamespace"].get("uri", "")
        keep[name] = out
        if shape["type"] == "structure":
            out["members"] = {m: member_ref(r) for m, r in shape.get("members", {}).items()}
            for ref in shape.get("members", {}).values():
                visit(ref["shape"])
        elif shape["type"] == "list":
            out["member"] = member_ref(shape["member"])
            visit(shape["member"]["shape"])
        elif shape["type"] == "map":
            out["key"] = member_ref(shape["key"])
            out["value"] = member_ref(shape["value"])
            visit(shape["key"]["shape"])
            visit(shape["value"]["shape"])

    operations = {}
    for name, op in sorted(model["operations"].items()):
        entry = {"method": op["http"]["method"], "uri": op["http"]["requestUri"]}
        if "input" in op:
            entry["input"] = op["input"]["shape"]
            visit(op["input"]["shape"])
        if "output" in op:
            entry["output"] = op["output"]["shape"]
            visit(op["output"]["shape"])
            if "resultWrapper" in op["output"]:
                entry["resultWrapper"] = op["output"]["resultWrapper"]
        checksum = op.get("httpChecksumRequired") or op.get("httpChecksum", {}).get("requestChecksumRequired")
        if checksum:
            entry["checksumRequired"] = True
        errors = []
        for error in op.get("errors", []):
            shape = shapes[error["shape"]]
            errors.append(shape.get("error", {}).get("code", error["shape"]))
        if errors:
            entry["errors"] = errors
        operations[name] = entry
    meta = model["metadata"]
    return {
        "protocol": meta["protocol"],
        "apiVersion": meta["apiVersion"],
        "signingName": meta.get("signingName", meta["endpointPrefix"]),
        "endpointPrefix": meta["endpointPrefix"],
        "globalEndpoint": meta.get("globalEndpoint"),
        "xmlNamespace": meta.get("xmlNamespace"),
        "operations": operations,
        "shapes": dict(sorted(keep.items())),
    }


def build():
    import botocore
    from botocore.loaders import Loader

    loader = Loader()
    return {
        "botocore": botocore.__version__,
        "services": {s: compact(s, loader.load_service_model(s, "service-2")) for s in SERVICES},
    }


def main():
    text = json.dumps(build(), separators=(",", ":"), sort_keys=False) + "\n"
    if "--check" in sys.argv:
        with open(OUT, encoding="utf-8") as f:
            current = f.read()
        if json.loads(current)["services"] != json.loads(text)["services"]:
            sys.exit("crates/apimodel/models.json differs from botocore's models: run scripts/gen-api-models.py")
        print("models.json matches botocore", json.loads(text)["botocore"])
        return
    with open(OUT, "w", encoding="utf-8") as f:
        f.write(text)
    print("wrote", OUT, len(text), "bytes")


if __name__ == "__main__":
    main()
