#!/usr/bin/env bash
# Smoke check of the stack started by stack.sh, over plain HTTP with curl: auth for every
# profile, app-credential token, volume list, volume + snapshot create, the quota project's
# 413 after 3 snapshots, and the maximum microversion. Cleans up what it creates.
# Secrets never go into argv: request bodies come from stdin, tokens from a private header file.
set -Eeuo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STATE="$HERE/state"
PY=/usr/bin/python3
KS=http://127.0.0.1:5000/v3
CINDER=http://127.0.0.1:8776/v3
# shellcheck disable=SC1091
source "$STATE/secrets.env"
# shellcheck disable=SC1091
source "$STATE/appcred.env"
# shellcheck disable=SC1091
source "$STATE/ids.env"

TMP=$(mktemp -d)
chmod 0700 "$TMP"
trap 'rm -rf "$TMP"' EXIT
FAILS=0

ok() { printf 'ok    %s\n' "$*"; }
bad() {
  printf 'FAIL  %s\n' "$*"
  FAILS=$((FAILS + 1))
}
json() { "$PY" -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

token() { # token NAME BODY_ON_STDIN -> writes $TMP/NAME.h (X-Auth-Token header file)
  local name=$1 code
  code=$(curl -sS -o "$TMP/$name.body" -D "$TMP/$name.hdr" -w '%{http_code}' \
    -H 'Content-Type: application/json' -d @- "$KS/auth/tokens")
  if [[ $code == 201 ]]; then
    printf 'X-Auth-Token: %s\n' "$(grep -i '^x-subject-token:' "$TMP/$name.hdr" | cut -d' ' -f2 |
      tr -d '\r')" >"$TMP/$name.h"
    ok "auth $name -> 201"
  else
    bad "auth $name -> $code"
  fi
}

pw_body() {
  printf '{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"%s","domain":{"id":"default"},"password":"%s"}}},"scope":{"project":{"name":"%s","domain":{"id":"default"}}}}}' "$1" "$2" "$3"
}

api() { # api TOKEN METHOD URL [BODY via stdin if -] -> prints status, body in $TMP/last
  local tok=$1 method=$2 url=$3
  shift 3
  curl -sS -o "$TMP/last" -w '%{http_code}' -X "$method" -H @"$TMP/$tok.h" \
    -H 'Content-Type: application/json' -H 'OpenStack-API-Version: volume 3.70' "$@" "$url"
}

wait_status() { # wait_status TOKEN URL KEY WANT
  local i s
  for i in $(seq 1 60); do
    api "$1" GET "$2" >/dev/null
    s=$(json "d['$3']['status']" <"$TMP/last")
    [[ $s == "$4" ]] && return 0
    [[ $s == error* ]] && break
    sleep 0.5
  done
  bad "$2 status $s, wanted $4"
  return 1
}

wait_gone() {
  local i
  for i in $(seq 1 60); do
    [[ $(api "$1" GET "$2") == 404 ]] && return 0
    sleep 0.5
  done
  bad "$2 not deleted"
}

pw_body demo "$DEMO_PASSWORD" demo | token member
pw_body admin "$ADMIN_PASSWORD" admin | token admin
pw_body quota "$QUOTA_PASSWORD" quota | token quota
printf '{"auth":{"identity":{"methods":["application_credential"],"application_credential":{"id":"%s","secret":"%s"}}}}' \
  "$APPCRED_ID" "$APPCRED_SECRET" | token appcred

