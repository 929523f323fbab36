"""Every route of the server extension, relative to the server's base URL, in one
table by part.

Handlers are named by dotted path and imported when the app registers them, so a
part whose module cannot be imported answers 503 with the reason on its own routes
while the other parts load (``app.FunicularExtension.initialize_handlers``). All
answer JSON and need Jupyter's login and the Authorizer's ``funicular`` resource,
except the listener proof (see ``listener``).

    GET    info                    node, Slurm job, GPUs, container, walltime
    GET    jobs                    the user's jobs, newest first
    POST   jobs                    submit (a JobRequest as JSON) -> 201
    GET    jobs/site               images, partitions, backend: for forms
    GET    jobs/events             change stream (server-sent events)
    GET    jobs/ID                 one job
    POST   jobs/ID/cancel          cancel -> 202
    GET    jobs/ID/logs            ?offset=N | ?tail=N, &task=K for arrays, &follow=1 streams
    GET    jobs/ID/outputs         files in the job's directory
    GET    transfers               the user's transfers, newest first
    POST   transfers               {"src": URL, "dst": URL} -> 201
    GET    transfers/events        change stream (server-sent events)
    GET    transfers/ID            one transfer
    DELETE transfers/ID            forget an ended transfer
    POST   transfers/ID/cancel     -> 202
    POST   transfers/ID/resume     continue an interrupted one -> 202
    GET    storage                 the stores configured for this user
    GET    storage/ls?url=URL      a container's or folder's entries
    POST   storage/rm              {"url": URL}: an object or empty container
    POST   storage/mkdir           {"url": "swift://name"}: a container
    POST   storage/share           {"url": URL, "seconds": N}: a link
    GET    material                the course folder: where, and whether it is there
    POST   material/reset          the hub hands out a pristine copy
    GET    listener-proof?nonce=N  the hub's check that this process holds the token

(each under ``funicular.core.hubapi.SERVER_API``; transfer URLs are swift://, s3://
or file:// URLs.)
"""

from funicular.core.hubapi import SERVER_API, SERVER_LISTENER_PROOF

JOB_ID = r"(j[0-9a-f]{12})"  # jobs.store.new_id
TRANSFER_ID = r"([0-9a-f]{12})"  # core.storage.journal's transfer ids

INFO = f"{SERVER_API}/info"
JOBS = f"{SERVER_API}/jobs"
TRANSFERS = f"{SERVER_API}/transfers"
STORAGE = f"{SERVER_API}/storage"
MATERIAL = f"{SERVER_API}/material"

_JOBS = "funicular.extension.jobs.handlers"
_TRANSFERS = "funicular.extension.transfers.handlers"

# part -> ((pattern, "module:Handler"), ...)
ROUTES: dict[str, tuple[tuple[str, str], ...]] = {
    "info": ((INFO, "funicular.extension.info:InfoHandler"),),
    "jobs": (
        (JOBS, f"{_JOBS}:JobsHandler"),
        (f"{JOBS}/site", f"{_JOBS}:SiteHandler"),
        (f"{JOBS}/events", f"{_JOBS}:EventsHandler"),
        (f"{JOBS}/{JOB_ID}", f"{_JOBS}:JobHandler"),
        (f"{JOBS}/{JOB_ID}/cancel", f"{_JOBS}:CancelHandler"),
        (f"{JOBS}/{JOB_ID}/logs", f"{_JOBS}:LogsHandler"),
        (f"{JOBS}/{JOB_ID}/outputs", f"{_JOBS}:OutputsHandler"),
    ),
    "transfers": (
        (TRANSFERS, f"{_TRANSFERS}:TransfersHandler"),
        (f"{TRANSFERS}/events", f"{_TRANSFERS}:EventsHandler"),
        (f"{TRANSFERS}/{TRANSFER_ID}", f"{_TRANSFERS}:TransferHandler"),
        (f"{TRANSFERS}/{TRANSFER_ID}/(cancel|resume)", f"{_TRANSFERS}:ActionHandler"),
        (STORAGE, f"{_TRANSFERS}:StoresHandler"),
        (f"{STORAGE}/ls", f"{_TRANSFERS}:LsHandler"),
        (f"{STORAGE}/(rm|mkdir|share)", f"{_TRANSFERS}:StorageActionHandler"),
    ),
    "material": (
        (MATERIAL, "funicular.extension.materialreset:MaterialHandler"),
        (f"{MATERIAL}/reset", "funicular.extension.materialreset:ResetHandler"),
    ),
    "the listener proof": (
        (SERVER_LISTENER_PROOF, "funicular.extension.listener:ListenerProofHandler"),
    ),
}
