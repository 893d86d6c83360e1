#!/usr/bin/env python3
"""Writes crates/sandbox/data/services.tsv: for EVERY service botocore ships, what the
sandbox needs to route, authenticate, authorize and answer a request to a service it
does not emulate: the protocols, API version, signing name, endpoint prefix, JSON target
prefix and version, XML namespace and the error the service words a denial with; and per
operation its HTTP method, request URI template, whether it only reads (by AWS's naming),
the root of its answer (the query protocol's result wrapper, REST-XML's root element)
and the top-level list members of its output (what an empty answer holds empty).

One line per service, then one line per operation of it (tab-separated, `-` for none):

    S  name  protocols  apiVersion  signingName  endpointPrefix  targetPrefix
       jsonVersion  xmlNamespace  deniedCode  deniedStatus
    O  name  method  requestUri  R|W  root  lists  bindings

`bindings` (REST protocols only) are the input members a client sends in the query
string or a header, by the model's `location`/`locationName`: `Member=q:name` or
`Member=h:name`, with `!` after a required one (`UploadId=q:uploadId!`,
`CopySource=h:x-amz-copy-source!`); and the member that is the body (the model's
`payload`): `Body=p:blob` (bytes, streamed), `Policy=p:string`, or the XML root element
of a structure (`Tagging=p:Tagging`). A required one is a marker that picks an operation
among those of one method and URI template (S3's `UploadPart` beside `PutObject`).

Usage: scripts/gen-sandbox-services.py [--check]   (--check compares instead of writing)
The test crates/sandbox/tests/services_table.rs runs it with --check when botocore is there.
"""
import os
import sys

OUT = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "crates", "sandbox", "data", "services.tsv"
)

# botocore's own order (botocore.utils.PRIORITY_ORDERED_SUPPORTED_PROTOCOLS): the first
# of a service's protocols in this order is the one a client speaks.
PRIORITY = ["json", "rest-json", "rest-xml", "smithy-rpc-v2-cbor", "query", "ec2"]

# Operations that only read, by AWS's naming (the Service Authorization Reference's
# "List" and "Read" access levels are named this way).
READ_PREFIXES = ("Get", "List", "Describe", "Head", "Search", "BatchGet", "BatchDescribe", "Lookup")

# The codes of a denial by IAM, best first, when the service models one; a service's
# own `NotAuthorizedException`/`UnauthorizedException`/`ForbiddenException` words
# something else (a Cognito login, an API key), and IAM's denial of such a service is
# the protocol's default (Route 53: `AccessDenied`; API Gateway: `AccessDeniedException`).
DENIED_CODES = [
    "AccessDeniedException",
    "AccessDenied",
    "AuthorizationError",
    "UnauthorizedOperation",
]
DEFAULT_DENIED = {
    "json": "AccessDeniedException",
    "rest-json": "AccessDeniedException",
    "smithy-rpc-v2-cbor": "AccessDeniedException",
    "rest-xml": "AccessDenied",
    "query": "AccessDenied",
    "ec2": "UnauthorizedOperation",
}


def field(value):
    if value is None or value == "":
        return "-"
    text = str(value)
    if any(c in text for c in "\t\n"):
        sys.exit(f"a model value holds a tab or newline: {text!r}")
    return text


def protocols(meta):
    listed = meta.get("protocols") or [meta["protocol"]]
    return sorted(listed, key=lambda p: PRIORITY.index(p) if p in PRIORITY else len(PRIORITY))


def denied(model, protocol):
    codes = {}
    for name, shape in model["shapes"].items():
        if not shape.get("exception"):
            continue
        error = shape.get("error", {})
        code = error.get("code", name)
        codes.setdefault(code, error.get("httpStatusCode", 403))
    for code in DENIED_CODES:
        if code in codes:
            return code, codes[code]
    return DEFAULT_DENIED[protocol], 403


def namespace(model):
    """The service's XML namespace: the metadata's, else (Route 53, CloudFront) the one
    its operations' inputs declare."""
    ns = model["metadata"].get("xmlNamespace")
    if ns is None:
        for _, op in sorted(model["operations"].items()):
            ns = op.get("input", {}).get("xmlNamespace")
            if ns is not None:
                break
    if isinstance(ns, dict):
        ns = ns.get("uri")
    return ns


def wire_name(member_name, ref, protocol):
    if protocol in ("ec2",) and "queryName" in ref:
        return ref["queryName"]
    return ref.get("locationName", member_name)


