"""S3 (and S3-compatible stores such as Swift's s3api) through boto3.

botocore's own checksums are asked for only where the API requires them: the engine
hashes each part as it is sent and compares the ETag the store answers with (its own
MD5 of what arrived), and checks the whole against the completed upload's ETag.
Retries are the engine's too.
"""

import base64

from ..checksum import ObjectInfo
from .base import ObjectStore, StoreError


def _b64(md5: str) -> str:
    return base64.b64encode(bytes.fromhex(md5)).decode()


def _error(e: Exception, what: str) -> StoreError:
    resp = getattr(e, "response", None) or {}
    status = resp.get("ResponseMetadata", {}).get("HTTPStatusCode")
    code = resp.get("Error", {}).get("Code", "")
    return StoreError(f"s3: {what}: {status or ''} {code or str(e)[:200]}".replace("  ", " "),
                      status)


class S3Store(ObjectStore):
    scheme = "s3"

    def __init__(self, creds, timeout: float = 60):
        super().__init__(creds)
        import boto3
        from botocore.config import Config
        self.client = boto3.session.Session().client(
            "s3", endpoint_url=creds.s3_endpoint, aws_access_key_id=creds.s3_access_key,
            aws_secret_access_key=creds.s3_secret_key, region_name=creds.s3_region,
            config=Config(s3={"addressing_style": "path"}, max_pool_connections=32,
                          retries={"max_attempts": 1, "mode": "standard"},
                          connect_timeout=5, read_timeout=timeout,
                          request_checksum_calculation="when_required",
                          response_checksum_validation="when_required"))

    def call(self, what: str, name: str, **kw):
        try:
            return getattr(self.client, name)(**kw)
        except Exception as e:
            raise _error(e, what) from None

    def container_exists(self, container):
        try:
            self.client.head_bucket(Bucket=container)
        except Exception as e:
            err = _error(e, f"HEAD {container}")
            if err.status == 404:
                return False
            raise err from None
        return True

    def create_container(self, container):
        try:
            where = ({} if self.creds.s3_region == "us-east-1" else {
                "CreateBucketConfiguration": {"LocationConstraint": self.creds.s3_region}})
            self.client.create_bucket(Bucket=container, **where)
        except Exception as e:
            code = (getattr(e, "response", None) or {}).get("Error", {}).get("Code", "")
            if code != "BucketAlreadyOwnedByYou":
                raise _error(e, f"create bucket {container}") from None

    def head(self, container, key):
        try:
            h = self.client.head_object(Bucket=container, Key=key)
        except Exception as e:
            err = _error(e, f"HEAD {container}/{key}")
            if err.status == 404:
                return None
            raise err from None
        etag = h.get("ETag", "").strip('"')
        return ObjectInfo(size=h["ContentLength"], etag=etag, meta=dict(h.get("Metadata", {})),
                          large="-" in etag, modified=str(h.get("LastModified", "")))

    def iter_range(self, container, key, offset, length, chunk=2**20):
        if length == 0:
            return
        r = self.call(f"GET {container}/{key}", "get_object", Bucket=container, Key=key,
                      Range=f"bytes={offset}-{offset + length - 1}")
        try:
            yield from r["Body"].iter_chunks(chunk)
        except Exception as e:
            raise _error(e, f"GET {container}/{key}") from None

    def put(self, container, key, body, length, meta, md5=None):
        extra = {"ContentMD5": _b64(md5)} if md5 else {}
        r = self.call(f"PUT {container}/{key}", "put_object", Bucket=container, Key=key,
                      Body=body, ContentLength=length, Metadata=meta, **extra)
        return r["ETag"].strip('"')

    def begin_upload(self, container, key, upload_id, meta):
        r = self.call(f"create upload {container}/{key}", "create_multipart_upload",
                      Bucket=container, Key=key, Metadata=meta)
        return r["UploadId"]

    def put_part(self, container, key, handle, n, body, length):
        r = self.call(f"upload part {n}", "upload_part", Bucket=container, Key=key,
                      UploadId=handle, PartNumber=n + 1, Body=body, ContentLength=length)
        return r["ETag"].strip('"')

    def stored_parts(self, container, key, handle):
        parts, marker = {}, 0
        while True:
            try:
                r = self.client.list_parts(Bucket=container, Key=key, UploadId=handle,
                                           PartNumberMarker=marker)
            except Exception as e:
                err = _error(e, "list parts")
                if err.status == 404:
                    return {}
                raise err from None
            for p in r.get("Parts", []):
                parts[p["PartNumber"] - 1] = p["ETag"].strip('"')
            if not r.get("IsTruncated"):
                return parts
            marker = r["NextPartNumberMarker"]

    def complete_upload(self, container, key, handle, parts, meta):
        r = self.call(f"complete upload {container}/{key}", "complete_multipart_upload",
                      Bucket=container, Key=key, UploadId=handle,
                      MultipartUpload={"Parts": [{"ETag": f'"{md5}"', "PartNumber": n + 1}
                                                 for n, (md5, _) in enumerate(parts)]})
        return r["ETag"].strip('"')

    def abort_upload(self, container, key, handle):
        try:
            self.client.abort_multipart_upload(Bucket=container, Key=key, UploadId=handle)
        except Exception as e:
            err = _error(e, "abort upload")
            if err.status != 404:
                raise err from None

    def delete(self, container, key):
        if self.head(container, key) is None:
            raise StoreError(f"s3: {container}/{key}: no such object", 404)
        self.call(f"DELETE {container}/{key}", "delete_object", Bucket=container, Key=key)

    def share_url(self, container, key, seconds):
        return self.client.generate_presigned_url(
            "get_object", Params={"Bucket": container, "Key": key}, ExpiresIn=seconds)

    def filesystem(self):
        import s3fs
        c = self.creds
        return s3fs.S3FileSystem(
            key=c.s3_access_key, secret=c.s3_secret_key, endpoint_url=c.s3_endpoint,
            client_kwargs={"region_name": c.s3_region},
            config_kwargs={"s3": {"addressing_style": "path"}}, skip_instance_cache=True)
