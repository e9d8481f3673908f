/**
 * The read-only status page served at `GET /`: server-rendered with Hono's `html` helper (every
 * interpolated value is escaped), inline CSS and SVG only, no JavaScript, no external assets.
 */
import { html, raw } from "hono/html";
import {
  formatAge,
  formatUtcMinute,
  type OtherManager,
  type UnprotectedReport,
} from "../core/mod.ts";
import type { FreshnessEntry, TimelineEvent } from "../exec/mod.ts";
import type { Readiness } from "./health.ts";
import { TIMELINE_DAYS } from "./history.ts";
import type { JobStatus } from "./scheduler.ts";

type Html = ReturnType<typeof html>;

export interface PageData {
  now: Temporal.Instant;
  version: string;
  readiness: Readiness;
  jobs: JobStatus[];
  /** null while the daemon has no observation of the cloud yet. */
  freshness: FreshnessEntry[] | null;
  timeline: TimelineEvent[];
  /** Another tool still creating managed snapshots on the project, if the last look saw one. */
  otherManager?: OtherManager | null;
  /** The newest listing of volumes no policy protects; null before the first (or when off). */
  unprotected?: { at: Temporal.Instant; report: UnprotectedReport } | null;
}

/** Rows of the unprotected table shown; the count above it is always the full one. */
export const UNPROTECTED_ROWS = 100;

function renderUnprotected(u: PageData["unprotected"]): Html {
  if (!u) {
    return html`
      <p
        class="muted">Not listed yet (the daemon lists every volume at most every --unprotected-refresh; 0 turns it off).</p>
    `;
  }
  const { report } = u;
  const summary = html`
    <p
      data-unprotected="${report.total}"><strong>${report.total}</strong> volume${report.total === 1
        ? ""
        : "s"} (${report.totalGigabytes} GiB) with no enabled, valid policy, as of ${when(
          u.at.toString(),
        )}.</p>
  `;
  if (report.total === 0) return summary;
  const rows = report.volumes.slice(0, UNPROTECTED_ROWS).map((v) =>
    html`
      <tr data-volume="${v.volumeId}">
        <td><span class="mono">${v.volumeId}</span><br>${v.volumeName || "—"}</td>
        <td class="num">${v.size} GiB</td>
        <td>${v.status}</td>
        <td class="mono">${v.serverIds.join(", ") || "—"}</td>
        <td>${v.reason}</td>
      </tr>
    `
  );
  return html`${summary}
    <table>
      <tr><th>Volume</th><th>Size</th><th>Status</th><th>Attached to</th><th>Why</th></tr>
      ${rows}
    </table>
    ${
    report.total > UNPROTECTED_ROWS
      ? html`
        <p
          class="muted">…and ${report.total -
            UNPROTECTED_ROWS} more: <code>snapsentry status --unprotected</code> lists them all.</p>
      `
      : ""
  }`;
}

const JOB_TITLES: Record<string, string> = {
  create: "Create snapshots",
  expire: "Expire snapshots",
};

