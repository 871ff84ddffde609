// `node dist/bench/profile-summary.js bench/profiles/<name>.cpuprofile [top]`:
// the functions with the most self time in a profile the bench wrote with
// BENCH_CPU_PROF=1.
import { readFile } from 'node:fs/promises';
import { renderSelfTimes, selfTimes, type CpuProfile } from './lib/cpuprofile.js';

const [file, top] = process.argv.slice(2);
if (!file) {
  console.error('usage: node dist/bench/profile-summary.js <file.cpuprofile> [top]');
  process.exit(2);
}
const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
console.log(renderSelfTimes(selfTimes(profile), Number(top ?? 25)));
