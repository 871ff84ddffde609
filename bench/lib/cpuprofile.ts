// Summarises a V8 .cpuprofile (from `--cpu-prof`): self time per function,
// the biggest first, so a short figure can be traced to where the time goes.

export interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    hitCount?: number;
    children?: number[];
  }[];
  samples?: number[];
  timeDeltas?: number[];
  startTime: number;
  endTime: number;
}

export interface SelfTime {
  function: string;
  location: string;
  selfMs: number;
  share: number;
}

/** A stretch of a profile, in its own clock (microseconds, the monotonic clock `process.hrtime` reads on Linux). */
export interface ProfileWindow {
  fromUs: number;
  toUs: number;
}

type ProfileNode = CpuProfile['nodes'][number];

/** A script's place without the machine's own path: `pkg/file.js:12`, `dist/src/file.js:12`, `node:internal/...`. */
function locationOf(frame: ProfileNode['callFrame']): string {
  if (!frame.url) return '';
  const url = frame.url.replace(/^file:\/\/.*?\/node_modules\//, '').replace(/^file:\/\/.*\/(dist\/)/, '$1');
  return `${url}:${frame.lineNumber + 1}`;
}

/**
 * Where a native function (no script of its own: `writeBuffer`, `writev`) was called from: the
 * nearest caller with a script, so "writeBuffer" says whose writes they were.
 */
function callerOf(node: ProfileNode, parents: Map<number, ProfileNode>): string {
  for (let up = parents.get(node.id); up; up = parents.get(up.id)) {
    const location = locationOf(up.callFrame);
    if (location) return `via ${up.callFrame.functionName || '(anonymous)'} ${location}`;
  }
  return '';
}

/** Self time per function, over the whole profile or only the samples taken within `window`. */
export function selfTimes(profile: CpuProfile, window?: ProfileWindow): SelfTime[] {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
  const parents = new Map<number, ProfileNode>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node);
  const selfUs = new Map<string, { function: string; location: string; us: number }>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  let total = 0;
  let at = profile.startTime;
  samples.forEach((id, i) => {
    at += deltas[i] ?? 0;
    if (window && (at < window.fromUs || at > window.toUs)) return;
    // A sample stands for the time until the next one (the last, having none, counts nothing).
    const us = deltas[i + 1] ?? 0;
    const node = byNode.get(id);
    if (!node || us <= 0) return;
    total += us;
    const { functionName } = node.callFrame;
    const location = locationOf(node.callFrame) || (functionName.startsWith('(') ? '' : callerOf(node, parents));
    const key = `${functionName}@${location}`;
    const entry = selfUs.get(key) ?? { function: functionName || '(anonymous)', location, us: 0 };
    entry.us += us;
    selfUs.set(key, entry);
  });
  return [...selfUs.values()]
    .map((e) => ({ function: e.function, location: e.location, selfMs: e.us / 1000, share: total ? e.us / total : 0 }))
    .sort((a, b) => b.selfMs - a.selfMs);
}

/** Several processes' self times as one (e.g. two instances of one program), shares of their sum. */
export function mergeSelfTimes(lists: readonly SelfTime[][]): SelfTime[] {
  const merged = new Map<string, SelfTime>();
  let total = 0;
  for (const row of lists.flat()) {
    total += row.selfMs;
    const key = `${row.function}@${row.location}`;
    const entry = merged.get(key) ?? { ...row, selfMs: 0, share: 0 };
    entry.selfMs += row.selfMs;
    merged.set(key, entry);
  }
  return [...merged.values()]
    .map((e) => ({ ...e, share: total ? e.selfMs / total : 0 }))
    .sort((a, b) => b.selfMs - a.selfMs);
}

export function renderSelfTimes(rows: SelfTime[], top = 25): string {
  return rows
    .slice(0, top)
    .map(
      (r) =>
        `${(r.share * 100).toFixed(1).padStart(5)}%  ${r.selfMs.toFixed(0).padStart(7)} ms  ${r.function}  ${r.location}`,
    )
    .join('\n');
}