/** An RFC 3339 string for people ("2026-01-15 12:00 UTC"); "—" when absent. */
function when(iso: string | null | undefined): string {
  if (!iso) return "—";
  try {
    return formatUtcMinute(Temporal.Instant.from(iso));
  } catch {
    return iso;
  }
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1f2328;background:#f6f8fa}
header{background:#24292f;color:#fff;padding:14px 24px;display:flex;gap:16px;align-items:baseline;flex-wrap:wrap}
header h1{font-size:20px;margin:0}
header .meta{color:#c9d1d9;font-size:13px}
main{padding:16px 24px;max-width:1280px}
h2{font-size:16px;margin:24px 0 8px}
table{border-collapse:collapse;background:#fff;border:1px solid #d0d7de;width:100%}
th,td{padding:6px 10px;border-bottom:1px solid #d8dee4;text-align:left;vertical-align:top}
th{background:#eaeef2;font-weight:600;font-size:13px}
td.num{font-variant-numeric:tabular-nums}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600}
.ok{background:#dafbe1;color:#116329}.partial,.due{background:#fff8c5;color:#7d4e00}
.failed,.late,.invalid,.notready{background:#ffebe9;color:#a40e26}.running,.creating{background:#ddf4ff;color:#0550ae}
.idle{background:#eaeef2;color:#57606a}
.muted{color:#57606a}
.legend{display:flex;gap:18px;align-items:center;margin:4px 0 8px;font-size:13px}
.legend span{display:inline-flex;gap:6px;align-items:center}
ul.next{margin:0;padding-left:16px}
.note{background:#fff8c5;border:1px solid #d4a72c;padding:8px 12px}
`;

function resultClass(result: string): string {
  return ["ok", "partial", "failed"].includes(result) ? result : "idle";
}

function renderJobs(jobs: JobStatus[]): Html {
  const rows = jobs.map((j) => {
    const last = j.lastRun;
    const counts = last?.counts;
    const countText = counts
      ? (j.job === "create"
        ? `${counts.created} created, ${counts.adopted} adopted, ${counts.skipped} skipped, ${counts.failed} failed`
        : `${counts.deleted} deleted, ${counts.kept} kept, ${counts.zombiesCleaned} zombies cleaned, ${counts.failed} failed`)
      : "";
    return html`
      <tr data-job="${j.job}">
        <td><strong>${JOB_TITLES[j.job] ?? j.job}</strong><br><span class="mono muted">${j
          .job}</span></td>
        <td><code>${j.schedule}</code><br><span class="muted">${j.timezone}</span></td>
        <td>${j.running
          ? html`<span class="badge running">running</span><br><span class="muted">since ${
            when(j.runningSince)
          }</span>`
          : html`<span class="badge idle">idle</span>`}${j.skippedOverlaps > 0
          ? html`<br><span class="muted">${j.skippedOverlaps} tick(s) skipped (still running)</span>`
          : ""}</td>
        <td>${last
          ? html`
            <span class="badge ${resultClass(last.result)}">${last.result}</span> ${when(
              last.startedAt,
            )} → ${when(last.finishedAt)} <span
              class="muted">(${formatAge(last.durationMs / 1000)}, ${last
                .trigger})</span>${countText ? html`<br>${countText}` : ""}${last.errorCode
                ? html`<br><span class="muted">error: ${last.errorCode}</span>`
                : ""}
          `
          : html`<span class="muted">not run yet</span>`}</td>
        <td>${j.nextRuns.length > 0
          ? html`<ul class="next">${j.nextRuns.map((n) => html`<li>${when(n)}</li>`)}</ul>`
          : html`<span class="muted">not scheduled</span>`}</td>
      </tr>
    `;
  });
  return html`
    <table id="jobs">
      <thead>
        <tr>
          <th>Job</th>
          <th>Schedule</th>
          <th>State</th>
          <th>Last run</th>
          <th>Next runs</th>
        </tr>
      </thead>
      <tbody>${rows}</tbody>
    </table>
  `;
}

const SVG_W = 440;
const SVG_H = 64;
const PAD_X = 10;
const LANE_Y = { created: 14, expired: 28, failed: 42 } as const;
const AXIS_Y = 50;

function mark(kind: TimelineEvent["kind"], x: number, label: string): Html {
  const y = LANE_Y[kind];
  const xs = x.toFixed(1);
  if (kind === "created") {
    return html`
      <circle class="mark-created" cx="${xs}" cy="${y}" r="4" fill="#1a7f37">
        <title>${label}</title>
      </circle>
    `;
  }
  if (kind === "expired") {
    return html`
      <rect class="mark-expired" x="${(x - 3.5).toFixed(1)}" y="${y -
        3.5}" width="7" height="7" fill="#6e7781">
        <title>${label}</title>
      </rect>
    `;
  }
  return html`
    <path class="mark-failed"
      d="M${xs} ${y - 5} L${(x + 5).toFixed(1)} ${y + 4} L${(x - 5).toFixed(1)} ${y +
        4} Z" fill="#cf222e">
      <title>${label}</title>
    </path>
  `;
}

/** The 14-day timeline of one volume as inline SVG, oldest left, now at the right edge. */
export function renderTimeline(
  volumeLabel: string,
  events: TimelineEvent[],
  now: Temporal.Instant,
): Html {
  const endMs = now.epochMilliseconds;
  const startMs = endMs - TIMELINE_DAYS * 86_400_000;
  const xOf = (ms: number) => PAD_X + ((ms - startMs) / (endMs - startMs)) * (SVG_W - 2 * PAD_X);
  const ticks: Html[] = [];
  // A tick at each UTC midnight, a date label every other day.
  const firstMidnight = Math.ceil(startMs / 86_400_000) * 86_400_000;
  for (let t = firstMidnight, i = 0; t <= endMs; t += 86_400_000, i++) {
    const x = xOf(t).toFixed(1);
    const d = new Date(t).toISOString();
    ticks.push(
      html`
        <line x1="${x}" y1="${AXIS_Y - 2}" x2="${x}" y2="${AXIS_Y + 2}" stroke="#8c959f" />
      `,
    );
    if (i % 2 === 0) {
      ticks.push(
        html`
          <text x="${x}" y="${SVG_H - 2}" font-size="9" text-anchor="middle"
            fill="#57606a">${d.slice(5, 10)}</text>
        `,
      );
    }
  }
  const marks = events
    .map((e) => ({ e, ms: Date.parse(e.at) }))
    .filter(({ ms }) => !Number.isNaN(ms) && ms >= startMs && ms <= endMs)
    .map(({ e, ms }) =>
      mark(
        e.kind,
        xOf(ms),
        `${e.kind} ${when(e.at)}${e.policy ? ` (${e.policy})` : ""}${
          e.snapshotId ? ` ${e.snapshotId}` : ""
        }`,
      )
    );
  return html`
    <svg class="timeline" role="img" aria-label="${`${TIMELINE_DAYS}-day snapshot timeline of ${volumeLabel}`}" xmlns="http://www.w3.org/2000/svg"
      width="${SVG_W}" height="${SVG_H}" viewBox="0 0 ${SVG_W} ${SVG_H}">
    <title>${TIMELINE_DAYS}-day snapshot timeline of ${volumeLabel}</title>
    <rect x="0" y="0" width="${SVG_W}" height="${AXIS_Y}" fill="#f6f8fa"/>
    <line x1="${PAD_X}" y1="${AXIS_Y}" x2="${SVG_W - PAD_X}" y2="${AXIS_Y}" stroke="#8c959f"/>
    ${ticks}${marks}</svg>
  `;
}

function legend(): Html {
  return html`
    <div class="legend" aria-label="Timeline legend">
      <span><svg width="12" height="12" aria-hidden="true"><circle cx="6" cy="6" r="4" fill="#1a7f37"/></svg>created</span>
      <span><svg width="12" height="12" aria-hidden="true"><rect x="2.5" y="2.5" width="7" height="7" fill="#6e7781"/></svg>expired (deleted)</span>
      <span><svg width="12" height="12" aria-hidden="true"><path d="M6 1 L11 10 L1 10 Z" fill="#cf222e"/></svg>failed</span>
      <span class="muted">last ${TIMELINE_DAYS} days, UTC, now at the right edge</span>
    </div>
  `;
}

function renderVolumes(data: PageData): Html {
  if (data.freshness === null) {
    return html`
      <p
        class="note">Volume data is unavailable right now: the daemon has not observed the cloud yet (it does at start and after every run). The page shows it once the cloud answered; see /readyz and the daemon's logs for details.</p>
    `;
  }
  if (data.freshness.length === 0) {
    return html`<p class="muted">No subscribed volumes: no volume in this project carries a snapsentry policy.</p>`;
  }
  const byVolume = new Map<string, FreshnessEntry[]>();
  for (const e of data.freshness) {
    const list = byVolume.get(e.volumeId) ?? [];
    list.push(e);
    byVolume.set(e.volumeId, list);
  }
  const eventsByVolume = new Map<string, TimelineEvent[]>();
  for (const ev of data.timeline) {
    const list = eventsByVolume.get(ev.volumeId) ?? [];
    list.push(ev);
    eventsByVolume.set(ev.volumeId, list);
  }
  const rows: Html[] = [];
  for (const [volumeId, entries] of byVolume) {
    const first = entries[0]!;
    const label = first.volumeName || volumeId;
    entries.forEach((e, i) => {
      const age = e.newestSnapshotAt === null
        ? Infinity
        : (data.now.epochMilliseconds - Date.parse(e.newestSnapshotAt)) / 1000;
      const volumeCells = i === 0
        ? html`
          <td
            rowspan="${entries
              .length}"><strong>${label}</strong><br><span class="mono muted">${volumeId}</span>${first
                .serverId
              ? html`<br><span class="muted">server <span class="mono">${first.serverId}</span></span>`
              : ""}</td>
        `
        : "";
      const timelineCell = i === 0
        ? html`<td rowspan="${entries.length}">${
          renderTimeline(label, eventsByVolume.get(volumeId) ?? [], data.now)
        }</td>`
        : "";
      rows.push(html`<tr class="volume-row" data-volume-id="${volumeId}">${volumeCells}
<td>${e.policy}</td>
<td>${
        e.newestSnapshotAt
          ? when(e.newestSnapshotAt)
          : html`<span class="muted">none yet</span>`
      }</td>
<td class="num">${formatAge(age)}</td>
<td><span class="badge ${e.verdict.toLowerCase()}">${e.verdict}</span></td>
${timelineCell}</tr>`);
    });
  }
  return html`
    ${legend()}<table id="volumes">
      <thead>
        <tr>
          <th>Volume</th>
          <th>Policy</th>
          <th>Newest good snapshot</th>
          <th>Age</th>
          <th>Verdict</th>
          <th>Timeline (${TIMELINE_DAYS} days)</th>
        </tr>
      </thead>
      <tbody>${rows}</tbody>
    </table>
  `;
}

/** The whole page. */
export function renderStatusPage(data: PageData): Html {
  const r = data.readiness;
  return html`
    <!DOCTYPE html>
    <html lang="en">
      <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>snapsentry daemon</title>
        <style>${raw(STYLE)}</style>
      </head>
      <body>
        <header><h1>snapsentry daemon</h1>
    <span class="meta">version ${data.version} · page rendered ${when(
      data.now.toString(),
    )} · ${r.ready
      ? html`<span class="badge ok">ready</span>`
      : html`<span class="badge notready">not ready: ${r.reason}${
        r.errorCode ? ` (${r.errorCode})` : ""
      }</span>`}</span></header>
        <main>
    <h2>Jobs</h2>
    ${renderJobs(data.jobs)}
    <h2>Subscribed volumes</h2>
    ${data.otherManager
      ? html`
        <p
          class="note"><strong>Another snapshot manager is active:</strong> ${data.otherManager
            .count} managed snapshot(s) without snapsentry's stamps were made after snapsentry's first snapshot here, the newest ${data
            .otherManager.snapshotId} at ${when(
              data.otherManager.createdAt.toString(),
            )}. Stop the other tool (SnapSentry-Go's daemon or CronJobs) on this project, or every window gets two snapshots.</p>
      `
      : ""}
    ${renderVolumes(data)}
    <h2>Unprotected volumes</h2>
    ${renderUnprotected(data.unprotected)}
    <p class="muted">Read-only page. Machine-readable: <a href="/status">/status</a> (JSON), <a href="/metrics">/metrics</a> (Prometheus), <a href="/healthz">/healthz</a>, <a href="/readyz">/readyz</a>.</p>
        </main>
      </body>
    </html>
  `;
}
