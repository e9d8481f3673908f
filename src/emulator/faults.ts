/**
 * Fault injection for the emulated cloud: a script of rules, each matched by method, path pattern
 * (or normalised request kind) and call count, each applying one fault. Rules keep their own count
 * of matching calls, so "the 3rd snapshot create fails with 503" is
 * `{ kind: "POST snapshots", after: 2, fault: { type: "status", status: 503 } }`.
 */
import { globSource } from "./wire.ts";

export type Fault =
  /** Answer this status without processing (500/502/503/504 or any other). */
  | { type: "status"; status: number; message?: string }
  /** Answer 429 (or `status`) with `Retry-After: <retryAfter>` without processing. */
  | { type: "rate_limit"; retryAfter: number | string; status?: number }
  /** Wait `ms` on the emulator's clock (and `realMs` of real time) before processing. */
  | { type: "latency"; ms: number; realMs?: number }
  /** Throw a TypeError before processing, as fetch does on a reset connection. */
  | { type: "drop" }
  /** Expire the request's token now; the request then fails with 401. */
  | { type: "expire_token" }
  /** A snapshot created by this request stays in `creating`. */
  | { type: "snapshot_stuck" }
  /** A snapshot created by this request turns to `error` instead of `available`. */
  | { type: "snapshot_error" }
  /** A snapshot deleted (or force-deleted) by this request ends in `error_deleting`. */
  | { type: "snapshot_error_deleting" }
  /**
   * Process the request, then lose the answer: reply `status` (default 500) or, with
   * `drop: true`, throw a TypeError. The "accepted but lost" case of a snapshot create.
   */
  | { type: "lost_response"; status?: number; drop?: boolean };

export interface FaultRule {
  /** HTTP method; any when omitted. */
  method?: string;
  /**
   * Glob over the URL path below the base URL: `*` one segment, `**` any number of segments,
   * e.g. `/volume/v3/*\/snapshots`. Any path when omitted (and no `kind`).
   */
  path?: string | RegExp;
  /** Normalised kind as counted by `requestCounts()`, e.g. "POST snapshots". */
  kind?: string;
  /** Skip the first `after` matching calls (default 0). */
  after?: number;
  /** Apply to this many matching calls after that (default 1; `Infinity` for always). */
  times?: number;
  fault: Fault;
}

export interface FiredFault {
  rule: number;
  fault: Fault["type"];
  method: string;
  path: string;
  kind: string;
}

function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${globSource(glob)}/?$`);
}

interface ActiveRule {
  rule: FaultRule;
  re: RegExp | null;
  seen: number;
}

/** The fault script of one emulator. */
export class Faults {
  #rules: ActiveRule[] = [];
  /** Every fault applied, in order. */
  readonly fired: FiredFault[] = [];

  /** Adds a rule; returns this for chaining. */
  add(rule: FaultRule): this {
    const re = rule.path === undefined
      ? null
      : rule.path instanceof RegExp
      ? rule.path
      : globToRegExp(rule.path);
    this.#rules.push({ rule, re, seen: 0 });
    return this;
  }

  /** Replaces the whole script. */
  script(rules: FaultRule[]): this {
    this.clear();
    for (const r of rules) this.add(r);
    return this;
  }

  /** Removes every rule (the fired log is kept). */
  clear(): void {
    this.#rules = [];
  }

  /** Number of rules that may still fire. */
  get pending(): number {
    return this.#rules.filter((r) => r.seen < (r.rule.after ?? 0) + (r.rule.times ?? 1)).length;
  }

  /** The faults to apply to one request (counts the call against every matching rule). */
  match(method: string, path: string, kind: string): Fault[] {
    const out: Fault[] = [];
    this.#rules.forEach((r, index) => {
      const { rule } = r;
      if (rule.method && rule.method.toUpperCase() !== method) return;
      if (rule.kind && rule.kind !== kind) return;
      if (r.re && !r.re.test(path)) return;
      r.seen++;
      const after = rule.after ?? 0;
      const times = rule.times ?? 1;
      if (r.seen > after && r.seen <= after + times) {
        out.push(rule.fault);
        this.fired.push({ rule: index, fault: rule.fault.type, method, path, kind });
      }
    });
    return out;
  }
}
