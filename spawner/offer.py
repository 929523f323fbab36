"""What the hub offers a user and hands their server: profiles, workshops, the image
catalogs, the spawn form and the checks of a choice; the site, credentials, env file,
course material, Slurm tokens and TLS files a server gets. The logic lives in
options.py, form.py, profiles.py, workshops.py, jobsite.py, credentials.py,
notebookjob.py, materialsource.py and tls.py; this layer binds it to the settings.
"""

import functools
import pwd
from dataclasses import dataclass

from tornado import web
from traitlets import default

from funicular.core.containers import Scratch
from funicular.core.errors import IdentityError, SpecError
from funicular.core.images.catalog import CatalogImage, load_catalog
from funicular.core.images.compat import Problem
from funicular.core.storage import StoreCredentials

from . import form, options, shared, tls
from .credentials import StorageConfigError, StoreSettings, store_credentials
from .endreason import banner, explain
from .jobsite import job_site, mint_token
from .materialsource import material_source
from .notebookjob import home_inside, server_env
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



class SpawnerOffer(SpawnerTraits):
    """FunicularSpawner's offer (its configuration: traits.py; its lifecycle: spawner.py)."""

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
        load_profiles(self.profiles, self.images)
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
            unicore_url=self.jobs_unicore_url or None, pmi=self.jobs_mpi_plugin,
            partitions=tuple(sorted(getattr(snap, "partitions", None) or ())))

    def credentials(self, user: str | None = None) -> StoreCredentials | None:
        """A hub user's object-store credentials (default: this spawner's user)."""
        hook = self.storage_credentials
        ask = None if not hook else (lambda: hook(self)) if user is None else \
            (lambda: hook(self, user=user))
        return store_credentials(StoreSettings(
            self.storage_keys_file, self.storage_identity, self.storage_swift_auth_url,
            self.storage_s3_endpoint, self.storage_s3_region), user or self.user.name, ask)

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
        return form.render(user=self.user.name, profiles=self.profile_map, images=self.catalog,
                           snapshot=snapshot, stale_reason=self.cluster.stale_reason,
                           advanced=self.advanced,
                           partitions=self.advanced_partitions, limits=self.loaded.limits)

    async def options_from_form(self, formdata):
        user_options = options.from_form(formdata)
        # refuse on the form, with why: bad values, or an image that cannot run there
        self._check_image(self._resolve(user_options, await self.cluster.get()))
        return user_options

    def _resolve(self, user_options, snapshot) -> options.Choice:
        return options.resolve(
            user_options, user=self.user.name, profiles=self.profile_map, images=self.images,
            snapshot=snapshot, advanced=self.advanced,
            partitions=self.advanced_partitions, limits=self.loaded.limits)

    def _check_image(self, choice: options.Choice) -> list[Problem]:
        """Refuse (SpecError) or return warnings for an image that cannot run where the
        job would go, before anything is queued."""
        if self.image_check == "off":
            return []
        part = choice.resources.partition
        return check_image(choice, self.catalog[choice.image].annotations,
                           shared.fingerprint(part, self.partition_fingerprints,
                                              self.fingerprint_dir), self.image_check)

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
        if self.jobs_backend not in ("rest", "unicore") or not self.slurmrestd_jwt_key:
            raise web.HTTPError(404, "this hub hands out no tokens (jobs_backend 'rest' "
                                "or 'unicore', and slurmrestd_jwt_key)")
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

