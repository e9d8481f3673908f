#!/usr/bin/python3
"""Provision and probe the real Keystone + Cinder started by stack.sh.

Run with Debian's /usr/bin/python3 (requests lives in dist-packages, not in
pyenv). Secrets arrive in the environment, never on the command line.

  provision.py keystone   roles, projects, users, catalog, app credential,
                          clouds.yaml (idempotent)
  provision.py cinder     wait until scheduler + volume are up and the fake
                          pool is listed, then set the quota project's quota
  provision.py check      one-line health summary (used by `status`)
"""

import json
import os
import sys
import time

import requests

KS = "http://127.0.0.1:5000/v3"
CINDER_URL = "http://127.0.0.1:8776/v3/%(project_id)s"
REGION = "RegionOne"
POOL = "cinder-lite@fake#fake"
APPCRED_NAME = "snapsentry-contract"
QUOTA = {"snapshots": 3, "volumes": 10, "gigabytes": 1000}

STATE = os.environ["STACK_STATE_DIR"]
S = requests.Session()


def fail(msg):
    print(f"provision: {msg}", file=sys.stderr)
    sys.exit(1)


def env(name):
    value = os.environ.get(name)
    if not value:
        fail(f"missing environment variable {name}")
    return value


def write_private(path, text):
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def call(method, url, token=None, expect=(200,), **kw):
    headers = kw.pop("headers", {})
    if token:
        headers["X-Auth-Token"] = token
    r = S.request(method, url, headers=headers, timeout=60, **kw)
    if r.status_code not in expect:
        fail(f"{method} {url} returned {r.status_code} (expected {expect}): {r.text[:300]}")
    return r


def password_auth(user, password, project=None, expect_ok=True):
    ident = {
        "methods": ["password"],
        "password": {"user": {"name": user, "domain": {"id": "default"}, "password": password}},
    }
    body = {"auth": {"identity": ident}}
    if project:
        body["auth"]["scope"] = {"project": {"name": project, "domain": {"id": "default"}}}
    r = S.post(f"{KS}/auth/tokens", json=body, timeout=60)
    if r.status_code == 201:
        return r.headers["X-Subject-Token"], r.json()["token"]
    if expect_ok:
        fail(f"password auth as {user} (project {project}) returned {r.status_code}: {r.text[:300]}")
    return None, None


def appcred_auth(cred_id, secret):
    body = {
        "auth": {
            "identity": {
                "methods": ["application_credential"],
                "application_credential": {"id": cred_id, "secret": secret},
            }
        }
    }
    r = S.post(f"{KS}/auth/tokens", json=body, timeout=60)
    return r.status_code == 201


def find_one(token, path, key, **params):
    items = call("GET", f"{KS}/{path}", token, params=params).json()[key]
    return items[0] if items else None


def ensure_role(token, name):
    role = find_one(token, "roles", "roles", name=name)
    if role:
        return role["id"]
    return call("POST", f"{KS}/roles", token, (201,), json={"role": {"name": name}}).json()["role"]["id"]


def ensure_project(token, name, description):
    project = find_one(token, "projects", "projects", name=name, domain_id="default")
    if project:
        return project["id"]
    body = {"project": {"name": name, "domain_id": "default", "description": description}}
    return call("POST", f"{KS}/projects", token, (201,), json=body).json()["project"]["id"]


def ensure_user(token, name, password, project_id):
    user = find_one(token, "users", "users", name=name, domain_id="default")
    if not user:
        body = {
            "user": {
                "name": name,
                "domain_id": "default",
                "password": password,
                "default_project_id": project_id,
                "enabled": True,
            }
        }
        return call("POST", f"{KS}/users", token, (201,), json=body).json()["user"]["id"]
    # Change the password only when it really differs: a change revokes every token issued in
    # the same second (revocation has one-second granularity), so wait past that second.
    tok, _ = password_auth(name, password, expect_ok=False)
    if not tok:
        body = {"user": {"password": password}}
        call("PATCH", f"{KS}/users/{user['id']}", token, (200,), json=body)
        time.sleep(1.1)
    return user["id"]


def grant(token, project_id, user_id, role_id):
    call("PUT", f"{KS}/projects/{project_id}/users/{user_id}/roles/{role_id}", token, (204,))


def ensure_service(token, stype, name):
    svc = find_one(token, "services", "services", type=stype)
    if svc:
        return svc["id"]
    body = {"service": {"type": stype, "name": name, "enabled": True}}
    return call("POST", f"{KS}/services", token, (201,), json=body).json()["service"]["id"]


