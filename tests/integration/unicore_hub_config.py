"""The box's JupyterHub config, plus the UNICORE credential the tests' fake UNICORE
takes (test_jobs_backends.py): the hub signs trust-delegation JWTs for its users with
a key whose certificate the fake trusts as an issuer. The test makes the key and
hands its path and the certificate's subject DN over in FUNICULAR_TEST_UNICORE_KEY
and FUNICULAR_TEST_UNICORE_ISSUER."""

import os
import pathlib

c = get_config()  # noqa: F821
box_config = pathlib.Path(__file__).resolve().parents[2] / "deploy/local/jupyterhub_config.py"
assert box_config.exists(), box_config  # load_subconfig passes over a missing file silently
load_subconfig(str(box_config))  # noqa: F821

c.FunicularUnicore.credential = "jwt"
c.FunicularUnicore.jwt_key_file = os.environ["FUNICULAR_TEST_UNICORE_KEY"]
c.FunicularUnicore.jwt_issuer = os.environ["FUNICULAR_TEST_UNICORE_ISSUER"]
c.FunicularUnicore.jwt_subject = "UID={user}"
c.FunicularUnicore.jwt_lifetime = 300
