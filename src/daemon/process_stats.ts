/**
 * The process metrics every Prometheus client library exports (`process_cpu_seconds_total`,
 * `process_resident_memory_bytes`, `process_start_time_seconds`, `process_open_fds`, …), read
 * from /proc on Linux as client_golang's process collector reads them.
 *
 * @module
 */

/** The process metrics every Prometheus client library exports (all optional). */
export interface ProcessStats {
  residentMemoryBytes?: number;
  virtualMemoryBytes?: number;
  startTimeSeconds?: number;
  cpuSecondsTotal?: number;
  openFds?: number;
  maxFds?: number;
}

// USER_HZ: the kernel reports CPU times in clock ticks of 1/100 s on every Linux architecture
// Prometheus supports (client_golang's procfs assumes the same).
const USER_HZ = 100;

/**
 * Reads this process's stats from /proc (Linux), as client_golang's process collector does; on
 * other systems only what Deno itself knows (resident memory, start time). Never throws.
 */
export function readProcessStats(): ProcessStats {
  const out: ProcessStats = {};
  try {
    out.residentMemoryBytes = Deno.memoryUsage().rss;
  } catch { /* not available */ }
  out.startTimeSeconds = performance.timeOrigin / 1000;
  if (Deno.build.os !== "linux") return out;
  try {
    // /proc/self/stat: fields after the ")" of the command name start at field 3 (state).
    const stat = Deno.readTextFileSync("/proc/self/stat");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const utime = Number(f[11]);
    const stime = Number(f[12]);
    const startTicks = Number(f[19]);
    const vsize = Number(f[20]);
    if (Number.isFinite(utime + stime)) out.cpuSecondsTotal = (utime + stime) / USER_HZ;
    if (Number.isFinite(vsize)) out.virtualMemoryBytes = vsize;
    const btime = /^btime (\d+)$/m.exec(Deno.readTextFileSync("/proc/stat"))?.[1];
    if (btime && Number.isFinite(startTicks)) {
      out.startTimeSeconds = Number(btime) + startTicks / USER_HZ;
    }
  } catch { /* /proc not readable */ }
  try {
    let n = 0;
    for (const _ of Deno.readDirSync("/proc/self/fd")) n++;
    out.openFds = Math.max(0, n - 1); // minus the descriptor the listing itself holds
  } catch { /* not readable */ }
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(Deno.readTextFileSync("/proc/self/limits"));
    if (m && m[1] !== "unlimited") out.maxFds = Number(m[1]);
  } catch { /* not readable */ }
  return out;
}
