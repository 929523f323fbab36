"""Where text from users meets a format: digits are ASCII digits, a line of the env
file ends at "\\n" only and no value can hold another line, and the instructor page
escapes what it writes into attributes."""

import json
import re
import shutil
import subprocess

import pytest

from funicular.core import envfile
from funicular.core import validate as v
from funicular.core.errors import SpecError
from funicular.spawner import options
from funicular.workshop.service import TEMPLATES

# what str.splitlines() ends a line at, besides "\n"; and other control characters
SEPARATORS = ["\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]
CONTROLS = ["\n", "\0", "\t", "\x1b", "\x7f", "\x9b"]
# digits to str.isdigit() or \d that are not 0-9: Arabic-Indic three, superscript
# three, fullwidth one, Devanagari seven
NOT_ASCII_DIGITS = ["\u0663", "\u00b3", "\uff11", "\u096d", "1\u0663"]


@pytest.mark.parametrize("sep", SEPARATORS + CONTROLS)
def test_env_file_values_hold_no_line_separator(sep):
    with pytest.raises(SpecError, match="JUPYTERHUB_API_TOKEN"):
        envfile.render({"JUPYTERHUB_API_TOKEN": f"abc{sep}JUPYTERHUB_API_URL=http://evil/"})
    with pytest.raises(SpecError):
        v.env_value("X", f"a{sep}b")


@pytest.mark.parametrize("sep", SEPARATORS)
def test_env_file_lines_end_at_newline_only(sep):
    text = f"A=x{sep}B=y\nC=z\n"
    assert envfile.parse(text) == {"A": f"x{sep}B=y", "C": "z"}


def test_ordinary_values_still_pass():
    env = {"A": "ünïcode – and spaces", "B": '["a", "b,c"]', "C": ""}
    assert envfile.parse(envfile.render(env)) == env


@pytest.mark.parametrize("digit", NOT_ASCII_DIGITS)
def test_array_ranges_are_ascii_digits(digit):
    with pytest.raises(SpecError, match="^array: "):
        v.array("array", f"0-{digit}")
    with pytest.raises(SpecError, match="^array: "):
        v.array("array", f"0-9%{digit}")
    assert v.array("array", "0-99:2%10") == "0-99:2%10"


@pytest.mark.parametrize("digit", NOT_ASCII_DIGITS)
def test_form_numbers_are_ascii_digits(digit):
    with pytest.raises(SpecError, match="^cpus: .*not a whole number"):
        options.from_form({"mode": ["advanced"], "cpus": [digit]})
    with pytest.raises(SpecError, match="^port: "):
        v.digits("port", digit)
    assert options.from_form({"mode": ["advanced"], "cpus": ["12"]}) == {"cpus": 12}
    assert v.digits("port", "8080") == 8080


# ---------------------------------------------------------------- instructor page


def page_esc() -> str:
    """The page's own esc(), and the table it uses, as the browser gets them."""
    page = (TEMPLATES / "instructor.html").read_text()
    script = page.split("<script>", 1)[1].split("</script>", 1)[0]
    fn = re.search(r"^function esc\(.*$", script, re.M)
    assert fn, "the instructor page has no one-line esc()"
    consts = re.findall(r"^const [A-Z_]+ = \{.*\};$", script, re.M)
    return "\n".join([*consts, fn.group(0)])


@pytest.mark.skipif(not shutil.which("node"), reason="needs node to run the page's JavaScript")
def test_instructor_page_escapes_attribute_values():
    hostile = ['ws001" onmouseover="alert(1)', "ws' autofocus onfocus='x", "<img src=x>",
               "a & b", None, 42]
    js = page_esc() + f"\nconsole.log(JSON.stringify({json.dumps(hostile)}.map(esc)));"
    out = subprocess.run(["node", "-e", js], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == [
        "ws001&quot; onmouseover=&quot;alert(1)", "ws&#39; autofocus onfocus=&#39;x",
        "&lt;img src=x&gt;", "a &amp; b", "", "42"]


def test_instructor_page_uses_esc_for_every_value():
    """Every ${...} in the table's markup goes through esc() (or is a fixed string)."""
    page = (TEMPLATES / "instructor.html").read_text()
    rows = page.split("data.participants.map(p => `", 1)[1].split("`).join", 1)[0]
    for expr in re.findall(r"\$\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}", rows):
        assert expr.startswith("esc(") or expr.startswith('p.status === "no server"'), expr
