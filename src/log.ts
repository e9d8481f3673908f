/**
 * Structured logging: one event per line on stderr, JSON lines by default or logfmt on request.
 * Every line has `ts` (UTC ISO), `level` and `event` (a stable snake_case name) plus context
 * fields. Everything passes the redaction layer (`redact.ts`) before it is written.
 *
 * Backed by LogTape. The rest of the code depends only on the small `Logger` interface below, so
 * tests inject `MemoryLogger` and assert on events.
 *
 * Under systemd, when stderr is the journal stream systemd names in `JOURNAL_STREAM`
 * (`<device>:<inode>`, see systemd.exec(5)), each line starts with its syslog priority (`<3>`
 * error, `<4>` warn, `<6>` info, `<7>` debug). journald strips the prefix and files the line at
 * that priority (`SyslogLevelPrefix=`, on by default), so `journalctl -p warning` works. The
 * check compares stderr's device and inode, so a child whose stderr was redirected elsewhere gets
 * plain lines.
 */
import {
  configureSync,
  getLogger,
  type Logger as LogTapeLogger,
  type LogLevel,
  type LogRecord,
} from "@logtape/logtape";
import { redact } from "./redact.ts";

export type Fields = Record<string, unknown>;
export type Level = "debug" | "info" | "warn" | "error";
export type LogFormat = "json" | "logfmt";

export const LEVELS: readonly Level[] = ["debug", "info", "warn", "error"];

export interface Logger {
  debug(event: string, fields?: Fields): void;
  info(event: string, fields?: Fields): void;
  warn(event: string, fields?: Fields): void;
  error(event: string, fields?: Fields): void;
  /** A logger that adds `fields` to every event. */
  with(fields: Fields): Logger;
}

export interface LogEntry {
  ts: string;
  level: Level;
  event: string;
  [key: string]: unknown;
}

const TO_LOGTAPE: Record<Level, LogLevel> = {
  debug: "debug",
  info: "info",
  warn: "warning",
  error: "error",
};
const FROM_LOGTAPE: Partial<Record<LogLevel, Level>> = {
  trace: "debug",
  debug: "debug",
  info: "info",
  warning: "warn",
  error: "error",
  fatal: "error",
};

/** Turns a LogTape record into our entry shape, redacted. */
function toEntry(record: LogRecord): LogEntry {
  const props = redact(record.properties) as Fields;
  return {
    ts: new Date(record.timestamp).toISOString(),
    level: FROM_LOGTAPE[record.level] ?? "info",
    event: String(record.rawMessage),
    ...props,
  };
}

// What JSON.stringify leaves raw but a terminal may act on (DEL, the C1 controls such as CSI
// U+009B) or a reader may take for a line break (U+2028, U+2029). Inside a JSON string each may be
// written as a \u escape, so the line stays the same JSON value.
const JSON_UNSAFE = /[\u007f-\u009f\u2028\u2029]/g;
const escapeUnsafe = (json: string) =>
  json.replace(JSON_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);

/**
 * Formats an entry as one logfmt line. A value is quoted (as a JSON string, every control
 * character escaped) when it holds a space, a quote, an equals sign, a backslash or any control
 * character, so cloud data such as a volume name can neither split the line nor drive a terminal.
 */
