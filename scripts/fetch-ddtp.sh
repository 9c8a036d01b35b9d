#!/usr/bin/env bash
# Fetches Debian's translated package descriptions (DDTP) for bookworm main, English and French,
# into data/ddtp/ (never committed). DDTP files are apt index files, not a package: a private apt
# configuration (own state, lists and cache folders, no system parts, Acquire::Languages en+fr)
# downloads them with 'apt-get update' without touching the system's lists. The mirror is the
# system's bookworm mirror (from /etc/apt/sources.list(.d)), or DDTP_MIRROR if set.
# Usage: scripts/fetch-ddtp.sh            -> data/ddtp/Translation-en, data/ddtp/Translation-fr
set -euo pipefail
cd "$(dirname "$0")/.."
out=data/ddtp
if [ -s "$out/Translation-en" ] && [ -s "$out/Translation-fr" ]; then
  echo "$out: present"; exit 0
fi
command -v apt-get >/dev/null || { echo "fetch-ddtp: apt-get is needed (Debian/Ubuntu)" >&2; exit 1; }

mirror="${DDTP_MIRROR:-}"
if [ -z "$mirror" ]; then
  # deb822 sources first (URIs: ...), then one-line sources (deb URI suite ...).
  mirror="$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null \
    | awk '/^URIs:/ {u=$2} /^Suites:/ && /bookworm( |$)/ && u ~ /debian\/?$/ {print u; exit}')"
fi
if [ -z "$mirror" ]; then
  mirror="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
    | awk '$1=="deb" && $3=="bookworm" {print $2; exit}')"
fi
mirror="${mirror:-http://deb.debian.org/debian}"

work="$(pwd)/data/.ddtp-apt"
rm -rf "$work"
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/etc/parts" \
  "$work/etc/prefs" "$out"
cat > "$work/sources.list" <<SRC
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror bookworm main
SRC
cat > "$work/apt.conf" <<CONF
Dir::State "$work";
Dir::State::Lists "$work/lists";
Dir::State::status "/var/lib/dpkg/status";
Dir::Cache "$work/cache";
Dir::Etc::SourceList "$work/sources.list";
Dir::Etc::SourceParts "$work/etc/parts";
Dir::Etc::parts "$work/etc/parts";
Dir::Etc::preferencesparts "$work/etc/prefs";
Acquire::Languages { "en"; "fr"; };
Acquire::IndexTargets::deb::Packages::DefaultEnabled "false";
Acquire::IndexTargets::deb::Contents-deb::DefaultEnabled "false";
Acquire::IndexTargets::deb::DEP-11::DefaultEnabled "false";
Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled "false";
Acquire::IndexTargets::deb::DEP-11-icons-small::DefaultEnabled "false";
Acquire::IndexTargets::deb::CNF::DefaultEnabled "false";
CONF
echo "fetch-ddtp: apt-get update from $mirror bookworm main (private config $work/apt.conf)"
if ! APT_CONFIG="$work/apt.conf" apt-get update -o Debug::NoLocking=1 > "$work/update.log" 2>&1; then
  echo "fetch-ddtp: apt-get update failed (network, mirror $mirror, or keyring); log:" >&2
  tail -20 "$work/update.log" >&2
  exit 1
fi
for lang in en fr; do
  f="$(ls "$work"/lists/*_i18n_Translation-"$lang"* 2>/dev/null | head -1 || true)"
  if [ -z "$f" ]; then
    echo "fetch-ddtp: apt did not download Translation-$lang from $mirror (is i18n served there?);" \
      "apt said:" >&2
    grep -E '^(W|E|Err):' "$work/update.log" | head -5 >&2 || true
    exit 1
  fi
  case "$f" in
    *.xz) xz -dc "$f" > "$out/Translation-$lang" ;;
    *.gz) gzip -dc "$f" > "$out/Translation-$lang" ;;
    *.bz2) bzip2 -dc "$f" > "$out/Translation-$lang" ;;
    *.lz4) lz4 -dc "$f" > "$out/Translation-$lang" ;;
    *) cp "$f" "$out/Translation-$lang" ;;
  esac
done
rm -rf "$work"
echo "$out: Translation-en ($(grep -c '^Description-md5' "$out/Translation-en") entries)," \
  "Translation-fr ($(grep -c '^Description-md5' "$out/Translation-fr") entries)"
