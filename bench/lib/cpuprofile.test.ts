import { describe, expect, it } from 'vitest';
import { mergeSelfTimes, selfTimes, type CpuProfile } from './cpuprofile.js';

/** A flat profile: one node per function name under (root); `at` = when each sample was taken (µs). */
function profileOf(functions: string[], samples: string[], at: number[], startTime = 0): CpuProfile {
  const ids = new Map(functions.map((name, i) => [name, i + 2]));
  return {
    nodes: [
      { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: 0 }, children: [...ids.values()] },
      ...functions.map((name) => ({
        id: ids.get(name) as number,
        callFrame: { functionName: name, url: 'file:///app/x.js', lineNumber: 0 },
      })),
    ],
    samples: samples.map((name) => ids.get(name) as number),
    timeDeltas: at.map((t, i) => t - (i === 0 ? startTime : (at[i - 1] as number))),
    startTime,
    endTime: (at[at.length - 1] ?? startTime) + 100,
  };
}

describe('CPU profile summary', () => {
  it('attributes cpuprofile samples to the function they landed in', () => {
    const rows = selfTimes(profileOf(['hot', 'cold'], ['hot', 'hot', 'cold', 'hot'], [0, 300, 600, 700]));
    expect(rows[0]).toMatchObject({ function: 'hot', selfMs: 0.6 });
    expect(rows[1]).toMatchObject({ function: 'cold', selfMs: 0.1 });
  });

  it('counts only the samples taken within a window (one phase of a run)', () => {
    const profile = profileOf(
      ['before', 'during'],
      ['before', 'during', 'during', 'before'],
      [1100, 1200, 1300, 1400],
      1000,
    );
    const rows = selfTimes(profile, { fromUs: 1150, toUs: 1350 });
    expect(rows.map((r) => r.function)).toEqual(['during']);
    expect(rows[0]).toMatchObject({ selfMs: 0.2, share: 1 });
    expect(selfTimes(profile).map((r) => r.function)).toEqual(['during', 'before']);
  });

  it('says which script called a native function, without the machine’s own path', () => {
    const rows = selfTimes({
      nodes: [
        { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: 0 }, children: [2] },
        {
          id: 2,
          callFrame: { functionName: 'flush', url: 'file:///home/someone/app/dist/src/log.js', lineNumber: 9 },
          children: [3],
        },
        { id: 3, callFrame: { functionName: 'writeBuffer', url: '', lineNumber: 0 } },
      ],
      samples: [3, 3],
      timeDeltas: [0, 100],
      startTime: 0,
      endTime: 200,
    });
    expect(rows[0]).toMatchObject({ function: 'writeBuffer', location: 'via flush dist/src/log.js:10' });
  });

  it('adds up two processes of one program, shares of their sum', () => {
    const merged = mergeSelfTimes([
      [{ function: 'f', location: 'x.js:1', selfMs: 30, share: 1 }],
      [
        { function: 'f', location: 'x.js:1', selfMs: 10, share: 0.2 },
        { function: 'g', location: 'y.js:1', selfMs: 40, share: 0.8 },
      ],
    ]);
    expect(merged).toEqual([
      { function: 'f', location: 'x.js:1', selfMs: 40, share: 0.5 },
      { function: 'g', location: 'y.js:1', selfMs: 40, share: 0.5 },
    ]);
  });
});