export function formatLogfmt(entry: LogEntry): string {
  return Object.entries(entry).map(([k, v]) => {
    const s = typeof v === "string" ? v : JSON.stringify(v) ?? "null";
    return /^[^\s"=\\\p{Cc}\u2028\u2029]+$/u.test(s)
      ? `${k}=${s}`
      : `${k}=${escapeUnsafe(JSON.stringify(s))}`;
  }).join(" ");
}

/** Formats an entry as one JSON line (control characters of any kind escaped). */
export function formatJson(entry: LogEntry): string {
  return escapeUnsafe(JSON.stringify(entry));
}

class LogTapeAdapter implements Logger {
  #inner: LogTapeLogger;
  constructor(inner: LogTapeLogger) {
    this.#inner = inner;
  }
  debug(event: string, fields: Fields = {}): void {
    this.#inner.debug(event, fields);
  }
  info(event: string, fields: Fields = {}): void {
    this.#inner.info(event, fields);
  }
  warn(event: string, fields: Fields = {}): void {
    this.#inner.warn(event, fields);
  }
  error(event: string, fields: Fields = {}): void {
    this.#inner.error(event, fields);
  }
  with(fields: Fields): Logger {
    return new LogTapeAdapter(this.#inner.with(fields));
  }
}

export interface CreateLoggerOptions {
  level?: Level;
  format?: LogFormat;
  /** Where each formatted line goes (without its newline). Default: stderr. */
  write?: (line: string) => void;
  /**
   * Prefix each line with its syslog priority for journald. Default: when writing to stderr and
   * stderr is the journal stream (`journalStreamIsStderr()`).
   */
  priorityPrefix?: boolean;
}

/** syslog(3) priorities of our levels, as journald reads them from a `<N>` prefix. */
export const SYSLOG_PRIORITY: Readonly<Record<Level, number>> = {
  error: 3,
  warn: 4,
  info: 6,
  debug: 7,
};

/**
 * Whether `journalStream` (the value of JOURNAL_STREAM, `<device>:<inode>` in decimal) names the
 * file `stat` describes (stderr's).
 */
export function isJournalStream(
  journalStream: string | undefined,
  stat: { dev: number; ino: number | null } | undefined,
): boolean {
  const m = /^(\d+):(\d+)$/.exec(journalStream?.trim() ?? "");
  if (!m || !stat || stat.ino === null) return false;
  return Number(m[1]) === stat.dev && Number(m[2]) === stat.ino;
}

/** True when this process's stderr is the journal stream systemd set up (Linux only). */
export function journalStreamIsStderr(): boolean {
  try {
    const stream = Deno.env.get("JOURNAL_STREAM");
    if (!stream || Deno.build.os !== "linux") return false;
    return isJournalStream(stream, Deno.statSync("/proc/self/fd/2"));
  } catch {
    return false; // no permission to read the variable or /proc: plain lines
  }
}

const encoder = new TextEncoder();

/** Writes a line to stderr synchronously, so lines of concurrent tasks never interleave. */
export function writeStderrLine(line: string): void {
  Deno.stderr.writeSync(encoder.encode(line + "\n"));
}

/**
 * Configures LogTape for this process and returns the root logger. Called once by the CLI; calling
 * it again replaces the previous configuration.
 */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const format = options.format ?? "json";
  const write = options.write ?? writeStderrLine;
  const prefix = options.priorityPrefix ?? (options.write === undefined && journalStreamIsStderr());
  const sink = (record: LogRecord) => {
    const entry = toEntry(record);
    const line = format === "logfmt" ? formatLogfmt(entry) : formatJson(entry);
    write(prefix ? `<${SYSLOG_PRIORITY[entry.level]}>${line}` : line);
  };
  configureSync({
    reset: true,
    sinks: { main: sink },
    loggers: [
      {
        category: ["snapsentry"],
        lowestLevel: TO_LOGTAPE[options.level ?? "info"],
        sinks: ["main"],
      },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["main"] },
    ],
  });
  return new LogTapeAdapter(getLogger(["snapsentry"]));
}

/** Parses a `--log-level` value; throws RangeError with the accepted values. */
export function parseLevel(value: string): Level {
  const v = value.toLowerCase() === "warning" ? "warn" : value.toLowerCase();
  if ((LEVELS as readonly string[]).includes(v)) return v as Level;
  throw new RangeError(
    `Cannot use log level "${value}": expected one of ${LEVELS.map((l) => `"${l}"`).join(", ")}`,
  );
}

/** A logger that keeps entries in memory (tests, and the daemon's recent-events view). */
export class MemoryLogger implements Logger {
  readonly entries: LogEntry[];
  #fields: Fields;
  #minLevel: number;
  constructor(options: { level?: Level; entries?: LogEntry[]; fields?: Fields } = {}) {
    this.entries = options.entries ?? [];
    this.#fields = options.fields ?? {};
    this.#minLevel = LEVELS.indexOf(options.level ?? "debug");
  }
  #push(level: Level, event: string, fields: Fields = {}) {
    if (LEVELS.indexOf(level) < this.#minLevel) return;
    const props = redact({ ...this.#fields, ...fields }) as Fields;
    this.entries.push({ ts: new Date().toISOString(), level, event, ...props });
  }
  debug(event: string, fields?: Fields): void {
    this.#push("debug", event, fields);
  }
  info(event: string, fields?: Fields): void {
    this.#push("info", event, fields);
  }
  warn(event: string, fields?: Fields): void {
    this.#push("warn", event, fields);
  }
  error(event: string, fields?: Fields): void {
    this.#push("error", event, fields);
  }
  with(fields: Fields): Logger {
    return new MemoryLogger({
      level: LEVELS[this.#minLevel] ?? "debug",
      entries: this.entries,
      fields: { ...this.#fields, ...fields },
    });
  }
  /** Entries with the given event name. */
  events(event: string): LogEntry[] {
    return this.entries.filter((e) => e.event === event);
  }
}

/** A logger that drops everything. */
export const nullLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  with() {
    return nullLogger;
  },
};