def ensure_endpoints(token, service_id):
    existing = call("GET", f"{KS}/endpoints", token, params={"service_id": service_id}).json()[
        "endpoints"
    ]
    for iface in ("public", "internal", "admin"):
        match = [e for e in existing if e["interface"] == iface]
        if not match:
            body = {
                "endpoint": {
                    "service_id": service_id,
                    "interface": iface,
                    "url": CINDER_URL,
                    "region_id": REGION,
                    "enabled": True,
                }
            }
            call("POST", f"{KS}/endpoints", token, (201,), json=body)
            continue
        ep = match[0]
        if ep["url"] != CINDER_URL or ep.get("region_id") != REGION:
            body = {"endpoint": {"url": CINDER_URL, "region_id": REGION}}
            call("PATCH", f"{KS}/endpoints/{ep['id']}", token, (200,), json=body)
        for extra in match[1:]:
            call("DELETE", f"{KS}/endpoints/{extra['id']}", token, (204,))


def ensure_appcred(user_id, password):
    """Reuse the stored app credential if it still authenticates, else replace it."""
    path = os.path.join(STATE, "appcred.env")
    stored = {}
    if os.path.exists(path):
        for line in open(path):
            if "=" in line:
                k, v = line.strip().split("=", 1)
                stored[k] = v
    token, _ = password_auth("demo", password, "demo")
    base = f"{KS}/users/{user_id}/application_credentials"
    creds = call("GET", base, token, params={"name": APPCRED_NAME}).json()[
        "application_credentials"
    ]
    sid, ssecret = stored.get("APPCRED_ID"), stored.get("APPCRED_SECRET")
    if sid and ssecret and any(c["id"] == sid for c in creds) and appcred_auth(sid, ssecret):
        return sid, ssecret
    for c in creds:
        call("DELETE", f"{base}/{c['id']}", token, (204,))
    body = {
        "application_credential": {
            "name": APPCRED_NAME,
            "description": "snapsentry contract tests (tests/real_cloud/stack.sh)",
        }
    }
    cred = call("POST", base, token, (201,), json=body).json()["application_credential"]
    write_private(path, f"APPCRED_ID={cred['id']}\nAPPCRED_SECRET={cred['secret']}\n")
    return cred["id"], cred["secret"]


def clouds_yaml(secrets, cred_id, cred_secret):
    def pw(profile, user, password, project):
        return f"""  {profile}:
    auth_type: password
    auth:
      auth_url: {KS}
      username: {user}
      password: "{password}"
      project_name: {project}
      user_domain_name: Default
      project_domain_name: Default
    region_name: {REGION}
    interface: public
    identity_api_version: 3
"""

    return (
        "# Written by tests/real_cloud/stack.sh; regenerated on every `up`.\n"
        "clouds:\n"
        + pw("real-member", "demo", secrets["DEMO_PASSWORD"], "demo")
        + f"""  real-appcred:
    auth_type: v3applicationcredential
    auth:
      auth_url: {KS}
      application_credential_id: "{cred_id}"
      application_credential_secret: "{cred_secret}"
    region_name: {REGION}
    interface: public
    identity_api_version: 3
"""
        + pw("real-admin", "admin", secrets["ADMIN_PASSWORD"], "admin")
        + pw("real-quota", "quota", secrets["QUOTA_PASSWORD"], "quota")
    )


