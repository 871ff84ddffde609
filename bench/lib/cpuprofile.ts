// Summarises a V8 .cpuprofile (from `--cpu-prof`): self time per function,
// the biggest first, so a short figure can be traced to where the time goes.

export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }[];
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

export function selfTimes(profile: CpuProfile): SelfTime[] {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<string, { function: string; location: string; us: number }>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  let total = 0;
  samples.forEach((id, i) => {
    // A sample stands for the time until the next one (the last, having none, counts nothing).
    const us = deltas[i + 1] ?? 0;
    const node = byNode.get(id);
    if (!node || us <= 0) return;
    total += us;
    const { functionName, url, lineNumber } = node.callFrame;
    const location = url ? `${url.replace(/^file:\/\/.*?\/node_modules\//, '')}:${lineNumber + 1}` : '';
    const key = `${functionName}@${location}`;
    const entry = selfUs.get(key) ?? { function: functionName || '(anonymous)', location, us: 0 };
    entry.us += us;
    selfUs.set(key, entry);
  });
  return [...selfUs.values()]
    .map((e) => ({ function: e.function, location: e.location, selfMs: e.us / 1000, share: total ? e.us / total : 0 }))
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
