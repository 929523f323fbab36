"""What the hub offers a user and hands their server: profiles (``profiles``, or a
kubespawner-style ``profile_list`` whose chosen profile sets the spawner's settings),
workshops, the image catalogs, the spawn form and the checks of a choice; the site,
credentials, env file, course material, Slurm tokens and TLS files a server gets. The
logic lives in options.py, form.py, profiles.py, profilelist.py, profilejob.py,
overrides.py, workshops.py, jobsite.py, credentials.py, notebookjob.py,
materialsource.py and tls.py; this layer binds it to the settings.
"""

import functools
import inspect
import pwd
from dataclasses import dataclass

from tornado import web
from traitlets import TraitError, default

from funicular.core.containers import Scratch
from funicular.core.errors import IdentityError, SpecError
from funicular.core.images.catalog import CatalogImage, load_catalog
from funicular.core.images.compat import Problem
from funicular.core.storage import StoreCredentials

from . import form, options, overrides, profilejob, profilelist, shared, startlinks, tls
from .credentials import StorageConfigError, StoreSettings, store_credentials
from .endreason import banner, explain
from .jobsite import job_site, mint_token
from .listedform import Entry
from .materialsource import material_source
from .notebookjob import home_inside, server_command, server_env
from .options import check_image
from .profiles import Profile, load_profiles
from .traits import SpawnerTraits
from .workshops import Workshop, load_workshops, workshop_of


@dataclass(frozen=True)
class Loaded:
    catalog: dict[str, CatalogImage]  # notebook images (the spawn form's)
    job_catalog: dict[str, CatalogImage]  # those and the job-only ones
    limits: dict[str, options.Limits]
    workshops: dict[str, Workshop]


@dataclass(frozen=True)
class Plan:
    """A profile_list choice worked out and checked, nothing set yet."""

    selection: profilelist.Selection
    values: dict[str, object]  # the settings it sets, as their traits take them
    profile: Profile  # its job


