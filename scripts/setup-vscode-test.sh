#!/usr/bin/env bash
# Installs what the VS Code tests (test/vscode) need, idempotently:
#   - Debian packages: chromium (headless browser for the workbench), build-essential + python3 + libkrb5-dev
#     (native modules of the VS Code server: spdlog, node-pty, kerberos, native-watchdog), ripgrep (search).
#   - code-server 4.100.3 (= VS Code 1.100.3 server + web workbench; the last release whose install accepts
#     Node 20) into .cache/vscode-test/code-server/, with its own package.json and node_modules, never the
#     project's.
# Needs network access only to the npm registry and Debian's package mirrors. Works as root (CI) or as a user
# with sudo for the apt step. A marker file records a finished install, so a second run takes about a second.
# Usage: scripts/setup-vscode-test.sh [--force]      (--force reinstalls code-server)
# Environment: VSCODE_TEST_CACHE overrides the cache folder (default <repo>/.cache/vscode-test).
# Why each step is needed: /work/shared/notes/vscode-in-ci.md ("Install"), verified on Debian 12 + Node 20.
set -euo pipefail

started=$(date +%s)
root=$(cd "$(dirname "$0")/.." && pwd)
cache=${VSCODE_TEST_CACHE:-$root/.cache/vscode-test}
cs_version=4.100.3
cs_dir=$cache/code-server
marker=$cs_dir/.installed
force=false
[[ ${1:-} == --force ]] && force=true

log() { printf '[setup-vscode-test] %s\n' "$*"; }
die() { printf '[setup-vscode-test] error: %s\n' "$*" >&2; exit 1; }

# ---- 1. Debian packages -------------------------------------------------------------------------------------
apt_packages=(chromium build-essential python3 libkrb5-dev ripgrep)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  command -v apt-get >/dev/null || die "missing ${missing[*]} and apt-get is not available; install them with your package manager, then run this again"
  sudo=()
  if [[ $(id -u) != 0 ]]; then
    command -v sudo >/dev/null || die "missing Debian packages ${missing[*]}; run this script as root or install them: apt-get install -y ${missing[*]}"
    sudo=(sudo)
  fi
  log "installing Debian packages: ${missing[*]}"
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi
[[ -x /usr/bin/chromium ]] || die "/usr/bin/chromium is missing after installing the chromium package"
rg_bin=$(command -v rg) || die "ripgrep (rg) is not on PATH after installing the ripgrep package"

# ---- 2. code-server -----------------------------------------------------------------------------------------
if ! $force && [[ -f $marker ]] && [[ $(cat "$marker") == "code-server@$cs_version node@$(node -v)" ]]; then
  log "code-server $cs_version already installed in $cs_dir ($(( $(date +%s) - started )) s)"
  exit 0
fi
# The native modules are built for the running Node's ABI, so a different Node major means a rebuild.
node_major=$(node -p 'process.versions.node.split(".")[0]')
[[ $node_major == 20 ]] || die "code-server $cs_version needs Node 20 (found $(node -v)); use Node 20 for the VS Code tests"

log "installing code-server $cs_version into $cs_dir"
rm -rf "$cs_dir"
mkdir -p "$cs_dir"
cd "$cs_dir"
cat > package.json <<EOF
{
  "name": "vscode-test-code-server",
  "private": true,
  "description": "code-server used by codex-gateway's VS Code tests; installed by scripts/setup-vscode-test.sh",
  "dependencies": { "code-server": "$cs_version" }
}
EOF
# Quiet, non-interactive npm. `yes=true`: node-pty's build runs `npx node-gyp`, which a user npmrc with
# `yes=false` would cancel.
export npm_config_yes=true npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
export npm_config_loglevel=warn
# The stock postinstall refuses to run as root, so scripts are skipped and the needed builds run one by one.
npm install --ignore-scripts --no-package-lock
npm rebuild argon2
vscode_dir=$cs_dir/node_modules/code-server/lib/vscode
cd "$vscode_dir"
npm install --omit=dev --ignore-scripts --no-package-lock
# @vscode/ripgrep downloads its binary from GitHub unless bin/ already has one: use Debian's.
mkdir -p node_modules/@vscode/ripgrep/bin
ln -sf "$rg_bin" node_modules/@vscode/ripgrep/bin/rg
# Native modules (spdlog, node-pty, kerberos, native-watchdog, ...), built against this Node.
npm rebuild --foreground-scripts
# The server looks up some modules under node_modules.asar (as in the packaged desktop app).
ln -sfn node_modules node_modules.asar
(cd extensions && npm install --omit=dev --no-package-lock)

# ---- 3. check and mark ---------------------------------------------------------------------------------------
# code-server writes a default config and a log folder under XDG_CONFIG_HOME / XDG_DATA_HOME on every start:
# point them at a throwaway folder so nothing lands in the user's home.
scratch=$(mktemp -d)
version=$(XDG_CONFIG_HOME=$scratch XDG_DATA_HOME=$scratch "$cs_dir/node_modules/.bin/code-server" --version 2>/dev/null | tail -n1)
rm -rf "$scratch"
[[ $version == "$cs_version "* ]] || die "code-server --version printed '$version', expected $cs_version; run with --force to reinstall"
printf 'code-server@%s node@%s\n' "$cs_version" "$(node -v)" > "$marker"
log "done: $version ($(( $(date +%s) - started )) s)"
