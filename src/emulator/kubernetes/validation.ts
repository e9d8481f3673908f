/**
 * The Kubernetes API server's validation rules the emulator enforces (answered as 422 Invalid):
 * DNS-1123 names, qualified label and annotation keys, label values, Secret keys and data, and
 * a few Deployment rules (selector, template, replicas, strategy, containers).
 */

import type { EmulatedResource, Obj } from "./resources.ts";

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
export const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;
const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const QUALIFIED_MSG =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

export interface Cause {
  reason: string;
  message: string;
  field: string;
}

/** Validation errors of a qualified key such as `app.kubernetes.io/name`. */
export function validateQualifiedName(key: string, field: string): Cause[] {
  const causes: Cause[] = [];
  const parts = key.split("/");
  let name = key;
  if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix.length === 0 || prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix)) {
      causes.push({
        reason: "FieldValueInvalid",
        message: `Invalid value: "${key}": prefix part ${SUBDOMAIN_MSG}`,
        field,
      });
    }
  } else if (parts.length > 2) {
    causes.push({
      reason: "FieldValueInvalid",
      message:
        `Invalid value: "${key}": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
      field,
    });
    return causes;
  }
  if (name.length === 0 || name.length > 63 || !QUALIFIED_NAME.test(name)) {
    causes.push({
      reason: "FieldValueInvalid",
      message: name.length > 63
        ? `Invalid value: "${key}": name part must be no more than 63 characters`
        : `Invalid value: "${key}": ${QUALIFIED_MSG}`,
      field,
    });
  }
  return causes;
}

/** Validation errors of a label map. */
export function validateLabels(labels: unknown, field: string): Cause[] {
  if (labels === undefined || labels === null) return [];
  if (typeof labels !== "object" || Array.isArray(labels)) {
    return [{ reason: "FieldValueInvalid", message: "Invalid value: expected a map", field }];
  }
  const causes: Cause[] = [];
  for (const [key, value] of Object.entries(labels as Record<string, unknown>)) {
    causes.push(...validateQualifiedName(key, field));
    if (typeof value !== "string") {
      causes.push({
        reason: "FieldValueInvalid",
        message: `Invalid value: ${JSON.stringify(value)}: label values must be strings`,
        field: `${field}.${key}`,
      });
    } else if (value.length > 63) {
      causes.push({
        reason: "FieldValueInvalid",
        message: `Invalid value: "${value}": must be no more than 63 characters`,
        field,
      });
    } else if (!LABEL_VALUE.test(value)) {
      causes.push({
        reason: "FieldValueInvalid",
        message: `Invalid value: "${value}": ${LABEL_VALUE_MSG}`,
        field,
      });
    }
  }
  return causes;
}

function isBase64(value: string): boolean {
  return /^[A-Za-z0-9+/]*={0,2}$/.test(value) && value.length % 4 === 0;
}

function validateResources(resources: unknown, field: string): Cause[] {
  const causes: Cause[] = [];
  if (!resources || typeof resources !== "object") return causes;
  for (const section of ["requests", "limits"] as const) {
    const map = (resources as Record<string, unknown>)[section];
    if (!map || typeof map !== "object") continue;
    for (const [name, value] of Object.entries(map as Record<string, unknown>)) {
      if (typeof value !== "string" || !QUANTITY.test(value)) {
        causes.push({
          reason: "FieldValueInvalid",
          message: `Invalid value: "${String(value)}": must be a valid quantity`,
          field: `${field}.${section}.${name}`,
        });
      }
    }
  }
  return causes;
}

/** Validation errors of a create or update (`previous` is the stored object of an update). */
export function validateObject(
  resource: EmulatedResource,
  body: Obj,
  previous: Obj | undefined,
): Cause[] {
  const causes: Cause[] = [];
  const name = body.metadata?.name ?? "";
  if (name === "") {
    causes.push({
      reason: "FieldValueRequired",
      message: "Required value: name or generateName is required",
      field: "metadata.name",
    });
  } else if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
    causes.push({
      reason: "FieldValueInvalid",
      message: `Invalid value: "${name}": ${SUBDOMAIN_MSG}`,
      field: "metadata.name",
    });
  }
  causes.push(...validateLabels(body.metadata.labels, "metadata.labels"));
  if (body.metadata.annotations) {
    for (const key of Object.keys(body.metadata.annotations)) {
      causes.push(...validateQualifiedName(key, "metadata.annotations"));
    }
    const size = Object.entries(body.metadata.annotations)
      .reduce((n, [k, v]) => n + k.length + String(v).length, 0);
    if (size > 256 * 1024) {
      causes.push({
        reason: "FieldValueTooLong",
        message: "Too long: must have at most 262144 bytes",
        field: "metadata.annotations",
      });
    }
  }
  if (resource === "secrets") {
    let total = 0;
    for (const [k, v] of Object.entries(body.data as Record<string, unknown> ?? {})) {
      if (!SECRET_KEY.test(k) || k.length > 253) {
        causes.push({
          reason: "FieldValueInvalid",
          message:
            `Invalid value: "${k}": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`,
          field: `data[${k}]`,
        });
      }
      if (typeof v !== "string" || !isBase64(v)) {
        causes.push({
          reason: "FieldValueInvalid",
          message: "Invalid value: illegal base64 data",
          field: `data[${k}]`,
        });
      } else total += v.length;
    }
    if (total > 1024 * 1024 * 4 / 3) {
      causes.push({
        reason: "FieldValueTooLong",
        message: "Too long: must have at most 1048576 bytes",
        field: "data",
      });
    }
    return causes;
  }
  const spec = body.spec as Record<string, unknown> | undefined;
  if (!spec || typeof spec !== "object") {
    causes.push({ reason: "FieldValueRequired", message: "Required value", field: "spec" });
    return causes;
  }
  if (resource === "networkpolicies") return [...causes, ...validateNetworkPolicy(spec)];
  const selector = spec.selector as { matchLabels?: Record<string, string> } | undefined;
  const template = spec.template as
    | { metadata?: { labels?: Record<string, string> }; spec?: Record<string, unknown> }
    | undefined;
  if (!selector || Object.keys(selector.matchLabels ?? {}).length === 0) {
    causes.push({
      reason: "FieldValueInvalid",
      message: "Invalid value: empty selector is invalid for deployment",
      field: "spec.selector",
    });
  } else {
    causes.push(...validateLabels(selector.matchLabels, "spec.selector.matchLabels"));
    const tl = template?.metadata?.labels ?? {};
    const matches = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => tl[k] === v);
    if (!matches) {
      causes.push({
        reason: "FieldValueInvalid",
        message: "Invalid value: `selector` does not match template `labels`",
        field: "spec.template.metadata.labels",
      });
    }
    if (previous) {
      const before = JSON.stringify(
        (previous.spec as { selector?: unknown }).selector ?? null,
      );
      if (before !== JSON.stringify(selector)) {
        causes.push({
          reason: "FieldValueInvalid",
          message: "Invalid value: field is immutable",
          field: "spec.selector",
        });
      }
    }
  }
  causes.push(...validateLabels(template?.metadata?.labels, "spec.template.metadata.labels"));
  if (typeof spec.replicas === "number" && spec.replicas < 0) {
    causes.push({
      reason: "FieldValueInvalid",
      message: `Invalid value: ${spec.replicas}: must be greater than or equal to 0`,
      field: "spec.replicas",
    });
  }
  const strategy = spec.strategy as { type?: string; rollingUpdate?: unknown } | undefined;
  if (strategy?.type === "Recreate" && strategy.rollingUpdate !== undefined) {
    causes.push({
      reason: "FieldValueForbidden",
      message: "Forbidden: may not be specified when strategy `type` is 'Recreate'",
      field: "spec.strategy.rollingUpdate",
    });
  }
  const containers = template?.spec?.containers as Record<string, unknown>[] | undefined;
  if (!Array.isArray(containers) || containers.length === 0) {
    causes.push({
      reason: "FieldValueRequired",
      message: "Required value",
      field: "spec.template.spec.containers",
    });
  } else {
    containers.forEach((c, i) => {
      const field = `spec.template.spec.containers[${i}]`;
      if (typeof c.name !== "string" || !DNS1123_LABEL.test(c.name) || c.name.length > 63) {
        causes.push({
          reason: "FieldValueInvalid",
          message: `Invalid value: "${String(c.name)}": a lowercase RFC 1123 label`,
          field: `${field}.name`,
        });
      }
      if (typeof c.image !== "string" || c.image.trim() === "") {
        causes.push({
          reason: "FieldValueRequired",
          message: "Required value",
          field: `${field}.image`,
        });
      }
      causes.push(...validateResources(c.resources, `${field}.resources`));
    });
  }
  return causes;
}

/** A NetworkPolicy's podSelector and rule peers (label maps) and policy types. */
function validateNetworkPolicy(spec: Record<string, unknown>): Cause[] {
  const causes: Cause[] = [];
  const podSelector = spec.podSelector as { matchLabels?: unknown } | undefined;
  if (!podSelector || typeof podSelector !== "object") {
    causes.push({
      reason: "FieldValueRequired",
      message: "Required value",
      field: "spec.podSelector",
    });
  } else causes.push(...validateLabels(podSelector.matchLabels, "spec.podSelector.matchLabels"));
  for (const t of (spec.policyTypes as unknown[] | undefined) ?? []) {
    if (t !== "Ingress" && t !== "Egress") {
      causes.push({
        reason: "FieldValueNotSupported",
        message: `Unsupported value: "${String(t)}": supported values: "Ingress", "Egress"`,
        field: "spec.policyTypes",
      });
    }
  }
  const ingress = (spec.ingress as { from?: { podSelector?: { matchLabels?: unknown } }[] }[]) ??
    [];
  ingress.forEach((rule, i) =>
    (rule.from ?? []).forEach((peer, j) =>
      causes.push(
        ...validateLabels(
          peer.podSelector?.matchLabels,
          `spec.ingress[${i}].from[${j}].podSelector.matchLabels`,
        ),
      )
    )
  );
  return causes;
}
