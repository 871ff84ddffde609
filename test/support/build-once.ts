// Vitest global setup: compiles the project once per test run, so the tests
// that start the real entry point (test/process) run today's code, not a stale
// dist/. tsc, not a transform: the compiled output is what `npm start` runs.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

export default function buildOnce(): void {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
}
