"""The spawn form's profile pane for a ``profile_list``: each profile with its
description, what its job gets by default, and its options as selects (a text field
where the admin allows free text), named as kubespawner's form names them.

No script: every profile's fields are on the page, and options.from_form takes the
chosen profile's. Whatever the browser sends is checked again on the server
(profilelist.choose, options.resolve); nothing here is a check.
"""

from dataclasses import dataclass
from html import escape

from funicular.core.slurm.cluster import ClusterSnapshot

from .options import UNLISTED_PICK, unusable_reason
from .profilelist import OPTION_PREFIX, UNLISTED_SUFFIX, ListedProfile, ProfileOption
from .profiles import Profile


@dataclass(frozen=True)
class Entry:
    profile: ListedProfile
    job: Profile | None  # its job with the default choices; None: a callable decides it


def pane(entries: list[Entry], *, user: str, snapshot: ClusterSnapshot | None) -> str:
    reasons = [unusable_reason(e.job, user, snapshot) if e.job and snapshot else None
               for e in entries]
    usable = [e.profile.slug for e, why in zip(entries, reasons, strict=True) if not why]
    preferred = next((e.profile.slug for e in entries if e.profile.default), None)
    checked = preferred if preferred in usable else usable[0] if usable else None
    return "".join(_entry(e, why, e.profile.slug == checked)
                   for e, why in zip(entries, reasons, strict=True))


def _entry(entry: Entry, reason: str | None, checked: bool) -> str:
    p = entry.profile
    attrs = " disabled" if reason else " checked" if checked else ""
    parts = [f'<div class="funicular-profile{" disabled" if reason else ""}">'
             f'<label><input type="radio" name="profile" value="{escape(p.slug)}"{attrs}> '
             f"<strong>{escape(p.display_name)}</strong></label>"]
    if p.description:
        parts.append(f'<br><span class="funicular-description">{escape(p.description)}</span>')
    if entry.job is not None:
        parts.append(f"<br><small>{escape(entry.job.summary)}</small>")
    if reason:
        parts.append(f'<br><small class="text-danger">{escape(reason)}</small>')
    parts.extend(_option(p.slug, o) for o in p.options)
    parts.append("</div>")
    return "".join(parts)


def _option(slug: str, option: ProfileOption) -> str:
    name = f"{OPTION_PREFIX}{slug}--{option.name}"
    ident = f"funicular-{name}"
    out = [f'<div class="mb-2 funicular-option"><label class="form-label" for="{escape(ident)}">'
           f"{escape(option.display_name)}</label>"]
    if option.choices:
        opts = [f'<option value="{escape(c.key)}"{" selected" if c.key == option.default else ""}>'
                f"{escape(c.display_name)}</option>" for c in option.choices]
        if option.unlisted is not None:
            opts.append(f'<option value="{UNLISTED_PICK}">'
                        f"{escape(option.unlisted.display_name_in_choices)}</option>")
        out.append(f'<select class="form-select form-control" id="{escape(ident)}" '
                   f'name="{escape(name)}">{"".join(opts)}</select>')
    if option.unlisted is not None:
        u = option.unlisted
        hint = f' title="{escape(u.message)}"' if u.message else ""
        out.append(f'<input class="form-control" type="text" '
                   f'name="{escape(name + UNLISTED_SUFFIX)}" '
                   f'placeholder="{escape(u.display_name)}" aria-label="{escape(u.display_name)}"'
                   f'{hint} maxlength="64">')
    out.append("</div>")
    return "".join(out)
