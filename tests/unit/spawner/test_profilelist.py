"""kubespawner's profile_list as Funicular reads it (spawner/profilelist.py and
profilejob.py): pure functions, from the admin's list to typed profiles, from a user's
options to one selection, from a selection to override layers and a job."""

import pytest

from funicular.core.errors import SpecError
from funicular.spawner import profilejob
from funicular.spawner.profilelist import Rules, choose, parse, slug_of, substitute

SETTINGS = frozenset({"server_job", "cmd", "args", "environment", "default_url",
                      "extra_sbatch_args", "image_check", "profiles"})
RULES = Rules(SETTINGS, {"profiles": "it is what the profile is chosen from"})
IMAGES = {"notebook": "/i/nb", "pytorch": "/i/pt", "jax": "/i/jax"}
BASE_JOB = {"partition": "mc", "cpus": 1, "memory_mb": 1024, "minutes": 60,
            "image": "notebook"}

# the shape of kubespawner's own documented example, with Funicular's settings
LIST = [
    {"display_name": "Small CPU", "description": "1 CPU for an hour"},
    {"display_name": "GPU node", "slug": "gpu", "default": True,
     "kubespawner_override": {"server_job": {"partition": "gpu", "gpus": 1},
                              "default_url": "/lab"},
     "profile_options": {
         "image": {"display_name": "Image",
                   "choices": {"torch": {"display_name": "PyTorch",
                                         "funicular_override": {
                                             "server_job": {"image": "pytorch"}}},
                               "jax": {"display_name": "JAX", "default": True,
                                       "funicular_override": {
                                           "server_job": {"image": "jax"}}}},
                   "unlisted_choice": {"enabled": True, "display_name": "Other image",
                                       "validation_regex": "[a-z]+",
                                       "validation_message": "a catalog name",
                                       "funicular_override": {
                                           "server_job": {"image": "{value}"}}}},
         "hours": {"choices": {"1": {"funicular_override": {"server_job": {"minutes": 60}}},
                               "4": {"funicular_override": {"server_job": {"minutes": 240}}}}},
     }},
]


def test_kubespawners_form_is_read():
    small, gpu = parse(LIST, RULES)
    assert (small.slug, small.description, small.default) == ("small-cpu", "1 CPU for an hour",
                                                              False)
    assert (gpu.slug, gpu.default) == ("gpu", True)
    # kubespawner_override is read as funicular_override is, and says which it was
    assert gpu.override.where == "profile_list[1].kubespawner_override"
    assert gpu.override.values["default_url"] == "/lab"
    image, hours = gpu.options
    assert [c.key for c in image.choices] == ["torch", "jax"] and image.default == "jax"
    assert hours.default == "1" and hours.display_name == "hours"  # first, and its name
    assert image.unlisted.display_name_in_choices == "Other..."  # kubespawner's default
    assert [p.default for p in parse(LIST[:1] + [{"display_name": "b"}], RULES)] == \
        [True, False]  # no default: the first, as kubespawner does


@pytest.mark.parametrize(("name", "slug"), [
    ("Small CPU", "small-cpu"), ("Über GPU (A100)", "uber-gpu-a100"),
    ("Alice's box", "alices-box"), ("  -- R & Python --  ", "r-python"), ("…", ""),
])
def test_slugs_from_display_names_as_kubespawner_makes_them(name, slug):
    assert slug_of(name) == slug


def test_a_dict_of_profiles_is_taken_in_key_order():
    got = parse({"b": {"display_name": "Bee"}, "a": {"display_name": "Ay"}}, RULES)
    assert [p.slug for p in got] == ["ay", "bee"]
    assert got[0].where == "profile_list['a']"