def cmd_keystone():
    secrets = {
        k: env(k)
        for k in ("ADMIN_PASSWORD", "CINDER_SERVICE_PASSWORD", "DEMO_PASSWORD", "QUOTA_PASSWORD")
    }
    token, _ = password_auth("admin", secrets["ADMIN_PASSWORD"], "admin")
    roles = {n: ensure_role(token, n) for n in ("admin", "member", "reader", "service")}
    projects = {
        "service": ensure_project(token, "service", "OpenStack services"),
        "demo": ensure_project(token, "demo", "snapsentry contract tests (member)"),
        "quota": ensure_project(token, "quota", "snapsentry contract tests (small quota)"),
    }
    admin_project = find_one(token, "projects", "projects", name="admin", domain_id="default")
    cinder = ensure_user(token, "cinder", secrets["CINDER_SERVICE_PASSWORD"], projects["service"])
    grant(token, projects["service"], cinder, roles["admin"])
    grant(token, projects["service"], cinder, roles["service"])
    demo = ensure_user(token, "demo", secrets["DEMO_PASSWORD"], projects["demo"])
    grant(token, projects["demo"], demo, roles["member"])
    quota = ensure_user(token, "quota", secrets["QUOTA_PASSWORD"], projects["quota"])
    grant(token, projects["quota"], quota, roles["member"])
    for stype, name in (("volumev3", "cinderv3"), ("block-storage", "cinder")):
        ensure_endpoints(token, ensure_service(token, stype, name))
    cred_id, cred_secret = ensure_appcred(demo, secrets["DEMO_PASSWORD"])
    ids = {
        "ADMIN_PROJECT_ID": admin_project["id"],
        "DEMO_PROJECT_ID": projects["demo"],
        "QUOTA_PROJECT_ID": projects["quota"],
        "SERVICE_PROJECT_ID": projects["service"],
        "DEMO_USER_ID": demo,
        "QUOTA_USER_ID": quota,
        "APPCRED_ID": cred_id,
    }
    with open(os.path.join(STATE, "ids.env"), "w") as f:
        f.write("".join(f"{k}={v}\n" for k, v in ids.items()))
    write_private(os.path.join(STATE, "clouds.yaml"), clouds_yaml(secrets, cred_id, cred_secret))


def volume_endpoint(catalog):
    for svc in catalog:
        if svc["type"] == "volumev3":
            for ep in svc["endpoints"]:
                if ep["interface"] == "public":
                    return ep["url"]
    fail("no public volumev3 endpoint in the admin token's catalog")


def cmd_cinder():
    deadline = time.monotonic() + float(os.environ.get("STACK_READY_TIMEOUT", "180"))
    token, body = password_auth("admin", env("ADMIN_PASSWORD"), "admin")
    ep = volume_endpoint(body["catalog"])
    last = "cinder-api did not answer"
    while True:
        try:
            r = S.get(f"{ep}/os-services", headers={"X-Auth-Token": token}, timeout=30)
            if r.status_code == 200:
                up = {
                    s["binary"]
                    for s in r.json()["services"]
                    if s["state"] == "up" and s["status"] == "enabled"
                }
                if {"cinder-scheduler", "cinder-volume"} <= up:
                    r = S.get(
                        f"{ep}/scheduler-stats/get_pools",
                        headers={"X-Auth-Token": token},
                        timeout=30,
                    )
                    pools = [p["name"] for p in r.json().get("pools", [])] if r.ok else []
                    if POOL in pools:
                        break
                    last = f"pool {POOL} not listed yet (pools: {pools})"
                else:
                    last = f"services up: {sorted(up)}"
            else:
                last = f"os-services returned {r.status_code}"
        except requests.RequestException as e:
            last = f"cinder-api: {type(e).__name__}"
        if time.monotonic() > deadline:
            fail(f"Cinder is not ready: {last}")
        time.sleep(1)
    quota_project = env("QUOTA_PROJECT_ID")
    call(
        "PUT",
        f"{ep}/os-quota-sets/{quota_project}",
        token,
        (200,),
        json={"quota_set": QUOTA},
    )
    got = call("GET", f"{ep}/os-quota-sets/{quota_project}", token).json()["quota_set"]
    wrong = {k: got.get(k) for k, v in QUOTA.items() if got.get(k) != v}
    if wrong:
        fail(f"quota of project quota did not stick: {wrong}")


def cmd_check():
    ok = True
    token, body = password_auth("admin", env("ADMIN_PASSWORD"), "admin", expect_ok=False)
    if not token:
        print("keystone: admin password auth FAILED")
        sys.exit(1)
    print("keystone: admin password auth ok")
    ep = volume_endpoint(body["catalog"])
    try:
        r = S.get(f"{ep}/os-services", headers={"X-Auth-Token": token}, timeout=30)
        r.raise_for_status()
        for s in r.json()["services"]:
            print(f"cinder: {s['binary']}@{s['host']} {s['status']}/{s['state']}")
            ok = ok and s["state"] == "up"
    except requests.RequestException as e:
        print(f"cinder: os-services FAILED ({type(e).__name__})")
        ok = False
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    commands = {"keystone": cmd_keystone, "cinder": cmd_cinder, "check": cmd_check}
    if len(sys.argv) != 2 or sys.argv[1] not in commands:
        fail(f"usage: provision.py {'|'.join(commands)}")
    commands[sys.argv[1]]()