def output_lists(model, op, protocol):
    """The wire names of the output's top-level lists that an empty answer shows."""
    if "output" not in op:
        return []
    shapes = model["shapes"]
    shape = shapes[op["output"]["shape"]]
    payload = shape.get("payload")
    if payload:
        target = shapes[shape["members"][payload]["shape"]]
        if target["type"] != "structure":
            return []
        shape = target
    names = []
    for member, ref in shape.get("members", {}).items():
        if "location" in ref:
            continue
        target = shapes[ref["shape"]]
        if target["type"] != "list":
            continue
        if protocol in ("rest-xml", "query", "ec2") and (
            ref.get("flattened") or target.get("flattened")
        ):
            continue
        names.append(wire_name(member, ref, protocol))
    return names


def bindings(model, op, protocol):
    """The input members sent in the query string or a header (REST protocols)."""
    if protocol not in ("rest-xml", "rest-json") or "input" not in op:
        return []
    shape = model["shapes"][op["input"]["shape"]]
    required = set(shape.get("required", []))
    listed = []
    payload = shape.get("payload")
    for member, ref in sorted(shape.get("members", {}).items()):
        if member == payload:
            target = model["shapes"][ref["shape"]]
            kind = target["type"]
            if kind == "structure":
                kind = ref.get("locationName", target.get("locationName", ref["shape"]))
            listed.append(f"{member}=p:{kind}{'!' if member in required else ''}")
            continue
        where = {"querystring": "q", "header": "h"}.get(ref.get("location"))
        if where is None or "locationName" not in ref:
            continue
        mark = "!" if member in required else ""
        listed.append(f"{member}={where}:{ref['locationName']}{mark}")
    return listed


def output_root(model, op, protocol):
    if "output" not in op:
        return None
    if protocol == "query":
        return op["output"].get("resultWrapper")
    if protocol == "rest-xml":
        shapes = model["shapes"]
        name = op["output"]["shape"]
        shape = shapes[name]
        payload = shape.get("payload")
        if payload:
            ref = shape["members"][payload]
            if shapes[ref["shape"]]["type"] != "structure":
                return None
            return ref.get("locationName", shapes[ref["shape"]].get("locationName", ref["shape"]))
        return shape.get("locationName", name)
    return None


def service_lines(name, model):
    meta = model["metadata"]
    listed = protocols(meta)
    protocol = listed[0]
    code, status = denied(model, protocol)
    lines = [
        "\t".join(
            [
                "S",
                name,
                ",".join(listed),
                field(meta["apiVersion"]),
                field(meta.get("signingName", meta["endpointPrefix"])),
                field(meta["endpointPrefix"]),
                field(meta.get("targetPrefix")),
                field(meta.get("jsonVersion")),
                field(namespace(model)),
                code,
                str(status),
            ]
        )
    ]
    for op_name, op in sorted(model["operations"].items()):
        http = op.get("http", {})
        lines.append(
            "\t".join(
                [
                    "O",
                    op_name,
                    field(http.get("method", "POST")),
                    field(http.get("requestUri", "/")),
                    "R" if op_name.startswith(READ_PREFIXES) else "W",
                    field(output_root(model, op, protocol)),
                    field(",".join(output_lists(model, op, protocol))),
                    field(",".join(bindings(model, op, protocol))),
                ]
            )
        )
    return lines


def build():
    import botocore
    from botocore.loaders import Loader

    loader = Loader()
    lines = [f"# botocore {botocore.__version__}: written by scripts/gen-sandbox-services.py, do not edit"]
    for name in sorted(loader.list_available_services("service-2")):
        lines.extend(service_lines(name, loader.load_service_model(name, "service-2")))
    return "\n".join(lines) + "\n"


def body(text):
    """The table without its header line (the botocore version may differ, the table not)."""
    return text.split("\n", 1)[1]


def main():
    text = build()
    if "--check" in sys.argv:
        with open(OUT, encoding="utf-8") as f:
            current = f.read()
        if body(current) != body(text):
            sys.exit(
                "crates/sandbox/data/services.tsv differs from botocore's models: run scripts/gen-sandbox-services.py"
            )
        print("services.tsv matches botocore", text.split("\n", 1)[0])
        return
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as f:
        f.write(text)
    print("wrote", OUT, len(text), "bytes")


if __name__ == "__main__":
    main()