@pytest.mark.parametrize(("raw", "message"), [
    ([{"display_name": "a"}, {"display_name": "b"},
      {"display_name": "c", "funicular_override": {"partitionz": "gpu"}}],
     "profile_list[2].funicular_override: unknown FunicularSpawner setting 'partitionz'"),
    ([{"display_name": "a", "kubespawner_override": {"image": "jupyter/base"}}],
     "profile_list[0].kubespawner_override: unknown FunicularSpawner setting 'image'"),
    ([{"display_name": "a", "funicular_override": {"profiles": []}}],
     "profile_list[0].funicular_override: 'profiles' cannot be set per profile: it is"),
    ([{"display_name": "a", "funicular_override": {}, "kubespawner_override": {}}],
     "profile_list[0]: has both funicular_override and kubespawner_override"),
    ([{"display_name": "a", "cpu": 2}], "profile_list[0]: unknown keys ['cpu']"),
    ([{"slug": "a"}], "profile_list[0].display_name: must be text (and is required)"),
    ([{"display_name": "…"}], "profile_list[0].display_name: no slug can be made"),
    ([{"display_name": "a", "slug": "a b"}], "profile_list[0].slug: 'a b'"),
    ([{"display_name": "a", "slug": "x--y"}], "profile_list[0].slug: 'x--y'"),
    ([{"display_name": "A"}, {"display_name": "a"}],
     "profile_list[1].slug: 'a' is also the slug of profile_list[0]"),
    ([{"display_name": "a", "default": True}, {"display_name": "b", "default": True}],
     "more than one profile has 'default'"),
    ([{"display_name": "a", "default": "yes"}], "profile_list[0].default: must be True"),
    ([], "profile_list: offers no profile"),
    ("gpu", "profile_list: must be a list of profiles"),
    ([{"display_name": "a", "funicular_override": {"server_job": {"gpu": 1}}}],
     "profile_list[0].funicular_override.server_job: unknown keys ['gpu']"),
    ([{"display_name": "a", "profile_options": {"img": {"display_name": "Image"}}}],
     "profile_list[0].profile_options.img: has no choices and no enabled unlisted_choice"),
    ([{"display_name": "a", "profile_options": {"img": {"choices": {"a b": {}}}}}],
     "profile_list[0].profile_options.img.choices.a b: choice key 'a b'"),
    ([{"display_name": "a", "profile_options": {"img": {"choices": {
        "x": {"default": True}, "y": {"default": True}}}}}],
     "profile_list[0].profile_options.img.choices: more than one choice has 'default'"),
    ([{"display_name": "a", "profile_options": {"img": {"choices": {"x": {"slug": "y"}}}}}],
     "profile_list[0].profile_options.img.choices.x: unknown keys ['slug']"),
    ([{"display_name": "a", "profile_options": {"img": {"unlisted_choice": {
        "enabled": True, "validation_regex": "(["}}}}],
     "profile_list[0].profile_options.img.unlisted_choice.validation_regex: '(['"),
    ([{"display_name": "a", "profile_options": {"q": {"unlisted_choice": {
        "enabled": True, "funicular_override": {"extra_sbatch_args": ["--qos={value}"]}}}}}],
     "'extra_sbatch_args' may not hold a user's free text"),
])
def test_a_broken_entry_is_refused_naming_its_path(raw, message):
    with pytest.raises(SpecError) as e:
        parse(raw, RULES)
    assert message in str(e.value)


def test_values_are_checked_by_the_setting_where_the_configuration_says_them():
    def check(key, value):
        if key == "cmd" and not isinstance(value, list):
            raise ValueError(f"The 'cmd' trait expected a list, not {value!r}")
    rules = Rules(SETTINGS, {}, check)
    with pytest.raises(SpecError, match=r"profile_list\[0\].funicular_override: 'cmd': "):
        parse([{"display_name": "a", "funicular_override": {"cmd": 3}}], rules)
    # a callable's value is not known yet: it is checked when called (overrides.py)
    parse([{"display_name": "a", "funicular_override": {"cmd": lambda s: 3}}], rules)


# ---------------------------------------------------------------- a user's choice
PROFILES = parse(LIST, RULES)


def test_the_default_profile_and_default_choices():
    sel = choose(PROFILES, {})
    assert sel.profile.slug == "gpu"
    assert [(o.name, c.key) for o, c in sel.picks] == [("image", "jax"), ("hours", "1")]
    assert sel.label == "GPU node (Image: JAX, hours: 1)"
    assert choose(PROFILES, {"profile": "small-cpu"}).picks == ()


def test_the_rest_apis_user_options_as_kubespawner_names_them():
    sel = choose(PROFILES, {"profile": "gpu", "profile-option-image": "torch",
                            "profile-option-hours": "4"})
    assert sel.user_options() == {"profile": "gpu", "profile-option-image": "torch",
                                  "profile-option-hours": "4"}
    typed = choose(PROFILES, {"profile": "gpu",
                              "profile-option-image--unlisted-choice": "pytorch"})
    assert typed.typed and typed.picks[0][1] == "pytorch" and not sel.typed


