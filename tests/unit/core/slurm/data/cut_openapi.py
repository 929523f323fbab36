"""Cuts slurmrestd's own OpenAPI descriptions down to what the unit tests check:
openapi_shapes.json, the paths each release serves and, per version, the schemas of
the requests Funicular sends and of the fields it reads from the answers.

Made from (not needed to run the tests):
- 24.11.5: ``slurmrestd --generate-openapi-spec`` of Debian 13's slurmrestd 24.11.5
  (data parsers v0.0.40, v0.0.41, v0.0.42), run in a chroot without any daemon;
- 22.05.8: the description the box's slurmrestd 22.05.8 serves at /openapi/v3,
  cut to v0.0.38 (../shared/notes/slurm/openapi-22.05.8-v0.0.38.json).

    python cut_openapi.py SPEC-24.11.5.json SPEC-22.05.8.json > openapi_shapes.json

Schemas are resolved ($ref), pruned to the fields below (a field kept whole, with its
type, enum and the set/infinite/number objects), and request bodies get
``additionalProperties: false``, so that a field Funicular sends that the version does
not have fails the tests.
"""

import json
import sys

SUBMIT_38 = ["script", "job.name", "job.partition", "job.nodes", "job.tasks_per_node",
             "job.cpus_per_task", "job.time_limit", "job.current_working_directory",
             "job.standard_output", "job.requeue", "job.environment", "job.memory_per_node",
             "job.gres", "job.account", "job.reservation", "job.qos", "job.comment",
             "job.array", "job.dependency"]
SUBMIT_40 = [f for f in SUBMIT_38 if f not in ("script", "job.gres")] + [
    "job.script", "job.tres_per_node", "job.kill_warning_signal", "job.kill_warning_delay",
    "job.kill_warning_flags"]
META = ["meta.plugin.type", "meta.plugin.data_parser", "meta.slurm.release",
        "meta.slurm.version", "meta.Slurm.release", "meta.Slurm.version"]
ERRORS = ["errors[].error", "errors[].error_number", "errors[].description"]
JOB = ["job_id", "user_name", "job_state", "name", "comment", "state_reason", "batch_host",
       "nodes", "start_time", "end_time", "submit_time", "array_job_id", "array_task_id",
       "array_task_string", "exit_code", "time_limit"]
READ = {  # (method, path): fields read from the answer
    ("post", "job/submit"): ["job_id", *ERRORS, *META],
    ("get", "jobs"): [f"jobs[].{f}" for f in JOB] + ERRORS + META,
    ("delete", "job/{job_id}"): ["status[].error", "status[].job_id", *ERRORS, *META],
    ("get", "partitions"): [f"partitions[].{f}" for f in (
        "name", "partition.state", "maximums.time", "maximums.nodes", "defaults.time",
        "accounts.allowed", "accounts.deny", "groups.allowed")] + ERRORS + META,
    ("get", "nodes"): [f"nodes[].{f}" for f in (
        "name", "state", "partitions", "cpus", "alloc_cpus", "real_memory", "alloc_memory",
        "tres", "tres_used")] + ERRORS + META,
    ("get", "reservations"): [f"reservations[].{f}" for f in (
        "name", "start_time", "end_time", "node_list", "partition", "users", "accounts")]
    + ERRORS + META,
    ("get", "db:job/{job_id}"): [f"jobs[].{f}" for f in (
        "job_id", "array.job_id", "array.task_id", "state.current", "exit_code", "time.start",
        "time.end", "nodes", "kill_request_user")] + ERRORS + META,
    ("get", "db:associations"): ["associations[].user", "associations[].account",
                                 "associations[].partition", *ERRORS, *META],
}
DROP = ("description", "deprecated", "format", "required")


def resolve(schema, components):
    if isinstance(schema, dict):
        if "$ref" in schema:
            return resolve(components[schema["$ref"].split("/")[-1]], components)
        return {k: resolve(v, components) for k, v in schema.items() if k not in DROP}
    if isinstance(schema, list):
        return [resolve(x, components) for x in schema]
    return schema


def prune(schema: dict, fields: list[str], closed: bool) -> dict:
    """``schema`` with only ``fields`` ("a.b", "a[].b"); ``closed``: no other keys."""
    if not fields or "" in fields:
        return schema
    if schema.get("type") == "array":
        inner = [f[3:] if f.startswith("[].") else f for f in fields]
        return {**schema, "items": prune(schema.get("items") or {}, inner, closed)}
    props = schema.get("properties") or {}
    out: dict = {k: v for k, v in schema.items() if k != "properties"}
    kept = {}
    for name in dict.fromkeys(f.split(".")[0].removesuffix("[]") for f in fields):
        if name not in props:
            continue
        rest = [f[len(name):].removeprefix(".") for f in fields
                if f.split(".")[0].removesuffix("[]") == name]
        kept[name] = prune(props[name], rest, closed)
    out["properties"] = kept
    if closed:
        out["additionalProperties"] = False
    return out


def schemas(spec: dict, version: str) -> dict:
    components = spec["components"]["schemas"]
    paths = {p.rstrip("/"): ops for p, ops in spec["paths"].items()}
    out = {}

    def op(method, tail):
        db = tail.startswith("db:")
        path = f"/{'slurmdb' if db else 'slurm'}/{version}/{tail.removeprefix('db:')}"
        return paths.get(path, {}).get(method)
    submit = op("post", "job/submit")
    body = submit["requestBody"]["content"]["application/json"]["schema"]
    out["submit"] = prune(resolve(body, components),
                          SUBMIT_38 if version == "v0.0.38" else SUBMIT_40, closed=True)
    for (method, tail), fields in READ.items():
        o = op(method, tail)
        content = (o or {}).get("responses", {}).get("200", {}).get("content")
        if content:
            schema = resolve(content["application/json"]["schema"], components)
            out[f"{method.upper()} {tail}"] = prune(schema, fields, closed=False)
    return out


def main(spec_2411: str, spec_2205: str) -> None:
    new, old = json.load(open(spec_2411)), json.load(open(spec_2205))
    out = {"paths": {"24.11.5": sorted(new["paths"]), "22.05.8": sorted(old["paths"])},
           "info": {"24.11.5": new["info"], "22.05.8": old["info"]},
           "schemas": {"v0.0.38": schemas(old, "v0.0.38"),
                       **{v: schemas(new, v) for v in ("v0.0.40", "v0.0.41", "v0.0.42")}}}
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(*sys.argv[1:3])