# Zed: GET /v3/ needs a token (401 without) and answers {"versions": [...]} (a list, like the
# root); the unauthenticated root GET / answers 300 with the same list.
code=$(curl -sS -o /dev/null -w '%{http_code}' http://127.0.0.1:8776/v3/)
[[ $code == 401 ]] && ok "GET /v3/ without a token -> 401" || bad "GET /v3/ without a token -> $code"
code=$(api member GET http://127.0.0.1:8776/v3/)
max=$(json "d['versions'][0]['version']" <"$TMP/last")
[[ $code == 200 && $max == 3.70 ]] && ok "GET /v3/ with a token -> 200, max microversion $max" ||
  bad "GET /v3/ -> $code, max microversion $max, wanted 3.70"
code=$(curl -sS -o "$TMP/last" -w '%{http_code}' http://127.0.0.1:8776/)
max=$(json "d['versions'][0]['version']" <"$TMP/last")
[[ $code == 300 && $max == 3.70 ]] && ok "GET / -> 300, max microversion $max" || bad "GET / -> $code, max $max"

for t in member appcred; do
  code=$(api "$t" GET "$CINDER/$DEMO_PROJECT_ID/volumes/detail")
  [[ $code == 200 ]] && ok "$t GET volumes/detail -> 200 ($(json "len(d['volumes'])" <"$TMP/last") volumes)" ||
    bad "$t GET volumes/detail -> $code"
done

# Volume + snapshot as the member (through the app credential, the way snapsentry runs).
code=$(echo '{"volume":{"size":1,"name":"smoke-vol"}}' | api appcred POST "$CINDER/$DEMO_PROJECT_ID/volumes" -d @-)
vol=$(json "d['volume']['id']" <"$TMP/last")
[[ $code == 202 ]] && ok "create 1 GB volume -> 202 ($vol)" || bad "create volume -> $code"
wait_status appcred "$CINDER/$DEMO_PROJECT_ID/volumes/$vol" volume available && ok "volume available"
code=$(echo "{\"snapshot\":{\"volume_id\":\"$vol\",\"name\":\"smoke-snap\",\"metadata\":{\"snapsentry\":\"smoke\"}}}" |
  api appcred POST "$CINDER/$DEMO_PROJECT_ID/snapshots" -d @-)
snap=$(json "d['snapshot']['id']" <"$TMP/last")
[[ $code == 202 ]] && ok "create snapshot -> 202 ($snap)" || bad "create snapshot -> $code"
wait_status appcred "$CINDER/$DEMO_PROJECT_ID/snapshots/$snap" snapshot available && ok "snapshot available"
api member DELETE "$CINDER/$DEMO_PROJECT_ID/snapshots/$snap" >/dev/null
wait_gone member "$CINDER/$DEMO_PROJECT_ID/snapshots/$snap"
api member DELETE "$CINDER/$DEMO_PROJECT_ID/volumes/$vol" >/dev/null
wait_gone member "$CINDER/$DEMO_PROJECT_ID/volumes/$vol"
ok "cleaned up demo volume and snapshot"

# Quota project: snapshots=3, so the 4th snapshot is refused with 413.
api admin GET "$CINDER/$ADMIN_PROJECT_ID/os-quota-sets/$QUOTA_PROJECT_ID" >/dev/null
ok "quota project quota: $(json "{k: d['quota_set'][k] for k in ('snapshots','volumes','gigabytes')}" <"$TMP/last")"
echo '{"volume":{"size":1,"name":"smoke-quota-vol"}}' | api quota POST "$CINDER/$QUOTA_PROJECT_ID/volumes" -d @- >/dev/null
qvol=$(json "d['volume']['id']" <"$TMP/last")
wait_status quota "$CINDER/$QUOTA_PROJECT_ID/volumes/$qvol" volume available
snaps=()
for i in 1 2 3 4; do
  code=$(echo "{\"snapshot\":{\"volume_id\":\"$qvol\",\"name\":\"smoke-quota-$i\"}}" |
    api quota POST "$CINDER/$QUOTA_PROJECT_ID/snapshots" -d @-)
  if ((i <= 3)); then
    [[ $code == 202 ]] && snaps+=("$(json "d['snapshot']['id']" <"$TMP/last")") || bad "quota snapshot $i -> $code"
    wait_status quota "$CINDER/$QUOTA_PROJECT_ID/snapshots/${snaps[-1]}" snapshot available
  else
    msg=$(json "next(iter(d.values()))['message']" <"$TMP/last" 2>/dev/null || cat "$TMP/last")
    [[ $code == 413 ]] && ok "4th snapshot on quota project -> 413 ($msg)" || bad "4th snapshot -> $code ($msg)"
  fi
done
for s in "${snaps[@]}"; do api quota DELETE "$CINDER/$QUOTA_PROJECT_ID/snapshots/$s" >/dev/null; done
for s in "${snaps[@]}"; do wait_gone quota "$CINDER/$QUOTA_PROJECT_ID/snapshots/$s"; done
api quota DELETE "$CINDER/$QUOTA_PROJECT_ID/volumes/$qvol" >/dev/null
wait_gone quota "$CINDER/$QUOTA_PROJECT_ID/volumes/$qvol"
ok "cleaned up quota project"

if ((FAILS)); then
  echo "smoke: $FAILS check(s) failed"
  exit 1
fi
echo "smoke: all checks passed"
