// The runner's command line: --quick and --only=<scenario,...>.
export const SCENARIOS = ['createOrder', 'read', 'fanout', 'e2e', 'embedded'] as const;
export type ScenarioId = (typeof SCENARIOS)[number];

export function parseArgs(argv: string[]): { quick: boolean; only: ScenarioId[] } {
  let quick = false;
  let only: ScenarioId[] = [...SCENARIOS];
  for (const arg of argv) {
    if (arg === '--quick') quick = true;
    else if (arg.startsWith('--only=')) {
      const names = arg.slice('--only='.length).split(',').filter(Boolean);
      const unknown = names.filter((n) => !(SCENARIOS as readonly string[]).includes(n));
      if (unknown.length > 0 || names.length === 0) {
        throw new Error(`unknown scenario ${unknown.join(', ') || '(none)'}; known: ${SCENARIOS.join(', ')}`);
      }
      only = names as ScenarioId[];
    } else
      throw new Error(`unknown argument ${arg}; usage: npm run bench -- [--quick] [--only=${SCENARIOS.join(',')}]`);
  }
  return { quick, only };
}
