// The shape of a benchmark run, written to bench/results.json and rendered
// to bench/RESULTS.md. Every figure sits beside the baseline measured in the
// same run, because on a shared machine only the ratio travels.
import { ratio } from './stats.js';

export interface Goal {
  /** What the figure is held against, e.g. ">= 50% of pgbench". */
  text: string;
  /** null when the figure could not be measured. */
  met: boolean | null;
}

export interface Figure {
  name: string;
  unit: string;
  /** null: could not be measured in this run (see the scenario's notes). */
  value: number | null;
  baseline: number | null;
  /** service / baseline; null when either is missing. */
  ratio: number | null;
  goal?: Goal;
}

export interface ScenarioResult {
  id: string;
  title: string;
  /** What the baseline is, in one line. */
  baseline: string;
  status: 'ok' | 'not available' | 'failed';
  /** Why a scenario did not run, or what went wrong. */
  reason?: string;
  figures: Figure[];
  notes: string[];
}

export interface Machine {
  nproc: number;
  memoryGiB: number;
  cpuModel: string;
  os: string;
}

export interface RunResults {
  date: string;
  node: string;
  mode: 'full' | 'quick';
  machine: Machine;
  durationSeconds: number;
  scenarios: ScenarioResult[];
}

export function figure(
  name: string,
  unit: string,
  value: number | null,
  baseline: number | null,
  goal?: { text: string; test: (value: number, ratio: number | null) => boolean | null },
): Figure {
  const r = ratio(value, baseline);
  const result: Figure = { name, unit, value, baseline, ratio: r };
  if (goal) result.goal = { text: goal.text, met: value === null ? null : goal.test(value, r) };
  return result;
}

/** A goal on the ratio: at least `min` of the baseline; unknown without one. */
export function ratioGoal(min: number): {
  text: string;
  test: (value: number, ratio: number | null) => boolean | null;
} {
  return { text: `>= ${Math.round(min * 100)}% of baseline`, test: (_value, r) => (r === null ? null : r >= min) };
}

/** Three significant-ish digits: 1234 -> "1234", 12.345 -> "12.3", 0.1234 -> "0.123". */
export function formatNumber(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return 'n/a';
  const abs = Math.abs(value);
  if (abs >= 100) return Math.round(value).toString();
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  return value.toFixed(3);
}

function goalCell(goal: Goal | undefined): string {
  if (!goal) return '';
  const mark = goal.met === null ? 'n/a' : goal.met ? 'pass' : 'short';
  return `${goal.text}: **${mark}**`;
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function renderMarkdown(run: RunResults): string {
  const lines: string[] = [
    '# Benchmark results',
    '',
    'Written by `npm run bench` (see the Benchmarks section of the README). Every figure is measured',
    'beside its baseline in the same run, on the same machine, at the same time; the ratio is',
    'service ÷ baseline (for throughput higher is better, for latency and memory lower is better).',
    'Goals are reported, not asserted.',
    '',
    '| machine | |',
    '| --- | --- |',
    `| date | ${run.date} |`,
    `| mode | ${run.mode} (${Math.round(run.durationSeconds)} s) |`,
    `| Node.js | ${run.node} |`,
    `| CPU | ${escapeCell(run.machine.cpuModel)} (nproc ${run.machine.nproc}) |`,
    `| memory | ${run.machine.memoryGiB.toFixed(1)} GiB |`,
    `| OS | ${escapeCell(run.machine.os)} |`,
    '',
  ];
  for (const scenario of run.scenarios) {
    lines.push(`## ${scenario.title}`, '');
    lines.push(`Baseline: ${scenario.baseline}`, '');
    if (scenario.status !== 'ok') {
      lines.push(`**${scenario.status}**${scenario.reason ? `: ${scenario.reason}` : ''}`, '');
    }
    if (scenario.figures.length > 0) {
      lines.push('| figure | unit | service | baseline | ratio | goal |', '| --- | --- | ---: | ---: | ---: | --- |');
      for (const f of scenario.figures) {
        lines.push(
          `| ${escapeCell(f.name)} | ${f.unit} | ${formatNumber(f.value)} | ${formatNumber(f.baseline)} | ${
            f.ratio === null ? 'n/a' : `${f.ratio.toFixed(2)}×`
          } | ${goalCell(f.goal)} |`,
        );
      }
      lines.push('');
    }
    for (const note of scenario.notes) lines.push(`- ${note}`);
    if (scenario.notes.length > 0) lines.push('');
  }
  lines.push(WEB_RESULTS_POINTER);
  return `${lines.join('\n').trimEnd()}\n`;
}

/** `npm run bench:web` is a separate measurement with its own page, which this run must not overwrite. */
export const WEB_RESULTS_POINTER =
  "The web app's order page (time to interactive, `npm run bench:web`) is measured on its own: [WEB-RESULTS.md](WEB-RESULTS.md).";