class SpawnerOffer(SpawnerTraits):
    """FunicularSpawner's offer (its configuration: traits.py; its lifecycle: spawner.py)."""

    # a profile_list profile's settings, as the start set them (put back by clear_state)
    _applied: overrides.Applied = overrides.NOTHING
    _loaded: tuple[dict, Plan] | None = None  # (the user_options, their plan)

    @default("options_form")
    def _options_form_default(self):
        return SpawnerOffer._render_form  # called with the spawner: see get_options_form

    @property
    def profile_map(self) -> dict[str, Profile]:
        """The profiles this user may choose: a workshop participant gets its one."""
        if self.workshop is not None:
            return {self.workshop.profile.name: self.workshop.profile}
        if not hasattr(self, "_profile_map"):
            self._profile_map = load_profiles(self.profiles, self.images)
        return self._profile_map

    @property
    def workshop(self) -> Workshop | None:
        """The workshop this user takes part in, by JupyterHub group; None: none."""
        groups = [g.name for g in getattr(self.user, "groups", None) or []]
        return workshop_of(self.loaded.workshops, groups)

    @functools.cached_property
    def loaded(self) -> Loaded:
        """The image catalogs, limits and workshops, parsed once per spawner."""
        catalog = load_catalog(self.images)
        return Loaded(catalog, {**catalog, **load_catalog(self.job_images)},
                      options.load_limits(self.advanced_limits),
                      load_workshops(self.workshops, self.images))

    def check_config(self) -> None:
        """Every setting that is parsed, parsed now: the hub refuses to start with a
        broken profile, image, limit or workshop (SpecError or ValueError naming the
        key) instead of a user's spawn page breaking later."""
        load_catalog(self.images)
        load_catalog(self.job_images)
        options.load_limits(self.advanced_limits)
        load_workshops(self.workshops, self.images)
        if not self.profile_list:
            load_profiles(self.profiles, self.images)
        elif self.profiles != self.trait_defaults("profiles"):
            raise SpecError("profile_list", "profiles is set as well: configure one of "
                            "them (profile_list, in KubeSpawner's form, or profiles)")
        elif not callable(self.profile_list):  # a callable's result: when it is called
            self._check_listed(profilelist.parse(self.profile_list, self._override_rules))
        server_command(self.cmd, self.args, env_file="env", report_timeout=1,
                       proof=self.verify_listener)
        if self.volatile_scratch:
            Scratch(**self.volatile_scratch)
        # (how to reach Slurm was checked when this spawner was made: make_backend)

    @property
    def advanced(self) -> bool:
        """The advanced tab (and its keys in user_options): never for a participant."""
        return self.advanced_options and self.workshop is None

    @property
    def catalog(self) -> dict[str, CatalogImage]:
        return self.loaded.catalog

    @property
    def _home(self) -> str:
        return pwd.getpwnam(self.user.name).pw_dir

    @property
    def _uid(self) -> int | None:
        try:
            return pwd.getpwnam(self.user.name).pw_uid
        except KeyError:
            return None

    def site(self):
        """What the notebook and its jobs may use (core.jobs.JobSite)."""
        snap = getattr(self.cluster, "snapshot", None)
        return job_site(
            self.loaded.job_catalog, engine_options=self.engine_options,
            stage_image=self.jobs_stage_image, binds=self.binds, host_home=self._home,
            runtime=self.container_runtime, scratch=dict(self.volatile_scratch) or None,
            backend=self.jobs_backend,
            slurmrestd_url=self.jobs_slurmrestd_url or self.slurmrestd_url,
            slurm_bin_dir=self.jobs_slurm_bin_dir or None,
            unicore_url=self.jobs_unicore_url or None, pmi=self.jobs_mpi_plugin,
            partitions=tuple(sorted(getattr(snap, "partitions", None) or ())))

    def credentials(self, user: str | None = None) -> StoreCredentials | None:
        """A hub user's object-store credentials (default: this spawner's user)."""
        hook = self.storage_credentials
        ask = None if not hook else (lambda: hook(self)) if user is None else \
            (lambda: hook(self, user=user))
        return store_credentials(StoreSettings(
            self.storage_keys_file, self.storage_identity, self.storage_swift_auth_url,
            self.storage_s3_endpoint, self.storage_s3_region, self.storage_swift_auth_version,
            self.storage_swift_user_domain, self.storage_swift_project,
            self.storage_swift_project_domain, self.storage_swift_region),
            user or self.user.name, ask)

    # ------------------------------------------------------------------ the form
    @property
    def last_end_message(self) -> str:
        """Why the previous server ended, in words (empty if it was stopped from the hub)."""
        return explain(self.last_end, self._uid) if self.last_end else ""

    async def get_options_form(self):
        form_html = await super().get_options_form()
        if not self.last_end:
            return form_html
        return banner(self.last_end, self.last_end_message) + form_html

    async def _render_form(self) -> str:
        snapshot = await self.cluster.get()
        profiles, listed, listed_error = {}, None, None
        if not self.listing:
            profiles = self.profile_map
        else:
            try:
                listed = self._entries(await self.listed_profiles())
            except SpecError as e:
                self.log.error("funicular: profile_list for %s: %s", self.user.name, e)
                listed_error = str(e)
            profiles = {e.profile.slug: e.job for e in listed or () if e.job}
        return form.render(user=self.user.name, profiles=profiles, images=self.catalog,
                           snapshot=snapshot, stale_reason=self.cluster.stale_reason,
                           advanced=self.advanced, partitions=self.advanced_partitions,
                           limits=self.loaded.limits, listed=listed,
                           listed_error=listed_error)

    async def options_from_form(self, formdata):
        user_options = options.from_form(formdata)
        # refuse on the form, with why: bad values, or an image that cannot run there
        snapshot = await self.cluster.get()
        plan = await self._plan(user_options) if self.listing else None
        self._check_image(self._resolve(user_options, snapshot, plan),
                          plan.values if plan else None)
        return user_options

    async def options_from_query(self, query_data):
        """``GET /hub/spawn?opt-FIELD=VALUE...`` (a start link, the home page's "Start
        again"): the form's fields, checked as fields (startlinks.check_query), then by
        the form's own function. A refusal names the field; JupyterHub then shows the
        form with it, and nothing starts."""
        try:
            startlinks.check_query(query_data,
                                   dropped=startlinks.dropped_fields(self.handler))
            return await self.options_from_form(query_data)
        except SpecError as e:
            e.jupyterhub_message = f"This start link was refused: {e}"  # the form says it
            raise

    def _resolve(self, user_options, snapshot, plan: Plan | None = None) -> options.Choice:
        """The job user_options ask for, checked. With profile_list: the profile ``plan``
        worked out (default: the one the start loaded, see load_profile), and the
        advanced keys over it."""
        common = dict(user=self.user.name, images=self.images, snapshot=snapshot,
                      advanced=self.advanced, partitions=self.advanced_partitions,
                      limits=self.loaded.limits)
        if not self.listing:
            return options.resolve(user_options, profiles=self.profile_map, **common)
        plan = plan or self._loaded_plan(user_options)
        rest = {k: val for k, val in user_options.items() if k != "profile" and not (
            isinstance(k, str) and k.startswith(profilelist.OPTION_PREFIX))}
        name = plan.profile.name
        return options.resolve({**rest, "profile": name}, profiles={name: plan.profile},
                               typed=plan.selection.typed, **common)

    def _check_image(self, choice: options.Choice, settings: dict | None = None
                     ) -> list[Problem]:
        """Refuse (SpecError) or return warnings for an image that cannot run where the
        job would go, before anything is queued. ``settings``: a profile's, not set yet."""
        def setting(key):
            return (settings or {}).get(key, getattr(self, key))

        if setting("image_check") == "off":
            return []
        part = choice.resources.partition
        return check_image(choice, self.catalog[choice.image].annotations,
                           shared.fingerprint(part, setting("partition_fingerprints"),
                                              setting("fingerprint_dir")),
                           setting("image_check"))

    # ------------------------------------------------------------------ profile_list
    @property
    def listing(self) -> bool:
        """Whether this user's profiles are profile_list's (a workshop's participant
        gets the workshop's profile whatever is configured)."""
        return bool(self.profile_list) and self.workshop is None

    @property
    def _override_rules(self) -> profilelist.Rules:
        return profilelist.Rules(frozenset(self.traits(config=True)),
                                 overrides.NOT_PER_PROFILE, self._as_trait)

    def _as_trait(self, key: str, value: object) -> object:
        """``value`` as setting ``key`` would take it (ValueError with the trait's
        words if it would not)."""
        trait = self.traits()[key]
        if value is None and trait.allow_none:
            return None
        try:
            value = trait.validate(self, value) if hasattr(trait, "validate") else value
        except TraitError as e:  # not a ValueError: say it as one
            raise ValueError(str(e)) from None
        if key in ("cmd", "args"):  # and words that can travel as argv (SpecError)
            server_command(value if key == "cmd" else self.cmd,
                           value if key == "args" else self.args, env_file="env",
                           report_timeout=1, proof=self.verify_listener)
        return value

    def _check_listed(self, listed: tuple[profilelist.ListedProfile, ...]) -> None:
        profilejob.check_jobs(listed, self.server_job, self.images)

    async def listed_profiles(self) -> tuple[profilelist.ListedProfile, ...]:
        """profile_list as this user is offered it, checked whole (a callable's result
        as the hub checks a list when it starts): SpecError naming the broken key."""
        raw = self.profile_list
        if callable(raw):
            try:
                raw = raw(self)
                if inspect.isawaitable(raw):
                    raw = await raw
            except Exception:  # the admin's code: the hub's log has why, the user a reason
                self.log.exception("profile_list's callable failed for %s", self.user.name)
                raise SpecError("profile_list", "the callable failed (the hub's log says "
                                "why)") from None
        listed = profilelist.parse(raw, self._override_rules)
        if callable(self.profile_list):
            self._check_listed(listed)
        return listed

    def _entries(self, listed) -> list[Entry]:
        """The form's view: each profile with its job at the default choices."""
        out = []
        for p in listed:
            selection = profilejob.defaults_of(p)
            job = profilejob.static_job(selection, self.server_job) if selection else None
            out.append(Entry(p, profilejob.job_profile(selection, job, self.images)
                             if job is not None else None))
        return out

    async def _plan(self, user_options: object) -> Plan:
        """What ``user_options`` choose from profile_list, worked out and checked
        (callables in overrides are called with the spawner); nothing is set."""
        if not isinstance(user_options, dict):
            raise SpecError("user_options", "must be an object")
        selection = profilelist.choose(await self.listed_profiles(), user_options)
        composed = await overrides.compose(
            selection.layers(), overrides.underneath(self, self._applied), self)
        values = overrides.check(composed, self._as_trait)
        job = values.get(profilelist.JOB_SETTING,
                         overrides.underneath(self, self._applied)(profilelist.JOB_SETTING))
        return Plan(selection, values, profilejob.job_profile(selection, job, self.images))

    def _loaded_plan(self, user_options) -> Plan:
        if self._loaded is None or self._loaded[0] != user_options:
            raise SpecError("profile", "the chosen profile was not loaded before the "
                            "start (FunicularSpawner loads it in run_pre_spawn_hook)")
        return self._loaded[1]

    async def load_profile(self) -> Plan | None:
        """kubespawner's ``_load_profile``: the chosen profile's and options' overrides
        set on the spawner before the job is built, all or none. Once per start: the
        same options give the plan already loaded."""
        if not self.listing:
            return None
        chosen = dict(self.user_options or {})
        if self._loaded is not None and self._loaded[0] == chosen:
            return self._loaded[1]
        plan = await self._plan(chosen)  # over what the last profile replaced
        self._unload_profile()  # checked: only now does anything change
        try:
            self._applied = overrides.apply(self, plan.values)
        except (TraitError, ValueError, TypeError) as e:  # checked: an observer's refusal
            raise SpecError("profile_list", f"the profile's settings: {e}") from None
        self._loaded = (chosen, plan)
        self.log.info("funicular: %s starts with profile %s%s", self._log_name,
                      plan.selection.label,
                      f", setting {', '.join(sorted(plan.values))}" if plan.values else "")
        return plan

    def _unload_profile(self) -> None:
        overrides.restore(self, self._applied)
        self._applied, self._loaded = overrides.NOTHING, None

    async def run_pre_spawn_hook(self):
        """JupyterHub calls this right before the certificates and start(): the chosen
        profile is set first, so the admin's pre_spawn_hook, the certificates, the
        start_timeout JupyterHub then reads and the job all see it. A refused choice
        is a 400 with the reason, and the last accepted options come back."""
        try:
            await self.load_profile()
        except SpecError as e:
            self._refuse_options()
            raise web.HTTPError(400, f"Invalid server options: {e}") from None
        result = super().run_pre_spawn_hook()
        if inspect.isawaitable(result):
            await result

    def clear_state(self):
        """The server is gone (or a new one starts): a profile's settings go with it."""
        super().clear_state()
        self._unload_profile()

    def _refuse_options(self) -> None:
        """JupyterHub stored the refused options as the ones a start without a body
        re-uses (the admin page, the culler, scripts): put back the last accepted."""
        self.orm_spawner.user_options = self.accepted_options or {}
        self._session.commit()

    # ------------------------------------------------------------------ what the server gets
    def _server_env(self, site) -> dict[str, str]:
        try:
            creds = self.credentials()
        except (OSError, ValueError, StorageConfigError) as e:
            self.log.error("funicular: no object store for %s: %s", self.user.name, e)
            creds = None
        workshop = self.workshop
        return server_env(
            self.get_env(), admin_keys=set(self.environment), site=site,
            material_dir=workshop.material_dir if workshop and workshop.material else None,
            store=creds,
            # slurmrestd cannot signal the batch shell: the extension warns by a timer
            walltime_warning=self.walltime_warning if self.slurm_backend == "rest" else 0)

    async def _material(self) -> tuple[str, str] | None:
        """Where a workshop's course material comes from and goes, if it has any."""
        workshop = self.workshop
        if workshop is None or not workshop.material:
            return None
        source, note = await material_source(
            workshop, cache_dir=self.material_cache_dir, refresh=self.material_refresh,
            credentials=self.credentials, log=self.log)
        if note:
            self.progress_events.emit(4, note)
        return source, workshop.material_dir

    async def reset_material(self) -> dict:
        """The course material as handed out; the participant's folder moved aside."""
        try:
            material = await self._material()
        except RuntimeError as e:
            raise web.HTTPError(502, f"the course material cannot be fetched: {e}") from e
        if material is None:
            raise web.HTTPError(404, "no course material for this user")
        return await self.home_files.reset_material(*material)

    def slurm_token(self) -> dict:
        """A short-lived slurmrestd token for this server's user (the jobs API)."""
        if self.jobs_backend != "rest" or not self.slurmrestd_jwt_key:
            # UNICORE gets a credential of its own (unicorecreds), never a Slurm token
            raise web.HTTPError(404, "this hub hands out no Slurm tokens (jobs_backend "
                                "'rest' and slurmrestd_jwt_key)")
        try:
            self.identity.check(self.user.name)
        except IdentityError as e:
            raise web.HTTPError(403, str(e)) from None
        return mint_token(self.slurmrestd_jwt_key, self.user.name, self.jobs_token_lifespan)

    # ------------------------------------------------------------------ internal SSL
    async def create_certs(self):
        snapshot = await self.cluster.get()
        self.ssl_alt_names = await tls.alt_names(self.ssl_alt_names,
                                                 snapshot.nodes if snapshot else ())
        return await super().create_certs()

    async def move_certs(self, paths):
        """Key, certificate and CA bundle go into the server's private directory with
        its env file, at start (one helper call); the paths the container sees."""
        try:
            choice = self._resolve(self.user_options or {}, await self.cluster.get())
            home = home_inside(self.site(), choice.image, choice.runtime, self.user.name)
        except SpecError:
            home = self._home  # the start refuses these options anyway
        self._tls_files, inside = tls.server_files(paths, self.paths.ssl, home)
        return inside

