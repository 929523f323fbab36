"""Follow-on batch jobs from notebooks: the request, the site, the batch job."""

from .build import batch_job, job_dir
from .request import JobRequest, array_tasks, from_json
from .site import JobSite, SiteImage

__all__ = ["JobRequest", "JobSite", "SiteImage", "array_tasks", "batch_job", "from_json",
           "job_dir"]
