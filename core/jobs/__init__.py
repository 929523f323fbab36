"""Follow-on batch jobs from notebooks: the request, the site, the batch job."""

from .build import batch_job, job_dir
from .site import JobSite, SiteImage
from .spec import JobRequest, array_tasks, from_json

__all__ = ["JobRequest", "JobSite", "SiteImage", "array_tasks", "batch_job", "from_json",
           "job_dir"]
