# The notebook image's server configuration: the apps in the job (docs/apps.md), VS Code
# and a desktop behind jupyter-server-proxy, each on a unix socket in a private
# directory. The build puts this file in /opt/jupyter/etc/jupyter/. A user's own
# ~/.jupyter/jupyter_server_config.py that sets ServerProxy.servers replaces these.
from funicular.extension.apps import servers, without_port_proxies

c = get_config()  # noqa: F821  (Jupyter's, when it loads this file)
c.ServerProxy.servers = servers()
without_port_proxies()  # no /proxy/PORT: tenants share the node's loopback