@pytest.mark.parametrize(("asked", "message"), [
    ({"profile": "gpu-2"}, "profile: 'gpu-2' is not one of the offered profiles: small-cpu, gpu"),
    ({"profile": ["gpu"]}, "profile: ['gpu'] is not one of the offered profiles"),
    ({"profile": "gpu", "profile-option-image": "tensorflow"},
     "profile-option-image: 'tensorflow' is not one of the choices: torch, jax"),
    ({"profile": "gpu", "profile-option-image": 1}, "profile-option-image: 1 is not one of"),
    ({"profile": "gpu", "profile-option-colour": "red"},
     "user_options: unknown option(s) ['profile-option-colour'] for profile 'gpu'"),
    ({"profile": "small-cpu", "profile-option-image": "torch"},
     "unknown option(s) ['profile-option-image'] for profile 'small-cpu'"),
    ({"profile": "gpu", "profile-option-hours--unlisted-choice": "3"},  # not enabled
     "unknown option(s) ['profile-option-hours--unlisted-choice']"),
    ({"profile": "gpu", "profile-option-image": "jax",
      "profile-option-image--unlisted-choice": "jax"}, "profile-option-image: give a choice"),
    ({"profile": "gpu", "profile-option-image--unlisted-choice": "my/image"},
     "profile-option-image--unlisted-choice: 'my/image' is not a valid name"),
    ({"profile": "gpu", "profile-option-image--unlisted-choice": "--rm"}, "not a valid name"),
    ({"profile": "gpu", "profile-option-image--unlisted-choice": "jax2"},  # whole match
     "profile-option-image--unlisted-choice: a catalog name"),
    ({"profile": "gpu", "profile-option-image--unlisted-choice": ""}, "not a valid name"),
])
def test_a_choice_that_is_not_offered_is_refused_naming_the_field(asked, message):
    with pytest.raises(SpecError) as e:
        choose(PROFILES, asked)
    assert message in str(e.value)


def test_free_text_only_options_need_a_value():
    (p,) = parse([{"display_name": "a", "profile_options": {"repo": {"unlisted_choice": {
        "enabled": True, "funicular_override": {"default_url": "/git/{value}"}}}}}], RULES)
    with pytest.raises(SpecError, match="profile-option-repo--unlisted-choice: repo: a value"):
        choose((p,), {})
    sel = choose((p,), {"profile-option-repo--unlisted-choice": "course-1"})
    assert sel.layers()[1].values == {"default_url": "/git/course-1"}


def test_layers_come_in_kubespawners_order_with_the_text_in_place():
    sel = choose(PROFILES, {"profile": "gpu", "profile-option-image--unlisted-choice": "abc",
                            "profile-option-hours": "4"})
    layers = sel.layers()
    assert [layer.where for layer in layers] == [
        "profile_list[1].kubespawner_override",
        "profile_list[1].profile_options.image.unlisted_choice.funicular_override",
        "profile_list[1].profile_options.hours.choices.4.funicular_override"]
    assert layers[1].values == {"server_job": {"image": "abc"}}


def test_substitution_reads_no_other_braces():
    assert substitute({"A": ["x-{value}", "{user}"], "{value}": 1, "n": 3}, "v") == \
        {"A": ["x-v", "{user}"], "v": 1, "n": 3}


# ---------------------------------------------------------------- the job
def test_the_job_is_server_job_with_the_selections_overrides_merged_in():
    sel = choose(PROFILES, {"profile": "gpu", "profile-option-hours": "4"})
    job = profilejob.static_job(sel, BASE_JOB)
    assert job == {**BASE_JOB, "partition": "gpu", "gpus": 1, "image": "jax", "minutes": 240}
    profile = profilejob.job_profile(sel, job, IMAGES)
    assert (profile.name, profile.image, profile.resources.partition,
            profile.resources.minutes) == ("gpu", "jax", "gpu", 240)
    assert profile.display_name == "GPU node (Image: JAX, hours: 4)"


def test_free_text_numbers_are_digits_and_checked_as_the_forms_are():
    sel = choose(PROFILES, {"profile": "small-cpu"})
    assert profilejob.job_profile(sel, {**BASE_JOB, "minutes": "90"}, IMAGES) \
        .resources.minutes == 90
    with pytest.raises(SpecError, match="server_job.minutes: '٣' is not a whole number"):
        profilejob.job_profile(sel, {**BASE_JOB, "minutes": "٣"}, IMAGES)
    with pytest.raises(SpecError, match="server_job: unknown keys"):
        profilejob.job_profile(sel, {**BASE_JOB, "mem": 3}, IMAGES)


def test_a_job_a_callable_decides_is_not_guessed():
    (p,) = parse([{"display_name": "a", "funicular_override": {
        "server_job": {"cpus": lambda spawner: 4}}}], RULES)
    assert profilejob.static_job(choose((p,), {}), BASE_JOB) is None


def test_every_listed_choice_is_checked_naming_its_path():
    profilejob.check_jobs(PROFILES, BASE_JOB, IMAGES)
    broken = [LIST[0], {**LIST[1], "profile_options": {"image": {"choices": {
        "torch": {"funicular_override": {"server_job": {"image": "pytorch"}}},
        "tf": {"funicular_override": {"server_job": {"image": "tensorflow"}}}}}}}]
    with pytest.raises(SpecError) as e:
        profilejob.check_jobs(parse(broken, RULES), BASE_JOB, IMAGES)
    assert str(e.value).startswith("profile_list[1].profile_options.image.choices.tf: "
                                   "profile 'gpu': image 'tensorflow' is not in the image")
