"""The spawn form ("job setup page"), rendered from the profiles and a cluster snapshot.

Two panes switched by a radio pair with CSS only (no script needed): admin
profiles (``profiles``, or a ``profile_list``'s: listedform.py), and an advanced pane
with every resource the user may set. The browser-side min/max are hints;
``options.resolve`` is what enforces.
"""

import datetime
from html import escape

from funicular.core.images.catalog import CatalogImage
from funicular.core.slurm.cluster import ClusterSnapshot

from .listedform import Entry, pane
from .options import Limits, unusable_reason
from .profiles import Profile, hours

_STYLE = """<style>
#funicular-form .funicular-pane{display:none;margin-top:1em}
#funicular-mode-profile:checked ~ .funicular-pane-profile,
#funicular-mode-advanced:checked ~ .funicular-pane-advanced{display:block}
#funicular-form .funicular-profile{display:block;padding:.4em .6em;border:1px solid #ddd;
 border-radius:4px;margin-bottom:.4em}
#funicular-form .funicular-profile.disabled{opacity:.55}
#funicular-form small{color:#555}
#funicular-form .funicular-option{margin:.4em 0 0 1.6em}
</style>"""


def _select(name: str, label: str, options: list[tuple[str, str]], selected: str = "") -> str:
    opts = "".join(f'<option value="{escape(v)}"{" selected" if v == selected else ""}>'
                   f"{escape(text)}</option>" for v, text in options)
    return (f'<div class="mb-2"><label class="form-label" for="funicular-{name}">{label}</label>'
            f'<select class="form-select form-control" id="funicular-{name}" name="{name}">'
            f"{opts}</select></div>")


def _number(name: str, label: str, value, lo: int, hi: int | None) -> str:
    top = f' max="{hi}"' if hi else ""
    return (f'<div class="mb-2"><label class="form-label" for="funicular-{name}">{label}</label>'
            f'<input class="form-control" type="number" id="funicular-{name}" name="{name}" '
            f'value="{escape(str(value if value is not None else ""))}" min="{lo}"{top}>'
            "</div>")


def render(*, user: str, profiles: dict[str, Profile], images: dict[str, CatalogImage],
           snapshot: ClusterSnapshot | None, stale_reason: str | None, advanced: bool,
           partitions: list[str], limits: dict[str, Limits], listed: list[Entry] | None = None,
           listed_error: str | None = None) -> str:
    """``listed``: a profile_list's entries, shown instead of ``profiles`` (which then
    holds their default jobs, for the advanced pane's starting values);
    ``listed_error``: why the profile_list cannot be offered (a callable's broken
    result), shown instead of any profile."""
    out = [_STYLE, '<div id="funicular-form">']
    if snapshot is None:
        out.append('<div class="alert alert-warning funicular-stale">The Slurm controller '
                   "is not answering, so the cluster's current state is unknown: only the "
                   "profiles can be used right now.</div>")
    else:
        when = datetime.datetime.fromtimestamp(snapshot.taken_at).strftime("%H:%M:%S")
        if stale_reason:
            out.append(f'<div class="alert alert-warning funicular-stale">Cluster state as of '
                       f"{when}; it cannot be refreshed right now ({escape(stale_reason)}).</div>")
        else:
            out.append(f'<p class="funicular-asof"><small>Cluster state as of {when}</small></p>')

    out.append('<input type="radio" class="btn-check" name="mode" value="profile" '
               'id="funicular-mode-profile" checked>'
               '<label class="btn btn-outline-primary" for="funicular-mode-profile">'
               "Profiles</label> ")
    if advanced:
        out.append('<input type="radio" class="btn-check" name="mode" value="advanced" '
                   'id="funicular-mode-advanced">'
                   '<label class="btn btn-outline-primary" for="funicular-mode-advanced">'
                   "Advanced</label>")

    # profiles pane
    out.append('<div class="funicular-pane funicular-pane-profile">')
    if listed_error is not None:
        out.append('<div class="alert alert-danger funicular-profile-error">The profiles '
                   f"cannot be offered: {escape(listed_error)}</div>")
    elif listed is not None:
        out.append(pane(listed, user=user, snapshot=snapshot))
    checked = False
    for p in profiles.values() if listed is None and listed_error is None else ():
        reason = unusable_reason(p, user, snapshot) if snapshot else None
        attrs = " disabled" if reason else ""
        if not reason and not checked:
            attrs, checked = " checked", True
        note = f'<br><small class="text-danger">{escape(reason)}</small>' if reason else ""
        out.append(f'<label class="funicular-profile{" disabled" if reason else ""}">'
                   f'<input type="radio" name="profile" value="{escape(p.name)}"{attrs}> '
                   f"<strong>{escape(p.display_name)}</strong><br>"
                   f"<small>{escape(p.summary)}</small>{note}</label>")
    out.append("</div>")

    if advanced:
        out.append('<div class="funicular-pane funicular-pane-advanced">')
        if snapshot is None:
            out.append("<p>Unavailable while the cluster's state is unknown.</p>")
        else:
            out.append(_advanced(user, profiles, images, snapshot, partitions, limits))
        out.append("</div>")
    out.append("</div>")
    return "".join(out)


