"""JobLauncher: a form for a containerised batch job, validated by the same rules as
the API (the server's answer is shown next to the field it names)."""

import html

import ipywidgets as w

from . import jobs_client as jobs
from .view import parse_command


class JobLauncher(w.VBox):
    def __init__(self, **kwargs):
        site = jobs.site()
        images = list(site["images"])
        parts = site["partitions"] or ["mc"]
        style = {"description_width": "8em"}
        self.image = w.Dropdown(options=images, description="Image", style=style)
        self.command = w.Text(placeholder="python3 simulate.py --steps 100",
                              description="Command", style=style,
                              layout=w.Layout(width="40em"))
        self.partition = w.Dropdown(options=parts, description="Partition", style=style)
        self.nodes = w.BoundedIntText(1, min=1, max=1024, description="Nodes", style=style)
        self.tasks = w.BoundedIntText(1, min=1, max=1024, description="Tasks/node",
                                      style=style)
        self.gpus = w.BoundedIntText(0, min=0, max=64, description="GPUs/node", style=style)
        self.minutes = w.BoundedIntText(30, min=1, max=43200, description="Minutes",
                                        style=style)
        self.account = w.Text(placeholder="(default)", description="Account", style=style)
        self.mpi = w.Dropdown(options=["none", "hybrid", "bind"], description="MPI",
                              style=style)
        self.array = w.Text(placeholder="e.g. 0-9 (a sweep)", description="Array",
                            style=style)
        self.submit_button = w.Button(description="Submit", button_style="primary",
                                      icon="paper-plane")
        self.message = w.HTML()
        self.last_job: jobs.Job | None = None
        self.submit_button.on_click(lambda _b: self.submit())
        super().__init__([self.image, self.command, self.partition, self.nodes, self.tasks,
                          self.gpus, self.minutes, self.account, self.mpi, self.array,
                          w.HBox([self.submit_button, self.message])], **kwargs)
        self.add_class("funicular-job-launcher")

    def _say(self, text: str, ok: bool) -> None:
        colour = "var(--jp-success-color1, green)" if ok else "var(--jp-error-color1, red)"
        self.message.value = f'<span style="color:{colour}">{html.escape(text)}</span>'

    def submit(self) -> "jobs.Job | None":
        try:
            command = parse_command(self.command.value)
        except ValueError as e:
            self._say(str(e), False)
            return None
        fields = {"nodes": self.nodes.value, "tasks_per_node": self.tasks.value,
                  "gpus": self.gpus.value, "minutes": self.minutes.value,
                  "mpi": self.mpi.value}
        if self.account.value.strip():
            fields["account"] = self.account.value.strip()
        if self.array.value.strip():
            fields["array"] = self.array.value.strip()
        self.submit_button.disabled = True
        try:
            self.last_job = jobs.submit(self.image.value, command, self.partition.value,
                                        **fields)
        except jobs.JobError as e:
            self._say(str(e), False)
            return None
        finally:
            self.submit_button.disabled = False
        self._say(f"Submitted {self.last_job.id} (Slurm job "
                  f"{self.last_job.record['backend_id']})", True)
        return self.last_job
