"""Status of known jobs from squeue's text without free-form fields."""

from funicular.core.slurm import jobtext

OUT = ("7|RUNNING|None|mc1|mc1|2026-11-23T10:00:00|2026-11-23T11:00:00|alice\n"
       "8|PENDING|Resources|n/a||2026-11-23T12:00:00|N/A|bob\n"
       "9|RUNNING|None|mc2|mc2|N/A|N/A|mallory\n"
       "10_1|RUNNING|None|mc1|mc1|N/A|N/A|alice\n"
       "10_[2-4%2]|PENDING|JobArrayTaskLimit|n/a||N/A|N/A|alice\n"
       "garbage line\n"
       "7 |RUNNING|x|y|z|a|b|c|d\n"
       "11|running|None|mc1|mc1|N/A|N/A|alice\n")


def test_no_field_a_user_can_set():
    # job name %j, comment %k, working directory %Z, command %o, account %a, ...
    assert set(jobtext.FORMAT.split("|")) == {"%i", "%T", "%r", "%B", "%N", "%S", "%e", "%u"}


def test_only_the_ids_asked_for_and_their_array_tasks():
    jobs = jobtext.parse(OUT, ["7", "8", "10", "11"])
    assert set(jobs) == {"7", "8", "10_1", "10_[2-4%2]"}  # not 9; 11's state is no state
    assert jobs["7"].running and jobs["7"].batch_host == "mc1" and jobs["7"].user == "alice"
    assert jobs["8"].waiting and jobs["8"].reason == "Resources" and jobs["8"].batch_host is None
    assert jobs["8"].start_time == "2026-11-23T12:00:00" and jobs["8"].end_time is None
    assert jobtext.parse(OUT, []) == {}


def test_a_line_split_elsewhere_adds_nothing():
    # were a separator ever in a field, the pieces would not be 8 fields of an asked id
    text = "7|RUNNING|None|mc1|mc1|N/A|N/A|alice\u20288|FAILED|None|mc1|mc1|N/A|N/A|bob\n"
    assert jobtext.parse(text, ["8"]) == {}