def _advanced(user, profiles, images, snapshot, partitions, limits) -> str:
    offered = [p for p in snapshot.partitions.values()
               if not p.hidden and p.up and (not partitions or p.name in partitions)]
    base = next(iter(profiles.values())).resources if profiles else None
    rows, part_opts = [], []
    caps = {"cpus": 0, "memory_mb": 0, "gpus": 0, "minutes": 0, "nodes": 0}
    for p in offered:
        s = snapshot.summary(p.name)
        lim = limits.get(p.name, limits["*"])
        gpus = f"{s.gpus_free}/{s.gpus_total}" if s.gpus_total else "none"
        rows.append(f"<tr><td>{escape(p.name)}</td><td>{s.nodes_idle}/{s.nodes_total}</td>"
                    f"<td>{s.cpus_free}/{s.cpus_total}</td><td>{gpus}</td>"
                    f"<td>{hours(_min(lim.max_minutes, p.max_minutes))}</td></tr>")
        longest = hours(_min(lim.max_minutes, p.max_minutes))
        part_opts.append((p.name, f"{p.name} ({s.nodes_idle}/{s.nodes_total} nodes idle, "
                                  f"GPUs: {gpus}, up to {longest})"))
        for key, value in (("cpus", _min(lim.max_cpus, s.max_cpus_per_node)),
                           ("memory_mb", _min(lim.max_memory_mb, s.max_memory_mb_per_node)),
                           ("gpus", _min(lim.max_gpus, s.max_gpus_per_node)),
                           ("minutes", _min(lim.max_minutes, p.max_minutes) or 0),
                           ("nodes", _min(lim.max_nodes, p.max_nodes, s.nodes_total))):
            caps[key] = max(caps[key], value or 0)
    table = ('<table class="table table-sm funicular-partitions"><thead><tr><th>Partition</th>'
             "<th>Idle nodes</th><th>Free CPUs</th><th>Free GPUs</th><th>Max walltime</th>"
             f"</tr></thead><tbody>{''.join(rows)}</tbody></table>")
    accounts = [("", "your default account")] + [(a, a) for a in snapshot.accounts_of(user)]
    resv = [("", "none")] + [(r.name, f"{r.name} (until {r.end})")
                             for r in snapshot.reservations_for(user)]
    start = {"partition": "", "account": None, "nodes": 1, "cpus": 1, "memory_mb": None,
             "gpus": 0, "minutes": 60, "reservation": None}  # when no profile says
    if base is not None:
        start = {key: getattr(base, key) for key in start}
    return "".join([
        table,
        _select("partition", "Partition", part_opts, start["partition"]),
        _select("account", "Slurm account", accounts, start["account"] or ""),
        _number("nodes", "Nodes", start["nodes"], 1, caps["nodes"] or None),
        _number("cpus", "CPUs per node", start["cpus"], 1, caps["cpus"] or None),
        _number("memory_mb", "Memory per node (MB)", start["memory_mb"] or 1024, 1,
                caps["memory_mb"] or None),
        _number("gpus", "GPUs per node", start["gpus"], 0, caps["gpus"]),
        _number("minutes", "Walltime (minutes)", start["minutes"], 1, caps["minutes"] or None),
        _select("reservation", "Reservation", resv, start["reservation"] or ""),
        _select("image", "Image", [(name, _image_text(img)) for name, img in images.items()]),
    ])


def _image_text(img: CatalogImage) -> str:
    """'notebook: JupyterLab ... (CPU x86_64)' from a catalog entry."""
    extra = img.summary()
    text = f"{img.name}: {img.description}" if img.description else img.name
    return f"{text} ({extra})" if extra else text


def _min(*values):
    present = [x for x in values if x is not None]
    return min(present) if present else None
